""":func:`warehouse.upsert` and :func:`warehouse.insert_rows` on PostgreSQL, with the same results.

Same statement shape as on DuckDB (``INSERT … ON CONFLICT DO UPDATE … WHERE old IS DISTINCT FROM
new``, modes replace / coalesce / fill, later duplicates win), with two differences that matter
when several workers write at once: the incoming rows are inserted in key order (concurrent
upserts then lock rows in the same order instead of deadlocking), and inserted and updated rows
are told apart by ``RETURNING (xmax = 0)`` per row rather than by counting the table before and
after, which other writers' commits would falsify (and which PostgreSQL can only do by scanning).
"""

from __future__ import annotations

import itertools
from typing import Any, Iterable, Sequence

import pyarrow as pa

from ._conflict import conflict_clause

_counter = itertools.count()
_target_types: dict[tuple[int, str], dict[str, str]] = {}


def target_types(con, table: str) -> dict[str, str]:
    """Column → PostgreSQL type of ``table`` (cached per connection): incoming rows take these types,
    so an all-NULL or differently typed Arrow column needs no cast."""
    cache_key = (id(con), table)
    if cache_key not in _target_types:
        rows = con.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                           "WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped", [table]).fetchall()
        _target_types[cache_key] = dict(rows)
    return _target_types[cache_key]


def pg_upsert(con, table: str, data: pa.Table, key: Sequence[str], *, keep_existing: Iterable[str],
              mode: str, result_type):
    name = f"_incoming_{next(_counter)}"
    cols = list(data.column_names)
    keys = ", ".join(key)
    types = target_types(con, table)
    data = data.append_column("_ord", pa.array(range(data.num_rows), pa.int64()))
    con.register(name, data, types={c: types[c] for c in cols if c in types})
    try:
        distinct = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {name}) d").fetchall()[0][0]
        # DISTINCT ON keeps the first row per key in this order: the last incoming one.
        source = (f"SELECT DISTINCT ON ({keys}) {', '.join(cols)} FROM {name} ORDER BY {keys}, _ord DESC"
                  if distinct != data.num_rows else f"SELECT {', '.join(cols)} FROM {name} ORDER BY {keys}")
        conflict = conflict_clause(table, cols, key, keep_existing=keep_existing, mode=mode, row="ROW")
        flags = con.execute(f"INSERT INTO {table} ({', '.join(cols)}) {source} {conflict} "
                            f"RETURNING (xmax = 0)").fetchall()
    finally:
        con.unregister(name)
    inserted = sum(1 for (flag,) in flags if flag)
    written = len(flags)
    return result_type(inserted=inserted, updated=written - inserted, unchanged=distinct - written,
                       duplicates=data.num_rows - distinct)


def pg_insert_rows(con, table: str, data: pa.Table) -> int:
    name = f"_incoming_{next(_counter)}"
    types = target_types(con, table)
    con.register(name, data, types={c: types[c] for c in data.column_names if c in types})
    try:
        cols = ", ".join(data.column_names)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
    finally:
        con.unregister(name)
    return data.num_rows


def is_pg(con: Any) -> bool:
    return getattr(con, "backend", None) == "postgresql"
