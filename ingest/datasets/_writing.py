"""Writing imported rows: set-based upserts that never take over another source's rows, and
rejects that are recorded once per (file, line, reason) so a re-import changes nothing."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
import warnings
from datetime import datetime, timezone
from typing import Iterator, Sequence

import duckdb
import polars as pl

import warehouse

from ._report import Reject, SAMPLE_REJECTS, TableCounts

_counter = itertools.count()


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@contextmanager
def quiet_duckdb(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Keep DuckDB's own progress bar (for statements over 2 s) out of our output; we draw ours."""
    old = con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]
    con.execute("SET enable_progress_bar = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {'true' if old else 'false'}")


def upsert_own(con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame, key: Sequence[str],
               source: str) -> TableCounts:
    """Upsert ``rows`` except those whose key already belongs to a row of another source.

    A data set only inserts rows the warehouse lacks or refreshes its own rows: it never
    overwrites what the API or another data set wrote. Returns the rows inserted, updated, left
    unchanged, and left to another source. ``rows`` must not repeat a key: importers resolve
    repeats before (merged or rejected), so the counts are the rows stored.
    """
    if rows.height == 0:
        return TableCounts()
    name = f"_own_{next(_counter)}"
    con.register(name, rows.to_arrow())
    try:
        on = " AND ".join(f"t.{k} = i.{k}" for k in key)
        result = con.execute(
            f"SELECT i.* FROM {name} i WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE {on} AND t.source <> ?)",
            [source],
        )
        with warnings.catch_warnings():
            # execute() (not sql()) so a caller's half-fetched result cannot block us; the
            # extra Arrow copy duckdb warns about is cheap next to the upsert itself.
            warnings.simplefilter("ignore", UserWarning)
            kept = warehouse.fetch_arrow(result)
    finally:
        con.unregister(name)
    result = warehouse.upsert(con, table, kept, key)
    if result.duplicates:
        # A programming error, not a data problem: the import is rolled back rather than
        # reporting counts that are not the rows stored.
        raise RuntimeError(f"internal error: {result.duplicates:,} {table} rows repeat a key of {', '.join(key)}")
    return TableCounts(result.inserted, result.updated, result.unchanged, rows.height - kept.num_rows)


def sample_rejects(file: str, rejects: pl.DataFrame) -> list[Reject]:
    """The first few rejects of ``file``, as examples for the report."""
    return [Reject(file, line, reason) for line, reason in rejects.head(SAMPLE_REJECTS).select("line", "reason").iter_rows()]


def write_rejects(con: duckdb.DuckDBPyConnection, source: str, file: str, rejects: pl.DataFrame) -> int:
    """Record bad rows in ``rejects`` unless the same (source, file, line, reason, record) is there."""
    if rejects.height == 0:
        return 0
    frame = rejects.select(
        pl.lit(source).alias("source"), pl.lit(file).alias("file"),
        pl.col("line").cast(pl.Int64), pl.col("reason"), pl.col("record"),
    )
    name = f"_rejects_{next(_counter)}"
    con.register(name, frame.to_arrow())
    try:
        con.execute(
            f"INSERT INTO rejects (rejected_at, source, file, line, reason, record) "
            f"SELECT ?, i.source, i.file, i.line, i.reason, i.record FROM {name} i "
            f"WHERE NOT EXISTS (SELECT 1 FROM rejects r WHERE r.source = i.source AND r.file = i.file "
            f"AND r.line IS NOT DISTINCT FROM i.line AND r.reason = i.reason "
            f"AND r.record IS NOT DISTINCT FROM i.record)",
            [now()],
        )
    finally:
        con.unregister(name)
    return rejects.height
