"""Read-only access: locked DuckDB connections, a SQLAlchemy engine, and the `sql` command's engine.

Every connection made here may run SQL a person wrote, so DuckDB itself enforces what it can do;
no statement text is inspected. Each connection is an in-memory DuckDB with the warehouse file
attached ``READ_ONLY`` as its default database, then locked:

- ``enable_external_access = false``: no ``COPY ... TO``, ``EXPORT``, ``ATTACH``, ``INSTALL``/``LOAD``
  and no reading of any file but the attached one (``read_csv``, ``read_text``, ``glob``, ...);
- extensions are never installed or loaded automatically;
- spill files go to a private folder under the system temp directory, never beside the warehouse;
- ``lock_configuration = true``, so no ``SET``/``RESET``/``PRAGMA`` can undo any of the above.

``allow_files`` opens folders of one's own files (DuckDB's ``allowed_directories``, which also lets
queries write there); a folder that holds or lies inside the warehouse or its snapshots is refused.
"""

from __future__ import annotations

import io
import json
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import duckdb

from ._lock import read_holder
from ._snapshots import get_snapshot, list_snapshots
from ._writer import require_warehouse
from .errors import QueryError, ReadOnlyError, SnapshotNotFound, UsageError, WarehouseError

# DuckDB's messages for statements the locked connection refuses (PermissionException aside).
_REFUSED = ("read-only mode", "configuration has been locked", "belongs to an attached database")
_RESERVED_ALIASES = {"memory", "system", "temp", "main"}
_BATCH_ROWS = 10_000


def resolve_readable(settings, snapshot_id: str | None = None, live: bool = False) -> Path:
    """The file a read should open: a snapshot (latest by default) or, with ``live``, the live file.

    Raises :class:`WarehouseNotFound` when there is neither a warehouse nor a snapshot to read.
    """
    if live and getattr(getattr(settings, "warehouse", None), "url", None):
        # The DuckDB file is not the live warehouse then: reading it would answer from stale data.
        raise UsageError("--live reads the embedded DuckDB warehouse, but warehouse.url names a PostgreSQL "
                         "warehouse; query a snapshot (`genrestore snapshot create` exports one)")
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


def open_readable(settings, snapshot_id: str | None = None, live: bool = False,
                  allow_files: Iterable[str | Path] = ()) -> duckdb.DuckDBPyConnection:
    """A locked read-only connection to the latest (or given) snapshot, or the idle live file.

    ``allow_files`` are folders queries may read (never var/, the warehouse or the snapshots). If
    the latest snapshot is pruned between choosing it and opening it, the new latest is opened.
    """
    protected = [settings.var_dir, settings.warehouse_file, settings.snapshots_path]
    folders = _allowed_folders(allow_files, protected)
    for attempt in range(3):
        path = resolve_readable(settings, snapshot_id, live)
        try:
            return connect_readonly(path, allow_files=folders)
        except SnapshotNotFound:
            if snapshot_id is not None or attempt == 2:
                raise
    raise AssertionError("unreachable")


def connect_readonly(path: str | Path, allow_files: Iterable[str | Path] = ()) -> duckdb.DuckDBPyConnection:
    """A locked read-only DuckDB connection to a warehouse file (a snapshot or the idle live file)."""
    path = Path(path)
    folders = _allowed_folders(allow_files, [path])
    con = duckdb.connect(":memory:")
    try:
        _lock_down(con, path, folders)
    except duckdb.Error as exc:
        con.close()
        if not path.exists():
            raise SnapshotNotFound(f"{path} no longer exists (pruned?)") from None
        raise WarehouseError(f"cannot open {path} read-only: {_one_line(exc)}") from None
    return con


def sqlalchemy_engine(target, allow_files: Iterable[str | Path] = (), *, snapshot_id: str | None = None,
                      live: bool = False):
    """A SQLAlchemy engine (duckdb_engine) for pandas, polars and BI tools, read-only.

    ``target`` is a warehouse file (a snapshot, or the idle live file) or :class:`Settings`, which
    means the latest snapshot (or ``snapshot_id``, or with ``live`` the idle live file) of that
    var/ directory, whatever the working directory. Each pooled connection is locked exactly like
    :func:`connect_readonly`'s. For polars pass a connection: ``pl.read_database(sql, engine.connect())``
    (polars 1.x/2.x cannot run a query on a duckdb_engine Engine itself).
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    path = Path(target) if isinstance(target, (str, Path)) else resolve_readable(target, snapshot_id, live)
    path = path.resolve()
    folders = _allowed_folders(allow_files, [path])
    if not path.exists():
        raise SnapshotNotFound(f"{path} does not exist")
    # An in-memory database per pooled connection (QueuePool: duckdb_engine would otherwise share
    # one per thread), the file attached and the configuration locked before the pool hands it out.
    engine = create_engine("duckdb:///:memory:", poolclass=QueuePool)
    event.listen(engine, "connect", lambda dbapi_con, _record: _lock_down(dbapi_con, path, folders))
    return engine


def _allowed_folders(folders: Iterable[str | Path], protected: Iterable[str | Path]) -> list[str]:
    """``folders`` resolved for DuckDB's allowed_directories, each refused (a UsageError) when it is
    missing or holds or lies inside a ``protected`` path."""
    out = []
    guarded = [Path(p).resolve() for p in protected]
    for folder in folders:
        resolved = Path(folder).resolve()
        if not resolved.is_dir():
            raise UsageError(f"--allow-files {folder}: no such folder")
        for p in guarded:
            if resolved == p or resolved in p.parents or p in resolved.parents:
                raise UsageError(
                    f"--allow-files {folder}: it holds or lies inside {p}; the warehouse and its "
                    "snapshots are never opened to queries, name a folder of your own files")
        out.append(str(resolved))
    return out


def _lock_down(con, path: Path, folders: list[str]) -> None:
    """Attach ``path`` read-only as the default database, then shut every other door and lock.

    The order matters: nothing can be attached once external access is off, and nothing can be
    changed once the configuration is locked.
    """
    alias = path.stem if path.stem.lower() not in _RESERVED_ALIASES else f"{path.stem}_warehouse"
    spill = Path(tempfile.gettempdir()) / f"genrestore-duckdb-{secrets.token_hex(6)}"  # removed on close
    statements = [
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        "SET allow_community_extensions = false",
        f"SET temp_directory = {_literal(str(spill))}",
        f"ATTACH {_literal(str(path))} AS {_identifier(alias)} (READ_ONLY)",
        f"USE {_identifier(alias)}",
    ]
    if folders:
        # A trailing separator, so that /data/mine does not also open /data/mine-too.
        listed = ", ".join(_literal(f.rstrip("/") + "/") for f in folders)
        statements.append(f"SET allowed_directories = [{listed}]")
    statements += ["SET enable_external_access = false", "SET lock_configuration = true"]
    for statement in statements:
        con.execute(statement)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _one_line(exc: Exception) -> str:
    """DuckDB's message without the query excerpt that follows its first blank line."""
    head = str(exc).strip().split("\n\n")[0]
    return " ".join(line.strip() for line in head.splitlines()) or type(exc).__name__


def first_row(cursor) -> tuple | None:
    """The first row of an executed statement, or None; unlike ``fetchone`` it finishes the result,
    which DuckDB 2.0 requires before the connection runs anything else."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def fetch_arrow(rel) -> Any:
    """The pending result as an Arrow table (the method name changed in DuckDB 2.0)."""
    fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
    return fetch()


def _fetch_capped(rel, max_rows: int) -> Any:
    """The relation's rows as an Arrow table, refused once it passes ``max_rows`` (0: no cap)."""
    if not max_rows:
        return fetch_arrow(rel)
    import pyarrow as pa

    reader_of = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader
    reader = reader_of(_BATCH_ROWS)
    batches, count = [], 0
    try:
        for batch in reader:
            count += batch.num_rows
            if count > max_rows:
                raise QueryError(
                    f"the result has more than {max_rows:,} rows (setting sql.max_rows); add a LIMIT, "
                    "or allow more with --max-rows N (0: no cap)")
            batches.append(batch)
    finally:
        reader.close()  # a half-read result would block the connection
    return pa.Table.from_batches(batches, schema=reader.schema)


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    arrow: Any


def run_query(target: str | Path | duckdb.DuckDBPyConnection, query: str, *,
              timeout_seconds: float = 0, max_rows: int = 0) -> QueryResult:
    """Run SQL on a locked read-only connection (a warehouse file, or an open connection from
    :func:`connect_readonly`, which is closed); the last statement's result is returned.

    ``timeout_seconds`` interrupts the query once it runs longer (0: never); ``max_rows`` refuses a
    statement that returns more rows (0: no cap). What a statement may do is DuckDB's to enforce.
    """
    con = target if isinstance(target, duckdb.DuckDBPyConnection) else connect_readonly(target)
    expired = threading.Event()

    def interrupt() -> None:
        expired.set()
        con.interrupt()

    # DuckDB has no per-statement timeout on every version we support; a timer thread interrupts.
    timer = threading.Timer(timeout_seconds, interrupt) if timeout_seconds else None
    table = None
    try:
        statements = [st.query for st in con.extract_statements(query)]  # to split, not to judge
        if not statements:
            raise QueryError("empty query")
        if timer is not None:
            timer.daemon = True
            timer.start()
        for statement in statements:
            rel = con.sql(statement)  # None for statements without a result (they have run)
            table = _fetch_capped(rel, max_rows) if rel is not None else None
    except duckdb.InterruptException:
        if expired.is_set():
            raise QueryError(f"query interrupted after {timeout_seconds:g} s (setting sql.timeout_seconds; "
                             "allow more with --timeout SECONDS, 0: no limit)") from None
        raise QueryError("query interrupted") from None
    except duckdb.Error as exc:
        raise _query_error(exc) from None
    finally:
        if timer is not None:
            timer.cancel()
        con.close()
    if table is None:
        return QueryResult([], [], None)
    return QueryResult(table.column_names, [tuple(r.values()) for r in table.to_pylist()], table)


def _query_error(exc: duckdb.Error) -> WarehouseError:
    """One line: DuckDB's own message, marked 'refused' when the lock-down stopped the statement."""
    message = _one_line(exc)
    if isinstance(exc, duckdb.PermissionException) and "access file" in message:
        hint = "queries touch no file but the warehouse (`genrestore sql --allow-files DIR` opens a folder of your own)"
    elif isinstance(exc, duckdb.PermissionException) or any(marker in message for marker in _REFUSED):
        hint = "`genrestore sql` is read-only"
    else:
        return QueryError(message)
    return ReadOnlyError(f"refused: {message}; {hint}")


def _nested_as_json(table):
    """List, struct and map columns as JSON text (CSV has no nesting; Arrow's writer refuses them)."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_nested(field.type):
            values = [None if v is None else json.dumps(v, default=str) for v in table.column(i).to_pylist()]
            table = table.set_column(i, pa.field(field.name, pa.string()), pa.array(values, pa.string()))
    return table


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
            pacsv.write_csv(_nested_as_json(result.arrow), buf)
        return buf.getvalue().decode()
    if fmt == "json":
        rows = result.arrow.to_pylist() if result.arrow is not None else []
        return json.dumps(rows, default=str, indent=2) + "\n"
    raise QueryError(f"unknown format {fmt!r}")
