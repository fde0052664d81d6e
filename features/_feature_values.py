"""The numeric values of the materialised feature tables of one snapshot, for drift checks.

A feature table is a ``feature_*`` table keyed by ``(snapshot_id, artist_id)``; its numeric columns
not ending in ``_id`` are features. Values come back as float arrays (NULL → NaN), in column order.
"""

from __future__ import annotations

import duckdb
import numpy as np

_NUMERIC = ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL", "DECIMAL")


def feature_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Feature table → its numeric feature columns (possibly none)."""
    got: dict[str, dict[str, str]] = {}
    for table, column, dtype in con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND table_name LIKE 'feature\\_%' ESCAPE '\\' "
            "ORDER BY table_name, column_index").fetchall():
        got.setdefault(table, {})[column] = dtype
    out = {}
    for table, cols in sorted(got.items()):
        if not {"snapshot_id", "artist_id"} <= set(cols):
            continue
        out[table] = [c for c, typ in cols.items() if typ.split("(")[0].upper() in _NUMERIC and not c.endswith("_id")]
    return out


def feature_values(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], snapshot_id: str,
                   max_rows: int = 200_000) -> dict[str, np.ndarray]:
    """Column → float values of ``snapshot_id``'s rows of ``table`` (at most ``max_rows``)."""
    sel = ", ".join(f'"{c}"::DOUBLE AS "{c}"' for c in columns)
    got = con.execute(f'SELECT {sel} FROM "{table}" WHERE snapshot_id = ? LIMIT {int(max_rows)}',
                      [snapshot_id]).fetchnumpy()
    return {c: np.asarray(got[c], dtype=float) for c in columns}
