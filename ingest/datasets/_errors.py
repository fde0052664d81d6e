"""``ImportFailed``: an input file cannot be imported at all (unreadable, truncated, wrong shape).

Nothing of it was written: the import's transaction is rolled back. It is an :class:`~ingest.IngestError`
and, as before it moved here from ``warehouse.errors``, also a ``WarehouseError``, so callers that
catch an import's failure at the warehouse level still do (exit code 1 either way).
"""

from __future__ import annotations

from warehouse.errors import WarehouseError

from .._errors import IngestError


class ImportFailed(IngestError, WarehouseError):
    """An input file is unreadable, truncated or wrong-shaped; the message names the file."""
