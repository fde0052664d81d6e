"""Preprocessing pipelines, fit on training rows only.

Every estimator wraps its preprocessing in a scikit-learn ``Pipeline``/``ColumnTransformer`` so
that imputation medians, scaling statistics and one-hot categories are learned in ``fit`` from the
training rows alone; :mod:`modeling._leakage` proves it after every fit.
"""

from __future__ import annotations

from typing import Sequence

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler


def make_preprocessor(n_features: int, categorical: Sequence[int] = (), *, scale: bool,
                      impute: bool = True, quantile: bool = False) -> ColumnTransformer:
    """Numeric columns: median imputation (+ missing indicators) and optional standard scaling;
    categorical columns (integer codes): one-hot, unknown codes ignored.

    Trees (LightGBM) handle NaN themselves, so they get ``impute=False`` and unscaled numbers.
    ``quantile=True`` maps each numeric column to a normal distribution by its training quantiles
    (what a neural net wants from skewed audio features); every training row is used, not a
    random subsample, so the leakage guard can recompute the quantiles.
    """
    categorical = list(categorical)
    numeric = [i for i in range(n_features) if i not in set(categorical)]
    num_steps = []
    if impute:
        num_steps.append(("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)))
    if quantile:
        num_steps.append(("quantile", QuantileTransformer(output_distribution="normal", subsample=None)))
    elif scale:
        num_steps.append(("scale", StandardScaler()))
    parts = [("num", Pipeline(num_steps) if num_steps else "passthrough", numeric)]
    if categorical:
        parts.append(("cat", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent", keep_empty_features=True)),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), categorical))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
