"""The playlist-seed and refresh strategies against the emulator over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from ingest.crawl import run_crawl
from ingest.emulator.running import running_emulator, synthetic_catalog
from warehouse import Writer

from ._support import crawl_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return synthetic_catalog(tmp_path_factory.mktemp("strategies"), artists=100, seed=11)


def test_playlist_seeds_store_playlists_items_their_tracks_and_artists(catalog, tmp_path):
    playlists = pl.read_parquet(catalog / "playlists.parquet")
    items = pl.read_parquet(catalog / "playlist_items.parquet")
    track_artists = pl.read_parquet(catalog / "track_artists.parquet")
    # A genre word as the seed projects used it: every playlist named with it must be found.
    word = playlists["name"][0].split()[-1]
    wanted = playlists.filter(pl.col("name").str.to_lowercase().str.contains(rf"\b{word.lower()}\b"))
    assert wanted.height >= 1
    direct = playlists.filter(~pl.col("playlist_id").is_in(wanted["playlist_id"].to_list()))["playlist_id"][0]

    with running_emulator(catalog) as emu, Writer(crawl_settings(tmp_path / "var", emu).warehouse_file) as w:
        result = run_crawl(crawl_settings(tmp_path / "var", emu), w, seeds=f"query:{word},playlist:{direct}",
                           progress=False)
        assert result.status == "completed", result
        con = w.con
        stored = {r[0] for r in con.execute("SELECT playlist_id FROM playlists").fetchall()}
        expect_ids = set(wanted["playlist_id"].to_list()) | {direct}
        assert expect_ids <= stored
        got_items = {(p, pos, t) for p, pos, t in con.execute(
            "SELECT playlist_id, position, track_id FROM playlist_items").fetchall() if p in expect_ids}
        want_items = {(p, pos, t) for p, pos, t in items.filter(pl.col("playlist_id").is_in(list(expect_ids)))
                      .select("playlist_id", "position", "track_id").iter_rows()}
        assert got_items == want_items and want_items  # every item, at its position, nothing invented
        item_tracks = {t for _, _, t in want_items}
        tracks = {r[0] for r in con.execute("SELECT track_id FROM tracks").fetchall()}
        assert item_tracks <= tracks
        artists_of_items = set(track_artists.filter(pl.col("track_id").is_in(list(item_tracks)))["artist_id"].to_list())
        artists = {r[0] for r in con.execute("SELECT artist_id FROM artists").fetchall()}
        assert artists_of_items <= artists


def test_refresh_refetches_only_stale_artists_and_records_what_changed(catalog, tmp_path):
    truth = dict(pl.read_parquet(catalog / "artists.parquet").select("artist_id", "popularity").iter_rows())
    with running_emulator(catalog) as emu:
        settings = crawl_settings(tmp_path / "var", emu)
        with Writer(settings.warehouse_file) as w:
            genre = pl.read_parquet(catalog / "artist_genres.parquet")["genre"].mode()[0]
            assert run_crawl(settings, w, seeds=f"genre:{genre}", progress=False).status == "completed"
            con = w.con
            ids = [r[0] for r in con.execute(
                "SELECT artist_id FROM artists WHERE popularity IS NOT NULL ORDER BY artist_id LIMIT 60").fetchall()]
            assert len(ids) == 60
            stale, changed = ids, ids[:20]
            with w.transaction() as tx:
                # 60 artists look fetched 30 days ago; 20 of them hold a popularity the API no longer has.
                tx.execute("UPDATE artists SET first_seen_at = first_seen_at - INTERVAL 30 DAY "
                           "WHERE list_contains(?, artist_id)", [stale])
                tx.execute("UPDATE artists SET popularity = popularity + 7 WHERE list_contains(?, artist_id)", [changed])
            obs_before = dict(con.execute("SELECT artist_id, count(*) FROM artist_observations GROUP BY 1").fetchall())

            result = run_crawl(settings, w, refresh_older_than=timedelta(days=7), progress=False)
            assert result.status == "completed", result
            # Batches of 50 artists: 60 stale artists are 2 requests, fresh ones are not fetched again.
            assert result.requests == 2, result
            now = dict(con.execute("SELECT artist_id, popularity FROM artists WHERE list_contains(?, artist_id)",
                                   [stale]).fetchall())
            assert all(now[a] == truth[a] for a in stale)  # the API's value is back
            obs_after = dict(con.execute("SELECT artist_id, count(*) FROM artist_observations GROUP BY 1").fetchall())
            grew = {a for a in obs_after if obs_after[a] > obs_before.get(a, 0)}
            assert grew == set(changed)  # a change appends an observation; no change appends nothing
            latest = dict(con.execute("SELECT artist_id, arg_max(popularity, observed_at) FROM artist_observations "
                                      "WHERE list_contains(?, artist_id) GROUP BY 1", [changed]).fetchall())
            assert all(latest[a] == truth[a] for a in changed)

            # A second refresh right away finds nothing stale.
            again = run_crawl(settings, w, refresh_older_than=timedelta(days=7), progress=False)
            assert again.status == "completed" and again.requests == 0, again
