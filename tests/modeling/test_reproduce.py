"""The reproduction table's MusicOSet breakdown by audio coverage, on a hand-made case."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from modeling._reproduce import audio_coverage_rows, breakdown_rows, gain_rows, multi_genre_row_keys
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


def _single(kind, y, ids, train):
    n = len(y)
    return TaskData(task="track-genre" if kind == "multiclass" else "popularity", kind=kind, dataset="music_genre",
                    X=np.zeros((n, 1)), feature_names=["energy"], categorical=[], y=np.asarray(y),
                    label_names=["Rap", "Hip-Hop", "Jazz"] if kind == "multiclass" else [],
                    label_ids=[], ids=np.asarray(ids), groups=np.asarray(ids), train=np.asarray(train),
                    cv_fold=np.where(train, 0, -1), split_id="random-80-20:seed0")


def test_genre_breakdown_scores_rows_of_multi_genre_recordings_apart():
    data = _single("multiclass", [0, 1, 0, 1, 2, 2], ["a", "b", "c", "d", "e", "f"], [True, True, False, False, False, False])
    P = np.array([[0.6, 0.4, 0.0], [0.7, 0.3, 0.0], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])  # test rows c, d, e, f
    rows = breakdown_rows(data, P, "lightgbm", "random-80-20 with-popularity", {"c", "d", "x"})
    by = {r["protocol"]: r for r in rows}
    ambiguous = by["random-80-20 with-popularity, test rows of recordings under 2+ genres"]
    other = by["random-80-20 with-popularity, other test rows"]
    assert (ambiguous["ours"], ambiguous["n_test"]) == (0.5, 2)  # c right, d wrong
    assert (other["ours"], other["n_test"]) == (1.0, 2)
    assert all(r["metric"] == "accuracy" and r["target"] is None for r in rows)


def test_popularity_breakdown_splits_zero_popularity_rows():
    data = _single("regression", [50.0, 40.0, 0.0, 30.0, 60.0], list("abcde"), [True, False, False, False, False])
    pred = np.array([30.0, 20.0, 34.0, 56.0])  # test rows b, c, d, e
    by = {r["protocol"]: r for r in breakdown_rows(data, pred, "lightgbm", "random-80-20 audio+genre", set())}
    assert by["random-80-20 audio+genre, test rows with popularity 0"]["ours"] == pytest.approx(20.0)
    assert by["random-80-20 audio+genre, test rows with popularity above 0"]["ours"] == pytest.approx(np.sqrt((100 + 16 + 16) / 3), abs=1e-4)


def test_multi_genre_row_keys_are_the_recordings_listed_under_two_genres(settings):
    from warehouse import Writer

    from .synth import fill_datasets

    with Writer(settings.warehouse_file) as writer:
        fill_datasets(writer, n_music_genre=300, n_spotify_songs=200)
        with writer.transaction() as con:
            keys = multi_genre_row_keys(con, "music_genre")
            expected = {str(k) for (k,) in con.execute(
                """SELECT instance_id FROM ds_music_genre d WHERE (SELECT count(DISTINCT music_genre) FROM ds_music_genre e
                   WHERE e.artist_name = d.artist_name AND e.track_name = d.track_name) > 1""").fetchall()}
    assert keys == expected and 0 < len(keys) <= 100
