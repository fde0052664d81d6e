"""Our metrics against scikit-learn's on hand-made cases (including ties and empty label rows)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn import metrics as skm

from modeling import (bootstrap_ci, decode, multiclass_metrics, multilabel_metrics, paired_bootstrap,
                      regression_metrics, tune_thresholds)
from modeling._metrics import average_precision, macro_auprc, roc_auc

# 8 artists × 3 families; scores with a tie (0.4 twice in family 0) and one artist with no family.
Y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 0, 0]])
P = np.array([[0.9, 0.1, 0.2], [0.4, 0.8, 0.1], [0.4, 0.7, 0.3], [0.2, 0.3, 0.9],
              [0.6, 0.2, 0.4], [0.1, 0.4, 0.35], [0.3, 0.2, 0.1], [0.7, 0.6, 0.2]])
D = (P >= 0.5).astype(int)


def test_multilabel_metrics_match_sklearn():
    got = multilabel_metrics(Y, P, D)
    assert got["macro_auprc"] == pytest.approx(skm.average_precision_score(Y, P, average="macro"))
    assert got["micro_auprc"] == pytest.approx(skm.average_precision_score(Y, P, average="micro"))
    assert got["macro_auroc"] == pytest.approx(skm.roc_auc_score(Y, P, average="macro"))
    assert got["micro_auroc"] == pytest.approx(skm.roc_auc_score(Y, P, average="micro"))
    assert got["macro_f1"] == pytest.approx(skm.f1_score(Y, D, average="macro"))
    assert got["micro_f1"] == pytest.approx(skm.f1_score(Y, D, average="micro"))
    assert got["samples_f1"] == pytest.approx(skm.f1_score(Y, D, average="samples", zero_division=0))
    assert got["hamming_loss"] == pytest.approx(skm.hamming_loss(Y, D))
    assert got["subset_accuracy"] == pytest.approx(skm.accuracy_score(Y, D))
    has = Y.sum(axis=1) > 0
    assert got["lrap"] == pytest.approx(skm.label_ranking_average_precision_score(Y[has], P[has]))
    # and the hand-computed value of one of them: hamming = wrong cells / all cells
    assert got["hamming_loss"] == pytest.approx((Y != D).sum() / Y.size)


def test_fast_ranking_metrics_equal_sklearn_with_ties():
    rng = np.random.default_rng(3)
    for _ in range(20):
        y = rng.integers(0, 2, 200)
        y[:2] = [0, 1]
        p = rng.integers(0, 15, 200) / 15  # many ties
        assert average_precision(y, p) == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
        assert roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)


def test_family_absent_from_test_is_skipped_not_zero():
    Y2 = Y.copy()
    Y2[:, 2] = 0
    assert macro_auprc(Y2, P) == pytest.approx(np.mean([skm.average_precision_score(Y2[:, j], P[:, j]) for j in (0, 1)]))


def test_multiclass_metrics_match_sklearn():
    y = np.array([0, 1, 2, 2, 1, 0, 2, 1, 0, 2])
    P3 = np.array([[.7, .2, .1], [.2, .5, .3], [.1, .3, .6], [.3, .4, .3], [.1, .8, .1],
                   [.5, .4, .1], [.2, .2, .6], [.3, .3, .4], [.6, .3, .1], [.1, .1, .8]])
    got = multiclass_metrics(y, P3)
    pred = P3.argmax(axis=1)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred)) == pytest.approx(0.8)
    assert got["macro_f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert got["macro_auroc"] == pytest.approx(skm.roc_auc_score(y, P3, multi_class="ovr", average="macro"))


def test_regression_metrics_match_sklearn_and_scipy():
    y = np.array([3.0, 5.0, 2.5, 7.0, 4.0])
    pred = np.array([2.5, 5.0, 3.0, 8.0, 3.5])
    got = regression_metrics(y, pred)
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred))) == pytest.approx(np.sqrt(0.35))
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, pred)) == pytest.approx(0.5)
    assert got["r2"] == pytest.approx(skm.r2_score(y, pred))
    assert got["spearman"] == pytest.approx(spearmanr(y, pred).statistic)


def test_thresholds_and_at_least_one_decoding():
    t = tune_thresholds(Y, P)
    # Family 2: positives score 0.9 and 0.4, the best negative 0.35 → the F1-optimal cut keeps both.
    assert 0.35 < t[2] <= 0.4
    Dd = decode(P, t)
    assert (Dd.sum(axis=1) >= 1).all()
    low = np.array([[0.1, 0.3, 0.2]])
    assert decode(low, np.array([0.5, 0.5, 0.5])).tolist() == [[0, 1, 0]]


def test_bootstrap_interval_brackets_value_and_paired_test_detects_a_better_model():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (400, 3))
    good = np.clip(y * 0.3 + rng.random((400, 3)) * 0.8, 0, 1)  # informative, not perfect
    bad = rng.random((400, 3))
    ci = bootstrap_ci(macro_auprc, y, good, n_boot=100)
    assert ci.low <= ci.value <= ci.high and ci.high - ci.low > 0
    better = paired_bootstrap(macro_auprc, y, good, bad, metric="macro_auprc", higher_is_better=True, n_boot=100)
    worse = paired_bootstrap(macro_auprc, y, bad, good, metric="macro_auprc", higher_is_better=True, n_boot=100)
    same = paired_bootstrap(macro_auprc, y, good, good, metric="macro_auprc", higher_is_better=True, n_boot=100)
    assert better.challenger_better and better.ci_low > 0
    assert not worse.challenger_better and worse.ci_high < 0
    assert not same.challenger_better  # identical models: the interval is exactly 0, never "beyond the margin"
