"""The crawl frontier: units of work in ``crawl_queue``, picked in batches, finished with their data.

A unit is ``(kind, key)`` with JSON ``params`` (the next page offset). Units are enqueued with
``ON CONFLICT DO NOTHING``, so a unit is fetched once per crawl, ever — a second run with the
same seeds finds nothing to do. A process's claims live in memory: a killed process leaves its
in-flight units ``pending`` and the next run fetches them (their results were never committed).
Several workers sharing a PostgreSQL frontier also lease what they pick (:func:`warehouse.claim_units`):
a unit leased by a live worker is nobody else's; a dead worker's leases run out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

import duckdb

from ingest.spotify import utcnow
from warehouse import claim_units

MAX_UNIT_ATTEMPTS = 3


@dataclass(frozen=True)
class Unit:
    kind: str
    key: str
    params: dict = field(default_factory=dict, hash=False, compare=False)
    priority: int = field(default=0, hash=False, compare=False)

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
    """Add units not seen before (a unit already queued, done or failed is left alone); returns units offered."""
    rows = {}
    for u in units:
        rows.setdefault((u.kind, u.key), {
            "kind": u.kind, "key": u.key, "params": json.dumps(u.params) if u.params else None,
            "state": "pending", "priority": u.priority, "attempts": 0, "enqueued_at": now,
        })
    if not rows:
        return 0
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
    return len(rows)


def reprioritize(con: duckdb.DuckDBPyConnection, kind: str, priorities: dict[str, int], *, below: int) -> None:
    """Set the priority of pending units of ``kind`` (keys in ``priorities``), leaving alone those at
    ``below`` or above (seeds)."""
    if not priorities:
        return
    _update_by_key(con, {"kind": [kind] * len(priorities), "key": list(priorities),
                         "priority": list(priorities.values())},
                   "priority = u.priority", [below],
                   "AND crawl_queue.state = 'pending' AND crawl_queue.priority < ? AND crawl_queue.priority <> u.priority")


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


def add_details(con: duckdb.DuckDBPyConnection, kind: str, ids: Sequence[str], size: int, now: datetime) -> int:
    """Append track ids to the open batch of ``kind``; every batch that reaches ``size`` ids becomes
    a pending unit. The open batch (state 'open') is committed with the data that produced it."""
    if not ids:
        return 0
    import hashlib

    row = con.execute("SELECT key, params FROM crawl_queue WHERE kind = ? AND state = 'open'", [kind]).fetchall()
    held = json.loads(row[0][1])["ids"] if row else []
    if row:
        con.execute("DELETE FROM crawl_queue WHERE kind = ? AND state = 'open'", [kind])
    pool = list(dict.fromkeys([*held, *ids]))
    chunks = [pool[i:i + size] for i in range(0, len(pool), size)]
    rows = []
    for chunk in chunks:
        state = "pending" if len(chunk) == size else "open"
        key = hashlib.sha1(",".join(chunk).encode()).hexdigest()[:20]
        rows.append([kind, key, json.dumps({"ids": chunk}), state, 0, 0, now])
    con.executemany("INSERT INTO crawl_queue (kind, key, params, state, priority, attempts, enqueued_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
    return len(rows)


def close_open_batches(con: duckdb.DuckDBPyConnection) -> int:
    """Nothing else to do: open (partial) detail batches become pending."""
    n = con.execute("SELECT count(*) FROM crawl_queue WHERE state = 'open'").fetchall()[0][0]
    if n:
        con.execute("UPDATE crawl_queue SET state = 'pending' WHERE state = 'open'")
    return n


def pick(con: duckdb.DuckDBPyConnection, batch_sizes: dict[str, int], claimed: set[tuple[str, str]],
         *, allow_partial: bool, max_batches: int = 16) -> tuple[list[list[Unit]], dict[str, int]]:
    """The next work, as up to ``max_batches`` requests' worth of units, best kinds first.

    ``batch_sizes`` holds the kinds to take, in order of preference (``_kinds.batch_sizes``), with
    how many units one request covers.

    One query serves many requests (DuckDB statements are not free). A batch kind is taken with
    fewer than a full batch only when ``allow_partial`` (nothing in flight could still add to it),
    so batch calls go out as full as the frontier allows. Units in ``claimed`` are in flight.
    """
    kinds = list(batch_sizes)
    if not kinds:
        return [], {}
    batches, counts = _pick(con, batch_sizes, claimed, allow_partial=allow_partial, max_batches=max_batches)
    if not batches and allow_partial and close_open_batches(con):
        batches, counts = _pick(con, batch_sizes, claimed, allow_partial=allow_partial, max_batches=max_batches)
    if batches:  # other workers may share the frontier: keep only the units this one now holds
        held = claim_units(con, [u.ident for batch in batches for u in batch])
        batches = [b for b in ([u for u in batch if u.ident in held] for batch in batches) if b]
    return batches, counts


def _pick(con, batch_sizes, claimed, *, allow_partial, max_batches):
    # A worker's own leases count as free to it. The loop drops picked batches it has not sent when
    # it re-plans (kinds re-ordered, a capability lost) and gives their leases back before its next
    # pick (warehouse.release_units); should a lease of its own outlive that, it must still not stay
    # with a worker that no longer picks it (every worker then waited on the others' leases: a hang).
    kinds = list(batch_sizes)
    per_kind = max(batch_sizes.values()) * max_batches + len(claimed)
    rows = con.execute(f"""
        SELECT kind, key, params, n, priority FROM (
            SELECT kind, key, params, priority, count(*) OVER (PARTITION BY kind) AS n,
                   row_number() OVER (PARTITION BY kind ORDER BY priority DESC, enqueued_at, key) AS rn
            FROM crawl_queue WHERE state = 'pending' AND kind IN ({", ".join("?" * len(kinds))})
              AND (lease_until IS NULL OR lease_until < ? OR claimed_by = ?)) ranked
        WHERE rn <= ? ORDER BY kind, rn""", [*kinds, utcnow(), getattr(con, "worker_id", None), per_kind]).fetchall()
    counts: dict[str, int] = {}
    free: dict[str, list[Unit]] = {}
    for kind, key, params, n, priority in rows:
        counts[kind] = n
        if (kind, key) not in claimed:
            free.setdefault(kind, []).append(Unit(kind, key, json.loads(params) if params else {}, priority or 0))
    in_claim: dict[str, int] = {}
    for kind, _ in claimed:
        in_claim[kind] = in_claim.get(kind, 0) + 1
    batches: list[list[Unit]] = []
    preference = {kind: i for i, kind in enumerate(batch_sizes)}
    for kind in sorted(free, key=preference.__getitem__):
        size = batch_sizes[kind]
        units = free[kind]
        available = counts[kind] - in_claim.get(kind, 0)
        while units and len(batches) < max_batches:
            if size > 1 and len(units) < size and not (allow_partial and not batches and available <= len(units)):
                break  # a partial batch waits until nothing else is left
            batches.append(units[:size])
            units = units[size:]
    return batches, counts


def _keyed_update(con: duckdb.DuckDBPyConnection, units: Sequence[Unit], set_sql: str, params: list,
                  extra: dict[str, list] | None = None) -> None:
    """One set-based UPDATE of the queue rows of ``units`` (per-unit values come from ``extra``)."""
    if units:
        _update_by_key(con, {"kind": [u.kind for u in units], "key": [u.key for u in units], **(extra or {})},
                       set_sql, params)


def _update_by_key(con: duckdb.DuckDBPyConnection, cols: dict[str, list], set_sql: str, params: list,
                   where: str = "") -> None:
    """``UPDATE crawl_queue SET set_sql`` for the rows whose (kind, key) are in ``cols`` (a column
    ``u.<name>`` per entry, registered as one Arrow table), optionally narrowed by ``where``."""
    import pyarrow as pa

    name = "_unit_keys"
    con.register(name, pa.table(cols))
    try:
        con.execute(f"UPDATE crawl_queue SET {set_sql} FROM {name} u "
                    f"WHERE crawl_queue.kind = u.kind AND crawl_queue.key = u.key {where}", params)
    finally:
        con.unregister(name)


def finish(con: duckdb.DuckDBPyConnection, units: Sequence[Unit], now: datetime, run_id: str) -> None:
    """Mark units done (in the transaction that wrote their results)."""
    _keyed_update(con, units, "state = 'done', done_at = ?, run_id = ?, params = NULL, "
                  "attempts = crawl_queue.attempts + 1, last_error = NULL, claimed_by = NULL, lease_until = NULL",
                  [now, run_id])


def advance(con: duckdb.DuckDBPyConnection, units: Sequence[Unit], params: Sequence[dict], run_id: str) -> None:
    """Keep paged units pending with the offset of their next page (committed with this page's data)."""
    _keyed_update(con, units, "params = u.next_params, run_id = ?, last_error = NULL, claimed_by = NULL, "
                  "lease_until = NULL", [run_id],
                  {"next_params": [json.dumps(p) for p in params]})


def fail(con: duckdb.DuckDBPyConnection, units: Sequence[Unit], error: str, now: datetime, run_id: str, *,
         final: bool) -> None:
    """Record a failed attempt; after MAX_UNIT_ATTEMPTS (or a final answer such as 404) state 'failed'."""
    give_up = "(? OR crawl_queue.attempts + 1 >= ?)"
    _keyed_update(
        con, units,
        f"attempts = crawl_queue.attempts + 1, last_error = ?, run_id = ?, claimed_by = NULL, lease_until = NULL, "
        f"state = CASE WHEN {give_up} THEN 'failed' ELSE crawl_queue.state END, "
        f"done_at = CASE WHEN {give_up} THEN ? ELSE crawl_queue.done_at END",
        [error[:500], run_id, final, MAX_UNIT_ATTEMPTS, final, MAX_UNIT_ATTEMPTS, now])


def add_seed_tracks(con: duckdb.DuckDBPyConnection, track_ids: Sequence[str], size: int, now: datetime) -> None:
    """Seeded tracks not fetched before, in full batches of ``size`` ids (``seed_tracks`` units)."""
    if not track_ids:
        return
    known = {r[0] for r in con.execute("SELECT track_id FROM tracks WHERE popularity IS NOT NULL "
                                       "OR isrc IS NOT NULL").fetchall()}
    add_details(con, "seed_tracks", [t for t in track_ids if t not in known], size, now)
    # All seeds are known now: the last, partial batch need not wait for more.
    con.execute("UPDATE crawl_queue SET state = 'pending' WHERE kind = 'seed_tracks' AND state = 'open'")


def requeue_stale_artists(con: duckdb.DuckDBPyConnection, cutoff: datetime, now: datetime) -> int:
    """``refresh`` units for stored API artists last fetched before ``cutoff`` (not already pending)."""
    keys = [r[0] for r in con.execute("""
        SELECT a.artist_id FROM artists a
        LEFT JOIN crawl_queue q ON q.kind = 'refresh' AND q.key = a.artist_id
        WHERE a.source LIKE 'spotify:%' AND coalesce(q.done_at, a.first_seen_at) < ?
          AND coalesce(q.state, 'done') <> 'pending'""", [cutoff]).fetchall()]
    return requeue(con, "refresh", keys, now)


def settle_stored_artists(con: duckdb.DuckDBPyConnection, artist_ids: Sequence[str], now: datetime,
                          run_id: str) -> None:
    """Pending ``artist`` units whose full object was just stored (a search page returned it) are
    done: GET /artists/{id} would answer the same object again. Measured on MusicOSet in
    development mode: 304 such single GETs in one 180 s run before this (issue 17)."""
    if not artist_ids:
        return
    keys = list(dict.fromkeys(artist_ids))
    # The lease goes too: the unit is done, whichever worker had claimed it.
    _update_by_key(con, {"kind": ["artist"] * len(keys), "key": keys},
                   "state = 'done', done_at = ?, run_id = ?, last_error = NULL, claimed_by = NULL, lease_until = NULL",
                   [now, run_id], "AND crawl_queue.state = 'pending'")


def pending_units(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM crawl_queue WHERE state = 'pending'").fetchall()[0][0]
