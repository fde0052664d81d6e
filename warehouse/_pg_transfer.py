"""``genrestore warehouse migrate --to URL``: move a DuckDB warehouse into PostgreSQL.

The DuckDB file is opened as its writer (so nothing writes it meanwhile) and every table is copied
in Arrow batches into a PostgreSQL database migrated to the same schema, in one PostgreSQL
transaction: the target has all of it or none. The target must hold no rows yet (refused
otherwise: merging two warehouses is not a copy). Sequences continue after the copied ids. The
DuckDB file is left as it was; point ``warehouse.url`` at the database to switch.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ._pg_connection import redact_url
from ._pg_upsert import pg_insert_rows
from ._pg_writer import PgWriter
from ._writer import Writer
from .errors import UsageError

# Rows that describe a database itself, not the warehouse's content.
_SKIP = {"schema_migrations"}
BATCH_ROWS = 50_000


def copy_duckdb_to_postgres(path: str | Path, url: str) -> dict[str, int]:
    """Copy the DuckDB warehouse ``path`` into the empty PostgreSQL warehouse ``url``; rows per table."""
    counts: dict[str, int] = {}
    with Writer(path, command="genrestore warehouse migrate", create=False) as source, \
            PgWriter(url, path=path, command="genrestore warehouse migrate") as target:
        tables = [r[0] for r in source.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
            "ORDER BY table_name").fetchall() if r[0] not in _SKIP]
        pg = target.con
        busy = [t for t in tables if pg.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchall()[0][0]]
        if busy:
            raise UsageError(f"{redact_url(url)} already holds rows ({', '.join(busy[:5])}"
                             f"{', ...' if len(busy) > 5 else ''}); migrate into an empty database")

        def copy_all(con) -> None:
            for table in tables:
                rel = source.con.sql(f"SELECT * FROM {table}")
                reader = (getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader)(BATCH_ROWS)
                counts[table] = sum(pg_insert_rows(con, table, pa.Table.from_batches([batch])) for batch in reader)
            # Sequences go on after the ids copied (DEFAULT nextval(...) columns).
            for table, column, default in con.execute(
                    "SELECT table_name, column_name, column_default FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'").fetchall():
                sequence = default.split("'")[1]
                con.execute(f"SELECT setval(?, coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)",
                            [sequence])
        target.run(copy_all)
    return counts
