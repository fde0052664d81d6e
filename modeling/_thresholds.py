"""Multi-label decisions: one F1-optimal probability cut per family, and at least one family per row."""

from __future__ import annotations

import numpy as np


def tune_thresholds(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per column, the probability cut that maximises F1 on (out-of-fold) predictions."""
    thresholds = np.full(Y.shape[1], 0.5)
    for j in range(Y.shape[1]):
        y, p = Y[:, j], P[:, j]
        pos = y.sum()
        if pos == 0:
            thresholds[j] = 1.0  # never seen: only the at-least-one rule can assign it
            continue
        order = np.argsort(-p, kind="stable")
        tp = np.cumsum(y[order])
        k = np.arange(1, len(y) + 1)
        f1 = 2 * tp / (k + pos)
        # Only cut between distinct scores: a threshold cannot separate equal probabilities.
        distinct = np.r_[p[order][1:] != p[order][:-1], True]
        f1 = np.where(distinct, f1, -1)
        best = int(np.argmax(f1))
        nxt = p[order][best + 1] if best + 1 < len(p) else 0.0
        thresholds[j] = float((p[order][best] + nxt) / 2)
    return thresholds


def decode(P: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Families over their threshold; a row with none gets its top-scoring family."""
    D = (P >= thresholds).astype(np.int8)
    empty = D.sum(axis=1) == 0
    if empty.any():
        D[np.flatnonzero(empty), P[empty].argmax(axis=1)] = 1
    return D
