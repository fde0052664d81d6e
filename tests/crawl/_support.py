"""Shared pieces of the crawler's emulator tests: settings, reachability, content hashes, greps."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import duckdb
import httpx
import polars as pl

from jobs import load_settings
from warehouse import content_hash, table_fingerprints

REPO = Path(__file__).resolve().parents[2]

# The silver tables the crawler writes; their content is compared without the touch timestamps.
SILVER = ["artists", "albums", "album_artists", "tracks", "track_artists", "audio_features", "genres",
          "artist_genre_hits", "artist_observations", "track_observations", "playlists", "playlist_items"]
TIMESTAMPS = {"first_seen_at", "updated_at", "observed_at"}


def crawl_settings(var_dir: Path, emu, **crawl):
    crawl.setdefault("budget_per_window", 1_000_000)
    crawl.setdefault("timeout", 2.0)
    crawl.setdefault("concurrency", 8)
    return load_settings(var_dir=var_dir, api_url=emu.api_url, token_url=emu.token_url,
                         client_id=emu.client_id, client_secret=emu.client_secret, crawl=crawl)


def silver_hash(con: duckdb.DuckDBPyConnection, *, per_table: bool = False):
    """warehouse.content_hash of the silver tables, without when-it-was-written columns
    (``per_table``: the (rows, hash) fingerprint of each table instead, to see which one differs)."""
    con.execute("ATTACH ':memory:' AS cmp")
    try:
        for t in SILVER:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
                "ORDER BY column_index", [t]).fetchall() if r[0] not in TIMESTAMPS]
            con.execute(f"CREATE TABLE cmp.{t} AS SELECT {', '.join(cols)} FROM {t}")
        if per_table:
            return table_fingerprints(con, "cmp", SILVER)
        return content_hash(con, database="cmp", tables=SILVER)
    finally:
        con.execute("DETACH cmp")


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    keys = {"artists": "artist_id", "albums": "album_id", "tracks": "track_id", "audio_features": "track_id",
            "album_artists": "album_id, artist_id", "track_artists": "track_id, artist_id", "genres": "genre"}
    out = {}
    for t, k in keys.items():
        n = con.execute(f"SELECT count(*) - count(DISTINCT ({k})) FROM {t}").fetchall()[0][0]
        if n:
            out[t] = n
    return out


def reachable_artists(catalog: Path, seed_genres: list[str]) -> set[str]:
    """Artists reachable from genre seeds through the catalog's own relations (what a perfect crawl finds):
    genre → artists tagged with it → their tags; artist → albums it is credited on (album or track
    credit) → every artist credited on those albums and their tracks."""
    ag = pl.read_parquet(catalog / "artist_genres.parquet").with_columns(pl.col("genre").str.to_lowercase())
    aa = pl.read_parquet(catalog / "album_artists.parquet").select("album_id", "artist_id")
    tr = pl.read_parquet(catalog / "tracks.parquet").select("track_id", "album_id")
    ta = pl.read_parquet(catalog / "track_artists.parquet").select("track_id", "artist_id")
    credits = pl.concat([aa, ta.join(tr, on="track_id").select("album_id", "artist_id")]).unique()
    by_genre: dict[str, set[str]] = {}
    genres_of: dict[str, set[str]] = {}
    for a, g in ag.select("artist_id", "genre").iter_rows():
        by_genre.setdefault(g, set()).add(a)
        genres_of.setdefault(a, set()).add(g)
    albums_of: dict[str, set[str]] = {}
    artists_on: dict[str, set[str]] = {}
    for al, a in credits.iter_rows():
        albums_of.setdefault(a, set()).add(al)
        artists_on.setdefault(al, set()).add(a)
    seen_g: set[str] = set()
    seen_a: set[str] = set()
    seen_al: set[str] = set()
    todo_g = [g.lower() for g in seed_genres]
    todo_a: list[str] = []
    while todo_g or todo_a:
        while todo_g:
            g = todo_g.pop()
            if g in seen_g:
                continue
            seen_g.add(g)
            todo_a.extend(by_genre.get(g, ()))
        while todo_a:
            a = todo_a.pop()
            if a in seen_a:
                continue
            seen_a.add(a)
            todo_g.extend(genres_of.get(a, ()))
            for al in albums_of.get(a, ()):
                if al not in seen_al:
                    seen_al.add(al)
                    todo_a.extend(artists_on.get(al, ()))
    return seen_a


def top_genres(catalog: Path, n: int, skip: int = 0) -> list[str]:
    ag = pl.read_parquet(catalog / "artist_genres.parquet")
    counts = ag.group_by("genre").len().sort(["len", "genre"], descending=[True, False])
    return counts["genre"].to_list()[skip:skip + n]


class RecordingTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that remembers (time, status, endpoint, bearer token) of every exchange."""

    def __init__(self):
        self.inner = httpx.AsyncHTTPTransport()
        self.events: list[tuple[float, int, str]] = []
        self.tokens: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            self.tokens.add(auth[len("Bearer "):])
        resp = await self.inner.handle_async_request(request)
        self.events.append((time.monotonic(), resp.status_code, request.url.path))
        return resp

    async def aclose(self) -> None:
        await self.inner.aclose()


def cli_env(emu, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    env.update(PYTHONPATH=str(REPO), GENRESTORE_API_URL=emu.api_url, SPOTIFY_CLIENT_ID=emu.client_id,
               SPOTIFY_CLIENT_SECRET=emu.client_secret, GENRESTORE_CRAWL__BUDGET_PER_WINDOW="1000000",
               GENRESTORE_CRAWL__TIMEOUT="2")
    env.update(extra)
    return env


def crawl_cmd(var_dir: Path, seeds: str) -> list[str]:
    return [sys.executable, "-m", "jobs", "--var", str(var_dir), "crawl", "--seeds", seeds, "--no-progress"]


def text_hits(con: duckdb.DuckDBPyConnection, needles: list[str]) -> list[tuple[str, str]]:
    """(table, column) pairs where any row's text contains one of ``needles``."""
    hits = []
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND NOT internal").fetchall():
        for needle in needles:
            n = con.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ?',
                            [f"%{needle}%"]).fetchall()[0][0]
            if n:
                hits.append((table, column))
    return hits


def reference_crawl(catalog: Path, seeds: str, var_dir: Path) -> dict:
    """One uninterrupted, fault-free, single-process crawl of ``catalog`` into DuckDB: what every
    interrupted, paused or multi-worker crawl of the same catalog and seeds must end with."""
    from ingest.crawl import run_crawl
    from ingest.emulator.running import running_emulator
    from warehouse import Writer

    with running_emulator(catalog) as emu:
        settings = crawl_settings(var_dir, emu)
        with Writer(settings.warehouse_file) as w:
            result = run_crawl(settings, w, seeds=seeds, progress=False)
            assert result.status == "completed", result
            count = lambda table: w.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: E731
            return {"hash": silver_hash(w.con), "tables": silver_hash(w.con, per_table=True),
                    "artists": count("artists"), "tracks": count("tracks"), "seconds": result.seconds,
                    "requests": result.requests}
