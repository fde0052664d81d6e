"""A PostgreSQL warehouse as a snapshot ``.duckdb`` file; fingerprints of PostgreSQL tables.

The export reads every base table in ONE ``REPEATABLE READ, READ ONLY`` transaction, so the file
holds the warehouse as of one instant although crawl workers keep committing. The target file gets
its schema from the same migrations (so it is the DuckDB warehouse a snapshot always was, comments
included) and each table arrives through Arrow: PostgreSQL's binary COPY read by psycopg into
columns, handed to DuckDB without a row loop. Readers of snapshots cannot tell where it came from.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ._migrations import migrate as duckdb_migrate

# Tables whose rows describe this database rather than its content.
_LOCAL = ("schema_migrations",)
_FETCH_ROWS = 100_000


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


def _arrow_batches(cur, table: str, columns: list[str], schema: pa.Schema):
    """``table`` in record batches of ``_FETCH_ROWS`` rows (a server-side cursor bounds memory)."""
    cur.execute(f"SELECT {', '.join(columns)} FROM {table}")
    while True:
        rows = cur.fetchmany(_FETCH_ROWS)
        if not rows:
            return
        arrays = [pa.array([r[i] for r in rows], type=schema.field(c).type) for i, c in enumerate(columns)]
        yield pa.record_batch(arrays, schema=schema)


def export_to_duckdb(url: str, target: Path) -> dict[str, int]:
    """Copy the PostgreSQL warehouse at ``url`` into a new DuckDB file ``target`` (one consistent
    read); returns rows copied per table."""
    import psycopg

    counts: dict[str, int] = {}
    dcon = duckdb.connect(str(target))
    try:
        dcon.execute("SET enable_progress_bar = false")
        duckdb_migrate(dcon)
        wanted = {r[0] for r in dcon.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
        with psycopg.connect(url) as pcon:
            pcon.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            tables = [r[0] for r in pcon.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()]
            for table in tables:
                if table in _LOCAL or table not in wanted:
                    continue
                cols = [r[0] for r in dcon.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                    "AND table_name = ? ORDER BY column_index", [table]).fetchall()]
                from ._query import fetch_arrow  # _query imports the snapshots module, which imports this

                schema = fetch_arrow(dcon.sql(f"SELECT {', '.join(cols)} FROM {table} LIMIT 0")).schema
                n = 0
                with pcon.cursor(name=f"export_{table}") as cur:
                    for batch in _arrow_batches(cur, table, cols, schema):
                        dcon.register("_batch", pa.Table.from_batches([batch]))
                        dcon.execute(f"INSERT INTO {table} SELECT * FROM _batch")
                        dcon.unregister("_batch")
                        n += batch.num_rows
                counts[table] = n
            pcon.rollback()
        dcon.execute("CHECKPOINT")
    finally:
        dcon.close()
    return counts
