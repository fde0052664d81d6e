"""Task data: protocols, dedup, artist-disjoint splits, features that must never be used."""

from __future__ import annotations

import numpy as np
import pytest

from modeling import dataset_task_data, split_rows
from warehouse import UsageError, Writer

from .synth import fill_datasets


@pytest.fixture
def con(settings):
    with Writer(settings.warehouse_file) as writer:
        fill_datasets(writer, n_music_genre=1000, n_spotify_songs=600)
        with writer.transaction() as c:
            yield c


def test_protocols_split_and_dedup(con):
    raw = dataset_task_data(con, "track-genre", "music_genre", protocol="random-80-20")
    dedup = dataset_task_data(con, "track-genre", "music_genre", protocol="dedup")
    disjoint = dataset_task_data(con, "track-genre", "music_genre", protocol="artist-disjoint")
    assert len(raw.y) == 1000 and len(dedup.y) < 1000  # the synthetic titles repeat for 50 artists' rows
    assert raw.test.sum() == 200
    assert not set(disjoint.groups[disjoint.train]) & set(disjoint.groups[disjoint.test])
    tr = disjoint.train
    for f in range(5):  # CV folds on training rows are artist-disjoint too
        assert not set(disjoint.groups[tr & (disjoint.cv_fold == f)]) & set(disjoint.groups[tr & (disjoint.cv_fold != f)])
    assert (disjoint.cv_fold[~tr] == -1).all() and set(disjoint.cv_fold[tr]) == set(range(5))
    assert 0.1 < disjoint.test.mean() < 0.3
    # class balance survives the grouping
    assert np.bincount(disjoint.y[disjoint.test]).min() > 0


def test_feature_sets_never_use_names_ids_or_playlists(con):
    d = dataset_task_data(con, "track-genre", "spotify_songs", protocol="random-80-20", feature_set="with-popularity-year")
    assert "popularity" in d.feature_names and "release_year" in d.feature_names
    forbidden = {"artist", "track", "track_id", "playlist_id", "playlist_name", "playlist_subgenre", "row_key",
                 "instance_id", "obtained_date", "genre"}
    assert not forbidden & set(d.feature_names)
    audio = dataset_task_data(con, "track-genre", "music_genre", protocol="random-80-20", feature_set="audio-only")
    assert len(audio.feature_names) == 12 and "popularity" not in audio.feature_names
    assert audio.categorical == [audio.feature_names.index("key")]
    # sentinels arrive as NULL and stay missing (NaN), never as -1 or '?'
    dur = audio.X[:, audio.feature_names.index("duration_ms")]
    assert np.isnan(dur).any() and np.nanmin(dur) > 0


def test_regression_targets(con):
    pop = dataset_task_data(con, "popularity", "music_genre")
    assert "popularity" not in pop.feature_names and "genre" in pop.feature_names
    dur = dataset_task_data(con, "duration", "spotify_songs")
    assert "duration_ms" not in dur.feature_names
    assert 4.0 < dur.y.mean() < 6.0  # log seconds of 2.5-5 minute tracks


def test_usage_errors(con):
    with pytest.raises(UsageError, match="unknown task"):
        dataset_task_data(con, "mood", "music_genre")
    with pytest.raises(UsageError, match="protocol"):
        dataset_task_data(con, "track-genre", "music_genre", protocol="leaky")
    con.execute("DELETE FROM ds_spotify_songs")
    with pytest.raises(UsageError, match="import"):
        dataset_task_data(con, "track-genre", "spotify_songs")


def test_group_split_is_deterministic_and_balanced():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 300, 3000).astype(str)
    y = rng.integers(0, 4, 3000)
    a = split_rows(y, groups, "artist-disjoint", seed=3)
    b = split_rows(y, groups, "artist-disjoint", seed=3)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert abs(a[0].mean() - 0.8) < 0.03


def test_title_features_are_per_row_text_cues(con):
    con.execute("UPDATE ds_music_genre SET track_name = 'Sonata No. 14 in C-sharp minor, Op. 27' WHERE instance_id = 1")
    con.execute("UPDATE ds_music_genre SET track_name = 'Ride (feat. Somebody) - Remix' WHERE instance_id = 2")
    d = dataset_task_data(con, "track-genre", "music_genre", protocol="random-80-20", feature_set="with-popularity-title")
    row = {rid: d.X[i] for i, rid in enumerate(d.ids) if rid in ("1", "2")}
    col = d.feature_names.index
    assert row["1"][col("title_classical")] == 1 and row["1"][col("title_feat")] == 0
    assert row["2"][col("title_feat")] == 1 and row["2"][col("title_remix")] == 1 and row["2"][col("title_paren")] == 1
