"""Leases on frontier units, so several crawl workers can share one frontier.

The frontier asks here, whatever the backend: :func:`claim_units` before fetching units,
:func:`claimed_elsewhere` before concluding that the frontier is exhausted. With one DuckDB writer
the process's own in-memory claims are all there is (every unit is "claimed" at once; nobody else
works). On PostgreSQL a claim is a lease in ``crawl_queue`` (``claimed_by``, ``lease_until``)
taken with ``FOR UPDATE SKIP LOCKED``, so two workers never take the same unit; the writer's
heartbeat renews the leases of a live worker, and a dead worker's leases run out and its units
are pending for everyone again. Finishing, advancing or failing a unit clears its lease, and so
does :func:`release_units` for units a worker picked and then dropped when it re-planned.

The same heartbeat stamps the worker's running ``crawl_runs`` rows (``heartbeat_at``): a run whose
worker has been silent for longer than a lease belonged to a killed process, and
:func:`close_abandoned_runs` closes it as failed (with one DuckDB writer, the crawl's own
``open_run`` does: any run still running there is dead).
"""

from __future__ import annotations

from typing import Iterable

from ._pg_upsert import is_pg

_UTC_NOW = "(now() AT TIME ZONE 'UTC')"


def several_writers(con) -> bool:
    """Whether other processes may be writing this warehouse right now (PostgreSQL), or ``con``'s
    process is the only writer there is (DuckDB's writer lock)."""
    return is_pg(con)


def claim_units(con, idents: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Lease the pending units ``idents`` (kind, key) to this worker; returns those it now holds
    (units it leased before and picked again included)."""
    idents = list(dict.fromkeys(idents))
    if not is_pg(con) or not idents:
        return set(idents)
    con.register("_claim", {"kind": [k for k, _ in idents], "key": [k for _, k in idents]})
    try:
        rows = con.execute(f"""
            UPDATE crawl_queue q SET claimed_by = ?, claimed_at = {_UTC_NOW},
                   lease_until = {_UTC_NOW} + make_interval(secs => ?)
            FROM (SELECT c.kind, c.key FROM crawl_queue c JOIN _claim w ON c.kind = w.kind AND c.key = w.key
                  WHERE c.state = 'pending'
                    AND (c.lease_until IS NULL OR c.lease_until < {_UTC_NOW} OR c.claimed_by = ?)
                  FOR UPDATE OF c SKIP LOCKED) free
            WHERE q.kind = free.kind AND q.key = free.key
            RETURNING q.kind, q.key""", [con.worker_id, con.lease_seconds, con.worker_id]).fetchall()
    finally:
        con.unregister("_claim")
    return {(kind, key) for kind, key in rows}


def release_units(con, idents: Iterable[tuple[str, str]]) -> int:
    """Give back this worker's leases on the units ``idents`` (kind, key), picked and then not sent
    (the crawl re-planned): they are pending for every worker again. Returns the leases given back;
    0 for DuckDB, where the process's in-memory claims are all there is."""
    idents = list(dict.fromkeys(idents))
    if not is_pg(con) or not idents:
        return 0
    con.register("_release", {"kind": [k for k, _ in idents], "key": [k for _, k in idents]})
    try:
        rows = con.execute("""
            UPDATE crawl_queue q SET claimed_by = NULL, lease_until = NULL FROM _release r
            WHERE q.kind = r.kind AND q.key = r.key AND q.claimed_by = ? AND q.state = 'pending'
            RETURNING q.kind""", [con.worker_id]).fetchall()
    finally:
        con.unregister("_release")
    return len(rows)


def claimed_elsewhere(con) -> int:
    """Pending units other live workers hold leases on (they may still add work); 0 for DuckDB."""
    if not is_pg(con):
        return 0
    return con.execute(f"SELECT count(*) FROM crawl_queue WHERE state = 'pending' AND claimed_by <> ? "
                       f"AND lease_until >= {_UTC_NOW}", [con.worker_id]).fetchall()[0][0]


def renew_leases(con, worker_id: str, lease_seconds: float) -> int:
    """Extend every lease ``worker_id`` holds (its heartbeat); returns the units it holds."""
    return con.execute(f"UPDATE crawl_queue SET lease_until = {_UTC_NOW} + make_interval(secs => ?) "
                       f"WHERE claimed_by = ? AND state = 'pending'", [lease_seconds, worker_id]).fetchall()[0][0]


def renew_runs(con, worker_id: str) -> int:
    """Stamp the running crawl runs of ``worker_id`` as alive now; returns the runs stamped."""
    return con.execute(f"UPDATE crawl_runs SET heartbeat_at = {_UTC_NOW} WHERE worker_id = ? AND status = 'running'",
                       [worker_id]).fetchall()[0][0]


def close_abandoned_runs(con) -> list[str]:
    """Close as failed the crawl runs other workers left running and stopped renewing for longer
    than a lease (killed); returns their run ids. Nothing to do with one DuckDB writer."""
    if not is_pg(con):
        return []
    rows = con.execute(
        f"UPDATE crawl_runs SET status = 'failed', ended_at = coalesce(ended_at, heartbeat_at, {_UTC_NOW}), "
        "message = 'its worker ' || coalesce(worker_id, '?') || ' stopped renewing its heartbeat (killed?)' "
        "WHERE status = 'running' AND worker_id IS DISTINCT FROM ? "
        f"AND coalesce(heartbeat_at, started_at) < {_UTC_NOW} - make_interval(secs => ?) RETURNING run_id",
        [con.worker_id, con.lease_seconds]).fetchall()
    return [r[0] for r in rows]


def release_leases(con, worker_id: str) -> int:
    """Give back every lease ``worker_id`` holds (a worker that stops cleanly)."""
    return con.execute("UPDATE crawl_queue SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?",
                       [worker_id]).fetchall()[0][0]
