"""The exception hierarchy every genrestore package raises from.

    GenrestoreError              anything the CLI reports as one line, no traceback
    ├── ConfigError              an invalid setting (exit code 2)
    ├── UsageError               a user mistake on the command line (exit code 2)
    └── WarehouseError           the warehouse refused something (exit code 1)
        ├── WarehouseNotFound    no warehouse file where the settings point
        ├── WriterLockedError    another process holds the single writer lock
        ├── ReadOnlyError        a write statement sent to a read-only connection
        ├── SnapshotNotFound     no such snapshot, or none published yet
        ├── QueryError           DuckDB rejected a query
        ├── ImportFailed         an input file is unreadable/truncated/wrong-shaped
        └── MigrationMismatch    an applied migration was edited afterwards

Other packages derive their own errors from these, so callers can catch at the
level they care about (like httpx's HTTPError → RequestError → TimeoutException).
"""

from __future__ import annotations


class GenrestoreError(Exception):
    """Base class: the message is meant for a person and is printed as one line."""

    exit_code = 1


class ConfigError(GenrestoreError):
    exit_code = 2


class UsageError(GenrestoreError):
    exit_code = 2


class WarehouseError(GenrestoreError):
    pass


class WarehouseNotFound(WarehouseError):
    pass


class WriterLockedError(WarehouseError):
    pass


class ReadOnlyError(WarehouseError):
    pass


class SnapshotNotFound(WarehouseError):
    pass


class QueryError(WarehouseError):
    pass


class ImportFailed(WarehouseError):
    pass


class MigrationMismatch(WarehouseError):
    """A migration already applied to this file was edited afterwards.

    The file's schema then differs from what the shipped SQL says, and nothing would ever apply the
    difference: a change to an applied migration belongs in a new, numbered one.
    """
