"""Per-protocol figures of one artist-families model, for the registry and the nightly report.

At training time (:func:`protocol_extras`) every artist-families model gets, besides its random
split metrics, bootstrap intervals for the ranking figures of each protocol and the
``development-mode`` figures: the same estimator trained and tested again on only the columns
a development-mode crawl can fill (``development_mode_*`` metrics, intervals included). The
registry stores them all (``model_metrics``; intervals in ``ci_low``/``ci_high``).

Reading (:func:`protocol_figures`, :func:`calibration_figures`) needs only a connection and a
model id: the registry rows and the model's artifact (its test rows, scores and untagged-like
weights), so the report never reaches into modeling's internals.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from . import _metrics as M
from ._calibration import N_BINS, ece_per_family, macro_ece, reliability
from ._protocols import (
    dev_mode_columns,
    effective_sample_size,
    packed,
    top_k_hit_rate,
    weighted_macro_auroc,
)

DEV_PREFIX = "development_mode_"
UNTAGGED_PREFIX = "untagged_like_"
# (protocol, metric name in the registry, what the report calls it)
_FIGURES = (
    ("untagged-like", "untagged_like_macro_auroc", "macro AUROC"),
    ("untagged-like", "untagged_like_macro_auprc", "macro AUPRC"),
    ("untagged-like", "untagged_like_top3_hit_rate", "top-3 hit rate"),
    ("untagged-like", "untagged_like_macro_ece", "macro ECE"),
    ("untagged-like", "untagged_like_coverage", "coverage of predicted"),
    ("untagged-like", "untagged_like_decided_precision", "precision of predicted"),
    ("development-mode", "development_mode_macro_auroc", "macro AUROC"),
    ("development-mode", "development_mode_macro_auprc", "macro AUPRC"),
    ("development-mode", "development_mode_top3_hit_rate", "top-3 hit rate"),
    ("development-mode", "development_mode_macro_ece", "macro ECE"),
    ("random", "macro_auroc", "macro AUROC"),
    ("random", "macro_auprc", "macro AUPRC"),
    ("random", "top3_hit_rate", "top-3 hit rate"),
    ("random", "macro_ece", "macro ECE"),
    ("random", "coverage", "coverage of predicted"),
    ("random", "decided_precision", "precision of predicted"),
)
PROTOCOL_ORDER = ("untagged-like", "development-mode", "random")


def subset_columns(data, cols: list[int]):
    """A shallow copy of task data keeping only the columns ``cols`` (every matrix it carries)."""
    d = copy.copy(data)
    d.X = data.X[:, cols]
    d.feature_names = [data.feature_names[j] for j in cols]
    names = set(d.feature_names)
    d.categorical = [i for i, n in enumerate(d.feature_names) if n in
                     {data.feature_names[j] for j in data.categorical} & names]
    d.fold_X = None if data.fold_X is None else {f: m[:, cols] for f, m in data.fold_X.items()}
    d.untagged_X = None if data.untagged_X is None else data.untagged_X[:, cols]
    return d


def _interval(fn, Y, P, n_boot, groups) -> tuple[float, float]:
    ci = M.bootstrap_ci(fn, Y, P, n_boot=n_boot, groups=groups)
    return float(ci.low), float(ci.high)


def protocol_extras(data, estimator: str, params: dict | None, scores: np.ndarray, *, n_boot: int,
                    n_jobs: int | None, development_mode: bool = True) -> tuple[dict[str, float], dict[str, tuple]]:
    """Extra metrics and intervals of an artist-families model: (metrics, {metric: (low, high)}).

    Intervals: random macro AUROC / AUPRC; untagged-like macro AUROC (its AUPRC is the headline,
    whose interval the caller has). With ``development_mode`` the estimator is fit once more on
    the development-mode columns and scored on the same test artists.
    """
    from ._fit import fit_and_score

    te = data.test
    Y = np.asarray(data.y[te])
    groups = data.groups[te] if data.split_id.startswith("artist-disjoint") else None
    intervals = {"macro_auroc": _interval(M.macro_auroc_ml, Y, scores, n_boot, groups),
                 "macro_auprc": _interval(M.macro_auprc, Y, scores, n_boot, groups)}
    metrics: dict[str, float] = {}
    if data.eval_weights is not None:
        Yw = np.column_stack([Y, np.asarray(data.eval_weights)[te]])
        intervals["untagged_like_macro_auroc"] = _interval(packed(weighted_macro_auroc), Yw, scores, n_boot, groups)
    cols = dev_mode_columns(data.feature_names)
    if development_mode and 0 < len(cols) < len(data.feature_names):
        dev = subset_columns(data, cols)
        _est, dscores, dm, dci, _pl, seconds = fit_and_score(dev, estimator, params, n_boot=n_boot, n_jobs=n_jobs)
        metrics.update({
            DEV_PREFIX + "macro_auroc": dm["macro_auroc"], DEV_PREFIX + "macro_auprc": dm["macro_auprc"],
            DEV_PREFIX + "top3_hit_rate": top_k_hit_rate(Y, dscores), DEV_PREFIX + "macro_ece": macro_ece(Y, dscores),
            DEV_PREFIX + "n_features": float(len(cols)), DEV_PREFIX + "train_seconds": float(seconds),
        })
        intervals[DEV_PREFIX + "macro_auroc"] = _interval(M.macro_auroc_ml, Y, dscores, n_boot, groups)
        intervals[DEV_PREFIX + "macro_auprc"] = _interval(M.macro_auprc, Y, dscores, n_boot, groups)
    return metrics, intervals


# ───────────────────────────── reading ─────────────────────────────

def protocol_figures(con, model_id: str) -> dict[str, Any]:
    """One model's figures per protocol from the registry: {"model_id", "rows": [{protocol,
    metric, value, ci_low, ci_high}], "effective_sample_size", "n_test", "target_precision"}.

    Figures the model has no row for (an older model, a task without untagged artists) are left
    out; ``rows`` is in :data:`PROTOCOL_ORDER`.
    """
    from ._registry import show_model

    info = show_model(con, model_id)
    have = {m["metric"]: m for m in info["metrics"]}
    rows = []
    for protocol, metric, label in _FIGURES:
        m = have.get(metric)
        if m is None or m["value"] is None:
            continue
        rows.append({"protocol": protocol, "metric": label, "value": m["value"], "ci_low": m["ci_low"],
                     "ci_high": m["ci_high"], "registry_metric": metric})
    ess = have.get("untagged_like_ess")
    return {"model_id": info["model_id"], "estimator": info["estimator"], "rows": rows,
            "effective_sample_size": None if ess is None else ess["value"], "n_test": info["n_test"],
            "target_precision": info["params"].get("target_precision")}


def calibration_figures(con, model_id: str, n_bins: int = N_BINS) -> dict[str, Any] | None:
    """Reliability per family of a multi-label model on its stored test rows.

    {"model_id", "macro_ece", "macro_ece_untagged_like" (None without weights),
    "effective_sample_size", "families": [{"family", "support", "ece", "ece_untagged_like",
    "bins": reliability rows, "bins_untagged_like": ...}]}; None for a model that is not
    multi-label. The ECE is :func:`modeling._calibration.expected_calibration_error` (10 equal-width bins).
    """
    from ._artifacts import ModelArtifact
    from ._registry import model_row

    row = model_row(con, model_id)
    art = ModelArtifact.load_recorded(con, row["artifact_path"])
    Y, P = np.asarray(art.test.y), np.asarray(art.test.scores, dtype=float)
    if art.kind != "multilabel" or Y.ndim != 2 or P.shape != Y.shape or len(Y) == 0:
        return None
    w = None if art.test.weights is None else np.asarray(art.test.weights, dtype=float)
    ece = ece_per_family(Y, P, None, n_bins)
    ece_w = ece_per_family(Y, P, w, n_bins) if w is not None else [None] * Y.shape[1]
    fams = []
    for j, name in enumerate(art.label_names):
        if Y[:, j].sum() == 0:
            continue
        fams.append({"family": str(name), "support": int(Y[:, j].sum()), "ece": float(ece[j]),
                     "ece_untagged_like": None if ece_w[j] is None else float(ece_w[j]),
                     "bins": reliability(Y[:, j], P[:, j], None, n_bins),
                     "bins_untagged_like": None if w is None else reliability(Y[:, j], P[:, j], w, n_bins)})
    return {"model_id": row["model_id"], "estimator": row["estimator"], "macro_ece": macro_ece(Y, P),
            "macro_ece_untagged_like": None if w is None else macro_ece(Y, P, w),
            "effective_sample_size": None if w is None else effective_sample_size(w),
            "n_test": int(len(Y)), "families": sorted(fams, key=lambda f: -f["support"])}
