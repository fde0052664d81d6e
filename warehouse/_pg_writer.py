"""The write path into a PostgreSQL warehouse: :class:`Writer`'s interface, many writers at once.

A DuckDB warehouse has one writer process (the writer lock). Here any number of processes, on any
hosts, write one database; within one process writes are serialized through one connection and one
writer thread, exactly as :class:`Writer` does, so the code above cannot tell the two apart.

Across processes, write transactions take one advisory transaction lock (:data:`WRITE_LOCK`) first:
they commit one after another, as on DuckDB. That is what keeps a multi-worker crawl's content
identical to a single process's: a unit's commit reads stored rows (should an observation be
recorded? which open detail batch does an id join?) and two workers deciding from the same stored
row at once would both record it. Workers still fetch in parallel, which is where a crawl's time
goes; a commit holds the lock for milliseconds. Reads that need no lock (snapshot exports, the
lease heartbeat) use their own connections.

Each writer is a worker with an id (host:pid:random) under which it leases frontier units; a
heartbeat thread renews its leases (and stamps its running crawl runs) every third of ``lease_seconds``
and :meth:`close` returns them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from ._leases import release_leases, renew_leases, renew_runs
from ._pg_connection import PgConnection, redact_url
from ._pg_migrations import migrate
from .errors import WarehouseError, WarehouseNotFound

T = TypeVar("T")
RETRIES = 8
# pg_advisory_xact_lock key every write transaction takes (any fixed bigint; this spells "write").
WRITE_LOCK = 0x7772697465


class PgWriter:
    """Open a PostgreSQL warehouse for writing (connect, migrate).

    :param url: ``postgresql://user[:password]@host:port/database``.
    :param path: where this process keeps its local files (the crawl's progress file); the DuckDB
        warehouse path of the settings, never opened.
    :param create: False to refuse a database that was never migrated (:class:`WarehouseNotFound`).
    """

    backend = "postgresql"

    def __init__(self, url: str, *, path: str | Path, command: str | None = None, create: bool = True,
                 lease_seconds: float = 60.0):
        self.url = url
        self.lease_seconds = lease_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._heartbeat: threading.Thread | None = None
        self._stop_heartbeat = threading.Event()
        self.path = Path(path)
        self.command = command
        self._create = create
        self._mutex = threading.RLock()
        self._executor: ThreadPoolExecutor | None = None
        self.con: PgConnection | None = None

    def open(self) -> "PgWriter":
        import psycopg

        try:
            self.con = PgConnection(self.url)
        except psycopg.Error as exc:
            raise WarehouseError(f"cannot connect to the PostgreSQL warehouse {redact_url(self.url)}: "
                                 f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
        if not self._create and not self.con.execute(
                "SELECT to_regclass('schema_migrations') IS NOT NULL").fetchall()[0][0]:
            self.con.close()
            raise WarehouseNotFound(f"no warehouse in {redact_url(self.url)}; create one with "
                                    "`genrestore crawl --seeds ...` or `genrestore warehouse migrate --to URL`")
        self.con.worker_id = self.worker_id
        self.con.lease_seconds = self.lease_seconds
        try:
            migrate(self.con)
        except BaseException:
            self.con.close()
            raise
        self._stop_heartbeat.clear()
        self._heartbeat = threading.Thread(target=self._renew, name="lease-heartbeat", daemon=True)
        self._heartbeat.start()
        return self

    def _renew(self) -> None:
        """Extend this worker's leases while it lives (its own connection: never waits on writes)."""
        con = None
        while not self._stop_heartbeat.wait(self.lease_seconds / 3):
            try:
                con = con or PgConnection(self.url)
                renew_leases(con, self.worker_id, self.lease_seconds)
                renew_runs(con, self.worker_id)
            except Exception:  # the database is away: leases may lapse, the units are then re-fetched
                if con is not None:
                    con.close()
                con = None
        if con is not None:
            con.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._stop_heartbeat.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        if self.con is not None:
            try:
                release_leases(self.con, self.worker_id)
            except Exception:  # the database is away or the session failed: the leases lapse instead
                pass
            finally:
                self.con.close()
                self.con = None

    def __enter__(self) -> "PgWriter":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self.con is None:
            raise WarehouseError("writer is not open")
        with self._mutex:
            self.con.execute("BEGIN")
            try:
                self.con.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK])
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    def run(self, fn: Callable[[PgConnection], T]) -> T:
        """Run ``fn(con)`` in one transaction in the calling thread (again, if PostgreSQL aborted it
        to break a deadlock)."""
        import psycopg.errors

        for attempt in range(RETRIES):
            try:
                with self.transaction() as con:
                    return fn(con)
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.01 * 2 ** attempt)
        raise AssertionError("unreachable")

    def submit(self, fn: Callable[[PgConnection], T]) -> "Future[T]":
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warehouse-writer")
        return self._executor.submit(self.run, fn)

    async def run_async(self, fn: Callable[[PgConnection], T]) -> T:
        return await asyncio.wrap_future(self.submit(fn))

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL checkpoints on its own."""
