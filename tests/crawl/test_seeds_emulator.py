"""Quoted seeds, the capability probe and honest row counts, as a user meets them: `genrestore crawl`
and `genrestore jobs run crawl` in subprocesses against a real emulator (issue 13, items 6 and 8)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.emulator.running import running_emulator, synthetic_catalog
from ingest.spotify import Capabilities, save_capabilities
from ingest.spotify._capabilities import client_hash
from ingest.spotify._client import utcnow
from jobs import load_settings
from warehouse import Writer

from ._support import cli_env, crawl_cmd

pytestmark = pytest.mark.slow

# Every table the crawl counts, with the rows it stored.
COUNTED = ["artists", "genres", "artist_genre_hits", "albums", "album_artists", "tracks", "track_artists",
           "audio_features", "playlists", "playlist_items", "artist_observations", "track_observations"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """100 artists; its tags include multi-word genres but not "rock", the probe's fixed genre."""
    return synthetic_catalog(tmp_path_factory.getbasetemp(), artists=100, seed=7)


@pytest.fixture(scope="module")
def genre(catalog) -> str:
    """The most common multi-word genre of the catalog (the reported case was "dance pop")."""
    counts = pl.read_parquet(catalog / "artist_genres.parquet").group_by("genre").len()
    multi = counts.filter(pl.col("genre").str.contains(" ")).sort(["len", "genre"], descending=[True, False])
    assert multi["len"][0] >= 3
    return multi["genre"][0]


def tagged_with(catalog: Path, genre: str) -> set[str]:
    ag = pl.read_parquet(catalog / "artist_genres.parquet")
    return set(ag.filter(pl.col("genre").str.to_lowercase() == genre)["artist_id"].to_list())


def end_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("crawl crawl-")]
    assert len(lines) == 1, stderr
    return lines[0]


def end_line_counts(stderr: str) -> tuple[dict[str, int], dict[str, int]]:
    """The ``rows inserted: t n, ...; rows updated: ...`` parts of the crawl's end line."""
    line = end_line(stderr)
    out = []
    for part in ("inserted", "updated"):
        text = re.search(rf"rows {part}: (.*?);", line).group(1)
        pairs = [] if text == "none" else [p.rsplit(" ", 1) for p in text.split(", ")]
        out.append({t: int(n.replace(",", "")) for t, n in pairs})
    return out[0], out[1]


def stored_counts(con) -> dict[str, int]:
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in COUNTED}
    return {t: n for t, n in counts.items() if n}


def read(var: Path, sql: str, params=()):
    with duckdb.connect(str(var / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def latest_caps(var: Path) -> dict:
    return json.loads(read(var, "SELECT details FROM capabilities ORDER BY probed_at DESC LIMIT 1")[0][0])


def crawl(emu, var: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "jobs", "--var", str(var), "crawl", "--no-progress", *args]
    return subprocess.run(cmd, env=cli_env(emu), capture_output=True, text=True, timeout=300)


def store_capabilities(var: Path, emu, details: dict) -> None:
    """A capabilities row for the emulator's credentials, as an earlier run would have stored it."""
    settings = load_settings(var_dir=var)
    with Writer(settings.warehouse_file) as w:
        w.con.execute("INSERT INTO capabilities (probed_at, api_url, client_hash, mode, details) VALUES (?, ?, ?, ?, ?)",
                      [utcnow(), emu.api_url, client_hash(emu.client_id), details["mode"], json.dumps(details)])


@pytest.mark.parametrize("mode", ["extended", "development"])
def test_quoted_genre_seed_finds_its_artists_and_the_end_line_counts_the_rows_stored(catalog, genre, mode, tmp_path):
    var = tmp_path / "var"
    with running_emulator(catalog, mode=mode) as emu:
        proc = subprocess.run(crawl_cmd(var, f'genre:"{genre}"'), env=cli_env(emu), capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        again = crawl(emu, var, "--refresh-older-than", "0")
        assert again.returncode == 0, again.stderr
    hits = {r[0] for r in read(var, "SELECT artist_id FROM artist_genre_hits WHERE genre = ?", [genre])}
    assert hits == tagged_with(catalog, genre)  # every artist tagged with it, found by the genre filter
    assert read(var, "SELECT count(*) FROM genres WHERE genre = ?", [genre]) == [(1,)]
    quoted = read(var, """SELECT count(*) FROM (SELECT genre FROM genres UNION ALL SELECT genre FROM artist_genre_hits)
                          WHERE genre LIKE '%"%' OR genre LIKE '''%'""")
    assert quoted == [(0,)]
    assert read(var, "SELECT seeds FROM crawl_runs ORDER BY started_at LIMIT 1") == [(f"genre:{genre}",)]

    inserted, updated = end_line_counts(proc.stderr)
    with duckdb.connect(str(var / "warehouse.duckdb"), read_only=True) as con:
        stored = stored_counts(con)
        runs = con.execute("SELECT rows_inserted, rows_updated FROM crawl_runs ORDER BY started_at").fetchall()
    assert stored["artists"] >= len(hits) and stored["tracks"] > 0
    # The first run started on an empty warehouse: what it says it inserted is what is stored.
    assert inserted == stored
    assert json.loads(runs[0][0]) == inserted and json.loads(runs[0][1]) == updated
    assert set(updated) <= set(inserted) - {"artist_observations", "track_observations"}
    status = subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "crawl", "status", "--json"],
                            env=cli_env(emu), capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    first_run = json.loads(status.stdout)["runs"][-1]
    assert first_run["rows_inserted"] == inserted and first_run["rows_updated"] == updated
    # The refresh re-fetched every artist and found them unchanged: nothing inserted, nothing updated.
    inserted2, updated2 = end_line_counts(again.stderr)
    assert "artists" not in inserted2 and "artists" not in updated2, again.stderr
    assert sum(inserted2.values()) == 0 and json.loads(runs[1][0]) == inserted2
    assert re.search(r"([\d,]+) requests", end_line(again.stderr)).group(1) != "0"


def test_the_probe_ignores_a_seed_that_finds_nothing_and_the_next_crawl_still_uses_the_genre_filter(
        catalog, genre, tmp_path):
    var = tmp_path / "var"
    with running_emulator(catalog, mode="development") as emu:
        first = crawl(emu, var, "--seeds", 'genre:"nothing at all"')
        assert first.returncode == 0, first.stderr
        probe = latest_caps(var)
        with duckdb.connect(str(var / "warehouse.duckdb"), read_only=True) as con:
            before = stored_counts(con)
        # A job, within the 24 h the probe is reused, with quotes as a user types them in -o.
        job = subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "jobs", "run", "crawl", "-o",
                              f"seeds='genre:{genre}', genre:\"nothing at all\"", "--json"],
                             env=cli_env(emu), capture_output=True, text=True, timeout=300)
        assert job.returncode == 0, job.stderr
    # Zero hits for the fixed probe genre (absent from this catalog) prove nothing: unknown, not absent.
    assert probe["probe_genre"] == "rock" and probe["genre_filter"] is None and probe["version"] == 2
    record = json.loads(job.stdout)
    assert record["status"] == "succeeded", record
    assert record["options"]["seeds"] == [f"genre:{genre}", "genre:nothing at all"]
    hits = {r[0] for r in read(var, "SELECT artist_id FROM artist_genre_hits WHERE genre = ?", [genre])}
    assert hits == tagged_with(catalog, genre)
    assert latest_caps(var)["genre_filter"] is True  # learnt from the first filtered search with results
    assert [r[0] for r in read(var, "SELECT details FROM capabilities") if json.loads(r[0])["genre_filter"] is False] == []
    # The job's counts are the rows it added to what the first run had stored.
    with duckdb.connect(str(var / "warehouse.duckdb"), read_only=True) as con:
        after = stored_counts(con)
    assert record["counts"]["inserted"] == {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}


def test_the_probe_records_the_genre_filter_with_its_fixed_genre_whatever_the_seed(tmp_path_factory, tmp_path):
    big = synthetic_catalog(tmp_path_factory.getbasetemp(), artists=2000, seed=7)  # "rock" is one of its tags
    var = tmp_path / "var"
    with running_emulator(big, mode="development") as emu:
        proc = crawl(emu, var, "--seeds", "genre:no such genre", "--max-requests", "30")
    assert proc.returncode == 0, proc.stderr
    first = json.loads(read(var, "SELECT details FROM capabilities ORDER BY probed_at LIMIT 1")[0][0])
    assert first["genre_filter"] is True and first["probe_genre"] == "rock" and first["mode"] == "development"
    assert int(re.search(r"([\d,]+) requests", end_line(proc.stderr)).group(1)) > first["probe_requests"]


def test_a_stored_probe_of_the_old_version_is_probed_again(catalog, genre, tmp_path):
    """The reported state: a probe that tried the quoted seed stored "no genre filter" for 24 h."""
    var = tmp_path / "var"
    with running_emulator(catalog, mode="development") as emu:
        old = {"album_page": 10, "audio_features": False, "batch_albums": False, "batch_artists": False,
               "batch_tracks": False, "followers": False, "genre_filter": False, "genres": False,
               "mode": "development", "playlist_items": True, "popularity": False, "probe_requests": 8,
               "search_limit": 10, "statuses": {"genre_filter": 200}}
        store_capabilities(var, emu, old)
        proc = crawl(emu, var, "--seeds", f'genre:"{genre}"')
    assert proc.returncode == 0, proc.stderr
    assert read(var, "SELECT count(*) FROM capabilities") >= [(2,)]  # probed again, not reused
    hits = {r[0] for r in read(var, "SELECT artist_id FROM artist_genre_hits WHERE genre = ?", [genre])}
    assert hits == tagged_with(catalog, genre)
    assert latest_caps(var)["genre_filter"] is True


def test_a_stored_capability_contradicted_by_a_response_is_updated_and_tested_again(catalog, tmp_path):
    """Stored (current version): no genres, no genre filter. The API then serves artist genres."""
    ag = pl.read_parquet(catalog / "artist_genres.parquet")
    artist = ag.group_by("artist_id").len().sort(["len", "artist_id"], descending=[True, False])["artist_id"][0]
    var = tmp_path / "var"
    with running_emulator(catalog, mode="development", dev_genres=True) as emu:
        caps = Capabilities(mode="development", search_limit=10, album_page=10, batch_artists=False,
                            batch_tracks=False, batch_albums=False, audio_features=False, genres=False,
                            popularity=False, followers=False, genre_filter=False)
        settings = load_settings(var_dir=var)
        with Writer(settings.warehouse_file) as w:
            save_capabilities(w.con, caps, emu.api_url, emu.client_id)
        proc = crawl(emu, var, "--seeds", f"artist:{artist}")
    assert proc.returncode == 0, proc.stderr
    assert "capability genres was False, a response shows True" in proc.stderr
    now = latest_caps(var)
    assert now["genres"] is True and now["genre_filter"] is True
    assert read(var, "SELECT count(*) FROM raw_responses WHERE url LIKE '%limit=11%'") == [(0,)]  # not re-probed
    tags = set(ag.filter(pl.col("artist_id") == artist)["genre"].str.to_lowercase().to_list())
    searched = {r[0] for r in read(var, "SELECT DISTINCT genre FROM artist_genre_hits")}
    assert tags <= searched  # its genres were searched with the filter, and found
    assert read(var, "SELECT count(genres) FROM artists")[0][0] > 0
