"""Writing crawled records into the silver tables, order-independently.

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
from typing import Any, Sequence

import duckdb
import pyarrow as pa

from warehouse import insert_rows

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


def _arrow(rows: Sequence[dict[str, Any]]) -> pa.Table:
    cols = list(rows[0].keys())
    arrays = {}
    for c in cols:
        values = [r.get(c) for r in rows]
        arrays[c] = pa.array(values, type=_ARROW_TYPES.get(c)) if c in _ARROW_TYPES else pa.array(values)
    arrays["_ord"] = pa.array(range(len(rows)), pa.int64())
    return pa.table(arrays)


def merge(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]], now: datetime, *,
          fill: bool = False) -> tuple[int, int]:
    """Insert ``rows`` or update the stored rows with the same key; NULLs never erase values.

    ``fill``: the rows come from a simplified object (an album in a discography page, a track in an
    album listing), so they only fill columns that are NULL; a full object's values always win.
    Either way the result does not depend on which shape arrived first.

    :returns: (rows inserted, stored rows updated)."""
    if not rows:
        return 0, 0
    key, first_seen, updated = SILVER[table]
    rows = [dict(r) for r in rows]
    for r in rows:
        if first_seen:
            r["first_seen_at"] = now
        if updated:
            r["updated_at"] = now
    data = _arrow(rows)
    name = f"_merge_{next(_counter)}"
    con.register(name, data)
    try:
        cols = [c for c in data.column_names if c != "_ord"]
        keys = ", ".join(key)
        values = [c for c in cols if c not in key and c not in ("first_seen_at", "updated_at")]
        dedup = (f"SELECT {', '.join(cols)} FROM {name} "
                 f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _ord DESC) = 1")
        insert = f"INSERT INTO {table} BY NAME ({dedup}) ON CONFLICT ({keys}) DO NOTHING"
        # Two statements, so DuckDB counts each kind apart (one upsert answers inserted + updated
        # together): first the new keys, then the changes to the rows that were stored before; the
        # rows just inserted already hold the incoming values, so the second leaves them alone.
        inserted = _count(con.execute(insert))
        if not values or inserted == len({tuple(r[k] for k in key) for r in rows}):
            return inserted, 0  # nothing was stored before: nothing to update
        first, second = (f"{table}.{{c}}", "EXCLUDED.{c}") if fill else ("EXCLUDED.{c}", f"{table}.{{c}}")
        merged = {c: f"COALESCE({first.format(c=c)}, {second.format(c=c)})" for c in values}
        sets = [f"{c} = {merged[c]}" for c in values]
        if updated:
            sets.append("updated_at = EXCLUDED.updated_at")
        old = ", ".join(f"{table}.{c}" for c in values)
        new = ", ".join(merged[c] for c in values)
        updated_rows = _count(con.execute(
            f"INSERT INTO {table} BY NAME ({dedup}) ON CONFLICT ({keys}) DO UPDATE SET {', '.join(sets)} "
            f"WHERE ({old}) IS DISTINCT FROM ({new})"))
        return inserted, updated_rows
    finally:
        con.unregister(name)


def _count(cursor) -> int:
    """The row count a DuckDB INSERT answers (rows inserted, plus rows updated by ON CONFLICT)."""
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
            FROM (SELECT * FROM {name} QUALIFY row_number() OVER (PARTITION BY artist_id ORDER BY _ord DESC) = 1) i
            LEFT JOIN artists a USING (artist_id)
            WHERE a.artist_id IS NULL
               OR (a.popularity, a.followers, a.genres) IS DISTINCT FROM
                  (COALESCE(i.popularity, a.popularity), COALESCE(i.followers, a.followers), COALESCE(i.genres, a.genres))
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
            FROM (SELECT * FROM {name} QUALIFY row_number() OVER (PARTITION BY track_id ORDER BY _ord DESC) = 1) i
            LEFT JOIN tracks t USING (track_id)
            WHERE t.popularity IS DISTINCT FROM i.popularity
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
