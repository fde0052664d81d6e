"""Set-based upserts: the fast way rows enter silver tables.

Rows arrive as an Arrow table, a polars or pandas DataFrame, or a list of dicts, are registered
with DuckDB and merged in one ``INSERT ... BY NAME ... ON CONFLICT DO UPDATE`` statement. A row is
only rewritten when one of its value columns changed, so loading the same rows twice changes
nothing (not even ``updated_at``).
"""

from __future__ import annotations

import itertools
from typing import Any, Iterable, Sequence

import duckdb
import pyarrow as pa

# Columns that record when a row was touched; they never make a row "changed".
TOUCH_COLUMNS = ("updated_at", "first_seen_at")
_counter = itertools.count()


def _as_arrow(rows: Any) -> pa.Table:
    if isinstance(rows, pa.Table):
        return rows
    if hasattr(rows, "to_arrow"):  # polars
        return rows.to_arrow()
    if hasattr(rows, "__dataframe__") and hasattr(rows, "columns") and hasattr(rows, "iloc"):  # pandas
        return pa.Table.from_pandas(rows, preserve_index=False)
    rows = list(rows)
    return pa.Table.from_pylist(rows)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
        "ORDER BY column_index",
        [table],
    ).fetchall()]


def upsert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Any,
    key: Sequence[str],
    *,
    keep_existing: Iterable[str] = ("first_seen_at",),
) -> int:
    """Insert ``rows`` into ``table`` or update the rows with the same ``key``.

    Duplicate keys within ``rows`` keep the last occurrence. Columns in ``keep_existing`` keep
    their stored value on update. Returns the number of incoming rows.
    """
    data = _as_arrow(rows)
    if data.num_rows == 0:
        return 0
    name = f"_incoming_{next(_counter)}"
    incoming = data.append_column("_ord", pa.array(range(data.num_rows), pa.int64()))
    con.register(name, incoming)
    try:
        cols = [c for c in data.column_names]
        keys = ", ".join(key)
        dedup = (
            f"SELECT {', '.join(cols)} FROM {name} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _ord DESC) = 1"
        )
        keep = set(keep_existing) | set(key)
        updatable = [c for c in cols if c not in keep]
        compare = [c for c in updatable if c not in TOUCH_COLUMNS]
        if updatable and compare:
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in updatable)
            old = ", ".join(f"{table}.{c}" for c in compare)
            new = ", ".join(f"EXCLUDED.{c}" for c in compare)
            conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE ({old}) IS DISTINCT FROM ({new})"
        else:
            conflict = f"ON CONFLICT ({keys}) DO NOTHING"
        con.execute(f"INSERT INTO {table} BY NAME {dedup} {conflict}")
    finally:
        con.unregister(name)
    return data.num_rows


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Any) -> int:
    """Append ``rows`` (no key): for rejects, raw responses and other logs."""
    data = _as_arrow(rows)
    if data.num_rows == 0:
        return 0
    name = f"_incoming_{next(_counter)}"
    con.register(name, data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        con.unregister(name)
    return data.num_rows
