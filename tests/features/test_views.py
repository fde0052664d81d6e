"""Feature views: registry, materialization from a snapshot, NULL semantics, point-in-time hashes."""

from __future__ import annotations

import math

import pytest

import features
from features._registry import _parse
from warehouse import UsageError, Writer, connect_readonly


def test_registry_lists_the_three_views_with_versions_and_columns():
    views = {v.name: v for v in features.list_views()}
    assert {"artist_audio_profile", "artist_catalog_stats", "artist_popularity"} <= set(views)
    for v in views.values():
        assert v.entity == "artist" and len(v.version) == 12 and v.description
        cols = [c for c, _ in v.columns()]
        assert cols[0] == "artist_id"
    audio = [c for c, _ in views["artist_audio_profile"].columns()]
    assert {"audio_track_count", "energy_mean", "energy_std", "energy_q10", "energy_q50", "energy_q90"} <= set(audio)
    with pytest.raises(UsageError, match="known views"):
        features.get_view("no_such_view")


def test_view_version_is_a_hash_of_the_definition():
    text = "-- name: v\n-- entity: artist\n-- description: d\nSELECT artist_id FROM {snap}.artists\n"
    a, b = _parse(text), _parse(text.replace("SELECT artist_id", "SELECT DISTINCT artist_id"))
    assert a.version != b.version and a.name == b.name == "v"


def test_views_materialize_from_the_snapshot_with_nulls_kept(synthetic_copy):
    path, _, info = synthetic_copy
    with Writer(path) as writer:
        builds = {b.name: b for b in features.build_views(writer, info)}
        con = writer.con
        n_artists = con.execute("SELECT count(*) FROM artists").fetchone()[0]
        for b in builds.values():
            assert b.rows == n_artists
        # popularity NULL in the source stays NULL (not 0) in the feature table
        nulls = con.execute(
            "SELECT count(*) FROM artists a JOIN feature_artist_popularity f USING (artist_id) "
            "WHERE a.popularity IS NULL AND f.snapshot_id = ?", [info.snapshot_id]).fetchone()[0]
        zero_for_null = con.execute(
            "SELECT count(*) FROM artists a JOIN feature_artist_popularity f USING (artist_id) "
            "WHERE a.popularity IS NULL AND f.popularity IS NOT NULL").fetchone()[0]
        assert nulls > 0 and zero_for_null == 0
        # one artist checked against a direct computation from silver tables
        aid, n_tracks, mean_energy = con.execute(
            "SELECT ta.artist_id, count(DISTINCT ta.track_id), avg(af.energy) FROM track_artists ta "
            "JOIN audio_features af USING (track_id) GROUP BY 1 ORDER BY 1 LIMIT 1").fetchone()
        got = con.execute("SELECT audio_track_count, energy_mean FROM feature_artist_audio_profile "
                          "WHERE artist_id = ? AND snapshot_id = ?", [aid, info.snapshot_id]).fetchone()
        assert got[0] == n_tracks and math.isclose(got[1], mean_energy, rel_tol=1e-9)
        stats = con.execute("SELECT min(first_release_year) >= 1960, max(explicit_share) <= 1, "
                            "sum(collaborator_count) > 0 FROM feature_artist_catalog_stats").fetchone()
        assert stats == (True, True, True)
        reg = con.execute("SELECT name, rows FROM feature_views WHERE snapshot_id = ? ORDER BY name",
                          [info.snapshot_id]).fetchall()
        assert [r[0] for r in reg] == sorted(builds) and all(r[1] == n_artists for r in reg)


def test_rebuild_after_live_changes_gives_the_same_hash(synthetic_copy):
    """Point in time: rows added to the live warehouse after the snapshot do not leak in."""
    path, _, info = synthetic_copy
    with Writer(path) as writer:
        first = {b.name: b.content_hash for b in features.build_views(writer, info)}
        with writer.transaction() as con:
            con.execute("INSERT INTO artists (artist_id, name, genres, popularity, source) "
                        "VALUES ('late-artist', 'Late', ['rock'], 99, 'test')")
            con.execute("UPDATE artists SET popularity = 1 WHERE artist_id IN "
                        "(SELECT artist_id FROM artists ORDER BY artist_id LIMIT 50)")
        second = {b.name: b.content_hash for b in features.build_views(writer, info)}
        assert first == second
        assert writer.con.execute("SELECT count(*) FROM feature_artist_popularity WHERE artist_id = 'late-artist'").fetchone()[0] == 0
    con = connect_readonly(path)
    try:
        assert con.execute("SELECT count(DISTINCT snapshot_id) FROM feature_views").fetchone()[0] == 1
    finally:
        con.close()


def test_audio_profile_is_bit_identical_whatever_the_physical_row_order(synthetic_copy, tmp_path):
    """Two snapshots with the same rows stored in another order give the same floats, not just
    the same rounded hash: models trained on them must not differ."""
    from warehouse import create_snapshot

    path, _, info = synthetic_copy
    with Writer(path) as writer:
        features.build_views(writer, info, names=["artist_audio_profile"])
        with writer.transaction() as con:
            for table in ("audio_features", "track_artists"):
                con.execute(f"CREATE TEMP TABLE reordered AS SELECT * FROM {table} ORDER BY hash(rowid) DESC")
                con.execute(f"DELETE FROM {table}")
                con.execute(f"INSERT INTO {table} SELECT * FROM reordered")
                con.execute("DROP TABLE reordered")
        other = create_snapshot(writer, tmp_path / "snapshots")
        features.build_views(writer, other, names=["artist_audio_profile"])
        cols = [c for c, _ in features.get_view("artist_audio_profile").columns() if c.endswith(("_mean", "_std"))]
        diff = " OR ".join(f"a.{c} IS DISTINCT FROM b.{c}" for c in cols)
        differing, joined = writer.con.execute(
            f"SELECT count(*) FILTER (WHERE {diff}), count(*) FROM feature_artist_audio_profile a "
            "JOIN feature_artist_audio_profile b USING (artist_id) WHERE a.snapshot_id = ? AND b.snapshot_id = ?",
            [info.snapshot_id, other.snapshot_id]).fetchone()
    assert joined > 0 and differing == 0
