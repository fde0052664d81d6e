"""Writing crawled records into the silver tables, order-independently; and the ``crawl_runs`` rows.

The same entity arrives in several shapes (an album from a discography page lacks the label a
full album object has; a track from an album listing lacks the popularity a full track has).
Merges therefore keep a stored value when the incoming one is NULL, so the final content does not
depend on which shape arrived first — the property that lets a killed-and-resumed crawl end
identical to an uninterrupted one. Unchanged rows are not rewritten. Artists and tracks whose
popularity, followers or genres changed get an observation row.

Every write reports what it stored, counted by the database: rows inserted (keys new to the table)
and rows updated (stored rows whose values changed); rows that repeat what is stored count as neither.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any, NamedTuple, Sequence

import duckdb
import pyarrow as pa

from ingest.spotify import utcnow
from warehouse import close_abandoned_runs, insert_rows, several_writers, upsert

_counter = itertools.count()

# table -> (key columns, has first_seen_at, has updated_at); every other column merges with COALESCE
SILVER: dict[str, tuple[tuple[str, ...], bool, bool]] = {
    "artists": (("artist_id",), True, True),
    "albums": (("album_id",), False, True),
    "album_artists": (("album_id", "artist_id"), False, False),
    "tracks": (("track_id",), False, True),
    "track_artists": (("track_id", "artist_id"), False, False),
    "audio_features": (("track_id",), False, False),
    "playlists": (("playlist_id",), False, True),
    "playlist_items": (("playlist_id", "position"), False, False),
    "genres": (("genre",), True, False),
    "artist_genre_hits": (("genre", "artist_id"), True, False),
}

_ARROW_TYPES = {"genres": pa.list_(pa.string())}


def _arrow(rows: Sequence[dict[str, Any]], *, order: bool = True) -> pa.Table:
    """``rows`` as Arrow (``order``: with their position in ``_ord``, for keep-the-last)."""
    cols = list(rows[0].keys())
    arrays = {}
    for c in cols:
        values = [r.get(c) for r in rows]
        arrays[c] = pa.array(values, type=_ARROW_TYPES.get(c)) if c in _ARROW_TYPES else pa.array(values)
    if order:
        arrays["_ord"] = pa.array(range(len(rows)), pa.int64())
    return pa.table(arrays)


def merge(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]], now: datetime, *,
          fill: bool = False) -> tuple[int, int]:
    """Insert ``rows`` or update the stored rows with the same key; NULLs never erase values.

    ``fill``: the rows come from a simplified object (an album in a discography page, a track in an
    album listing), so they only fill columns that are NULL; a full object's values always win.
    Either way the result does not depend on which shape arrived first.

    :returns: (rows inserted, stored rows updated), as :func:`warehouse.upsert` counts them."""
    if not rows:
        return 0, 0
    key, first_seen, updated = SILVER[table]
    rows = [dict(r) for r in rows]
    for r in rows:
        if first_seen:
            r["first_seen_at"] = now
        if updated:
            r["updated_at"] = now
    result = upsert(con, table, _arrow(rows, order=False), key, mode="fill" if fill else "coalesce")
    return result.inserted, result.updated


def _count(cursor) -> int:
    """The row count a DuckDB INSERT answers."""
    row = cursor.fetchall()
    return int(row[0][0]) if row else 0


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def add_counts(totals: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    """Add ``counts`` ({table: rows}) into ``totals``, in place; returns ``totals``."""
    for table, n in counts.items():
        totals[table] = totals.get(table, 0) + n
    return totals


def counts_json(totals: dict[str, int], more: dict[str, int] | None = None) -> str:
    """``totals`` plus ``more`` as the JSON of ``crawl_runs.rows_inserted`` / ``rows_updated``."""
    return json.dumps(add_counts(dict(totals), more or {}), sort_keys=True)


def observe_artists(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]], now: datetime) -> int:
    """Append artist_observations for artists whose popularity, followers or genres are new or changed;
    returns the rows appended.

    Call *before* merging the rows into ``artists``.
    """
    rows = [r for r in rows if r.get("popularity") is not None or r.get("followers") is not None
            or r.get("genres") is not None]
    if not rows:
        return 0
    data = _arrow([{k: r.get(k) for k in ("artist_id", "popularity", "followers", "genres", "source")}
                   for r in rows])
    name = f"_obs_{next(_counter)}"
    con.register(name, data)
    try:
        return _count(con.execute(f"""
            INSERT INTO artist_observations (artist_id, observed_at, popularity, followers, genres, source)
            SELECT i.artist_id, ?, i.popularity, i.followers, i.genres, i.source
            FROM (SELECT *, row_number() OVER (PARTITION BY artist_id ORDER BY _ord DESC) AS _last FROM {name}) i
            LEFT JOIN artists a USING (artist_id)
            WHERE i._last = 1 AND (a.artist_id IS NULL
               OR (a.popularity, a.followers, a.genres) IS DISTINCT FROM
                  (COALESCE(i.popularity, a.popularity), COALESCE(i.followers, a.followers), COALESCE(i.genres, a.genres)))
            ON CONFLICT DO NOTHING""", [now]))
    finally:
        con.unregister(name)


def observe_tracks(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]], now: datetime) -> int:
    """Append track_observations for tracks whose popularity is new or changed (call before merging);
    returns the rows appended."""
    rows = [r for r in rows if r.get("popularity") is not None]
    if not rows:
        return 0
    data = _arrow([{"track_id": r["track_id"], "popularity": r["popularity"], "source": r["source"]} for r in rows])
    name = f"_obs_{next(_counter)}"
    con.register(name, data)
    try:
        return _count(con.execute(f"""
            INSERT INTO track_observations (track_id, observed_at, popularity, source)
            SELECT i.track_id, ?, i.popularity, i.source
            FROM (SELECT *, row_number() OVER (PARTITION BY track_id ORDER BY _ord DESC) AS _last FROM {name}) i
            LEFT JOIN tracks t USING (track_id)
            WHERE i._last = 1 AND t.popularity IS DISTINCT FROM i.popularity
            ON CONFLICT DO NOTHING""", [now]))
    finally:
        con.unregister(name)


def record_responses(con: duckdb.DuckDBPyConnection, responses, run_id: str, source: str) -> None:
    """Bronze: every final response of a unit (URL without credentials, status, body text)."""
    if not responses:
        return
    insert_rows(con, "raw_responses", [
        {"run_id": run_id, "requested_at": r.requested_at, "method": r.method, "url": r.url,
         "endpoint": r.endpoint, "status": r.status, "body": r.text, "source": source}
        for r in responses
    ])


def record_rejects(con: duckdb.DuckDBPyConnection, rejects: Sequence[dict[str, Any]], now: datetime) -> None:
    if rejects:
        insert_rows(con, "rejects", [{**r, "rejected_at": now} for r in rejects])


# ── crawl_runs: one row per run, opened at the start, updated at every commit, closed at the end ──
class Pause(NamedTuple):
    """A pause the API asked for that is still in force, and the run it asked."""

    until: datetime
    run_id: str


def paused_until(con: duckdb.DuckDBPyConnection) -> Pause | None:
    """The pause recorded by an earlier run that is still in force (the latest, if several)."""
    row = (con.execute(
        "SELECT paused_until, run_id FROM crawl_runs WHERE paused_until > ? ORDER BY paused_until DESC LIMIT 1",
        [utcnow()]).fetchall()[:1] or [None])[0]
    return Pause(row[0], row[1]) if row else None


def open_run(con: duckdb.DuckDBPyConnection, run_id: str, api_url: str, seeds: str | None) -> None:
    """Record a new run as running; with one writer (DuckDB), a run still marked running belongs to a
    process that died, so it is closed as failed. With several (PostgreSQL) it may be another live
    worker's: only runs whose worker stopped its heartbeat are closed."""
    if not several_writers(con):
        con.execute("UPDATE crawl_runs SET status = 'failed', ended_at = coalesce(ended_at, ?), "
                    "message = 'the process ended without closing the run (killed?)' WHERE status = 'running'",
                    [utcnow()])
    else:
        close_abandoned_runs(con)
    now = utcnow()
    con.execute("INSERT INTO crawl_runs (run_id, started_at, status, api_url, seeds, worker_id, heartbeat_at) "
                "VALUES (?, ?, 'running', ?, ?, ?, ?)",
                [run_id, now, api_url, seeds, getattr(con, "worker_id", None) if several_writers(con) else None,
                 now if several_writers(con) else None])


def record_mode(con: duckdb.DuckDBPyConnection, run_id: str, mode: str) -> None:
    con.execute("UPDATE crawl_runs SET mode = ? WHERE run_id = ?", [mode, run_id])


def record_progress(con: duckdb.DuckDBPyConnection, run_id: str, *, requests: int, responses_429: int,
                    errors: int, inserted: str, updated: str) -> None:
    """The run's counters so far (``inserted``/``updated``: :func:`counts_json`), with each commit."""
    con.execute("UPDATE crawl_runs SET requests = ?, responses_429 = ?, errors = ?, rows_inserted = ?, "
                "rows_updated = ? WHERE run_id = ?", [requests, responses_429, errors, inserted, updated, run_id])


def close_run(con: duckdb.DuckDBPyConnection, result) -> None:
    """Record how a run ended (``result``: its ``CrawlResult``)."""
    con.execute(
        "UPDATE crawl_runs SET ended_at = ?, status = ?, mode = ?, requests = ?, responses_429 = ?, "
        "errors = ?, rows_inserted = ?, rows_updated = ?, paused_until = ?, message = ? WHERE run_id = ?",
        [utcnow(), result.status, result.mode, result.requests, result.responses_429, result.errors,
         counts_json(result.inserted), counts_json(result.updated), result.paused_until,
         result.message[:1000], result.run_id])
