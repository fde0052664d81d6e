"""The untagged-like reweighting and the weighted metrics, on hand-made cases."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from modeling import _protocols as PR


def test_odds_weights_follow_p_over_1_minus_p_normalised_and_clipped():
    p = np.array([0.5, 0.5, 0.8, 0.2])  # odds 1, 1, 4, 0.25 → mean 1.5625
    w = PR.odds_weights(p, clip=100)
    assert w == pytest.approx(np.array([1, 1, 4, 0.25]) / 1.5625)
    assert w.mean() == pytest.approx(1.0)
    # Clipping: odds 99 vs 1 → normalised 1.98 and 0.02; clip at 1.5 → 1.5, 0.02; renormalised.
    w = PR.odds_weights(np.array([0.99, 0.5]), clip=1.5)
    assert w == pytest.approx(np.array([1.5, 0.02]) / 0.76)


def test_effective_sample_size():
    assert PR.effective_sample_size(np.ones(10)) == pytest.approx(10)
    assert PR.effective_sample_size(np.array([1.0, 0, 0, 0])) == pytest.approx(1)
    # (1+1+2)² / (1+1+4) = 16/6
    assert PR.effective_sample_size(np.array([1.0, 1, 2])) == pytest.approx(16 / 6)


def test_weights_favour_tagged_rows_that_look_untagged():
    rng = np.random.default_rng(0)
    names = ["log10_followers", "first_release_year", "danceability_mean"]
    # Tagged: famous, years known. Untagged: obscure, years often missing.
    tagged = np.column_stack([rng.normal(5, 1, 600), rng.normal(1990, 10, 600), rng.random(600)])
    untagged = np.column_stack([rng.normal(2.5, 1, 400), np.where(rng.random(400) < 0.6, np.nan, 2010.0),
                                rng.random(400)])
    train = np.arange(600) < 450
    cv = np.where(train, np.arange(600) % 5, -1)
    rw = PR.untagged_like_weights(tagged, names, untagged, train, cv)
    test = ~train
    obscure = tagged[:, 0] < 3.5
    assert rw.weights[test & obscure].mean() > 3 * rw.weights[test & ~obscure].mean()
    assert rw.weights[test].mean() == pytest.approx(1.0)
    for f in range(5):  # each CV fold is normalised on its own, from a fit without it
        assert rw.weights[train & (cv == f)].mean() == pytest.approx(1.0)
    assert 1 < rw.ess(test) < test.sum()
    assert rw.domain_auroc > 0.8
    # The domain classifier reads only label-free columns it knows; a family label cannot enter.
    assert PR.domain_matrix(tagged, names)[1] == ["log10_followers", "log10_followers_present",
                                                  "first_release_year", "first_release_year_present"]


def test_weighted_metrics_match_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.random(300) < 0.2
    p = np.round(rng.random(300) * 0.5 + 0.5 * y * rng.random(300), 2)  # ties on purpose
    w = rng.random(300) * 3
    assert PR.weighted_auroc(y, p, w) == pytest.approx(roc_auc_score(y, p, sample_weight=w))
    assert PR.weighted_average_precision(y, p, w) == pytest.approx(average_precision_score(y, p, sample_weight=w))
    assert PR.weighted_auroc(y, p, np.ones(300)) == pytest.approx(roc_auc_score(y, p))


def test_top3_hit_rate_and_dev_mode_columns():
    Y = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]])
    P = np.array([[0.9, 0.1, 0.1, 0.0], [0.9, 0.8, 0.7, 0.1], [0.1, 0.5, 0.2, 0.3]])
    assert PR.top_k_hit_rate(Y, P) == pytest.approx(2 / 3)
    assert PR.top_k_hit_rate(Y, P, np.array([1.0, 2.0, 1.0])) == pytest.approx(2 / 4)
    names = ["popularity", "danceability_mean", "audio_track_count", "track_count", "name_dj", "artist_type_band",
             "collab_share_1", "graph_share_1", "text_lang_es", "rel_decade", "first_release_year"]
    assert [names[j] for j in PR.dev_mode_columns(names)] == [
        "track_count", "name_dj", "collab_share_1", "graph_share_1", "text_lang_es", "rel_decade", "first_release_year"]


def test_missingness_augmentation_imposes_untagged_patterns_and_keeps_folds():
    from modeling._augment import MissingnessAugmented, impose, missing_patterns
    from modeling._estimators import PrevalenceFamilies

    names = ["danceability_mean", "audio_track_count", "name_dj", "collab_share_1"]
    X = np.array([[0.5, 4.0, 1.0, 0.2]] * 6)
    untagged = np.array([[np.nan, 0.0, 0.0, np.nan]])  # no audio; label-derived column untouched
    pat = missing_patterns(untagged, names)
    out = impose(X, pat, names, np.random.default_rng(0))
    assert np.isnan(out[:, 0]).all() and (out[:, 1] == 0).all()       # audio gone, count capped
    assert (out[:, 2] == 1).all() and (out[:, 3] == 0.2).all()        # name and collaborators kept

    seen = {}

    class Spy(PrevalenceFamilies):
        def fit(self, X, Y, cv_fold=None, fold_X=None):
            seen.update(n=len(X), folds=np.asarray(cv_fold).copy())
            return super().fit(X, Y, cv_fold, fold_X)

    Y = np.array([[1, 0], [0, 1]] * 3)
    cv = np.array([0, 1, 2, 0, 1, 2])
    est = MissingnessAugmented(Spy(), pat, names).fit(X, Y, cv)
    assert seen["n"] == 12 and list(seen["folds"]) == list(cv) * 2  # copies keep their artist's fold
    assert est.oof_.shape == (6, 2)                                   # out of fold on the originals only


def test_protocol_gain_rows_are_differences_of_printed_figures():
    from modeling._protocol_rows import gain_rows

    rows = [{"protocol": "untagged-like", "model": m, "metric": k, "ours": v} for m, k, v in (
        ("lightgbm", "macro_auprc", 0.30), ("lightgbm-calibrated", "macro_auprc", 0.35),
        ("logistic-audio-means", "macro_auroc", 0.68), ("lightgbm-calibrated", "macro_auroc", 0.80))]
    gains = {r["metric"]: r for r in gain_rows(rows)}
    assert gains["macro_auprc_gain_over_champion"]["ours"] == pytest.approx(0.05)
    assert gains["macro_auprc_gain_over_champion"]["target_met"] is False
    assert gains["macro_auroc_gain_over_audio_means"]["ours"] == pytest.approx(0.12)
    assert gains["macro_auroc_gain_over_audio_means"]["target_met"] is True


def test_importance_weights_reach_the_boosters_only_when_asked():
    from modeling._augment import MissingnessAugmented
    from modeling._boosted import LightGBMFamilies
    from modeling._calibration import CalibratedFamilies

    rng = np.random.default_rng(3)
    n = 600
    X = rng.normal(size=(n, 3))
    # Family 0 follows x0 where x2 > 0 and -x0 elsewhere; weights favour the x2 <= 0 rows.
    Y = np.column_stack([np.where(X[:, 2] > 0, X[:, 0], -X[:, 0]) + 0.3 * rng.normal(size=n) > 0,
                         X[:, 1] + 0.5 * rng.normal(size=n) > 0]).astype(int)
    w = np.where(X[:, 2] > 0, 0.05, 1.95)
    cv = np.arange(n) % 5

    def fitted(power, weights):
        base = MissingnessAugmented(LightGBMFamilies(n_estimators=30, n_bags=1, n_jobs=1), np.zeros((0, 3), bool),
                                    ["a", "b", "c"], n_copies=0)
        return CalibratedFamilies(base, train_weight_power=power, calibration_weight_power=power).fit(
            X, Y, cv, sample_weight=weights)

    plain = fitted(0.0, None)
    np.testing.assert_array_equal(fitted(0.0, w).oof_, plain.oof_)  # power 0: the weights are ignored
    weighted = fitted(1.0, w)
    assert not np.allclose(weighted.oof_, plain.oof_)
    # Weighted training and calibration fit the population the weights describe better.
    heavy = w > 1
    assert PR.weighted_macro_auroc(Y[heavy], weighted.oof_[heavy], w[heavy]) >= \
        PR.weighted_macro_auroc(Y[heavy], plain.oof_[heavy], w[heavy]) - 0.01
