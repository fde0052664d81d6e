"""Evaluation metrics for the three kinds of task, bootstrap intervals, and the paired comparison.

Everything here takes plain numpy arrays, so the same code scores a fresh model, a champion
re-scored on a challenger's test set, and the reproduction protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.stats import rankdata, spearmanr
from sklearn import metrics as skm

# The metric promotion compares, per task kind, and whether larger is better.
HEADLINE = {
    "multilabel": ("macro_auprc", True),
    "multiclass": ("macro_auroc", True),
    "regression": ("rmse", False),
}


def _per_label(fn, Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """fn(y, p) per column; NaN for a column with a single class in y (undefined)."""
    out = np.full(Y.shape[1], np.nan)
    pos = np.asarray(Y).sum(axis=0)
    for j in range(Y.shape[1]):
        if 0 < pos[j] < len(Y):
            out[j] = fn(Y[:, j], P[:, j])
    return out


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """scikit-learn's average_precision_score (step-wise, ties grouped), without its input checks.

    The bootstrap calls this thousands of times; the checks cost 20x the arithmetic.
    """
    order = np.argsort(-p, kind="mergesort")
    y_s = np.asarray(y)[order].astype(float)
    p_s = np.asarray(p)[order]
    idx = np.r_[np.flatnonzero(np.diff(p_s)), len(p_s) - 1]
    tps = np.cumsum(y_s)[idx]
    fps = idx + 1 - tps
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Binary AUROC by the rank-sum (Mann-Whitney) identity; ties count one half, as in scikit-learn."""
    y = np.asarray(y).astype(bool)
    ranks = rankdata(p)
    n_pos = y.sum()
    n_neg = len(y) - n_pos
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def macro_auprc(Y: np.ndarray, P: np.ndarray) -> float:
    """Mean average precision over families that have both classes in Y."""
    return float(np.nanmean(_per_label(average_precision, Y, P)))


def macro_auroc_ml(Y: np.ndarray, P: np.ndarray) -> float:
    return float(np.nanmean(_per_label(roc_auc, Y, P)))


def multilabel_metrics(Y: np.ndarray, P: np.ndarray, D: np.ndarray) -> dict[str, float]:
    """Y true 0/1 (n×k), P probabilities, D decoded 0/1 predictions."""
    Y = np.asarray(Y, dtype=int)
    D = np.asarray(D, dtype=int)
    valid = (Y.sum(axis=0) > 0) & (Y.sum(axis=0) < len(Y))  # families whose ranking metrics exist
    out = {
        "macro_auprc": macro_auprc(Y, P),
        "micro_auprc": float(skm.average_precision_score(Y[:, valid], P[:, valid], average="micro")),
        "macro_auroc": macro_auroc_ml(Y, P),
        "micro_auroc": float(skm.roc_auc_score(Y[:, valid], P[:, valid], average="micro")),
        "macro_f1": float(skm.f1_score(Y, D, average="macro", zero_division=0)),
        "micro_f1": float(skm.f1_score(Y, D, average="micro", zero_division=0)),
        "samples_f1": float(skm.f1_score(Y, D, average="samples", zero_division=0)),
        "hamming_loss": float(skm.hamming_loss(Y, D)),
        "subset_accuracy": float(skm.accuracy_score(Y, D)),
    }
    has_label = Y.sum(axis=1) > 0  # LRAP is undefined-ish for rows without any true label
    out["lrap"] = float(skm.label_ranking_average_precision_score(Y[has_label], P[has_label])) if has_label.any() else float("nan")
    return out


def per_label_table(Y: np.ndarray, P: np.ndarray, D: np.ndarray) -> list[dict[str, float]]:
    """Per family: support, AUPRC, AUROC, F1, precision, recall at the decoded predictions."""
    Y = np.asarray(Y, dtype=int)
    D = np.asarray(D, dtype=int)
    ap = _per_label(average_precision, Y, P)
    auc = _per_label(roc_auc, Y, P)
    rows = []
    for j in range(Y.shape[1]):
        rows.append({
            "support": int(Y[:, j].sum()),
            "auprc": float(ap[j]),
            "auroc": float(auc[j]),
            "f1": float(skm.f1_score(Y[:, j], D[:, j], zero_division=0)),
            "precision": float(skm.precision_score(Y[:, j], D[:, j], zero_division=0)),
            "recall": float(skm.recall_score(Y[:, j], D[:, j], zero_division=0)),
        })
    return rows


def multiclass_metrics(y: np.ndarray, P: np.ndarray) -> dict[str, float]:
    """y integer classes 0..k-1, P probabilities n×k (columns in class order)."""
    pred = P.argmax(axis=1)
    return {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "macro_f1": float(skm.f1_score(y, pred, average="macro", labels=np.arange(P.shape[1]), zero_division=0)),
        "macro_auroc": macro_auroc_mc(y, P),
    }


def macro_auroc_mc(y: np.ndarray, P: np.ndarray) -> float:
    """One-vs-rest AUROC averaged over the classes present in y."""
    Y = np.eye(P.shape[1], dtype=int)[np.asarray(y, dtype=int)]
    return macro_auroc_ml(Y, P)


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    y = np.asarray(y, dtype=float)
    pred = np.asarray(pred, dtype=float)
    rho = spearmanr(y, pred).statistic if np.ptp(pred) > 1e-12 * max(1.0, np.abs(pred).max()) else float("nan")
    return {
        "rmse": rmse(y, pred),
        "mae": float(skm.mean_absolute_error(y, pred)),
        "r2": float(skm.r2_score(y, pred)),
        "spearman": float(rho),
    }


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(pred, float)) ** 2)))


def headline_fn(kind: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """The headline metric as f(y_true, scores) for bootstrap resampling."""
    return {"multilabel": macro_auprc, "multiclass": macro_auroc_mc, "regression": rmse}[kind]


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float


def bootstrap_ci(fn: Callable, y: np.ndarray, score: np.ndarray, *, n_boot: int = 200,
                 seed: int = 0, alpha: float = 0.05, groups: np.ndarray | None = None) -> Interval:
    """Percentile bootstrap of fn(y, score) over test rows (or over whole groups when given)."""
    rng = np.random.default_rng(seed)
    value = fn(y, score)
    samples = []
    for idx in _resamples(len(y), n_boot, rng, groups):
        with np.errstate(all="ignore"):
            samples.append(fn(y[idx], score[idx]))
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if len(samples) == 0:
        return Interval(value, float("nan"), float("nan"))
    return Interval(float(value), float(np.quantile(samples, alpha / 2)), float(np.quantile(samples, 1 - alpha / 2)))


@dataclass(frozen=True)
class PairedComparison:
    """Challenger minus champion on the same rows, oriented so that positive = challenger better."""

    metric: str
    challenger: float
    champion: float
    diff: float
    ci_low: float
    ci_high: float
    n_rows: int

    @property
    def challenger_better(self) -> bool:
        """True only when the whole interval of the improvement lies above zero."""
        return bool(np.isfinite(self.ci_low) and self.ci_low > 0)


def paired_bootstrap(fn: Callable, y: np.ndarray, score_challenger: np.ndarray, score_champion: np.ndarray,
                     *, metric: str, higher_is_better: bool, n_boot: int = 300, seed: int = 0,
                     alpha: float = 0.05, groups: np.ndarray | None = None) -> PairedComparison:
    """Bootstrap the metric difference on identical resamples of the same test rows.

    Pairing removes the test-set sampling noise both models share, so the interval is the honest
    margin a challenger must clear: it is promoted only when the lower bound is above zero.
    """
    sign = 1.0 if higher_is_better else -1.0
    rng = np.random.default_rng(seed)
    a = fn(y, score_challenger)
    b = fn(y, score_champion)
    diffs = []
    for idx in _resamples(len(y), n_boot, rng, groups):
        with np.errstate(all="ignore"):
            diffs.append(sign * (fn(y[idx], score_challenger[idx]) - fn(y[idx], score_champion[idx])))
    diffs = np.asarray(diffs, dtype=float)
    diffs = diffs[np.isfinite(diffs)]
    low = float(np.quantile(diffs, alpha / 2)) if len(diffs) else float("nan")
    high = float(np.quantile(diffs, 1 - alpha / 2)) if len(diffs) else float("nan")
    return PairedComparison(metric, float(a), float(b), float(sign * (a - b)), low, high, len(y))


def _resamples(n: int, n_boot: int, rng: np.random.Generator, groups: np.ndarray | None):
    if groups is None:
        for _ in range(n_boot):
            yield rng.integers(0, n, n)
        return
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        yield np.concatenate([members[g] for g in pick])

