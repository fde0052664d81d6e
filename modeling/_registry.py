"""The model registry tables: ``models`` (one row per trained model, its status) and ``model_metrics``.

Writes go through the warehouse writer: a trained model's rows (:func:`record_model`) and the
champion status (:func:`set_champion`). Reads take any connection: :func:`list_models`,
:func:`show_model`, :func:`champion_of`. A model id may be given by a unique prefix.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np

from warehouse import insert_rows, record_path

from ._errors import ModelingError
from ._tasks import TaskData


class ModelNotFound(ModelingError):
    exit_code = 2


@dataclass
class ModelRecord:
    model_id: str
    task: str
    dataset: str
    estimator: str
    snapshot_id: str | None
    status: str
    headline_metric: str
    headline_value: float
    ci_low: float
    ci_high: float
    artifact_path: str
    metrics: dict[str, float]
    n_train: int
    n_test: int
    train_seconds: float
    decision: str | None = None
    per_label: list[dict] = field(default_factory=list)
    # 95 % bootstrap intervals of metrics besides the headline (per protocol; issue 16)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def now() -> datetime:
    """The registry's timestamps: UTC, without a time zone (DuckDB TIMESTAMP)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_model_id(task: str, dataset: str, estimator: str) -> str:
    return f"{task}-{dataset}-{estimator}-{now().strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"


def record_model(writer, record: ModelRecord, data: TaskData, params: dict) -> None:
    """Insert the ``models`` row (status challenger) and the ``model_metrics`` rows of a trained model.

    ``params``: the estimator's ``get_params()``, stored as JSON with the feature set.
    """
    with writer.transaction() as con:
        con.execute(
            "INSERT INTO models (model_id, task, dataset, estimator, snapshot_id, taxonomy_version, feature_versions, "
            "split_id, params, artifact_path, status, headline_metric, headline_value, test_set_hash, n_train, n_test, "
            "train_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [record.model_id, record.task, record.dataset, record.estimator, record.snapshot_id, data.taxonomy_version,
             json.dumps(data.feature_versions, sort_keys=True), data.split_id,
             json.dumps({**_jsonable(params), "feature_set": data.feature_set}, sort_keys=True),
             record_path(record.artifact_path, writer.path.parent), "challenger", record.headline_metric, record.headline_value, data.test_set_hash(),
             record.n_train, record.n_test, record.train_seconds, now()],
        )
        rows = []
        for name, value in record.metrics.items():
            ci = (record.ci_low, record.ci_high) if name == record.headline_metric else record.intervals.get(name)
            rows.append(dict(model_id=record.model_id, metric=name, value=_finite(value),
                             ci_low=None if ci is None else _finite(ci[0]),
                             ci_high=None if ci is None else _finite(ci[1]), family_id=None, label=None,
                             support=record.n_test))
        for lid, row in zip(data.label_ids, record.per_label):
            for name, value in row.items():
                if name in ("label", "support"):
                    continue
                rows.append(dict(model_id=record.model_id, metric=name, value=_finite(value), ci_low=None, ci_high=None,
                                 family_id=lid if data.kind == "multilabel" else None, label=row["label"],
                                 support=row["support"]))
        insert_rows(con, "model_metrics", rows)


def _finite(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def _jsonable(params: dict) -> dict:
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else list(v) if isinstance(v, tuple) else str(v))
            for k, v in params.items()}


def set_champion(writer, model_id: str, decision: str) -> None:
    """Make ``model_id`` the champion of its task and data set; the previous champion is retired."""
    with writer.transaction() as con:
        row = model_row(con, model_id)
        con.execute("UPDATE models SET status = 'retired' WHERE task = ? AND dataset = ? AND status = 'champion'",
                    [row["task"], row["dataset"]])
        con.execute("UPDATE models SET status = 'champion', promoted_at = ?, decision = ? WHERE model_id = ?",
                    [now(), decision, model_id])


def set_decision(writer, model_id: str, decision: str) -> None:
    with writer.transaction() as con:
        con.execute("UPDATE models SET decision = ? WHERE model_id = ?", [decision, model_id])


# ───────────────────────────── reading ─────────────────────────────

def model_row(con, model_id: str) -> dict:
    """The ``models`` row of ``model_id`` or of the one model whose id starts with it."""
    rows = con.execute("SELECT * FROM models WHERE model_id = ?", [model_id]).fetchall()
    if not rows:
        matches = con.execute("SELECT model_id FROM models WHERE model_id LIKE ? || '%'", [model_id]).fetchall()
        if len(matches) != 1:
            raise ModelNotFound(f"{'no' if not matches else 'more than one'} model matches {model_id!r}")
        rows = con.execute("SELECT * FROM models WHERE model_id = ?", [matches[0][0]]).fetchall()
    cols = [d[0] for d in con.description]
    return dict(zip(cols, rows[0]))


def champion_of(con, task: str, dataset: str) -> dict | None:
    rows = con.execute(
        "SELECT model_id FROM models WHERE task = ? AND dataset = ? AND status = 'champion'", [task, dataset]
    ).fetchall()
    return model_row(con, rows[0][0]) if rows else None


def list_models(con, task: str | None = None) -> list[dict]:
    sql = ("SELECT model_id, task, dataset, estimator, status, snapshot_id, headline_metric, headline_value, "
           "n_train, n_test, train_seconds, created_at FROM models")
    params = []
    if task:
        sql += " WHERE task = ?"
        params.append(task)
    cur = con.execute(sql + " ORDER BY created_at, model_id", params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def show_model(con, model_id: str) -> dict:
    row = model_row(con, model_id)
    cur = con.execute(
        "SELECT metric, value, ci_low, ci_high, family_id, label, support FROM model_metrics WHERE model_id = ? "
        "ORDER BY label NULLS FIRST, metric", [row["model_id"]])
    cols = [d[0] for d in cur.description]
    metrics = [dict(zip(cols, r)) for r in cur.fetchall()]
    row["params"] = json.loads(row["params"])
    row["feature_versions"] = json.loads(row["feature_versions"] or "{}")
    row["metrics"] = [m for m in metrics if m["label"] is None]
    row["per_label"] = [m for m in metrics if m["label"] is not None]
    return row
