"""The backend selection point: the embedded DuckDB file or a shared PostgreSQL database.

Commands ask for "the warehouse writer" here and get a :class:`Writer` (DuckDB, one writer process)
or a :class:`PgWriter` (PostgreSQL, any number of processes) with the same interface; nothing above
this seam branches on the engine. A third backend (DuckLake, once its extension exists for the
DuckDB the project runs) would be one more branch here.
"""

from __future__ import annotations

from ._pg_writer import PgWriter
from ._writer import Writer
from .errors import UsageError
from .settings import WarehouseSettings


def writer_for(settings: WarehouseSettings, *, command: str | None = None, create: bool = True) -> Writer | PgWriter:
    """The (unopened) writer of the live warehouse ``settings`` name: ``warehouse.url`` when set,
    else the DuckDB file ``warehouse_path``."""
    if settings.warehouse.url:
        return PgWriter(settings.warehouse.url, path=settings.warehouse_file, command=command, create=create,
                        lease_seconds=settings.warehouse.lease_seconds)
    return Writer(settings.warehouse_file, command=command, create=create)


def require_embedded(settings: WarehouseSettings, command: str) -> None:
    """Refuse ``command`` when the live warehouse is PostgreSQL: it writes (or reads live) the
    embedded DuckDB file, which is then not the live warehouse, and would do so silently."""
    if settings.warehouse.url:
        raise UsageError(f"`{command}` works on the embedded DuckDB warehouse only, but warehouse.url names a "
                         "PostgreSQL warehouse; unset warehouse.url (env GENRESTORE_WAREHOUSE__URL) to run it")
