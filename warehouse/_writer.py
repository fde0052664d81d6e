"""The one write path into the live warehouse.

A :class:`Writer` holds the writer lock and the only read-write DuckDB connection. Code in the
owning thread uses :meth:`Writer.transaction`; other threads and asyncio code hand work to the
dedicated writer thread with :meth:`Writer.submit` (a one-thread executor is the queue), so writes
are serialized and each runs in one transaction.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import duckdb

from ._lock import WriterLock
from ._migrations import migrate
from .errors import WarehouseError, WarehouseNotFound, disk_full

T = TypeVar("T")


def require_warehouse(path: str | Path) -> Path:
    """``path`` if the live warehouse file exists; else :class:`WarehouseNotFound` saying where
    genrestore looked and how to create one (commands that only read never create it)."""
    path = Path(path)
    if not path.exists():
        raise WarehouseNotFound(
            f"no warehouse at {os.path.abspath(path)}; create one with `genrestore import all`, "
            "`genrestore crawl --seeds ...` or `genrestore demo`, or point --var (or --config) at an existing one"
        )
    return path


class Writer:
    """Open the live warehouse for writing (lock, connect, migrate).

    :param path: the live DuckDB file; created if missing.
    :param command: what to call this writer in lock messages (default: the command line).
    :param create: False to refuse (:class:`WarehouseNotFound`) instead of creating a missing file,
        for commands that need data already there.
    """

    def __init__(self, path: str | Path, *, command: str | None = None, create: bool = True):
        self.path = Path(path)
        self._create = create
        self._lock = WriterLock(self.path, command)
        self._mutex = threading.RLock()
        self._executor: ThreadPoolExecutor | None = None
        self.con: duckdb.DuckDBPyConnection | None = None

    def open(self) -> "Writer":
        if not self._create:
            require_warehouse(self.path)
        self._lock.acquire()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # DuckDB's own progress bar would scribble over ours on long statements.
            self.con = duckdb.connect(str(self.path))
            self.con.execute("SET enable_progress_bar = false")
            migrate(self.con)
        except duckdb.Error as exc:
            self._lock.release()
            raise WarehouseError(f"cannot open warehouse {self.path}: {exc}") from None
        except BaseException:
            self._lock.release()
            raise
        return self

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self.con is not None:
            self.con.close()
            self.con = None
        self._lock.release()

    def __enter__(self) -> "Writer":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self.con is None:
            raise WarehouseError("writer is not open")
        with self._mutex:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException as exc:
                self.con.execute("ROLLBACK")
                full = disk_full(exc, str(self.path))
                if full is not None:
                    raise full from None
                raise
            try:
                self.con.execute("COMMIT")
            except duckdb.Error as exc:  # DuckDB has already rolled back a failed commit
                full = disk_full(exc, str(self.path))
                if full is not None:
                    raise full from None
                raise

    def run(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(con)`` in one transaction in the calling thread."""
        with self.transaction() as con:
            return fn(con)

    def submit(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> "Future[T]":
        """Queue ``fn(con)`` for the writer thread; it runs in one transaction."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warehouse-writer")
        return self._executor.submit(self.run, fn)

    async def run_async(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """``submit`` for asyncio code: await the write without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(fn))

    def checkpoint(self) -> None:
        with self._mutex:
            self.con.execute("CHECKPOINT")
