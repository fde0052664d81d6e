"""The root of genrestore's exceptions, their exit codes, and the warehouse's own errors.

    GenrestoreError              anything the CLI reports as one line, no traceback (exit code 1)
    ├── ConfigError              an invalid setting (exit code 2)
    ├── UsageError               a user mistake on the command line (exit code 2)
    ├── WarehouseError           the warehouse refused something (exit code 1)
    │   ├── WarehouseNotFound    no warehouse file where the settings point
    │   ├── WriterLockedError    another process holds the single writer lock
    │   ├── ReadOnlyError        a write statement sent to a read-only connection
    │   ├── SnapshotNotFound     no such snapshot, or none published yet
    │   ├── QueryError           DuckDB rejected a query
    │   ├── MigrationMismatch    an applied migration was edited afterwards
    │   └── DiskFull             a write failed for want of space (or a file-size limit)
    ├── ingest.IngestError       (ingest) SpotifyError and its tree, CatalogError (2),
    │                            ImportFailed (also a WarehouseError)
    ├── features.FeaturesError   (features) TaxonomyError
    ├── modeling.ModelingError   (modeling) ModelNotFound (2), LeakageError, PromotionRefused,
    │                            DatasetMissing (also a UsageError, 2)
    └── jobs.JobsError           (jobs) SchedulerLockedError

Each package owns its base error and its subclasses, exported from its public surface; only the
root and the exit codes live here, at the bottom, where every package can reach them. The exit code
is the class attribute ``exit_code``: 1 unless a class says otherwise, 2 for a mistake the user can
fix by changing the command or the settings (``genrestore`` exits 130 when interrupted). Catch at
the level you care about (like httpx's HTTPError → RequestError → TimeoutException).
"""

from __future__ import annotations

import errno


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


class MigrationMismatch(WarehouseError):
    """A migration already applied to this file was edited afterwards.

    The file's schema then differs from what the shipped SQL says, and nothing would ever apply the
    difference: a change to an applied migration belongs in a new, numbered one.
    """


class DiskFull(WarehouseError):
    """A write failed because the disk (or a quota, or a file-size limit) is full.

    The transaction it was part of was rolled back, so the warehouse holds what it held before.
    """


# How the OS and DuckDB word it (DuckDB wraps the OS error into its own exception's text).
_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_FULL_TEXTS = ("No space left on device", "File too large", "Disk quota exceeded")


def disk_full(exc: BaseException, what: str) -> DiskFull | None:
    """A :class:`DiskFull` naming ``what`` when ``exc`` is a lack-of-space failure, else None."""
    text = str(exc)
    if not (isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS or any(t in text for t in _FULL_TEXTS)):
        return None
    # DuckDB may put the OS's reason on a later line of a longer message: show that line.
    reason = next((line for line in text.splitlines() if any(t in line for t in _FULL_TEXTS)),
                  text.splitlines()[0] if text else type(exc).__name__)
    return DiskFull(f"no space left writing {what} ({reason.strip()}); "
                    "nothing of this change was stored: free space and run it again")
