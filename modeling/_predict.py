"""Predictions for artists without genres, and the nightly retrain step.

The artist-families champion scores every artist of a snapshot whose genres are empty
(``untagged``) or unknown (``unknown``) and writes one row per artist and family into
``predictions``: the probability and whether the family is assigned after the per-family
thresholds and the at-least-one-family rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

import features
from warehouse import UsageError, insert_rows

from ._artifacts import ModelArtifact
from ._promotion import Comparison, PromotionRefused, promote
from ._registry import ModelRecord, champion_of, now
from ._tasks import numeric_matrix, resolve_snapshot_id
from ._train import train

TASK = "artist-families"
# Issue 16: calibrated, trained for missing groups, judged on the untagged-like protocol.
RETRAIN_ESTIMATOR = "lightgbm-calibrated"


def _published_snapshot(settings, snapshot_id: str | None) -> str:
    snap = resolve_snapshot_id(settings, snapshot_id)
    if snap is None:
        raise UsageError("no snapshot published yet; run `genrestore snapshot create` and build features first")
    return snap


def _champion(con) -> tuple[dict, ModelArtifact]:
    """The artist-families champion's registry row and its artifact."""
    champ = champion_of(con, TASK, "warehouse")
    if champ is None:
        raise UsageError("no artist-families champion yet; run `genrestore train --task artist-families` first")
    return champ, ModelArtifact.load_recorded(con, champ["artifact_path"])


def predict(writer, settings, snapshot_id: str | None = None) -> int:
    """Score the snapshot's untagged/unknown artists with the artist-families champion; return rows written."""
    snap = _published_snapshot(settings, snapshot_id)
    with writer.transaction() as con:
        champ, art = _champion(con)
        ud = features.unlabeled_data(con, snap)
        artist_ids = [str(a) for a in ud.artist_ids]
        reasons = [str(r) for r in ud.state]  # untagged (genres []) or unknown (genres NULL)
        Xdf = _scoring_frame(con, snap, ud, artist_ids, art)
    est = art.estimator
    if artist_ids:
        X = _align(Xdf, art.feature_names)
        P = est.predict_proba(X)
        D = est.predict(X)
    else:
        X = np.zeros((0, len(art.feature_names)))
        P = D = np.zeros((0, len(art.label_ids)))
    k = len(art.label_ids)
    from ._explain import prediction_details  # issue 16: rank, confidence, groups, protocol

    details = prediction_details(est, X, P, art.feature_names)
    n = len(artist_ids)
    created = now()
    rows = pl.DataFrame({
        "snapshot_id": [snap] * (n * k),
        "model_id": [champ["model_id"]] * (n * k),
        "artist_id": np.repeat(np.asarray(artist_ids, dtype=object), k).tolist() if n else [],
        "family_id": np.tile(np.asarray(art.label_ids, dtype=object), n).tolist() if n else [],
        "family_name": np.tile(np.asarray(art.label_names, dtype=object), n).tolist() if n else [],
        "probability": P.reshape(-1).astype(float),
        "predicted": D.reshape(-1).astype(bool),
        "reason": np.repeat(np.asarray(reasons, dtype=object), k).tolist() if n else [],
        "created_at": [created] * (n * k),
        "family_rank": details["rank"].reshape(-1).astype(np.int32),
        "low_confidence": np.repeat(details["low_confidence"], k).astype(bool),
        "feature_groups": np.repeat(np.asarray(details["groups"], dtype=object), k).tolist() if n else [],
        "protocol": [_protocol_of(champ)] * (n * k),
    }, schema={"snapshot_id": pl.Utf8, "model_id": pl.Utf8, "artist_id": pl.Utf8, "family_id": pl.Utf8,
               "family_name": pl.Utf8, "probability": pl.Float64, "predicted": pl.Boolean, "reason": pl.Utf8,
               "created_at": pl.Datetime("us"), "family_rank": pl.Int32, "low_confidence": pl.Boolean,
               "feature_groups": pl.Utf8, "protocol": pl.Utf8})
    with writer.transaction() as con:
        con.execute("DELETE FROM predictions WHERE snapshot_id = ? AND model_id = ?", [snap, champ["model_id"]])
        insert_rows(con, "predictions", rows)
    return rows.height


def _scoring_frame(con, snap: str, ud, artist_ids: list[str], art: ModelArtifact) -> pl.DataFrame:
    """The unlabeled artists' features plus the modeling groups the model uses, in the order
    artist_families_data adds them."""
    from ._extra_groups import with_graph, with_label_models, with_release, with_text

    Xdf = ud.X
    if artist_ids:
        for add in (_with_names, _with_artist_type, with_text, with_release, _with_collab, with_graph, with_label_models):
            Xdf = add(con, snap, Xdf, artist_ids, art)
    return Xdf


def _protocol_of(model_row: dict) -> str:
    return "untagged-like" if str(model_row.get("headline_metric", "")).startswith("untagged_like") else "random"


def explain_artist(writer, settings, artist_id: str, snapshot_id: str | None = None) -> str:
    """Why the champion predicts what it does for one artist without genres (text for the CLI)."""
    from ._explain import explain, format_explanation
    from features import artist_column

    snap = _published_snapshot(settings, snapshot_id)
    with writer.transaction() as con:
        champ, art = _champion(con)
        ud = features.unlabeled_data(con, snap)
        ids = [str(a) for a in ud.artist_ids]
        if artist_id not in ids:
            raise UsageError(f"artist {artist_id!r} is not an untagged or unknown artist of snapshot {snap}; "
                             "only artists without genres are predicted")
        Xdf = _scoring_frame(con, snap, ud, ids, art)
        name = artist_column(con, snap, [artist_id], "name")[0]
    x = _align(Xdf, art.feature_names)[ids.index(artist_id)]
    e = explain(art.estimator, x, art.feature_names, art.label_names)
    return format_explanation(artist_id, name, champ["model_id"], _protocol_of(champ), e)


def _add_columns(Xdf: pl.DataFrame, names: list[str], block) -> pl.DataFrame:
    return Xdf.with_columns([pl.Series(n, block[:, j]) for j, n in enumerate(names)])


def _with_names(con, snap: str, Xdf: pl.DataFrame, artist_ids: list[str], art: ModelArtifact) -> pl.DataFrame:
    """Add the artist-name cue columns when the model uses them."""
    from features import NAME_CUE_FEATURES as FEATURES
    from features import artist_names, name_cues

    if not set(FEATURES) & set(art.feature_names):
        return Xdf
    return _add_columns(Xdf, FEATURES, name_cues(artist_names(con, snap, artist_ids)))


def _with_artist_type(con, snap: str, Xdf: pl.DataFrame, artist_ids: list[str], art: ModelArtifact) -> pl.DataFrame:
    """Add the artist-type one-hot columns when the model uses them."""
    from features import ARTIST_TYPE_FEATURES as FEATURES
    from features import artist_type_onehot, artist_types

    if not set(FEATURES) & set(art.feature_names):
        return Xdf
    return _add_columns(Xdf, FEATURES, artist_type_onehot(artist_types(con, snap, artist_ids)))


def _with_collab(con, snap: str, Xdf: pl.DataFrame, artist_ids: list[str], art: ModelArtifact) -> pl.DataFrame:
    """Add the collaborator-genre columns when the model uses them: in production every tagged
    artist's label is visible (the artists scored here have none of their own)."""
    from ._collab import PREFIX, co_credit_graph, collab_for, feature_names
    from ._extra_groups import tagged_labels

    if not any(n.startswith(PREFIX) for n in art.feature_names):
        return Xdf
    td, Y = tagged_labels(con, snap, art)
    block = collab_for(co_credit_graph(con, snap), artist_ids, td.artist_ids, Y)
    return _add_columns(Xdf, feature_names(art.label_ids), block)


def _align(Xdf: pl.DataFrame, names: list[str]) -> np.ndarray:
    missing = [n for n in names if n not in Xdf.columns]
    if missing:  # a view dropped a column since training: score with it missing (NaN), trees cope
        Xdf = Xdf.with_columns([pl.lit(None, dtype=pl.Float64).alias(n) for n in missing])
    return numeric_matrix(Xdf.select(names))


@dataclass
class RetrainResult:
    snapshot_id: str
    challenger: ModelRecord
    comparison: Comparison | None
    promoted: bool
    decision: str
    champion_id: str
    predictions: int


def retrain(writer, settings, snapshot_id: str | None = None, *, n_jobs: int | None = None,
            params: dict | None = None) -> RetrainResult:
    """The scheduled job: train a ``lightgbm-calibrated`` challenger, compare with the champion, promote or not, predict.

    ``params`` overrides LightGBM settings (e.g. ``{"n_estimators": 100}`` for a quick run);
    ``predicted`` is decided at the ``modeling.target_precision`` setting unless ``params`` says.
    """
    snap = resolve_snapshot_id(settings, snapshot_id)
    params = {"target_precision": settings.modeling.target_precision, **(params or {})}
    record = train(writer, settings, TASK, snap, estimator=RETRAIN_ESTIMATOR, n_jobs=n_jobs, params=params)
    if record.status == "champion":
        comparison, promoted, decision = None, True, record.decision or "first model"
    else:
        try:
            comparison = promote(writer, record.model_id)
            promoted = True
        except PromotionRefused as refused:
            comparison, promoted = refused.comparison, False
            decision = str(refused)
        else:
            decision = "promoted: " + (comparison.describe() if comparison else "no champion")
    with writer.transaction() as con:
        champ = champion_of(con, TASK, "warehouse")
    count = predict(writer, settings, snap)
    return RetrainResult(snap, record, comparison, promoted, decision, champ["model_id"], count)
