"""The DuckDB warehouse: schema and migrations, the single writer, snapshots, read-only queries.

Writes go through one :class:`Writer` (one process, holding the writer lock); everything that only
reads opens a published snapshot with :func:`connect_readonly`, a connection DuckDB itself keeps
read-only (no file access, no extensions, configuration locked).
"""

from ._backend import require_embedded, writer_for
from ._lazy import lazy_getattr
from ._leases import claim_units, claimed_elsewhere, close_abandoned_runs, release_units, several_writers
from ._lock import ProcessLock, WriterLock, describe_holder, read_holder, read_lock_holder
from ._migrations import available_migrations, migrate
from ._pg_cluster import PrivateCluster, postgres_bin_dir
from ._pg_connection import redact_url
from ._pg_transfer import copy_duckdb_to_postgres
from ._pg_writer import PgWriter
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
from ._shared_budget import SharedBudget, shared_budget
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
    BackendSettings,
    SqlSettings,
    WarehouseSettings,
    default_data_dir,
    environment_value,
    prepare_process,
    project_root,
)

__all__ = [
    "BackendSettings",
    "ColumnDoc",
    "ConfigError",
    "DiskFull",
    "GenrestoreError",
    "Leftovers",
    "MigrationMismatch",
    "PgWriter",
    "PrivateCluster",
    "ProcessLock",
    "QueryError",
    "QueryResult",
    "ReadOnlyError",
    "SharedBudget",
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
    "claim_units",
    "claimed_elsewhere",
    "close_abandoned_runs",
    "connect_readonly",
    "content_hash",
    "copy_duckdb_to_postgres",
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
    "lazy_getattr",
    "list_snapshots",
    "migrate",
    "open_readable",
    "postgres_bin_dir",
    "prepare_process",
    "project_root",
    "prune_snapshots",
    "read_holder",
    "read_lock_holder",
    "record_path",
    "redact_url",
    "release_units",
    "remove_leftovers",
    "require_embedded",
    "require_warehouse",
    "resolve_readable",
    "resolve_recorded",
    "run_query",
    "several_writers",
    "shared_budget",
    "snapshot_file",
    "sqlalchemy_engine",
    "table_fingerprints",
    "upsert",
    "writer_for",
]
