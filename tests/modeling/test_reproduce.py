"""The reproduction table's MusicOSet breakdown by audio coverage, on a hand-made case."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from modeling._reproduce import audio_coverage_rows, gain_rows
from modeling._tasks import TaskData


def _data(audio_counts, Y, train):
    X = np.column_stack([np.arange(len(Y), dtype=float), audio_counts])
    n = len(Y)
    return TaskData(task="artist-families", kind="multilabel", dataset="warehouse", X=X,
                    feature_names=["popularity", "audio_track_count"], categorical=[], y=np.asarray(Y, dtype=np.int8),
                    label_names=["a", "b"], label_ids=["f1", "f2"], ids=np.arange(n).astype(str),
                    groups=np.arange(n).astype(str), train=np.asarray(train), cv_fold=np.where(train, 0, -1),
                    split_id="stored")


def test_audio_coverage_rows_score_each_half_of_the_test_artists_apart():
    Y = [[1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1], [1, 0], [0, 1]]
    counts = [3, 0, 2, 0, 1, np.nan, 0, 5]          # NaN counts as no audio
    train = [True, True, False, False, False, False, False, False]
    data = _data(counts, Y, train)
    P = np.array([[0.9, 0.2], [0.8, 0.9], [0.8, 0.1], [0.3, 0.9], [0.4, 0.6], [0.7, 0.2]])  # test rows 2..7
    rows = audio_coverage_rows(data, P, "lightgbm")
    by = {r["protocol"]: r for r in rows}
    with_audio = by["stored artist-disjoint, test artists with audio"]
    without = by["stored artist-disjoint, test artists without audio"]
    Yt = np.array(Y)[2:]
    audio = np.array([True, False, True, False, False, True])
    expected_with = np.mean([average_precision_score(Yt[audio, j], P[audio, j]) for j in range(2)])
    expected_without = np.mean([average_precision_score(Yt[~audio, j], P[~audio, j]) for j in range(2)])
    assert with_audio["n_test"] == 3 and without["n_test"] == 3
    assert with_audio["ours"] == round(expected_with, 4) and without["ours"] == round(expected_without, 4)
    assert with_audio["ours"] == 1.0 and without["ours"] == 0.5  # the top-scored artist without audio has neither family
    assert all(r["metric"] == "macro_auprc" and r["model"] == "lightgbm" for r in rows)


def test_no_audio_column_gives_no_rows():
    data = _data([1, 1, 1], [[1, 0], [0, 1], [1, 1]], [True, False, False])
    data.feature_names = ["popularity", "followers"]
    assert audio_coverage_rows(data, np.zeros((2, 2)), "lightgbm") == []


def test_gain_rows_subtract_the_best_baseline_per_protocol_and_only_the_whole_set_has_the_target():
    rows = [
        {"protocol": "stored artist-disjoint", "model": m, "metric": "macro_auprc", "ours": v}
        for m, v in (("lightgbm", 0.46), ("prevalence", 0.09), ("logistic", 0.38), ("random-forest", 0.43))
    ] + [
        {"protocol": "stored artist-disjoint, test artists with audio", "model": m, "metric": "macro_auprc", "ours": v}
        for m, v in (("lightgbm", 0.54), ("random-forest", 0.48), ("logistic", 0.44))
    ] + [{"protocol": "stored artist-disjoint", "model": "lightgbm", "metric": "macro_auroc", "ours": 0.86}]
    gains = {r["protocol"]: r for r in gain_rows(rows)}
    assert gains["stored artist-disjoint"]["ours"] == pytest.approx(0.03)
    assert gains["stored artist-disjoint"]["target"] == ">= 0.05" and gains["stored artist-disjoint"]["target_met"] is False
    with_audio = gains["stored artist-disjoint, test artists with audio"]
    assert with_audio["ours"] == pytest.approx(0.06) and with_audio["target"] is None and "target_met" not in with_audio
