"""Read-only access: DuckDB connections, a SQLAlchemy engine, and the `sql` command's engine."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ._lock import read_holder
from ._snapshots import get_snapshot, list_snapshots
from ._writer import require_warehouse
from .errors import QueryError, ReadOnlyError, SnapshotNotFound, WarehouseError

# Statement types an analyst may run. Everything else (INSERT, CREATE, ATTACH, COPY, SET, ...)
# could change a file or the session, so it is refused before DuckDB sees it.
_READ_TYPES = {"SELECT", "EXPLAIN", "PRAGMA", "RELATION"}
_READ_PRAGMAS = ("show", "table_info", "database_size", "storage_info", "version", "database_list")


def resolve_readable(settings, snapshot_id: str | None = None, live: bool = False) -> Path:
    """The file a read should open: a snapshot (latest by default) or, with ``live``, the live file.

    Raises :class:`WarehouseNotFound` when there is neither a warehouse nor a snapshot to read.
    """
    if not Path(settings.warehouse_file).exists() and (live or not list_snapshots(settings.snapshots_path)):
        require_warehouse(settings.warehouse_file)
    if live:
        holder = read_holder(settings.warehouse_file)
        if holder is not None:
            raise WarehouseError(
                f"--live needs the warehouse free, but pid {holder.get('pid', '?')} "
                f"({holder.get('command', '?')}) is writing it; query a snapshot instead"
            )
        return Path(settings.warehouse_file)
    return Path(get_snapshot(settings.snapshots_path, snapshot_id).path)


def open_readable(settings, snapshot_id: str | None = None, live: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the latest (or given) snapshot, or the idle live file.

    If the latest snapshot is pruned between choosing it and opening it, the new latest is opened.
    """
    for attempt in range(3):
        path = resolve_readable(settings, snapshot_id, live)
        try:
            return connect_readonly(path)
        except SnapshotNotFound:
            if snapshot_id is not None or attempt == 2:
                raise
    raise AssertionError("unreachable")


def connect_readonly(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection to a warehouse file (a snapshot or the idle live file)."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if not Path(path).exists():
            raise SnapshotNotFound(f"{path} no longer exists (pruned?)") from None
        raise WarehouseError(f"cannot open {path} read-only: {exc}") from None


def sqlalchemy_engine(path: str | Path):
    """A SQLAlchemy engine (duckdb_engine) on a warehouse file, read-only, for pandas and BI tools."""
    from sqlalchemy import create_engine

    return create_engine(f"duckdb:///{Path(path)}", connect_args={"read_only": True})


def first_row(cursor) -> tuple | None:
    """The first row of an executed statement, or None; unlike ``fetchone`` it finishes the result,
    which DuckDB 2.0 requires before the connection runs anything else."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def fetch_arrow(rel) -> Any:
    """The pending result as an Arrow table (the method name changed in DuckDB 2.0)."""
    fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
    return fetch()


def check_read_only(query: str) -> list[str]:
    """Split ``query`` into statements and refuse any that could write."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(str(exc).strip()) from None
    if not statements:
        raise QueryError("empty query")
    for st in statements:
        kind = st.type.name
        text = st.query.strip().lower()
        if kind not in _READ_TYPES or (kind == "PRAGMA" and not text.startswith(tuple("pragma " + p for p in _READ_PRAGMAS))):
            raise ReadOnlyError(
                f"refused: {kind} statements are not allowed; `genrestore sql` is read-only "
                f"(offending statement: {st.query.strip()[:80]!r})"
            )
    return [st.query for st in statements]


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    arrow: Any


def run_query(target: str | Path | duckdb.DuckDBPyConnection, query: str) -> QueryResult:
    """Run read-only SQL against a warehouse file (or an open read-only connection, which is closed).

    The last statement's result is returned.
    """
    statements = check_read_only(query)
    con = target if isinstance(target, duckdb.DuckDBPyConnection) else connect_readonly(target)
    try:
        for st in statements[:-1]:
            con.execute(st).fetchall()  # finish each result: DuckDB 2.0 refuses new work over an open one
        rel = con.sql(statements[-1])
        table = fetch_arrow(rel) if rel is not None else None
    except duckdb.Error as exc:
        raise QueryError(str(exc).strip()) from None
    finally:
        con.close()
    if table is None:
        return QueryResult([], [], None)
    return QueryResult(table.column_names, [tuple(r.values()) for r in table.to_pylist()], table)


def format_result(result: QueryResult, fmt: str, output: str | None = None) -> str | None:
    """Render as csv/json text (returned) or write parquet to ``output``."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        if not output:
            raise QueryError("--format parquet needs --output FILE")
        pq.write_table(result.arrow, output)
        return None
    if fmt == "csv":
        buf = io.BytesIO()
        if result.arrow is not None:
            pacsv.write_csv(result.arrow, buf)
        return buf.getvalue().decode()
    if fmt == "json":
        rows = result.arrow.to_pylist() if result.arrow is not None else []
        return json.dumps(rows, default=str, indent=2) + "\n"
    raise QueryError(f"unknown format {fmt!r}")
