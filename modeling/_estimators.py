"""Estimators for the three kinds of task: LightGBM and the baselines, scikit-learn style.

Multi-label (artist families): ``fit(X, Y, cv_fold=None)`` where ``cv_fold`` gives each training
row's artist-disjoint CV fold (0..4). Out-of-fold probabilities from those folds tune one
threshold per family; decoding assigns at least one family per row. LightGBM trains one binary
model per family with early stopping on the held-out fold.

Single label and regression: ``fit(X, y, cv_fold=None)``; LightGBM stops early on fold 0 and is
refit on all training rows with the number of rounds found there.

All preprocessing sits inside a Pipeline fit in ``fit`` (see :mod:`modeling._preprocess`).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import lightgbm as lgb
import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ._preprocess import default_n_jobs, make_preprocessor

ESTIMATORS = ("lightgbm", "prevalence", "logistic", "random-forest")
# Single-label genre only: LightGBM soft-voting with neural nets (see LightGBMMLPClassifier).
BLENDS = ("lightgbm+mlp",)
_LGB_DEFAULTS = dict(
    n_estimators=400, learning_rate=0.06, num_leaves=31, min_child_samples=20, subsample=0.8,
    subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0,
)


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


class _MultiLabelBase(BaseEstimator):
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
        return _multioutput_proba(model, X)

    def fit(self, X: np.ndarray, Y: np.ndarray, cv_fold: np.ndarray | None = None, fold_X: dict | None = None):
        """``fold_X[f]``: the rows of X with fold f's label-derived features recomputed with its
        labels hidden; used for fold f's fit and out-of-fold predictions."""
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=np.int8)
        self.n_features_in_ = X.shape[1]
        self.n_labels_ = Y.shape[1]
        self.oof_ = None
        if cv_fold is not None and len(np.unique(cv_fold[cv_fold >= 0])) >= 2:
            oof = np.full(Y.shape, np.nan)
            for f in np.unique(cv_fold[cv_fold >= 0]):
                tr, va = cv_fold != f, cv_fold == f
                Xf = np.asarray(fold_X[int(f)], dtype=float) if fold_X is not None else X
                m = self._fit_one(Xf[tr], Y[tr], Xf[va], Y[va])
                oof[va] = self._proba(m, Xf[va])
            self.oof_ = oof
            seen = ~np.isnan(oof).any(axis=1)
            self.thresholds_ = tune_thresholds(Y[seen], oof[seen])
        self._fit_final(X, Y)
        if self.oof_ is None:  # no folds: tune on the training rows (optimistic, said in docs)
            self.thresholds_ = tune_thresholds(Y, self.predict_proba(X))
        return self

    def _fit_final(self, X, Y):
        self.final_ = self._fit_one(X, Y)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self._proba(self.final_, np.asarray(X, dtype=float))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return decode(self.predict_proba(X), self.thresholds_)


def _multioutput_proba(model, X) -> np.ndarray:
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
    return classes if isinstance(classes, list) else [classes] * 1


class PrevalenceFamilies(_MultiLabelBase):
    """Baseline: every artist gets the training prevalence of each family."""

    def _fit_one(self, X, Y, X_val=None, Y_val=None):
        return np.asarray(Y, dtype=float).mean(axis=0)

    @staticmethod
    def _proba(model, X):
        return np.tile(model, (len(X), 1))


class LogisticFamilies(_MultiLabelBase):
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
        return _WithConstants(model, learned, Y.mean(axis=0))


class _WithConstants(BaseEstimator):
    """A fitted multi-label model plus constant probabilities for labels it could not learn."""

    def __init__(self, model=None, learned=None, constants=None):
        self.model = model
        self.learned = learned
        self.constants = constants
        self.pipeline_ = model

    def predict_proba(self, X):
        out = np.tile(np.asarray(self.constants, dtype=float), (len(X), 1))
        if self.model is not None:
            out[:, self.learned] = _multioutput_proba(self.model, X)
        return out


class ForestFamilies(_MultiLabelBase):
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
                n_jobs=self.n_jobs or default_n_jobs(), random_state=self.random_state)),
        ])


class LightGBMFamilies(_MultiLabelBase):
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
        return lgb.LGBMClassifier(
            n_estimators=n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples, colsample_bytree=self.colsample_bytree,
            subsample=self.subsample, subsample_freq=1, reg_lambda=self.reg_lambda,
            extra_trees=bag % 2 == 1, n_jobs=1, random_state=self.random_state + bag, verbose=-1,
        )

    def _fit_bag(self, X, y, j: int, b: int, X_val, y_val):
        """One booster for family j, bag b: (pipeline, best round or None)."""
        pre = make_preprocessor(X.shape[1], self.categorical, scale=False, impute=False)
        Xt = pre.fit_transform(X)
        best = None
        if X_val is not None:
            booster = self._booster(self.n_estimators, b)
            booster.fit(Xt, y, eval_X=(pre.transform(X_val),), eval_y=(y_val,), eval_metric="average_precision",
                        callbacks=[lgb.early_stopping(self.early_stopping_rounds, first_metric_only=False,
                                                      verbose=False)])
            best = booster.best_iteration_ or self.n_estimators
        else:
            rounds = self._best_iters.get((j, b))
            booster = self._booster(int(np.median(rounds)) if rounds else self.n_estimators // 2, b)
            booster.fit(Xt, y)
        return Pipeline([("pre", pre), ("lgbm", booster)]), best

    def _fit_one(self, X, Y, X_val=None, Y_val=None):
        """Per family: a constant (one class only) or a list of ``n_bags`` fitted pipelines.

        Artist-level data sets are small (thousands of rows), where LightGBM's own threads cost
        more than they give (demo snapshot, 1,494 artists: 120 s with 2 threads per booster vs
        16 s with 1), so the (family, bag) boosters are fit in parallel instead, one thread each
        (LightGBM releases the GIL while it trains).
        """
        constant = {j: float(Y[0, j]) for j in range(Y.shape[1]) if Y[:, j].min() == Y[:, j].max()}
        jobs = [(j, b) for j in range(Y.shape[1]) if j not in constant for b in range(max(1, self.n_bags))]
        fitted = Parallel(n_jobs=min(self.n_jobs or default_n_jobs(), max(1, len(jobs))), prefer="threads")(
            delayed(self._fit_bag)(X, Y[:, j], j, b, X_val, None if Y_val is None else Y_val[:, j])
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

    def fit(self, X, Y, cv_fold=None, fold_X=None):
        self._best_iters: dict[tuple[int, int], list[int]] = {}
        super().fit(X, Y, cv_fold, fold_X)
        # {(family index, bag): median best round over the CV folds}
        self.best_iterations_ = {k: int(np.median(v)) for k, v in self._best_iters.items()}
        del self._best_iters
        return self

    def _fit_final(self, X, Y):
        self.final_ = self._fit_one(X, Y)
        self.estimators_ = [p for m in self.final_ if not isinstance(m, float) for p in m]


# ─────────────────────────── single label and regression ───────────────────────────

class _BoostedSingle(BaseEstimator):
    """LightGBM for one target: early stopping on fold 0, then a refit on every training row."""

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

    _lgb_class = None
    _eval_metric = None

    def _model(self, n_estimators):
        return self._lgb_class(
            n_estimators=n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples, colsample_bytree=self.colsample_bytree,
            subsample=self.subsample, subsample_freq=1, reg_lambda=self.reg_lambda,
            n_jobs=self.n_jobs or default_n_jobs(), random_state=self.random_state, verbose=-1,
        )

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


class LightGBMClassifier(_BoostedSingle):
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


class LightGBMRegressor(_BoostedSingle):
    _lgb_class = lgb.LGBMRegressor

    def predict(self, X):
        return self.pipeline_.predict(np.asarray(X, dtype=float))


class _PipelineSingle(BaseEstimator):
    """A preprocessing + model Pipeline; ``cv_fold`` is accepted and unused (no early stopping)."""

    def _make(self, n_features):
        raise NotImplementedError

    def fit(self, X, y, cv_fold=None):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.pipeline_ = self._make(X.shape[1]).fit(X, y)
        final = self.pipeline_.steps[-1][1]
        if hasattr(final, "classes_"):
            self.classes_ = final.classes_
        return self

    def predict(self, X):
        return self.pipeline_.predict(np.asarray(X, dtype=float))

    def predict_proba(self, X):
        return self.pipeline_.predict_proba(np.asarray(X, dtype=float))


def _simple(name: str, doc: str, factory, scale: bool):
    def __init__(self, categorical: Sequence[int] = (), n_jobs: int | None = None):
        self.categorical = categorical
        self.n_jobs = n_jobs

    def _make(self, n_features):
        return Pipeline([("pre", make_preprocessor(n_features, self.categorical, scale=scale)),
                         ("model", factory(self))])

    return type(name, (_PipelineSingle,), {"__init__": __init__, "_make": _make, "__doc__": doc,
                                           "__module__": __name__})


MajorityClassifier = _simple("MajorityClassifier", "Baseline: class frequencies of the training rows.",
                             lambda s: DummyClassifier(strategy="prior"), False)
LogisticClassifier = _simple("LogisticClassifier", "Baseline: multinomial logistic regression, standardised.",
                             lambda s: LogisticRegression(max_iter=2000), True)
ForestClassifier = _simple("ForestClassifier", "Baseline: small random forest (100 trees, depth 14).",
                           lambda s: RandomForestClassifier(n_estimators=100, max_depth=14, min_samples_leaf=2,
                                                            n_jobs=s.n_jobs or default_n_jobs(), random_state=0), False)
MeanRegressor = _simple("MeanRegressor", "Baseline: the training mean.", lambda s: DummyRegressor(), False)
LinearRegressor = _simple("LinearRegressor", "Baseline: ridge-regularised linear regression, standardised.",
                          lambda s: Ridge(alpha=1.0), True)
ForestRegressor = _simple("ForestRegressor", "Baseline: small random forest (100 trees, depth 14).",
                          lambda s: RandomForestRegressor(n_estimators=100, max_depth=14, min_samples_leaf=2,
                                                          n_jobs=s.n_jobs or default_n_jobs(), random_state=0), False)

_FACTORIES = {
    "multilabel": {"lightgbm": LightGBMFamilies, "prevalence": PrevalenceFamilies,
                   "logistic": LogisticFamilies, "random-forest": ForestFamilies},
    "multiclass": {"lightgbm": LightGBMClassifier, "prevalence": MajorityClassifier,
                   "logistic": LogisticClassifier, "random-forest": ForestClassifier,
                   "lightgbm+mlp": LightGBMMLPClassifier},
    "regression": {"lightgbm": LightGBMRegressor, "prevalence": MeanRegressor,
                   "logistic": LinearRegressor, "random-forest": ForestRegressor},
}


def make_estimator(kind: str, name: str, *, categorical: Sequence[int] = (), n_jobs: int | None = None,
                   **params) -> BaseEstimator:
    """An unfitted estimator of ``kind`` (multilabel/multiclass/regression) called ``name``."""
    try:
        cls = _FACTORIES[kind][name]
    except KeyError:
        from warehouse import UsageError

        raise UsageError(f"unknown estimator {name!r} for a {kind} task; choose from {', '.join(_FACTORIES.get(kind, {}) or ESTIMATORS)}") from None
    est = cls(categorical=tuple(categorical), n_jobs=n_jobs) if "categorical" in cls().get_params() else cls()
    if params:
        est.set_params(**{k: v for k, v in params.items() if k in est.get_params()})
    return est


def clone_estimator(est: BaseEstimator) -> BaseEstimator:
    return clone(est)
