"""The headline figures on the real MusicOSet (real taxonomy settings), labels, splits, training data."""

from __future__ import annotations

import shutil

import numpy as np
import polars as pl
import pytest

import features
from features import GenreTaxonomy, build_taxonomy, load_version, read_artist_genres, training_data, unlabeled_data
from warehouse import Writer, connect_readonly, create_snapshot

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

# Pairs checked against the real tags (all present in MusicOSet).
SAME_FAMILY = [("hip hop", "rap"), ("dance pop", "pop"), ("gangster rap", "trap music"),
               ("alternative metal", "nu metal"), ("country", "contemporary country"),
               ("soul", "motown"), ("indie rock", "indie pop"), ("metalcore", "screamo"),
               ("latin", "latin pop"), ("christian music", "worship")]
DIFFERENT_FAMILY = [("country", "rap"), ("classical", "latin"), ("metal", "dance pop"),
                    ("jazz", "gangster rap"), ("worship", "trap music"), ("country", "metalcore"),
                    ("hip hop", "indie rock"), ("latin", "alternative metal")]


def test_headline_figures(musicoset_build):
    path, snap, report = musicoset_build
    con = connect_readonly(path)
    try:
        v = load_version(con, report.taxonomy.version)
    finally:
        con.close()
    print(f"\nMusicOSet taxonomy: k={v.k}, mean bootstrap ARI {v.mean_bootstrap_ari:.3f} "
          f"(min {v.min_bootstrap_ari:.3f}, selection {v.selection_ari:.3f}), largest {v.largest_share:.3f}, "
          f"smallest {v.smallest_share:.3f}, silhouette {v.silhouette:.3f}")
    assert v.params["n_bootstrap"] == 30  # the real setting, not a test shortcut
    assert 12 <= v.k <= 30
    assert v.mean_bootstrap_ari >= 0.85
    assert v.largest_share <= 0.25
    assert v.smallest_share >= 0.01
    assert len(v.families) == v.k


def test_well_known_pairs(musicoset_build):
    path, _, report = musicoset_build
    con = connect_readonly(path)
    try:
        fam = dict(con.execute("SELECT genre, family_id FROM genre_taxonomy WHERE version = ?",
                               [report.taxonomy.version]).fetchall())
    finally:
        con.close()
    for a, b in SAME_FAMILY:
        assert fam[a] == fam[b], (a, b)
    for a, b in DIFFERENT_FAMILY:
        assert fam[a] != fam[b], (a, b)


def test_labels_and_split(musicoset_build):
    path, snap, report = musicoset_build
    assert report.label_counts == {"tagged": 8370, "untagged": 3148}
    con = connect_readonly(path)
    try:
        dup = con.execute("SELECT count(*) - count(DISTINCT artist_id) FROM splits WHERE snapshot_id = ?",
                          [snap.snapshot_id]).fetchone()[0]
        assert dup == 0  # no artist in two folds
        td = training_data(con, snap.snapshot_id)
        ud = unlabeled_data(con, snap.snapshot_id)
    finally:
        con.close()
    n = len(td.artist_ids)
    assert n == 8370 and td.Y.shape == (n, len(td.family_ids)) and td.X.height == n
    assert set(np.unique(td.fold)) == {"train", "test"}
    assert abs((td.fold == "test").mean() - 0.2) < 0.01
    assert set(td.cv_fold[td.fold == "train"]) == {0, 1, 2, 3, 4} and set(td.cv_fold[td.fold == "test"]) == {-1}
    assert td.Y.sum(axis=1).min() >= 1
    overall = td.Y.mean(axis=0)
    parts = [td.fold == "test"] + [td.cv_fold == f for f in range(5)]
    gaps = np.array([np.abs(td.Y[p].mean(axis=0) - overall) for p in parts]) * 100
    print(f"\nmax family prevalence gap over test + 5 folds: {gaps.max():.2f} points")
    assert gaps.max() <= 2.0
    assert not {"artist_id", "name", "snapshot_id"} & set(td.X.columns)
    assert all(dt == pl.Float64 for dt in td.X.dtypes)
    assert ud.X.columns == td.X.columns and len(ud.artist_ids) == 3148 and set(ud.state) == {"untagged"}


def test_training_data_reads_from_a_snapshot_taken_after_the_build(musicoset_build, tmp_path):
    path, snap, report = musicoset_build
    copy = tmp_path / "w.duckdb"
    shutil.copy(path, copy)
    with Writer(copy) as writer:
        after = create_snapshot(writer, tmp_path / "snaps")
    con = connect_readonly(after.path)
    try:
        td = training_data(con, snap.snapshot_id, report.taxonomy.version)
    finally:
        con.close()
    assert len(td.artist_ids) == 8370 and len(td.family_names) == report.taxonomy.k


def test_rebuild_with_ten_percent_more_artists_keeps_family_ids(musicoset_build, tmp_path):
    """Version A on 10/11 of the artists, version B on all of them: ≥ 90% of tags keep their id."""
    path, snap, _ = musicoset_build
    copy = tmp_path / "w.duckdb"
    shutil.copy(path, copy)
    with Writer(copy) as writer:
        genres = read_artist_genres(writer, snap)
        rng = np.random.default_rng(7)
        subset = genres.filter(pl.Series(rng.random(genres.height) < 1 / 1.1))
        small = dict()  # the real settings (30 bootstrap resamples)
        a, _ = build_taxonomy(writer, snap, taxonomy=GenreTaxonomy(**small), artist_genres=subset)
        # a second snapshot id stands for "the later snapshot with 10% more artists"
        later = type(snap)(snap.snapshot_id + "-later", snap.created_at, snap.path, snap.row_counts, snap.content_hash)
        b, tx_b = build_taxonomy(writer, later, taxonomy=GenreTaxonomy(**small), artist_genres=genres)
        d = features.diff_versions(writer.con, a.version, b.version)
        tx_a = features.load_taxonomy(writer.con, a.version)
    clustered = [t for t in tx_b.clustered_tags_ if t in tx_a.tag_family_]
    kept_clustered = np.mean([tx_a.tag_family_[t] == tx_b.tag_family_[t] for t in clustered])
    print(f"\n10% more artists: k {a.k} → {b.k}, {d.kept_share:.1%} of {d.common_tags} tags kept their family id "
          f"({kept_clustered:.1%} of the {len(clustered)} clustered tags)")
    assert b.previous_version == a.version
    assert d.kept_share >= 0.9
