"""The data dictionary, read back from table and column comments."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from .errors import UsageError


@dataclass
class ColumnDoc:
    name: str
    type: str
    nullable: bool
    comment: str | None


@dataclass
class TableDoc:
    name: str
    kind: str  # table or view
    comment: str | None
    columns: list[ColumnDoc] = field(default_factory=list)


def describe(con: duckdb.DuckDBPyConnection, table: str | None = None) -> list[TableDoc]:
    db = con.execute("SELECT current_database()").fetchall()[0][0]
    rels = con.execute(
        """SELECT table_name, 'table', comment FROM duckdb_tables() WHERE database_name = ? AND NOT temporary
           UNION ALL
           SELECT view_name, 'view', comment FROM duckdb_views() WHERE database_name = ? AND NOT internal
           ORDER BY 1""",
        [db, db],
    ).fetchall()
    if table is not None:
        rels = [r for r in rels if r[0] == table]
        if not rels:
            raise UsageError(f"no table or view named {table!r}; run `genrestore schema` to list them")
    out = []
    for name, kind, comment in rels:
        cols = con.execute(
            """SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns()
               WHERE database_name = ? AND table_name = ? ORDER BY column_index""",
            [db, name],
        ).fetchall()
        out.append(TableDoc(name, kind, comment or None, [ColumnDoc(c[0], c[1], bool(c[2]), c[3] or None) for c in cols]))
    return out
