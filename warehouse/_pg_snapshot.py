"""A PostgreSQL warehouse as a snapshot ``.duckdb`` file; fingerprints of PostgreSQL tables.

The export reads every base table in ONE ``REPEATABLE READ, READ ONLY`` transaction, so the file
holds the warehouse as of one instant although crawl workers keep committing. The target file gets
its schema from the same migrations (so it is the DuckDB warehouse a snapshot always was, comments
included) and each table arrives as Arrow record batches from the ADBC PostgreSQL driver (C++,
no Python object per value), handed to DuckDB batch by batch. Measured on the loaded test
machine for 200k artist rows: psycopg rows into Arrow 10 s, psycopg CSV COPY into Arrow's CSV
reader 7 s (psycopg yields one chunk per row), ADBC 1.2 s. Readers of snapshots cannot tell
where it came from.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ._migrations import migrate as duckdb_migrate

# Tables whose rows describe this database rather than its content.
_LOCAL = ("schema_migrations",)


def pg_base_tables(con) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()]


def pg_table_fingerprints(con, tables: list[str] | None = None) -> dict[str, tuple[int, int]]:
    """(row count, order-independent sum of row hashes) per PostgreSQL table."""
    out = {}
    for t in tables if tables is not None else pg_base_tables(con):
        n, h = con.execute(
            f"SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) "
            f"FROM {t} t").fetchall()[0]
        out[t] = (int(n), int(h))
    return out


def export_to_duckdb(url: str, target: Path) -> dict[str, int]:
    """Copy the PostgreSQL warehouse at ``url`` into a new DuckDB file ``target`` (one consistent
    read); returns rows copied per table."""
    import adbc_driver_postgresql.dbapi as adbc

    counts: dict[str, int] = {}
    dcon = duckdb.connect(str(target))
    try:
        dcon.execute("SET enable_progress_bar = false")
        duckdb_migrate(dcon)
        columns: dict[str, list[str]] = {}
        for table, column in dcon.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND NOT internal ORDER BY table_name, column_index").fetchall():
            columns.setdefault(table, []).append(column)
        with adbc.connect(url, autocommit=True) as pcon, pcon.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            tables = [r[0] for r in cur.fetchall()]
            for table in tables:
                if table in _LOCAL or table not in columns:
                    continue
                cols = ", ".join(columns[table])
                cur.execute(f"SELECT {cols} FROM {table}")
                n = 0
                for batch in cur.fetch_record_batch():
                    dcon.register("_batch", pa.Table.from_batches([batch]))
                    dcon.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch")
                    dcon.unregister("_batch")
                    n += batch.num_rows
                counts[table] = n
            cur.execute("ROLLBACK")
        dcon.execute("CHECKPOINT")
    finally:
        dcon.close()
    return counts
