"""The artist-families model built for the artists that need it, and its figures per protocol.

``lightgbm-calibrated``: the LightGBM families model, trained with missingness augmentation
matched to the untagged artists (:mod:`modeling._augment`) when the task data carries their
matrix, its scores calibrated per family on the out-of-fold scores, and ``predicted`` decided
for a stated precision (:mod:`modeling._calibration`). The registry records for every
artist-families model the test metrics of the random artist-disjoint split (continuity) and,
when the snapshot has untagged artists, the untagged-like ones (``untagged_like_*``), whose
macro AUPRC is then the headline the champion gate compares.
"""

from __future__ import annotations

import numpy as np

from . import _metrics as M
from ._augment import MissingnessAugmented, missing_patterns
from ._calibration import CalibratedFamilies, coverage, decided_precision, macro_ece
from ._boosted import LightGBMFamilies
from ._protocols import effective_sample_size, packed, weighted_macro_auprc, weighted_metrics

ROBUST_ESTIMATORS = ("lightgbm-calibrated",)
UNTAGGED_HEADLINE = "untagged_like_macro_auprc"
# CalibratedFamilies' own settings (the rest of ``params`` goes to LightGBM)
_OWN_PARAMS = ("target_precision", "train_weight_power", "calibration_weight_power")


def make_robust(data, params: dict | None = None, n_jobs: int | None = None, *, augment: bool = True):
    """An unfitted ``lightgbm-calibrated`` estimator for ``data``."""
    params = dict(params or {})
    own = {k: params.pop(k) for k in _OWN_PARAMS if k in params}
    base = LightGBMFamilies(categorical=tuple(data.categorical), n_jobs=n_jobs)
    if params:
        base.set_params(**{k: v for k, v in params.items() if k in base.get_params()})
    if augment and data.untagged_X is not None and len(data.untagged_X):
        base = MissingnessAugmented(base, missing_patterns(data.untagged_X, data.feature_names),
                                    list(data.feature_names))
    est = CalibratedFamilies(base)
    if own:
        est.set_params(**{k: float(v) for k, v in own.items()})
    return est


def headline_of(data) -> str:
    """The metric the champion gate compares for this task data."""
    if data.kind == "multilabel" and data.eval_weights is not None:
        return UNTAGGED_HEADLINE
    return M.HEADLINE[data.kind][0]


def protocol_metrics(data, P: np.ndarray, D: np.ndarray) -> dict[str, float]:
    """Test-row figures beyond the random protocol's: calibration and decisions, and the
    untagged-like weighted metrics when the data carries weights."""
    te = data.test
    Y = np.asarray(data.y[te])
    out = {"macro_ece": macro_ece(Y, P), "coverage": coverage(D), "decided_precision": decided_precision(Y, D),
           "top3_hit_rate": weighted_metrics(Y, P, np.ones(len(Y)))["top3_hit_rate"]}
    if data.eval_weights is not None:
        w = np.asarray(data.eval_weights)[te]
        wm = weighted_metrics(Y, P, w)
        out.update({
            "untagged_like_macro_auroc": wm["macro_auroc"], UNTAGGED_HEADLINE: wm["macro_auprc"],
            "untagged_like_top3_hit_rate": wm["top3_hit_rate"], "untagged_like_ess": effective_sample_size(w),
            "untagged_like_macro_ece": macro_ece(Y, P, w), "untagged_like_coverage": coverage(D, w),
            "untagged_like_decided_precision": decided_precision(Y, D, w),
        })
        if data.domain_auroc is not None:
            out["untagged_like_domain_auroc"] = float(data.domain_auroc)
    return out


def untagged_interval(Y: np.ndarray, P: np.ndarray, w: np.ndarray, n_boot: int, groups=None) -> M.Interval:
    """Bootstrap interval of the weighted macro AUPRC (labels and weights resampled together)."""
    return M.bootstrap_ci(packed(weighted_macro_auprc), np.column_stack([Y, w]), P, n_boot=n_boot, groups=groups)
