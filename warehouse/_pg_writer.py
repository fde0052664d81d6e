"""The write path into a PostgreSQL warehouse: :class:`Writer`'s interface, many writers at once.

A DuckDB warehouse has one writer process (the writer lock). PostgreSQL has row locks, so any
number of processes write at once and there is no writer lock; within one process writes are still
serialized through one connection and one writer thread, exactly as :class:`Writer` does, so the
code above cannot tell the two apart. A transaction PostgreSQL aborts to break a deadlock (or a
serialization failure) is run again, up to :data:`RETRIES` times: the functions handed to
:meth:`run` only touch the database, so running one again is safe.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from ._pg_connection import PgConnection, redact_url
from ._pg_migrations import migrate
from .errors import WarehouseError, WarehouseNotFound

T = TypeVar("T")
RETRIES = 8


class PgWriter:
    """Open a PostgreSQL warehouse for writing (connect, migrate).

    :param url: ``postgresql://user[:password]@host:port/database``.
    :param path: where this process keeps its local files (the crawl's progress file); the DuckDB
        warehouse path of the settings, never opened.
    :param create: False to refuse a database that was never migrated (:class:`WarehouseNotFound`).
    """

    backend = "postgresql"

    def __init__(self, url: str, *, path: str | Path, command: str | None = None, create: bool = True):
        self.url = url
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
        try:
            migrate(self.con)
        except BaseException:
            self.con.close()
            raise
        return self

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self.con is not None:
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
