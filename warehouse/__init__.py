"""The DuckDB warehouse: schema and migrations, the single writer, snapshots, read-only queries.

Writes go through one :class:`Writer` (one process, holding the writer lock); everything that only
reads opens a published snapshot with :func:`connect_readonly`, a connection DuckDB itself keeps
read-only (no file access, no extensions, configuration locked).
"""

from ._lock import ProcessLock, WriterLock, describe_holder, read_holder, read_lock_holder
from ._migrations import available_migrations, migrate
from ._paths import database_dir, record_path, resolve_recorded
from ._query import (
    QueryResult,
    connect_readonly,
    fetch_arrow,
    first_row,
    format_result,
    open_readable,
    resolve_readable,
    run_query,
    sqlalchemy_engine,
)
from ._schema import ColumnDoc, TableDoc, describe
from ._snapshots import (
    Leftovers,
    SnapshotInfo,
    base_tables,
    content_hash,
    create_snapshot,
    get_snapshot,
    list_snapshots,
    prune_snapshots,
    remove_leftovers,
    snapshot_file,
    table_fingerprints,
)
from ._upsert import UpsertResult, insert_rows, upsert
from ._writer import Writer, require_warehouse
from .errors import (
    ConfigError,
    DiskFull,
    GenrestoreError,
    MigrationMismatch,
    QueryError,
    ReadOnlyError,
    SnapshotNotFound,
    UsageError,
    WarehouseError,
    WarehouseNotFound,
    WriterLockedError,
)
from .settings import (
    SqlSettings,
    WarehouseSettings,
    default_data_dir,
    environment_value,
    prepare_process,
    project_root,
)

__all__ = [
    "ColumnDoc",
    "ConfigError",
    "DiskFull",
    "GenrestoreError",
    "Leftovers",
    "MigrationMismatch",
    "ProcessLock",
    "QueryError",
    "QueryResult",
    "ReadOnlyError",
    "SnapshotInfo",
    "SnapshotNotFound",
    "SqlSettings",
    "TableDoc",
    "UpsertResult",
    "UsageError",
    "WarehouseError",
    "WarehouseNotFound",
    "WarehouseSettings",
    "Writer",
    "WriterLock",
    "WriterLockedError",
    "available_migrations",
    "base_tables",
    "connect_readonly",
    "content_hash",
    "create_snapshot",
    "database_dir",
    "default_data_dir",
    "describe",
    "describe_holder",
    "environment_value",
    "fetch_arrow",
    "first_row",
    "format_result",
    "get_snapshot",
    "insert_rows",
    "list_snapshots",
    "migrate",
    "open_readable",
    "prepare_process",
    "project_root",
    "prune_snapshots",
    "read_holder",
    "read_lock_holder",
    "record_path",
    "remove_leftovers",
    "require_warehouse",
    "resolve_readable",
    "resolve_recorded",
    "run_query",
    "snapshot_file",
    "sqlalchemy_engine",
    "table_fingerprints",
    "upsert",
]
