"""Set-based upserts: the fast way rows enter silver tables.

Rows arrive as an Arrow table, a polars or pandas DataFrame, or a list of dicts, are registered
with DuckDB and merged in one ``INSERT ... BY NAME ... ON CONFLICT DO UPDATE`` statement. A row is
only rewritten when one of its value columns changed, so loading the same rows twice changes
nothing (not even ``updated_at``). Every upsert says what it did: rows inserted, updated, left
unchanged, and incoming duplicates dropped (:class:`UpsertResult`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import duckdb
import pyarrow as pa

from ._conflict import MODES, conflict_clause
from ._pg_upsert import is_pg, pg_insert_rows, pg_upsert

_counter = itertools.count()


@dataclass(frozen=True)
class UpsertResult:
    """What one :func:`upsert` did.

    :ivar inserted: rows with a key the table lacked.
    :ivar updated: rows whose key was there and at least one value column changed (rewritten).
    :ivar unchanged: rows whose key was there with the same values (not rewritten).
    :ivar duplicates: incoming rows dropped because a later incoming row had the same key.

    ``inserted + updated + unchanged + duplicates`` is the number of incoming rows. Results add up
    with ``+`` (e.g. across batches).
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0

    @property
    def rows(self) -> int:
        """Incoming rows."""
        return self.inserted + self.updated + self.unchanged + self.duplicates

    @property
    def written(self) -> int:
        """Rows the statement wrote: inserted + updated."""
        return self.inserted + self.updated

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(self.inserted + other.inserted, self.updated + other.updated,
                            self.unchanged + other.unchanged, self.duplicates + other.duplicates)


def _as_arrow(rows: Any) -> pa.Table:
    if isinstance(rows, pa.Table):
        return rows
    if hasattr(rows, "to_arrow"):  # polars
        return rows.to_arrow()
    if hasattr(rows, "__dataframe__") and hasattr(rows, "columns") and hasattr(rows, "iloc"):  # pandas
        return pa.Table.from_pandas(rows, preserve_index=False)
    rows = list(rows)
    return pa.Table.from_pylist(rows)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


def upsert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Any,
    key: Sequence[str],
    *,
    keep_existing: Iterable[str] = ("first_seen_at",),
    mode: str = "replace",
) -> UpsertResult:
    """Insert ``rows`` into ``table`` or update the rows with the same ``key``.

    Duplicate keys within ``rows`` keep the last occurrence (the others are counted as
    ``duplicates``). Columns in ``keep_existing`` keep their stored value on update. ``mode`` says
    how an incoming value meets a stored one:

    - ``"replace"``: the incoming value is stored, NULL included;
    - ``"coalesce"``: the incoming value is stored unless it is NULL (a NULL never erases a value);
    - ``"fill"``: the incoming value only fills a stored NULL (the stored value wins).

    A row counts as updated only when the values it ends with differ from the stored ones. Returns
    an :class:`UpsertResult`: rows inserted, updated, unchanged and dropped as duplicates.
    """
    if mode not in MODES:
        raise ValueError(f"unknown upsert mode {mode!r} ({', '.join(MODES)})")
    data = _as_arrow(rows)
    if data.num_rows == 0:
        return UpsertResult()
    if is_pg(con):
        return pg_upsert(con, table, data, key, keep_existing=keep_existing, mode=mode, result_type=UpsertResult)
    name = f"_incoming_{next(_counter)}"
    cols = list(data.column_names)
    keys = ", ".join(key)
    con.register(name, data)
    try:
        # Counting distinct keys is cheap next to the merge, and lets the usual case (no
        # duplicates) skip the window that keeps the last of each key.
        distinct = _count(con, f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {name})")
        if distinct == data.num_rows:
            source = f"SELECT {', '.join(cols)} FROM {name}"
        else:
            con.unregister(name)
            data = data.append_column("_ord", pa.array(range(data.num_rows), pa.int64()))
            con.register(name, data)
            source = (
                f"SELECT {', '.join(cols)} FROM {name} "
                f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _ord DESC) = 1"
            )
        conflict = conflict_clause(table, cols, key, keep_existing=keep_existing, mode=mode)
        # count(*) of a whole table comes from DuckDB's row-group statistics (no scan), so the
        # before/after difference tells inserts from updates at no real cost; the statement's
        # own count is inserted + updated (rows its WHERE left alone are not counted).
        before = _count(con, f"SELECT count(*) FROM {table}")
        written = _count(con, f"INSERT INTO {table} BY NAME {source} {conflict}")
        inserted = _count(con, f"SELECT count(*) FROM {table}") - before
    finally:
        con.unregister(name)
    return UpsertResult(inserted=inserted, updated=written - inserted, unchanged=distinct - written,
                        duplicates=data.num_rows - distinct)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Any) -> int:
    """Append ``rows`` (no key): for rejects, raw responses and other logs."""
    data = _as_arrow(rows)
    if data.num_rows == 0:
        return 0
    if is_pg(con):
        return pg_insert_rows(con, table, data)
    name = f"_incoming_{next(_counter)}"
    con.register(name, data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        con.unregister(name)
    return data.num_rows
