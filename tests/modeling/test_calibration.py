"""Calibration, expected calibration error and precision-targeted decisions on hand-made cases."""

import numpy as np
import pytest

from modeling import _calibration as C


def test_ece_on_a_hand_made_case():
    # Bin [0.2, 0.3): p 0.2 ×4, one positive → |0.25 - 0.2| = 0.05 on 4 rows.
    # Bin [0.8, 0.9): p 0.8 ×6, all positive → |1 - 0.8| = 0.2 on 6 rows.  ECE = 0.4·0.05 + 0.6·0.2
    p = np.array([0.2] * 4 + [0.8] * 6)
    y = np.array([1, 0, 0, 0] + [1] * 6)
    assert C.expected_calibration_error(y, p) == pytest.approx(0.4 * 0.05 + 0.6 * 0.2)
    # Weights move the bin shares: the first bin weighs 3x as much per row → 12/18 and 6/18.
    w = np.array([3.0] * 4 + [1.0] * 6)
    assert C.expected_calibration_error(y, p, w) == pytest.approx(12 / 18 * 0.05 + 6 / 18 * 0.2)
    assert C.expected_calibration_error(np.array([0, 1] * 50), np.full(100, 0.5)) == pytest.approx(0.0)


def test_calibrator_fixes_overconfident_scores():
    rng = np.random.default_rng(0)
    true_p = rng.random((4000, 2))
    Y = (rng.random((4000, 2)) < true_p).astype(int)
    S = true_p ** 3  # a monotone but badly calibrated score
    assert C.macro_ece(Y, S) > 0.1
    cal = C.FamilyCalibrator(isotonic_min_positives=500).fit(Y[:2000], S[:2000])
    assert {k for k, _ in cal.calibrators_} == {"isotonic"}
    assert C.macro_ece(Y[2000:], cal.transform(S[2000:])) < 0.04
    platt = C.FamilyCalibrator(isotonic_min_positives=10**6).fit(Y[:2000], S[:2000])
    assert {k for k, _ in platt.calibrators_} == {"platt"}
    assert C.macro_ece(Y[2000:], platt.transform(S[2000:])) < C.macro_ece(Y[2000:], S[2000:])


def test_precision_thresholds_and_coverage():
    Y = np.array([[1], [1], [0], [1], [0], [0]])
    P = np.array([[0.9], [0.8], [0.7], [0.6], [0.5], [0.4]])
    # Precision from the top: 1, 1, 2/3, 3/4, 3/5, 1/2 → the lowest cut with ≥ 0.75 is 0.6.
    assert C.precision_thresholds(Y, P, 0.75)[0] == pytest.approx(0.6)
    assert C.precision_thresholds(Y, P, 1.0)[0] == pytest.approx(0.8)
    assert np.isinf(C.precision_thresholds(np.zeros((3, 1), int), P[:3], 0.5)[0])
    D = (P >= 0.6).astype(int)
    assert C.coverage(D) == pytest.approx(4 / 6)
    assert C.decided_precision(Y, D) == pytest.approx(3 / 4)


def test_calibration_keeps_the_models_ranking():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(2)
    s = rng.random((3000, 1))
    y = (rng.random((3000, 1)) < s ** 2).astype(int)
    cal = C.FamilyCalibrator(isotonic_min_positives=100).fit(y, s)
    assert cal.calibrators_[0][0] == "isotonic"
    p = cal.transform(s)
    assert len(np.unique(p)) == len(np.unique(s))  # isotonic steps do not tie distinct scores
    assert roc_auc_score(y[:, 0], p[:, 0]) == pytest.approx(roc_auc_score(y[:, 0], s[:, 0]))


def test_weighted_calibration_counts_a_row_of_weight_k_as_k_rows():
    # Hand-made: score 0.2 → 1 positive in 4 rows, score 0.8 → 3 positives in 4. Weighting the
    # positive at 0.2 by 3 makes that bin's observed rate 3/6 = 0.5 (isotonic step = weighted mean).
    s = np.array([0.2] * 4 + [0.8] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    w = np.array([3.0, 1, 1, 1, 1, 1, 1, 1])
    iso = C.FamilyCalibrator(isotonic_min_positives=1).fit(y[:, None], s[:, None], w)
    p = iso.transform(np.array([[0.2], [0.8]]))[:, 0]
    assert p == pytest.approx([0.5, 0.75], abs=1e-5)
    # The same as repeating the row three times; Platt scaling likewise.
    rep = np.r_[np.repeat(0, 3), np.arange(1, 8)]
    for k in (1, 10**6):
        a = C.FamilyCalibrator(isotonic_min_positives=k).fit(y[:, None], s[:, None], w)
        b = C.FamilyCalibrator(isotonic_min_positives=k).fit(y[rep, None], s[rep, None])
        grid = np.linspace(0.05, 0.95, 7)[:, None]
        assert a.transform(grid) == pytest.approx(b.transform(grid), abs=1e-4)
