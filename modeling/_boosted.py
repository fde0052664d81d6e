"""The LightGBM estimators: per-family boosters for artist families, one booster per target otherwise.

Every LightGBM model here is built by :meth:`LightGBMParams._lgbm` from the same named
parameters (learning rate, leaves, minimum leaf size, column and row subsampling, L2); each
estimator declares them in its ``__init__`` (scikit-learn's convention, so ``get_params`` and
the registry's recorded parameters see them) with defaults chosen for its task.

Single label and regression: ``fit(X, y, cv_fold=None)``; LightGBM stops early on fold 0 and is
refit on all training rows with the number of rounds found there.
"""

from __future__ import annotations

import copy
import warnings
from typing import Sequence

import lightgbm as lgb
import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ._multilabel import MultiLabelBase
from ._preprocess import make_preprocessor
from ._threads import n_threads


class LightGBMParams:
    """The LightGBM parameters the estimators below share, turned into a model in one place."""

    learning_rate: float
    num_leaves: int
    min_child_samples: int
    colsample_bytree: float
    subsample: float
    reg_lambda: float
    random_state: int

    def _lgbm(self, lgb_class: type[lgb.LGBMModel], n_estimators: int, *, n_jobs: int, seed_offset: int = 0,
              **extra) -> lgb.LGBMModel:
        return lgb_class(
            n_estimators=n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples, colsample_bytree=self.colsample_bytree,
            subsample=self.subsample, subsample_freq=1, reg_lambda=self.reg_lambda, **extra,
            n_jobs=n_jobs, random_state=self.random_state + seed_offset, verbose=-1,
        )


class LightGBMFamilies(LightGBMParams, MultiLabelBase):
    """Binary LightGBM models per family; rounds found by early stopping on the CV folds.

    ``n_bags`` boosters per family are averaged: bag 0 is plain gradient boosting, odd bags use
    LightGBM's extremely randomised split thresholds (``extra_trees``), each with its own seed.
    The two kinds err differently, so their mean ranks better than either alone.
    """

    # Defaults chosen on the MusicOSet CV folds' out-of-fold macro AUPRC (training artists only):
    # 0.4339 vs 0.4328 for (lr 0.06, min_child 10, colsample 0.8, lambda 1, stop 30).
    def __init__(self, n_estimators: int = 400, learning_rate: float = 0.05, num_leaves: int = 15,
                 min_child_samples: int = 30, colsample_bytree: float = 0.5, subsample: float = 0.8,
                 reg_lambda: float = 5.0, early_stopping_rounds: int = 50, n_bags: int = 2,
                 categorical: Sequence[int] = (), n_jobs: int | None = None, random_state: int = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.n_bags = n_bags
        self.categorical = categorical
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _booster(self, n_estimators: int, bag: int) -> lgb.LGBMClassifier:
        # One thread per booster; the boosters themselves run side by side (see _fit_one).
        return self._lgbm(lgb.LGBMClassifier, n_estimators, n_jobs=1, seed_offset=bag, extra_trees=bag % 2 == 1)

    def _fit_bag(self, X, y, j: int, b: int, X_val, y_val, sw=None):
        """One booster for family j, bag b: (pipeline, best round or None)."""
        pre = make_preprocessor(X.shape[1], self.categorical, scale=False, impute=False)
        Xt = pre.fit_transform(X)
        best = None
        if X_val is not None:
            booster = self._booster(self.n_estimators, b)
            booster.fit(Xt, y, sample_weight=sw, eval_X=(pre.transform(X_val),), eval_y=(y_val,),
                        eval_metric="average_precision",
                        callbacks=[lgb.early_stopping(self.early_stopping_rounds, first_metric_only=False,
                                                      verbose=False)])
            best = booster.best_iteration_ or self.n_estimators
        else:
            rounds = self._best_iters.get((j, b))
            booster = self._booster(int(np.median(rounds)) if rounds else self.n_estimators // 2, b)
            booster.fit(Xt, y, sample_weight=sw)
        return Pipeline([("pre", pre), ("lgbm", booster)]), best

    def _fit_one(self, X, Y, X_val=None, Y_val=None, sw=None):
        """Per family: a constant (one class only) or a list of ``n_bags`` fitted pipelines.

        Artist-level data sets are small (thousands of rows), where LightGBM's own threads cost
        more than they give (demo snapshot, 1,494 artists: 120 s with 2 threads per booster vs
        16 s with 1), so the (family, bag) boosters are fit in parallel instead, one thread each
        (LightGBM releases the GIL while it trains).
        """
        constant = {j: float(Y[0, j]) for j in range(Y.shape[1]) if Y[:, j].min() == Y[:, j].max()}
        jobs = [(j, b) for j in range(Y.shape[1]) if j not in constant for b in range(max(1, self.n_bags))]
        fitted = Parallel(n_jobs=min(n_threads(self.n_jobs), max(1, len(jobs))), prefer="threads")(
            delayed(self._fit_bag)(X, Y[:, j], j, b, X_val, None if Y_val is None else Y_val[:, j], sw)
            for j, b in jobs)
        bags: dict[int, list] = {}
        for (j, b), (pipeline, best) in zip(jobs, fitted):
            bags.setdefault(j, []).append(pipeline)
            if best is not None:
                self._best_iters.setdefault((j, b), []).append(best)
        return [constant[j] if j in constant else bags[j] for j in range(Y.shape[1])]

    @staticmethod
    def _proba(models, X):
        cols = [np.full(len(X), m) if isinstance(m, float)
                else np.mean([p.predict_proba(X)[:, 1] for p in m], axis=0) for m in models]
        return np.column_stack(cols)

    def fit(self, X, Y, cv_fold=None, fold_X=None, sample_weight=None):
        self._best_iters: dict[tuple[int, int], list[int]] = {}
        super().fit(X, Y, cv_fold, fold_X, sample_weight)
        # {(family index, bag): median best round over the CV folds}
        self.best_iterations_ = {k: int(np.median(v)) for k, v in self._best_iters.items()}
        del self._best_iters
        return self

    def _fit_final(self, X, Y, sw=None):
        self.final_ = self._fit_one(X, Y, sw=sw)
        # The final boosters, each fit on every training row (what the leakage guard checks).
        self.estimators_ = [p for m in self.final_ if not isinstance(m, float) for p in m]

    def with_family(self, X, y, cv_fold=None, fold_X=None) -> "LightGBMFamilies":
        """This fitted model plus one family (the last column), trained alone.

        Only the new family's boosters are fit — its early stopping on the CV folds, its
        out-of-fold threshold, its final boosters; the other families' boosters, rounds and
        thresholds are kept as they are. Each family is its own binary model with per-bag seeds,
        so on the same matrix this equals a full retrain at about 1/K of its cost
        (``transfer-new-genre`` measures both on the real families). ``X`` must have this model's
        columns; a column only the new family's labels define (collaborator share of the family)
        may be all-NaN for the old boosters, which then never split on it.
        """
        X = np.asarray(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"with_family: X has {X.shape[1]} columns, the model was fit on {self.n_features_in_}")
        one = clone(self).fit(X, np.asarray(y).reshape(-1, 1), cv_fold, fold_X)
        k = self.n_labels_
        out = copy.copy(self)
        out.final_ = [*self.final_, *one.final_]
        out.estimators_ = [*self.estimators_, *one.estimators_]
        out.thresholds_ = np.r_[self.thresholds_, one.thresholds_]
        out.best_iterations_ = {**self.best_iterations_, **{(k + j, b): v for (j, b), v in one.best_iterations_.items()}}
        out.oof_ = None if self.oof_ is None or one.oof_ is None else np.column_stack([self.oof_, one.oof_])
        out.n_labels_ = k + 1
        return out


class BoostedSingle(LightGBMParams, BaseEstimator):
    """LightGBM for one target: early stopping on fold 0, then a refit on every training row.

    ``refit=False`` keeps the early-stopping booster instead, fit on the training rows outside
    fold 0.
    """

    _lgb_class: type[lgb.LGBMModel]

    def __init__(self, n_estimators: int = 400, learning_rate: float = 0.06, num_leaves: int = 31,
                 min_child_samples: int = 20, colsample_bytree: float = 0.8, subsample: float = 0.8,
                 reg_lambda: float = 1.0, early_stopping_rounds: int = 30, categorical: Sequence[int] = (),
                 refit: bool = True, n_jobs: int | None = None, random_state: int = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.categorical = categorical
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _model(self, n_estimators):
        return self._lgbm(self._lgb_class, n_estimators, n_jobs=n_threads(self.n_jobs))

    def fit(self, X, y, cv_fold=None):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        y = self._encode(y)
        rounds = self.n_estimators
        if cv_fold is not None and (cv_fold == 0).any() and (cv_fold != 0).any():
            tr, va = cv_fold != 0, cv_fold == 0
            pre = make_preprocessor(X.shape[1], self.categorical, scale=False, impute=False)
            m = self._model(self.n_estimators)
            m.fit(pre.fit_transform(X[tr]), y[tr], eval_X=(pre.transform(X[va]),), eval_y=(y[va],),
                  callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)])
            rounds = m.best_iteration_ or self.n_estimators
            if not self.refit:
                self.pipeline_ = Pipeline([("pre", pre), ("lgbm", m)])
                self.best_iteration_ = rounds
                return self
        self.best_iteration_ = rounds
        self.pipeline_ = Pipeline([
            ("pre", make_preprocessor(X.shape[1], self.categorical, scale=False, impute=False)),
            ("lgbm", self._model(rounds)),
        ]).fit(X, y)
        return self

    def _encode(self, y):
        return np.asarray(y)


class LightGBMClassifier(BoostedSingle):
    """Multiclass LightGBM (softmax) for single-label genre."""

    _lgb_class = lgb.LGBMClassifier

    def _encode(self, y):
        self.classes_ = np.unique(y)
        return np.searchsorted(self.classes_, y)

    def predict_proba(self, X):
        P = self.pipeline_.predict_proba(np.asarray(X, dtype=float))
        out = np.zeros((len(X), len(self.classes_)))
        out[:, self.pipeline_.steps[-1][1].classes_] = P
        return out

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class LightGBMMLPClassifier(LightGBMClassifier):
    """Soft vote of multiclass LightGBM and small neural nets, equal weight to each side.

    Trees cut the audio features into boxes, the nets draw smooth boundaries through the same
    heavily overlapping classes; averaging their probabilities beats either alone. The weight is
    fixed in advance (0.5), not tuned, so nothing is chosen by looking at held-out rows. Each net
    sees one-hot keys and numeric columns mapped to a normal distribution by training quantiles,
    and stops early on its own 10 % of the training rows.
    """

    # scikit-learn reads the parameters from this signature, so LightGBMClassifier's are repeated.
    def __init__(self, n_estimators: int = 400, learning_rate: float = 0.06, num_leaves: int = 31,
                 min_child_samples: int = 20, colsample_bytree: float = 0.8, subsample: float = 0.8,
                 reg_lambda: float = 1.0, early_stopping_rounds: int = 30, categorical: Sequence[int] = (),
                 refit: bool = True, n_jobs: int | None = None, random_state: int = 0,
                 mlp_hidden: tuple[int, ...] = (256, 256, 128), mlp_alpha: float = 0.03, mlp_seeds: int = 3,
                 mlp_weight: float = 0.5):
        super().__init__(n_estimators=n_estimators, learning_rate=learning_rate, num_leaves=num_leaves,
                         min_child_samples=min_child_samples, colsample_bytree=colsample_bytree,
                         subsample=subsample, reg_lambda=reg_lambda, early_stopping_rounds=early_stopping_rounds,
                         categorical=categorical, refit=refit, n_jobs=n_jobs, random_state=random_state)
        self.mlp_hidden = mlp_hidden
        self.mlp_alpha = mlp_alpha
        self.mlp_seeds = mlp_seeds
        self.mlp_weight = mlp_weight

    def fit(self, X, y, cv_fold=None):
        super().fit(X, y, cv_fold)
        X = np.asarray(X, dtype=float)
        codes = np.searchsorted(self.classes_, np.asarray(y))
        self.mlps_ = []
        for seed in range(self.mlp_seeds):
            net = MLPClassifier(hidden_layer_sizes=tuple(self.mlp_hidden), alpha=self.mlp_alpha, batch_size=256,
                                max_iter=300, early_stopping=True, random_state=self.random_state + seed)
            pre = make_preprocessor(X.shape[1], self.categorical, scale=False, quantile=True)
            pre.set_params(num__quantile__n_quantiles=min(1000, len(X)))
            pipe = Pipeline([("pre", pre), ("mlp", net)])
            # One BLAS thread: these matrices are small, and threads fighting over a busy machine
            # made a fit five times slower than a single thread.
            with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.mlps_.append(pipe.fit(X, codes))
        return self

    def predict_proba(self, X):
        trees = super().predict_proba(X)
        X = np.asarray(X, dtype=float)
        nets = np.zeros_like(trees)
        with threadpool_limits(limits=1, user_api="blas"):
            for pipe in self.mlps_:
                nets[:, pipe.steps[-1][1].classes_] += pipe.predict_proba(X) / len(self.mlps_)
        return (1 - self.mlp_weight) * trees + self.mlp_weight * nets


class LightGBMRegressor(BoostedSingle):
    """LightGBM regression (L2) for popularity and log duration."""

    _lgb_class = lgb.LGBMRegressor

    def predict(self, X):
        return self.pipeline_.predict(np.asarray(X, dtype=float))
