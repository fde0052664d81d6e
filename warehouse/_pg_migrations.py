"""The warehouse's migrations applied to PostgreSQL: the same files, numbers and checksums.

Each shipped migration is translated by :func:`._pg_dialect.ddl` and applied once, in number
order, in one transaction with its ``schema_migrations`` record; the checksum recorded is that of
the shipped file, so an edited migration is refused on both engines alike. Several workers may
start at once: a session advisory lock lets one migrate while the others wait.
"""

from __future__ import annotations

from ._migrations import SCHEMA_MIGRATIONS, Migration, apply_pending
from ._pg_dialect import ddl

# pg_advisory_lock key of "the schema is being migrated" (any fixed bigint; this one spells "genre").
MIGRATION_LOCK = 0x67656E7265


def applied_checksums(con) -> dict[int, str]:
    if con.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchall()[0][0]:
        return dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    return {}


def migrate(con, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every migration not yet recorded in the PostgreSQL warehouse ``con`` (a PgConnection)."""
    con.execute("SELECT pg_advisory_lock(?)", [MIGRATION_LOCK])
    try:
        con.execute(SCHEMA_MIGRATIONS)
        con.execute("COMMENT ON TABLE schema_migrations IS "
                    "'Ops: schema migrations applied to this database, in order.'")
        return apply_pending(con, migrations, applied_checksums(con), translate=ddl, begin="BEGIN")
    finally:
        con.execute("SELECT pg_advisory_unlock(?)", [MIGRATION_LOCK])
