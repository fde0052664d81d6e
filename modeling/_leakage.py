"""The leakage guard: proof that preprocessing statistics came from the training rows.

:func:`assert_fit_on_train` walks a fitted model, recomputes what every imputer, scaler, quantile
map and one-hot encoder (the preprocessing pipelines of :mod:`modeling._preprocess`) should have
learned from the training rows alone, and raises :class:`LeakageError` when a statistic differs
(for example a scaler fit on train + test).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler

from warehouse import GenrestoreError

# Our estimators keep their fitted sub-models under these names.
_CONTAINERS = ("pipeline_", "preprocessor_", "estimators_", "final_", "mlps_")


class LeakageError(GenrestoreError):
    """A preprocessing statistic was not learned from the training rows alone."""


def assert_fit_on_train(model: BaseEstimator, X_train: np.ndarray, *, rtol: float = 1e-7) -> int:
    """Check every fitted imputer/scaler/encoder inside ``model`` against ``X_train``.

    Returns how many transformers were checked (0 means nothing to check, which callers may
    treat as suspicious); raises :class:`LeakageError` on the first mismatch.
    """
    return _check(model, np.asarray(X_train, dtype=float), rtol, path=type(model).__name__)


def _check(est, X: np.ndarray, rtol: float, path: str) -> int:
    if isinstance(est, Pipeline):
        n = 0
        Xc = X
        for name, step in est.steps:
            if step is None or step == "passthrough":
                continue
            n += _check(step, Xc, rtol, f"{path}/{name}")
            if hasattr(step, "transform") and name != est.steps[-1][0]:
                Xc = np.asarray(step.transform(Xc), dtype=float)
        return n
    if isinstance(est, ColumnTransformer):
        n = 0
        for name, trans, cols in est.transformers_:
            if trans in ("drop", "passthrough") or len(cols) == 0:
                continue
            n += _check(trans, X[:, list(cols)], rtol, f"{path}/{name}")
        return n
    if isinstance(est, StandardScaler):
        mean = np.nanmean(X, axis=0)
        std = np.nanstd(X, axis=0)
        _same(est.mean_, mean, rtol, f"{path} mean")
        if est.scale_ is not None:
            expected = np.where(std == 0, 1.0, std)
            _same(est.scale_, expected, rtol, f"{path} scale")
        return 1
    if isinstance(est, QuantileTransformer):
        with np.errstate(all="ignore"):
            expected = np.nanpercentile(X, est.references_ * 100, axis=0)
        _same(est.quantiles_, expected, rtol, f"{path} quantiles")
        return 1
    if isinstance(est, SimpleImputer):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: handled below
            if est.strategy == "median":
                expected = np.nanmedian(X, axis=0)
            elif est.strategy == "mean":
                expected = np.nanmean(X, axis=0)
            else:
                expected = None
        if expected is not None:
            # keep_empty_features: an all-NaN training column is imputed with 0.
            expected = np.where(np.isnan(expected), 0.0, expected)
            _same(np.asarray(est.statistics_, float), expected, rtol, f"{path} statistics")
        return 1
    if isinstance(est, OneHotEncoder):
        for j, cats in enumerate(est.categories_):
            seen = set(np.unique(X[:, j][~np.isnan(X[:, j])]).tolist())
            extra = set(np.asarray(cats, dtype=float).tolist()) - seen
            if extra:
                raise LeakageError(f"{path}: categories {sorted(extra)[:5]} of column {j} are not in the training rows")
        return 1
    n = 0
    for attr in _CONTAINERS:
        sub = getattr(est, attr, None)
        if sub is None:
            continue
        subs = sub if isinstance(sub, (list, tuple)) else [sub]
        for i, s in enumerate(subs):
            if isinstance(s, BaseEstimator):
                n += _check(s, X, rtol, f"{path}/{attr}[{i}]")
    return n


def _same(got: np.ndarray, expected: np.ndarray, rtol: float, what: str) -> None:
    got = np.asarray(got, dtype=float)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=rtol, atol=1e-9, equal_nan=True):
        worst = np.nanmax(np.abs(got - expected)) if got.shape == expected.shape else float("nan")
        raise LeakageError(f"{what} differs from the training rows' statistics (max abs diff {worst:.3g}): "
                           "preprocessing saw rows outside the training set")
