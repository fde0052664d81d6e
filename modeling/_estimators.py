"""Estimators by name and task kind, and the single-target baselines.

``make_estimator(kind, name, **params)`` builds one: LightGBM (:mod:`modeling._boosted`) or a
baseline (prevalence/mean, logistic/linear, random forest; the multi-label ones are in
:mod:`modeling._multilabel`). An unknown parameter is a :class:`~warehouse.UsageError` naming the
valid ones. All preprocessing sits inside a Pipeline fit in ``fit`` (see :mod:`modeling._preprocess`).

Model artifacts written before these classes moved to their own modules pickled them as
``modeling._estimators.<name>``, so every fitted class is importable from here too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from warehouse import UsageError

from ._boosted import LightGBMClassifier, LightGBMFamilies, LightGBMMLPClassifier, LightGBMRegressor
from ._multilabel import ForestFamilies, LogisticFamilies, PrevalenceFamilies, WithConstants
from ._preprocess import make_preprocessor
from ._threads import n_threads

ESTIMATORS = ("lightgbm", "prevalence", "logistic", "random-forest")

_WithConstants = WithConstants  # the name older artifacts pickled


class PipelineSingle(BaseEstimator):
    """A preprocessing + model Pipeline; ``cv_fold`` is accepted and unused (no early stopping)."""

    _scale = False  # standardise the numeric columns

    def __init__(self, categorical: Sequence[int] = (), n_jobs: int | None = None):
        self.categorical = categorical
        self.n_jobs = n_jobs

    def _model(self) -> BaseEstimator:
        raise NotImplementedError

    def fit(self, X, y, cv_fold=None):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.pipeline_ = Pipeline([("pre", make_preprocessor(X.shape[1], self.categorical, scale=self._scale)),
                                   ("model", self._model())]).fit(X, y)
        final = self.pipeline_.steps[-1][1]
        if is_classifier(final):
            self.classes_ = final.classes_
        return self

    def predict(self, X):
        return self.pipeline_.predict(np.asarray(X, dtype=float))

    def predict_proba(self, X):
        return self.pipeline_.predict_proba(np.asarray(X, dtype=float))


class MajorityClassifier(PipelineSingle):
    """Baseline: class frequencies of the training rows."""

    def _model(self):
        return DummyClassifier(strategy="prior")


class LogisticClassifier(PipelineSingle):
    """Baseline: multinomial logistic regression, standardised."""

    _scale = True

    def _model(self):
        return LogisticRegression(max_iter=2000)


class ForestClassifier(PipelineSingle):
    """Baseline: small random forest (100 trees, depth 14)."""

    def _model(self):
        return RandomForestClassifier(n_estimators=100, max_depth=14, min_samples_leaf=2,
                                      n_jobs=n_threads(self.n_jobs), random_state=0)


class MeanRegressor(PipelineSingle):
    """Baseline: the training mean."""

    def _model(self):
        return DummyRegressor()


class LinearRegressor(PipelineSingle):
    """Baseline: ridge-regularised linear regression, standardised."""

    _scale = True

    def _model(self):
        return Ridge(alpha=1.0)


class ForestRegressor(PipelineSingle):
    """Baseline: small random forest (100 trees, depth 14)."""

    def _model(self):
        return RandomForestRegressor(n_estimators=100, max_depth=14, min_samples_leaf=2,
                                     n_jobs=n_threads(self.n_jobs), random_state=0)


_FACTORIES: dict[str, dict[str, type[BaseEstimator]]] = {
    "multilabel": {"lightgbm": LightGBMFamilies, "prevalence": PrevalenceFamilies,
                   "logistic": LogisticFamilies, "random-forest": ForestFamilies},
    "multiclass": {"lightgbm": LightGBMClassifier, "prevalence": MajorityClassifier,
                   "logistic": LogisticClassifier, "random-forest": ForestClassifier,
                   # Soft vote of LightGBM and neural nets, single-label genre only.
                   "lightgbm+mlp": LightGBMMLPClassifier},
    "regression": {"lightgbm": LightGBMRegressor, "prevalence": MeanRegressor,
                   "logistic": LinearRegressor, "random-forest": ForestRegressor},
}


def make_estimator(kind: str, name: str, *, categorical: Sequence[int] = (), n_jobs: int | None = None,
                   **params) -> BaseEstimator:
    """An unfitted estimator of ``kind`` (multilabel/multiclass/regression) called ``name``.

    ``params`` set the estimator's own parameters; one it does not have raises UsageError.
    """
    try:
        cls = _FACTORIES[kind][name]
    except KeyError:
        raise UsageError(f"unknown estimator {name!r} for a {kind} task; choose from "
                         f"{', '.join(_FACTORIES.get(kind, {}) or ESTIMATORS)}") from None
    accepted = cls._get_param_names()
    est = cls(categorical=tuple(categorical), n_jobs=n_jobs) if "categorical" in accepted else cls()
    unknown = [k for k in params if k not in accepted]
    if unknown:
        raise UsageError(f"unknown parameter {unknown[0]!r} for the {name} estimator ({kind}); "
                         f"valid: {', '.join(accepted) or 'none'}")
    if params:
        est.set_params(**params)
    return est
