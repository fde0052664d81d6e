"""Leakage guard: what a model learned from the features must come from the training rows only.

The test set is deliberately shifted (other mean and spread), so any scaler or imputer that saw
test rows has statistics different from the training rows', any LightGBM booster that saw them
has other feature ranges, and the guard must say so.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from modeling import LeakageError, TaskData, assert_fit_on_train, fit_and_score, make_estimator


def shifted(n_train=300, n_test=120, k=4, seed=0):
    rng = np.random.default_rng(seed)
    X_tr = rng.normal(0, 1, (n_train, k))
    X_te = rng.normal(3, 2, (n_test, k))  # a different distribution: leaks are visible
    X_tr[rng.random(X_tr.shape) < 0.1] = np.nan
    X_te[rng.random(X_te.shape) < 0.1] = np.nan
    X = np.vstack([X_tr, X_te])
    y = (np.nan_to_num(X[:, 0]) + rng.normal(0, 0.5, len(X)) > np.nanmedian(X[:, 0])).astype(int)
    train = np.r_[np.ones(n_train, bool), np.zeros(n_test, bool)]
    return X, y, train


class LeakyLogistic(BaseEstimator):
    """A deliberately wrong model: its scaler and imputer are fit on ALL rows (train + test)."""

    def __init__(self, all_rows=None):
        self.all_rows = all_rows

    def fit(self, X, y, cv_fold=None):
        pre = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        pre.fit(self.all_rows)  # the leak
        self.pipeline_ = Pipeline([("pre", pre), ("lr", LogisticRegression())])
        self.pipeline_.steps[-1][1].fit(pre.transform(X), y)
        return self


QUICK = {"lightgbm": {"n_estimators": 20}, "lightgbm+mlp": {"n_estimators": 20, "mlp_hidden": (8,), "mlp_seeds": 2}}


def target_of(kind, X, y):
    if kind == "multilabel":
        return np.column_stack([y, 1 - y, y])
    return np.nan_to_num(X[:, 1]) if kind == "regression" else y


@pytest.mark.parametrize("kind,name", [("multiclass", "logistic"), ("multiclass", "random-forest"),
                                       ("regression", "logistic"), ("multilabel", "logistic"),
                                       ("multilabel", "random-forest"), ("multiclass", "lightgbm+mlp"),
                                       ("multilabel", "lightgbm"), ("multiclass", "lightgbm"),
                                       ("regression", "lightgbm")])
def test_our_models_learn_from_training_rows_only(kind, name):
    X, y, train = shifted()
    target = target_of(kind, X, y)
    est = make_estimator(kind, name, n_jobs=1, **QUICK.get(name, {}))
    est.fit(X[train], target[train], np.arange(train.sum()) % 3)
    checked = assert_fit_on_train(est, X[train])
    assert checked >= 1  # the guard really looked at an imputer/scaler/booster
    with pytest.raises(LeakageError):  # and the same model does not pass as if fit on all rows
        assert_fit_on_train(est, X)


@pytest.mark.parametrize("kind", ["multilabel", "multiclass", "regression"])
def test_guard_catches_lightgbm_fit_on_all_rows(kind):
    """The production path: LightGBM boosters, which have no imputer or scaler to inspect."""
    X, y, train = shifted()
    target = target_of(kind, X, y)
    leaky = make_estimator(kind, "lightgbm", n_jobs=1, n_estimators=20).fit(X, target, np.arange(len(X)) % 3)
    with pytest.raises(LeakageError, match="outside the training set"):
        assert_fit_on_train(leaky, X[train])


def test_lightgbm_families_training_path_is_checked_booster_by_booster():
    """fit_and_score on artist families (one LightGBM pipeline per family and bag) checks every
    final booster; given all rows instead of the training rows, the guard refuses."""
    X, y, train = shifted()
    Y = np.column_stack([y, 1 - y, (np.nan_to_num(X[:, 2]) > 0).astype(int)])
    ids = np.arange(len(X)).astype(str)
    data = TaskData(task="artist-families", kind="multilabel", dataset="warehouse", X=X, feature_names=list("abcd"),
                    categorical=[], y=Y, label_names=list("xyz"), label_ids=list("123"), ids=ids, groups=ids,
                    train=train, cv_fold=np.where(train, np.arange(len(X)) % 5, -1), split_id="stored-artist-split:s")
    est, *_ = fit_and_score(data, "lightgbm", {"n_estimators": 20}, n_boot=10, n_jobs=1)
    assert len(est.estimators_) == 3 * est.n_bags
    assert assert_fit_on_train(est, X[train]) == len(est.estimators_)
    with pytest.raises(LeakageError, match="estimators_.*lgbm feature"):
        assert_fit_on_train(est, X)


def test_families_on_too_few_artists_to_split_still_train():
    """The demo's first cycle: 39 training artists against LightGBM's 30 rows per leaf, so every
    feature is trivial to the boosters; they learned nothing from the features and are accepted."""
    X, y, train = shifted(n_train=39, n_test=12)
    Y = np.column_stack([y, 1 - y])
    ids = np.arange(len(X)).astype(str)
    data = TaskData(task="artist-families", kind="multilabel", dataset="warehouse", X=X, feature_names=list("abcd"),
                    categorical=[], y=Y, label_names=list("xy"), label_ids=list("12"), ids=ids, groups=ids,
                    train=train, cv_fold=np.where(train, np.arange(len(X)) % 5, -1), split_id="stored-artist-split:s")
    est, *_ = fit_and_score(data, "lightgbm", {"n_estimators": 20}, n_boot=10, n_jobs=1)
    assert assert_fit_on_train(est, X[train]) == len(est.estimators_) == 2 * est.n_bags


def test_a_booster_fit_on_part_of_the_training_rows_stays_within_their_range():
    X, y, train = shifted()
    folds = np.arange(train.sum()) % 3
    kept = make_estimator("multiclass", "lightgbm", n_jobs=1, n_estimators=20, refit=False).fit(X[train], y[train], folds)
    assert assert_fit_on_train(kept, X[train]) == 1  # fit without fold 0: a narrower range is fine
    leaky = make_estimator("multiclass", "lightgbm", n_jobs=1, n_estimators=20, refit=False).fit(
        X, y, np.arange(len(X)) % 3)
    with pytest.raises(LeakageError, match="reaches outside the training rows"):
        assert_fit_on_train(leaky, X[train])


def test_scaler_statistics_equal_training_rows_statistics():
    X, y, train = shifted()
    est = make_estimator("multiclass", "logistic", n_jobs=1).fit(X[train], y[train])
    pre = est.pipeline_.named_steps["pre"]
    num = pre.named_transformers_["num"]
    imputed = num.named_steps["impute"].transform(X[train])
    np.testing.assert_allclose(num.named_steps["scale"].mean_, imputed.mean(axis=0))
    np.testing.assert_allclose(num.named_steps["impute"].statistics_, np.nanmedian(X[train], axis=0))


def test_guard_catches_a_scaler_fit_on_all_rows():
    X, y, train = shifted()
    leaky = LeakyLogistic(all_rows=X).fit(X[train], y[train])
    with pytest.raises(LeakageError, match="outside the training set"):
        assert_fit_on_train(leaky, X[train])


def test_training_path_refuses_a_leaky_estimator(monkeypatch):
    """fit_and_score runs the guard after every fit, so a leaky estimator never reaches the registry."""
    X, y, train = shifted()
    data = TaskData(task="track-genre", kind="multiclass", dataset="music_genre", X=X, feature_names=list("abcd"),
                    categorical=[], y=y, label_names=["0", "1"], label_ids=["0", "1"],
                    ids=np.arange(len(X)).astype(str), groups=np.arange(len(X)).astype(str), train=train,
                    cv_fold=np.where(train, np.arange(len(X)) % 5, -1), split_id="random-80-20:seed0")
    import modeling._fit as fit

    monkeypatch.setattr(fit, "make_estimator", lambda *a, **k: LeakyLogistic(all_rows=X))
    with pytest.raises(LeakageError):
        fit_and_score(data, "logistic", n_boot=10)
    monkeypatch.undo()
    *_, metrics, interval, _pl, _s = fit_and_score(data, "logistic", n_boot=10, n_jobs=1)
    assert 0.0 <= metrics["accuracy"] <= 1.0 and interval.low <= interval.value <= interval.high


class Opaque(BaseEstimator):
    """A model the guard cannot look into: no pipeline, no booster it knows."""

    def fit(self, X, y, cv_fold=None):
        self.model_ = LogisticRegression().fit(np.nan_to_num(X), y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(np.nan_to_num(X))


def test_training_path_refuses_a_model_the_guard_cannot_check(monkeypatch):
    X, y, train = shifted()
    data = TaskData(task="track-genre", kind="multiclass", dataset="music_genre", X=X, feature_names=list("abcd"),
                    categorical=[], y=y, label_names=["0", "1"], label_ids=["0", "1"],
                    ids=np.arange(len(X)).astype(str), groups=np.arange(len(X)).astype(str), train=train,
                    cv_fold=np.where(train, np.arange(len(X)) % 5, -1), split_id="random-80-20:seed0")
    import modeling._fit as fit

    monkeypatch.setattr(fit, "make_estimator", lambda *a, **k: Opaque())
    with pytest.raises(LeakageError, match="nothing to check in Opaque"):
        fit_and_score(data, "logistic", n_boot=10)


def test_blend_is_the_fixed_average_of_trees_and_nets():
    X, y, train = shifted()
    y3 = np.where(np.nan_to_num(X[:, 1]) > 0.5, 2, y)
    est = make_estimator("multiclass", "lightgbm+mlp", n_jobs=1, n_estimators=30, mlp_hidden=(8,), mlp_seeds=2)
    est.fit(X[train], y3[train], np.arange(train.sum()) % 5)
    assert len(est.mlps_) == 2 and assert_fit_on_train(est, X[train]) >= 4  # imputers + quantile maps of both nets
    P = est.predict_proba(X[~train])
    trees = type(est).__mro__[1].predict_proba(est, X[~train])
    nets = np.mean([m.predict_proba(X[~train]) for m in est.mlps_], axis=0)
    np.testing.assert_allclose(P, 0.5 * trees + 0.5 * nets)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)


def test_guard_catches_a_quantile_map_fit_on_all_rows():
    from sklearn.preprocessing import QuantileTransformer

    X, y, train = shifted()
    imputed = np.nan_to_num(X)
    leaky = Pipeline([("q", QuantileTransformer(n_quantiles=50, subsample=None).fit(imputed))])
    with pytest.raises(LeakageError, match="quantiles"):
        assert_fit_on_train(leaky, imputed[train])
    honest = Pipeline([("q", QuantileTransformer(n_quantiles=50, subsample=None).fit(imputed[train]))])
    assert assert_fit_on_train(honest, imputed[train]) == 1


def test_missingness_augmented_boosters_are_checked_against_the_patterned_copies():
    """lightgbm-calibrated fits its boosters on the training rows plus copies carrying untagged
    artists' missingness, where a count falls to the untagged artist's value. Seen in a demo: every
    training artist had >= 1 track, the copies 0, and the guard (comparing with the training rows
    alone) called that leakage. It recomputes the copies from the training rows instead; a model
    fit on rows outside the training set is still refused."""
    from modeling._augment import MissingnessAugmented, missing_patterns
    from modeling._boosted import LightGBMFamilies
    from modeling._calibration import CalibratedFamilies

    X, y, train = shifted()
    names = ["track_count", "b", "c", "d"]
    X[:, 0] = np.round(np.abs(np.nan_to_num(X[:, 0])) * 5) + 1  # every artist has at least one track
    untagged = np.column_stack([np.zeros(40), np.full(40, np.nan), np.ones(40), np.full(40, np.nan)])
    Y = np.column_stack([y, 1 - y])
    folds = np.arange(train.sum()) % 5

    def calibrated_augmented():
        base = LightGBMFamilies(n_estimators=20, n_jobs=1)
        return CalibratedFamilies(MissingnessAugmented(base, missing_patterns(untagged, names), names))

    est = calibrated_augmented().fit(X[train], Y[train], folds)
    assert np.nanmin(est.base.rows_seen_by_base(X[train])[:, 0]) == 0 < np.nanmin(X[train][:, 0])
    assert assert_fit_on_train(est, X[train]) == len(est.estimators_) > 0
    leaky = calibrated_augmented().fit(X, Y, np.arange(len(X)) % 5)
    with pytest.raises(LeakageError, match="base/base/estimators_"):
        assert_fit_on_train(leaky, X[train])
