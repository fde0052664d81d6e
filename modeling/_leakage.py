"""The leakage guard: proof that what a fitted model learned from features came from the training rows.

:func:`assert_fit_on_train` walks a fitted model and recomputes, from the training rows alone,
what each part should have learned:

- imputers, scalers, quantile maps and one-hot encoders (the preprocessing pipelines of
  :mod:`modeling._preprocess`): their statistics and categories;
- wrappers that fit a ``base`` model on rows derived from the training rows (the missingness
  augmentation's patterned copies) declare ``rows_seen_by_base(X)``; ``base`` is checked against
  those rows, recomputed from the training rows alone;
- LightGBM boosters: LightGBM bins every feature between the smallest and largest value of the
  rows it is fit on (``feature_infos`` of the dumped model), so a booster fit on every training
  row has exactly the training rows' per-column range, and one that saw a shifted test row does
  not. A booster fit on part of the training rows (``refit=False``) must lie within that range.

It raises :class:`LeakageError` on the first difference (for example a scaler fit on train + test)
and returns how many parts it checked.
"""

from __future__ import annotations

import warnings

import lightgbm as lgb
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler

from ._boosted import BoostedSingle
from ._errors import ModelingError

# Our estimators keep their fitted sub-models under these names.
_CONTAINERS = ("pipeline_", "preprocessor_", "estimators_", "final_", "mlps_")


class LeakageError(ModelingError):
    """A fitted statistic was not learned from the training rows alone."""


def assert_fit_on_train(model: BaseEstimator, X_train: np.ndarray, *, rtol: float = 1e-7) -> int:
    """Check every fitted imputer/scaler/encoder and LightGBM booster inside ``model`` against ``X_train``.

    Returns how many were checked (0 means nothing to check, which :func:`~modeling.fit_and_score`
    refuses); raises :class:`LeakageError` on the first mismatch.
    """
    return _check(model, np.asarray(X_train, dtype=float), rtol, path=type(model).__name__, all_rows=True)


def _check(est, X: np.ndarray, rtol: float, path: str, all_rows: bool) -> int:
    """``all_rows``: ``est`` was fit on every row of ``X`` (else on some of them)."""
    if isinstance(est, Pipeline):
        n = 0
        Xc = X
        for name, step in est.steps:
            if step is None or step == "passthrough":
                continue
            n += _check(step, Xc, rtol, f"{path}/{name}", all_rows)
            if hasattr(step, "transform") and name != est.steps[-1][0]:
                Xc = np.asarray(step.transform(Xc), dtype=float)
        return n
    if isinstance(est, ColumnTransformer):
        n = 0
        for name, trans, cols in est.transformers_:
            if trans in ("drop", "passthrough") or len(cols) == 0:
                continue
            n += _check(trans, X[:, list(cols)], rtol, f"{path}/{name}", all_rows)
        return n
    if isinstance(est, lgb.LGBMModel):
        return _check_booster(est, X, rtol, path, all_rows)
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
    seen_by_base = getattr(est, "rows_seen_by_base", None)
    if seen_by_base is not None:
        # A wrapper that fits ``base`` on rows derived from the training rows (augmented copies, or
        # the rows themselves) says how; ``base`` is checked against those rows.
        return _check(est.base, seen_by_base(X), rtol, f"{path}/base", all_rows)
    if isinstance(est, BoostedSingle) and not est.refit:
        all_rows = False  # the early-stopping booster, fit without fold 0
    n = 0
    for attr in _CONTAINERS:
        sub = getattr(est, attr, None)
        if sub is None:
            continue
        subs = sub if isinstance(sub, (list, tuple)) else [sub]
        for i, s in enumerate(subs):
            if isinstance(s, BaseEstimator):
                n += _check(s, X, rtol, f"{path}/{attr}[{i}]", all_rows)
    return n


def _check_booster(model: lgb.LGBMModel, X: np.ndarray, rtol: float, path: str, all_rows: bool) -> int:
    """Each feature's [min, max] as LightGBM binned it against the rows' range.

    A booster whose features were all trivial to LightGBM (a handful of training rows against
    ``min_child_samples``) learned nothing from them; it still counts as checked.
    """
    infos = model.booster_.dump_model(num_iteration=1)["feature_infos"]  # the header; one tree is enough
    names = model.booster_.feature_name()
    if len(names) != X.shape[1]:
        raise LeakageError(f"{path}: fit on {len(names)} columns, the training rows have {X.shape[1]}")
    # Over subsample_for_bin rows LightGBM bins a sample of them: its range can only be narrower.
    exact = all_rows and len(X) <= model.subsample_for_bin
    for j, name in enumerate(names):
        info = infos.get(name)
        if info is None or "min_value" not in info:
            continue  # a feature LightGBM found trivial (one value, or too few rows to split on)
        column = X[:, j][~np.isnan(X[:, j])]
        if column.size == 0:
            raise LeakageError(f"{path}: feature {j} has values in the model but none in the training rows")
        got = np.array([info["min_value"], info["max_value"]], dtype=float)
        want = np.array([column.min(), column.max()])
        if exact:
            _same(got, want, rtol, f"{path} feature {j} range")
        elif got[0] < want[0] - _tolerance(want[0], rtol) or got[1] > want[1] + _tolerance(want[1], rtol):
            raise LeakageError(f"{path} feature {j} range [{got[0]:.6g}, {got[1]:.6g}] reaches outside the training "
                               f"rows' [{want[0]:.6g}, {want[1]:.6g}]: the booster saw rows outside the training set")
    return 1


def _tolerance(value: float, rtol: float) -> float:
    return 1e-9 + rtol * abs(value)


def _same(got: np.ndarray, expected: np.ndarray, rtol: float, what: str) -> None:
    got = np.asarray(got, dtype=float)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=rtol, atol=1e-9, equal_nan=True):
        worst = np.nanmax(np.abs(got - expected)) if got.shape == expected.shape else float("nan")
        raise LeakageError(f"{what} differs from the training rows' (max abs diff {worst:.3g}): "
                           "it was fit on rows outside the training set")
