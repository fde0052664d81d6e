"""The DuckDB warehouse: schema and migrations, the single writer, snapshots, read-only queries.

Writes go through one :class:`Writer` (one process, holding the writer lock); everything that only
reads opens a published snapshot with :func:`connect_readonly`.
"""

from ._lock import ProcessLock, WriterLock, read_holder, read_lock_holder
from ._migrations import available_migrations, migrate
from ._query import (
    QueryResult,
    check_read_only,
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
    SnapshotInfo,
    base_tables,
    content_hash,
    create_snapshot,
    get_snapshot,
    list_snapshots,
    prune_snapshots,
    table_fingerprints,
)
from ._upsert import insert_rows, upsert
from ._writer import Writer
from .errors import (
    ConfigError,
    GenrestoreError,
    ImportFailed,
    MigrationMismatch,
    QueryError,
    ReadOnlyError,
    SnapshotNotFound,
    UsageError,
    WarehouseError,
    WriterLockedError,
)
from .settings import CrawlSettings, JobSchedule, ModelingSettings, Settings, load_settings

__all__ = [
    "ColumnDoc",
    "ConfigError",
    "CrawlSettings",
    "GenrestoreError",
    "ImportFailed",
    "MigrationMismatch",
    "JobSchedule",
    "ModelingSettings",
    "ProcessLock",
    "QueryError",
    "QueryResult",
    "ReadOnlyError",
    "Settings",
    "SnapshotInfo",
    "SnapshotNotFound",
    "TableDoc",
    "UsageError",
    "WarehouseError",
    "Writer",
    "WriterLock",
    "WriterLockedError",
    "available_migrations",
    "base_tables",
    "check_read_only",
    "connect_readonly",
    "content_hash",
    "create_snapshot",
    "describe",
    "fetch_arrow",
    "first_row",
    "format_result",
    "get_snapshot",
    "insert_rows",
    "list_snapshots",
    "load_settings",
    "migrate",
    "open_readable",
    "prune_snapshots",
    "read_holder",
    "read_lock_holder",
    "resolve_readable",
    "run_query",
    "sqlalchemy_engine",
    "table_fingerprints",
    "upsert",
]
