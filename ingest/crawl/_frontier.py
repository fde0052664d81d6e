"""The crawl frontier: units of work in ``crawl_queue``, picked in batches, finished with their data.

A unit is ``(kind, key)`` with JSON ``params`` (the next page offset). Units are enqueued with
``ON CONFLICT DO NOTHING``, so a unit is fetched once per crawl, ever — a second run with the
same seeds finds nothing to do. Claims live in memory only: a killed process leaves its in-flight
units ``pending`` and the next run fetches them (their results were never committed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence

import duckdb

# Order of preference when several kinds have work: full batches first (cheapest per entity),
# then discovery pages. Higher runs first.
KIND_PRIORITY = {
    "refresh": 90, "artist": 80, "album": 75, "track": 70, "audio_features": 65,
    "search_genre": 50, "search_artists": 50, "playlist_search": 50, "playlist": 48,
    "playlist_items": 45, "artist_albums": 40, "album_tracks": 40,
}
KINDS = tuple(KIND_PRIORITY)
MAX_UNIT_ATTEMPTS = 3


@dataclass(frozen=True)
class Unit:
    kind: str
    key: str
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def ident(self) -> tuple[str, str]:
        return (self.kind, self.key)


@dataclass
class NewUnit:
    kind: str
    key: str
    params: dict | None = None
    priority: int = 0


def enqueue(con: duckdb.DuckDBPyConnection, units: Iterable[NewUnit], now: datetime, *,
            skip_known_artists: bool = True) -> int:
    """Add units not seen before (a unit already queued, done or failed is left alone)."""
    rows = {}
    for u in units:
        rows.setdefault((u.kind, u.key), {
            "kind": u.kind, "key": u.key, "params": json.dumps(u.params) if u.params else None,
            "state": "pending", "priority": u.priority, "attempts": 0, "enqueued_at": now,
        })
    if not rows:
        return 0
    before = con.execute("SELECT count(*) FROM crawl_queue").fetchone()[0]
    name = "_new_units"
    import pyarrow as pa

    data = pa.Table.from_pylist(list(rows.values()))
    con.register(name, data)
    try:
        # An artist already stored from a full object needs no artist fetch.
        known = ("AND NOT (n.kind = 'artist' AND EXISTS (SELECT 1 FROM artists a WHERE a.artist_id = n.key))"
                 if skip_known_artists else "")
        con.execute(f"""
            INSERT INTO crawl_queue BY NAME
            SELECT n.kind, n.key, n.params, n.state, n.priority, n.attempts, n.enqueued_at
            FROM {name} n WHERE TRUE {known}
            ON CONFLICT DO NOTHING""")
    finally:
        con.unregister(name)
    return con.execute("SELECT count(*) FROM crawl_queue").fetchone()[0] - before


def requeue(con: duckdb.DuckDBPyConnection, kind: str, keys: Sequence[str], now: datetime) -> int:
    """Make finished units pending again (refresh), adding the ones never queued."""
    if not keys:
        return 0
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _requeue (key VARCHAR)")
    con.execute("DELETE FROM _requeue")
    con.executemany("INSERT INTO _requeue VALUES (?)", [[k] for k in keys])
    con.execute("""
        INSERT INTO crawl_queue (kind, key, state, priority, attempts, enqueued_at)
        SELECT ?, key, 'pending', 0, 0, ? FROM _requeue
        ON CONFLICT (kind, key) DO UPDATE SET state = 'pending', attempts = 0, params = NULL,
            enqueued_at = EXCLUDED.enqueued_at, last_error = NULL""", [kind, now])
    return len(keys)


def pending_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.execute(
        "SELECT kind, count(*) FROM crawl_queue WHERE state = 'pending' GROUP BY kind").fetchall())


def pick(con: duckdb.DuckDBPyConnection, batch_sizes: dict[str, int], claimed: set[tuple[str, str]],
         *, allow_partial: bool) -> tuple[list[Unit], dict[str, int]]:
    """The next units to fetch: one unit, or up to a batch of one batchable kind.

    A batch kind is only taken with fewer than a full batch when ``allow_partial`` (nothing else is
    in flight that could still add to it), so batch calls go out as full as the frontier allows.
    """
    counts = pending_counts(con)
    in_claim: dict[str, int] = {}
    for kind, _ in claimed:
        in_claim[kind] = in_claim.get(kind, 0) + 1
    available = {k: n - in_claim.get(k, 0) for k, n in counts.items()}
    available = {k: n for k, n in available.items() if n > 0 and k in batch_sizes}
    if not available:
        return [], counts
    full = [k for k, n in available.items() if n >= batch_sizes[k] or batch_sizes[k] == 1]
    choices = full or (list(available) if allow_partial else [])
    if not choices:
        return [], counts
    kind = max(choices, key=lambda k: (KIND_PRIORITY.get(k, 0), k))
    size = batch_sizes[kind]
    rows = con.execute(
        "SELECT key, params FROM crawl_queue WHERE state = 'pending' AND kind = ? "
        "ORDER BY priority DESC, enqueued_at, key LIMIT ?",
        [kind, size + in_claim.get(kind, 0)],
    ).fetchall()
    units = [Unit(kind, k, json.loads(p) if p else {}) for k, p in rows if (kind, k) not in claimed]
    return units[:size], counts


def finish(con: duckdb.DuckDBPyConnection, units: Sequence[Unit], now: datetime, run_id: str) -> None:
    """Mark units done (in the transaction that wrote their results)."""
    for u in units:
        con.execute("UPDATE crawl_queue SET state = 'done', done_at = ?, run_id = ?, params = NULL, "
                    "attempts = attempts + 1, last_error = NULL WHERE kind = ? AND key = ?",
                    [now, run_id, u.kind, u.key])


def advance(con: duckdb.DuckDBPyConnection, unit: Unit, params: dict, run_id: str) -> None:
    """Keep a paged unit pending with the offset of its next page (committed with this page's data)."""
    con.execute("UPDATE crawl_queue SET params = ?, run_id = ?, last_error = NULL WHERE kind = ? AND key = ?",
                [json.dumps(params), run_id, unit.kind, unit.key])


def fail(con: duckdb.DuckDBPyConnection, units: Sequence[Unit], error: str, now: datetime, run_id: str, *,
         final: bool) -> None:
    """Record a failed attempt; after MAX_UNIT_ATTEMPTS (or a final answer such as 404) state 'failed'."""
    for u in units:
        con.execute(
            "UPDATE crawl_queue SET attempts = attempts + 1, last_error = ?, run_id = ?, "
            "state = CASE WHEN ? OR attempts + 1 >= ? THEN 'failed' ELSE state END, "
            "done_at = CASE WHEN ? OR attempts + 1 >= ? THEN ? ELSE done_at END "
            "WHERE kind = ? AND key = ?",
            [error[:500], run_id, final, MAX_UNIT_ATTEMPTS, final, MAX_UNIT_ATTEMPTS, now, u.kind, u.key])
