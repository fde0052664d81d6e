"""Typed reads of the model registry for readers outside modeling (the nightly report).

One row of ``models`` is a :class:`RegisteredModel`, one row of ``model_metrics`` a
:class:`MetricRow`; the registry's SQL stays in this package, so a schema change breaks here and
not in every reader. A model's file is read with :func:`load_artifact`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._artifacts import ModelArtifact

_COLUMNS = ("model_id, task, dataset, estimator, snapshot_id, taxonomy_version, feature_versions, split_id, params, "
            "artifact_path, status, headline_metric, headline_value, test_set_hash, n_train, n_test, train_seconds, "
            "created_at, promoted_at, decision")


@dataclass(frozen=True)
class RegisteredModel:
    """One trained model as the registry holds it; ``params`` is the stored JSON, parsed."""

    model_id: str
    task: str
    dataset: str
    estimator: str
    snapshot_id: str | None
    taxonomy_version: str | None
    feature_versions: str | None
    split_id: str | None
    params: Any
    artifact_path: str
    status: str
    headline_metric: str
    headline_value: float | None
    test_set_hash: str
    n_train: int | None
    n_test: int | None
    train_seconds: float | None
    created_at: datetime
    promoted_at: datetime | None
    decision: str | None


@dataclass(frozen=True)
class MetricRow:
    """One test-set metric of a model: overall (``label`` None) or of one family/label."""

    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    family_id: str | None
    label: str | None
    support: int | None


def _params(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw or {}
    try:
        return json.loads(raw)
    except ValueError:  # kept readable rather than lost
        return {"params": raw}


def _models(con, where: str, params: list, tail: str = "") -> list[RegisteredModel]:
    got = con.execute(f"SELECT {_COLUMNS} FROM models WHERE {where} {tail}", params).fetchall()
    return [RegisteredModel(*r[:8], _params(r[8]), *r[9:]) for r in got]


def find_model(con, model_id: str | None) -> RegisteredModel | None:
    """The model of exactly ``model_id`` (no prefix match), or None."""
    if not model_id:
        return None
    got = _models(con, "model_id = ?", [model_id])
    return got[0] if got else None


def newest_model(con, task: str, snapshot_id: str) -> RegisteredModel | None:
    """The model of ``task`` trained last on ``snapshot_id``, or None."""
    got = _models(con, "task = ? AND snapshot_id = ?", [task, snapshot_id], "ORDER BY created_at DESC LIMIT 1")
    return got[0] if got else None


def champion_before(con, model: RegisteredModel) -> RegisteredModel | None:
    """The model of the same task and data set promoted last among those trained before ``model``."""
    got = _models(con, "task = ? AND dataset = ? AND created_at < ? AND promoted_at IS NOT NULL",
                  [model.task, model.dataset, model.created_at], "ORDER BY promoted_at DESC LIMIT 1")
    return got[0] if got else None


def model_metrics(con, model_id: str, *, per_label: bool = False) -> list[MetricRow]:
    """The overall metrics of a model, or (``per_label``) its per-family/per-label rows."""
    where = "label IS NOT NULL" if per_label else "label IS NULL"
    return [MetricRow(*r) for r in con.execute(
        f"SELECT metric, value, ci_low, ci_high, family_id, label, support FROM model_metrics "
        f"WHERE model_id = ? AND {where}", [model_id]).fetchall()]


def load_artifact(con, model: RegisteredModel) -> ModelArtifact:
    """The model's file (its path is recorded relative to the warehouse's directory, var/)."""
    return ModelArtifact.load_recorded(con, model.artifact_path)
