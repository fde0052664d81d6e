"""Multi-label estimators (artist families) and the fit procedure they share.

``fit(X, Y, cv_fold=None, fold_X=None)`` where ``cv_fold`` gives each training row's
artist-disjoint CV fold (0..4). Out-of-fold probabilities from those folds tune one threshold
per family (:mod:`modeling._thresholds`); decoding assigns at least one family per row. The
baselines live here; LightGBM's per-family boosters are in :mod:`modeling._boosted`.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from ._preprocess import make_preprocessor
from ._thresholds import decode, tune_thresholds
from ._threads import n_threads


class MultiLabelBase(BaseEstimator):
    """Shared fit logic: OOF probabilities over the CV folds → thresholds; then a final fit."""

    categorical: Sequence[int] = ()

    def _make(self, n_features: int):  # one unfitted model for Y (all families)
        raise NotImplementedError

    def _fit_one(self, X, Y, X_val=None, Y_val=None):
        model = self._make(X.shape[1])
        model.fit(X, Y)
        return model

    @staticmethod
    def _proba(model, X) -> np.ndarray:
        return multioutput_proba(model, X)

    def fit(self, X: np.ndarray, Y: np.ndarray, cv_fold: np.ndarray | None = None, fold_X: dict | None = None,
            sample_weight: np.ndarray | None = None):
        """``fold_X[f]``: the rows of X with fold f's label-derived features recomputed with its
        labels hidden; used for fold f's fit and out-of-fold predictions. ``sample_weight`` (per
        training row) reaches estimators whose ``_fit_one`` takes ``sw`` (LightGBM families)."""
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=np.int8)
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.n_labels_ = Y.shape[1]
        self.oof_ = None
        if cv_fold is not None and len(np.unique(cv_fold[cv_fold >= 0])) >= 2:
            oof = np.full(Y.shape, np.nan)
            for f in np.unique(cv_fold[cv_fold >= 0]):
                tr, va = cv_fold != f, cv_fold == f
                Xf = np.asarray(fold_X[int(f)], dtype=float) if fold_X is not None else X
                kw = {} if sw is None else {"sw": sw[tr]}
                m = self._fit_one(Xf[tr], Y[tr], Xf[va], Y[va], **kw)
                oof[va] = self._proba(m, Xf[va])
            self.oof_ = oof
            seen = ~np.isnan(oof).any(axis=1)
            self.thresholds_ = tune_thresholds(Y[seen], oof[seen])
        self._fit_final(X, Y, **({} if sw is None else {"sw": sw}))
        if self.oof_ is None:  # no folds: tune on the training rows (optimistic, said in docs)
            self.thresholds_ = tune_thresholds(Y, self.predict_proba(X))
        return self

    def _fit_final(self, X, Y):
        self.final_ = self._fit_one(X, Y)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self._proba(self.final_, np.asarray(X, dtype=float))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return decode(self.predict_proba(X), self.thresholds_)


def multioutput_proba(model, X) -> np.ndarray:
    """Positive-class probability per label from MultiOutput/OvR/forest/dummy models."""
    proba = model.predict_proba(X)
    if isinstance(proba, list):  # native multi-output: one (n, n_classes) array per label
        cols = []
        for p, est_classes in zip(proba, _classes_per_output(model)):
            cls = list(est_classes)
            cols.append(p[:, cls.index(1)] if 1 in cls else np.zeros(len(X)))
        return np.column_stack(cols)
    return np.asarray(proba, dtype=float)


def _classes_per_output(model):
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    classes = final.classes_
    return classes if isinstance(classes, list) else [classes]


class PrevalenceFamilies(MultiLabelBase):
    """Baseline: every artist gets the training prevalence of each family (reads no feature)."""

    def _fit_one(self, X, Y, X_val=None, Y_val=None):
        return np.asarray(Y, dtype=float).mean(axis=0)

    @staticmethod
    def _proba(model, X):
        return np.tile(model, (len(X), 1))


class LogisticFamilies(MultiLabelBase):
    """Baseline: one-vs-rest logistic regression on imputed, standardised features."""

    def __init__(self, C: float = 1.0, categorical: Sequence[int] = (), n_jobs: int | None = None):
        self.C = C
        self.categorical = categorical
        self.n_jobs = n_jobs

    def _make(self, n_features):
        return Pipeline([
            ("pre", make_preprocessor(n_features, self.categorical, scale=True)),
            # A loose tolerance and an iteration cap: heavy-tailed artist features (followers,
            # counts) made lbfgs run to 2000 iterations per family, minutes on MusicOSet.
            ("ovr", OneVsRestClassifier(LogisticRegression(C=self.C, max_iter=300, tol=1e-3))),
        ])

    def _fit_one(self, X, Y, X_val=None, Y_val=None):
        # OvR refuses a label with a single class in these rows; such a label gets its constant.
        learned = (Y.sum(axis=0) > 0) & (Y.sum(axis=0) < len(Y))
        model = None
        if learned.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # capped on purpose, see _make
                model = self._make(X.shape[1]).fit(X, Y[:, learned])
        return WithConstants(model, learned, Y.mean(axis=0))


class WithConstants(BaseEstimator):
    """A fitted multi-label model plus constant probabilities for labels it could not learn."""

    def __init__(self, model=None, learned=None, constants=None):
        self.model = model
        self.learned = learned
        self.constants = constants
        self.pipeline_ = model

    def predict_proba(self, X):
        out = np.tile(np.asarray(self.constants, dtype=float), (len(X), 1))
        if self.model is not None:
            out[:, self.learned] = multioutput_proba(self.model, X)
        return out


class ForestFamilies(MultiLabelBase):
    """Baseline: a small multi-output random forest (depth-limited to stay fast on 2 cores)."""

    def __init__(self, n_estimators: int = 100, max_depth: int | None = 12, min_samples_leaf: int = 2,
                 categorical: Sequence[int] = (), n_jobs: int | None = None, random_state: int = 0):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.categorical = categorical
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _make(self, n_features):
        return Pipeline([
            ("pre", make_preprocessor(n_features, self.categorical, scale=False)),
            ("rf", RandomForestClassifier(
                n_estimators=self.n_estimators, max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
                n_jobs=n_threads(self.n_jobs), random_state=self.random_state)),
        ])
