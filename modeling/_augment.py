"""Training that expects missing groups: missingness augmentation matched to the untagged.

Untagged artists often lack whole feature groups (no track in the data set, so no audio, no
titles, no release structure; no release year). A model fit on tagged artists, who mostly have
them, learns little about what to do without them. :class:`MissingnessAugmented` adds, for
every training row, ``n_copies`` copies in which the missing-value pattern of a randomly drawn
*untagged* artist is imposed on the maskable groups (NaN where that artist has NaN; counts
capped at that artist's counts), so the training set carries the target population's
missingness. Copies keep their row's CV fold, so folds stay artist-disjoint; out-of-fold
scores and thresholds are taken on the original rows only.

Only *where values are missing* is borrowed from the untagged artists, never a value or a
label, and they are not test rows (the test rows are tagged artists).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from ._thresholds import tune_thresholds
from ._protocols import feature_group

MASKABLE = frozenset({"audio", "popularity", "catalog", "text", "release"})
# Counts that fall to the drawn artist's value (0 tracks → 0 audio tracks), not to NaN.
_COUNTS = ("audio_track_count", "track_count", "album_count", "text_n_titles", "collaborator_count")


def missing_patterns(X_untagged: np.ndarray, feature_names) -> np.ndarray:
    """The untagged artists' patterns: NaN where missing, the count columns' values, else 0."""
    X = np.asarray(X_untagged, dtype=float)
    out = np.where(np.isnan(X), np.nan, 0.0)
    for j, n in enumerate(feature_names):
        if n in _COUNTS:
            out[:, j] = X[:, j]
    return out


def impose(X: np.ndarray, patterns: np.ndarray, feature_names, rng: np.random.Generator) -> np.ndarray:
    """One copy of X with a random untagged pattern imposed per row on the maskable groups."""
    X = np.array(X, dtype=float, copy=True)
    pick = patterns[rng.integers(0, len(patterns), len(X))]
    for j, n in enumerate(feature_names):
        if feature_group(n) not in MASKABLE:
            continue
        if n in _COUNTS:
            X[:, j] = np.where(np.isnan(pick[:, j]), np.nan, np.fmin(X[:, j], pick[:, j]))
        else:
            X[np.isnan(pick[:, j]), j] = np.nan
    return X


class MissingnessAugmented(BaseEstimator):
    """Wrap a multi-label estimator; fit it on rows plus untagged-patterned copies."""

    def __init__(self, base=None, patterns=None, feature_names=None, n_copies: int = 1, random_state: int = 0):
        self.base = base
        self.patterns = patterns
        self.feature_names = feature_names
        self.n_copies = n_copies
        self.random_state = random_state

    def fit(self, X, Y, cv_fold=None, fold_X=None, sample_weight=None):
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=np.int8)
        n = len(X)
        kw = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight, dtype=float)}
        if not self._augments():
            self.base.fit(X, Y, cv_fold, fold_X, **kw)
            self._expose(n, Y)
            return self
        Xs, folds = [X], {f: [M] for f, M in (fold_X or {}).items()}
        for s in self._copy_seeds():
            # the same pattern per row for X and every fold's matrix (only label-derived columns differ)
            Xs.append(impose(X, self.patterns, self.feature_names, np.random.default_rng(s)))
            for f, M in (fold_X or {}).items():
                folds[f].append(impose(np.asarray(M, dtype=float), self.patterns, self.feature_names,
                                       np.random.default_rng(s)))
        reps = 1 + self.n_copies
        self.base.fit(np.vstack(Xs), np.tile(Y, (reps, 1)),
                      None if cv_fold is None else np.tile(np.asarray(cv_fold), reps),
                      {f: np.vstack(v) for f, v in folds.items()} if fold_X else None,
                      **({} if sample_weight is None else {"sample_weight": np.tile(kw["sample_weight"], reps)}))
        self._expose(n, Y)
        return self

    def _augments(self) -> bool:
        return self.patterns is not None and len(self.patterns) > 0 and self.n_copies > 0

    def _copy_seeds(self) -> np.ndarray:
        return np.random.default_rng(self.random_state).integers(0, 2**31, self.n_copies)

    def rows_seen_by_base(self, X) -> np.ndarray:
        """The matrix :meth:`fit` gave ``base`` for training rows ``X``: X and its patterned copies,
        recomputed from X alone (the leakage guard checks ``base`` against it: a copy's count
        column can go below every training row's value, which is not leakage)."""
        X = np.asarray(X, dtype=float)
        if not self._augments():
            return X
        return np.vstack([X] + [impose(X, self.patterns, self.feature_names, np.random.default_rng(s))
                                for s in self._copy_seeds()])

    def _expose(self, n: int, Y: np.ndarray) -> None:
        oof = getattr(self.base, "oof_", None)
        self.oof_ = None if oof is None else oof[:n]
        if self.oof_ is not None:
            seen = ~np.isnan(self.oof_).any(axis=1)
            self.thresholds_ = tune_thresholds(Y[seen], self.oof_[seen])
        else:
            self.thresholds_ = self.base.thresholds_
        self.estimators_ = getattr(self.base, "estimators_", [])  # the boosters, for the report's importances
        self.n_labels_ = Y.shape[1]

    def predict_proba(self, X):
        return self.base.predict_proba(X)

    def predict(self, X):
        from ._thresholds import decode

        return decode(self.predict_proba(X), self.thresholds_)
