"""Ordered, recorded schema migrations.

Migrations are the SQL files in ``warehouse/migrations/`` named ``NNNN_name.sql``. Each is applied
once, in number order, inside one transaction with its record in ``schema_migrations``, so an
existing warehouse file upgrades in place and a failed migration leaves it as it was.
Packages own number ranges so parallel work never collides: 0001-0009 core, 0010-0019 features,
0020-0029 modeling, 0030-0039 crawl, 0040-0049 jobs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from typing import Callable

import duckdb

from warehouse.errors import MigrationMismatch

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# The same statement on DuckDB and PostgreSQL (the PostgreSQL warehouse keeps the same records).
SCHEMA_MIGRATIONS = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda mig: mig.version)


def applied_checksums(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Version → checksum of every migration recorded in this file (empty for a new file)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations' AND database_name = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return {}
    return dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    return set(applied_checksums(con))


def verify_applied(applied: dict[int, str], shipped: list[Migration]) -> None:
    """Raise :class:`MigrationMismatch` when a shipped migration differs from the one recorded."""
    edited = [m for m in shipped if m.version in applied and applied[m.version] != m.checksum]
    if edited:
        names = ", ".join(f"{m.version:04d}_{m.name}.sql" for m in edited)
        raise MigrationMismatch(
            f"migration {names} was edited after this warehouse applied it (recorded checksum differs); "
            "restore the file and put the change in a new migration"
        )


def migrate(con: duckdb.DuckDBPyConnection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every migration not yet recorded (default: all shipped ones); return those applied now."""
    con.execute(SCHEMA_MIGRATIONS)
    con.execute(
        "COMMENT ON TABLE schema_migrations IS 'Ops: schema migrations applied to this file, in order.'"
    )
    return apply_pending(con, migrations, applied_checksums(con))


def apply_pending(con, migrations: list[Migration] | None, done: dict[int, str], *,
                  translate: Callable[[str], str] = lambda sql: sql,
                  begin: str = "BEGIN TRANSACTION") -> list[Migration]:
    """Apply the migrations (default: all shipped ones) missing from ``done`` (version → recorded
    checksum), after checking the recorded ones are unchanged: each, its SQL passed through
    ``translate`` (an engine's dialect), in one transaction opened by ``begin`` with its record in
    ``schema_migrations``. Returns those applied now."""
    shipped = available_migrations() if migrations is None else sorted(migrations, key=lambda m: m.version)
    verify_applied(done, shipped)
    applied = []
    for mig in shipped:
        if mig.version in done:
            continue
        con.execute(begin)
        try:
            con.execute(translate(mig.sql))
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                [mig.version, mig.name, mig.checksum, datetime.now(timezone.utc).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(mig)
    return applied
