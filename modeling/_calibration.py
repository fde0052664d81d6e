"""Calibrated family probabilities, their reliability, and decisions at a stated precision.

Per family, a calibrator maps the model's score to a probability. It is fit on the model's
*out-of-fold* scores over the artist-disjoint CV folds (never on the rows it is judged on):
Platt scaling (a logistic regression on the score's logit) for families with fewer than
``ISOTONIC_MIN_POSITIVES`` positives, isotonic regression above (enough points for a
monotone step function), its ties broken by 1e-6 × the score so the ranking is the model's. Reliability is reported per family as a binned diagram and the
expected calibration error (ECE: the bin-size-weighted mean |observed rate − mean probability|
over 10 equal-width bins), optionally with sample weights (the untagged-like protocol).

``predicted`` is decided for a stated precision: per family, the lowest calibrated probability
at which the out-of-fold precision reaches ``target_precision``; a family that never reaches
it is never predicted. An artist with no family over its cut is flagged low-confidence (its
top three families and probabilities are still reported). Coverage is the share of artists
with at least one family predicted.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

ISOTONIC_MIN_POSITIVES = 500
TARGET_PRECISION = 0.7
N_BINS = 10
_TIE_BREAK = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class FamilyCalibrator(BaseEstimator):
    """One calibrator per column of (Y, scores): Platt or isotonic by positive count."""

    def __init__(self, isotonic_min_positives: int = ISOTONIC_MIN_POSITIVES):
        self.isotonic_min_positives = isotonic_min_positives

    def fit(self, Y: np.ndarray, S: np.ndarray, sample_weight: np.ndarray | None = None):
        Y = np.asarray(Y, dtype=int)
        S = np.asarray(S, dtype=float)
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.calibrators_ = []
        for j in range(Y.shape[1]):
            y, s = Y[:, j], S[:, j]
            pos = int(y.sum())
            if pos == 0 or pos == len(y):
                self.calibrators_.append(("constant", float(pos > 0)))
            elif pos >= self.isotonic_min_positives:
                self.calibrators_.append(("isotonic", IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
                                          .fit(s, y, sample_weight=sw)))
            else:
                self.calibrators_.append(("platt", LogisticRegression(C=1e4).fit(_logit(s)[:, None], y, sample_weight=sw)))
        return self

    def transform(self, S: np.ndarray) -> np.ndarray:
        S = np.asarray(S, dtype=float)
        out = np.empty_like(S)
        for j, (kind, c) in enumerate(self.calibrators_):
            if kind == "constant":
                out[:, j] = c
            elif kind == "isotonic":
                # Isotonic steps tie artists the score had ordered; a nudge far below any bin
                # width keeps the score's order (ranking metrics unchanged) and the calibration.
                out[:, j] = (1 - _TIE_BREAK) * c.predict(S[:, j]) + _TIE_BREAK * np.clip(S[:, j], 0.0, 1.0)
            else:
                out[:, j] = c.predict_proba(_logit(S[:, j])[:, None])[:, 1]
        return out


def reliability(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None, n_bins: int = N_BINS) -> list[dict]:
    """Per non-empty equal-width bin: range, (weighted) count, mean probability, observed rate."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    rows = []
    for k in range(n_bins):
        m = b == k
        if m.any() and w[m].sum() > 0:
            rows.append({"low": k / n_bins, "high": (k + 1) / n_bins, "weight": float(w[m].sum()), "n": int(m.sum()),
                         "mean_probability": float(np.average(p[m], weights=w[m])),
                         "observed_rate": float(np.average(y[m], weights=w[m]))})
    return rows


def expected_calibration_error(y, p, w=None, n_bins: int = N_BINS) -> float:
    """Σ_bins (weight share) · |observed rate − mean probability|."""
    rows = reliability(y, p, w, n_bins)
    total = sum(r["weight"] for r in rows)
    if total <= 0:
        return float("nan")
    return float(sum(r["weight"] / total * abs(r["observed_rate"] - r["mean_probability"]) for r in rows))


def ece_per_family(Y, P, w=None, n_bins: int = N_BINS) -> np.ndarray:
    Y = np.asarray(Y)
    return np.array([expected_calibration_error(Y[:, j], P[:, j], w, n_bins) for j in range(Y.shape[1])])


def macro_ece(Y, P, w=None) -> float:
    """Mean ECE over the families with at least one positive in Y."""
    Y = np.asarray(Y)
    e = ece_per_family(Y, P, w)
    present = Y.sum(axis=0) > 0
    return float(np.nanmean(e[present])) if present.any() else float("nan")


def precision_thresholds(Y: np.ndarray, P: np.ndarray, target_precision: float = TARGET_PRECISION) -> np.ndarray:
    """Per family, the lowest probability cut whose precision on (Y, P) is ≥ the target
    (inf when no cut reaches it: the family is then never predicted)."""
    Y = np.asarray(Y, dtype=int)
    P = np.asarray(P, dtype=float)
    out = np.full(Y.shape[1], np.inf)
    for j in range(Y.shape[1]):
        order = np.argsort(-P[:, j], kind="stable")
        p_s, y_s = P[order, j], Y[order, j]
        last = np.r_[p_s[1:] != p_s[:-1], True]  # cut only between distinct scores
        tp = np.cumsum(y_s)
        prec = tp / np.arange(1, len(y_s) + 1)
        ok = np.flatnonzero(last & (prec >= target_precision) & (tp > 0))
        if len(ok):
            out[j] = float(p_s[ok[-1]])
    return out


def coverage(D: np.ndarray, w: np.ndarray | None = None) -> float:
    """(Weighted) share of rows with at least one family predicted."""
    has = np.asarray(D).sum(axis=1) > 0
    w = np.ones(len(has)) if w is None else np.asarray(w, dtype=float)
    return float(np.sum(w * has) / np.sum(w)) if len(has) else float("nan")


def decided_precision(Y, D, w=None) -> float:
    """(Weighted) micro precision of the predicted families."""
    Y, D = np.asarray(Y), np.asarray(D)
    w = np.ones(len(Y)) if w is None else np.asarray(w, dtype=float)
    tp = float(np.sum(w[:, None] * (Y * D)))
    npred = float(np.sum(w[:, None] * D))
    return tp / npred if npred > 0 else float("nan")


class CalibratedFamilies(BaseEstimator):
    """A multi-label estimator with calibrated probabilities and precision-targeted decisions.

    ``predict_proba`` gives calibrated probabilities; ``predict`` assigns the families over
    their precision cut (no at-least-one rule: an artist may get none, and is then flagged
    low-confidence by :meth:`low_confidence`).
    """

    def __init__(self, base=None, target_precision: float = TARGET_PRECISION,
                 isotonic_min_positives: int = ISOTONIC_MIN_POSITIVES, train_weight_power: float = 0.0,
                 calibration_weight_power: float = 0.0):
        self.base = base
        self.target_precision = target_precision
        self.isotonic_min_positives = isotonic_min_positives
        self.train_weight_power = train_weight_power
        self.calibration_weight_power = calibration_weight_power

    def fit(self, X, Y, cv_fold=None, fold_X=None, sample_weight=None):
        """``sample_weight``: per training row, the untagged-like importance weight; raised to
        ``train_weight_power`` for the boosters and ``calibration_weight_power`` for the
        calibrators (0: unweighted, the default; 1: fully importance-weighted)."""
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if sw is not None and self.train_weight_power:
            self.base.fit(X, Y, cv_fold, fold_X, sample_weight=sw ** self.train_weight_power)
        else:
            self.base.fit(X, Y, cv_fold, fold_X)
        oof = getattr(self.base, "oof_", None)
        if oof is None:
            raise ValueError("calibration needs out-of-fold scores: give the CV folds")
        Y = np.asarray(Y, dtype=int)
        seen = ~np.isnan(oof).any(axis=1)
        cw = None if sw is None or not self.calibration_weight_power else sw[seen] ** self.calibration_weight_power
        self.calibrator_ = FamilyCalibrator(self.isotonic_min_positives).fit(Y[seen], oof[seen], cw)
        self.oof_ = np.full(oof.shape, np.nan)
        self.oof_[seen] = self.calibrator_.transform(oof[seen])
        self.thresholds_ = precision_thresholds(Y[seen], self.oof_[seen], self.target_precision)
        self.estimators_ = getattr(self.base, "estimators_", [])  # the boosters, for the report's importances
        return self

    def rows_seen_by_base(self, X) -> np.ndarray:
        """``base`` is fit on the training rows themselves (the leakage guard checks it against them)."""
        return np.asarray(X, dtype=float)

    def predict_proba(self, X):
        return self.calibrator_.transform(self.base.predict_proba(X))

    def predict(self, X):
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    def low_confidence(self, P: np.ndarray) -> np.ndarray:
        """True where no family reaches its precision cut."""
        return ~(np.asarray(P) >= self.thresholds_).any(axis=1)
