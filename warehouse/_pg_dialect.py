"""DuckDB SQL as PostgreSQL runs it: the few rewrites the warehouse's statements need.

The warehouse's SQL is written for DuckDB and mostly portable. What differs, and is rewritten here
outside string literals and comments: ``?`` placeholders (psycopg wants ``%s``, and then a literal
``%`` must be doubled), ``INSERT INTO t BY NAME SELECT ...`` (PostgreSQL needs the column list),
and the type name ``DOUBLE`` in migrations. Anything else DuckDB-only must be written portably at
its call site; the tests run the same statements on both engines.
"""

from __future__ import annotations

import re
from typing import Callable

import pyarrow as pa

_SEGMENTS = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*)", re.S)


def outside_literals(sql: str, fn: Callable[[str], str]) -> str:
    """``sql`` with ``fn`` applied to every part that is not a string, quoted name or comment."""
    parts = _SEGMENTS.split(sql)
    return "".join(p if i % 2 else fn(p) for i, p in enumerate(parts))


def placeholders(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%`` (psycopg's parameter syntax), literals left alone."""
    return outside_literals(sql, lambda s: s.replace("%", "%%").replace("?", "%s"))


def ddl(sql: str) -> str:
    """A DuckDB migration as PostgreSQL DDL."""
    return outside_literals(sql, lambda s: re.sub(r"\bDOUBLE\b(?!\s+PRECISION)", "DOUBLE PRECISION", s))


def _split_top_level(text: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [p.strip() for p in out]


_BY_NAME = re.compile(r"INSERT\s+INTO\s+(\w+)\s+BY\s+NAME\s+SELECT\s+(.*?)\s+FROM\s+(\w+)", re.S | re.I)


def by_name(sql: str, columns_of: Callable[[str], list[str]]) -> str:
    """``INSERT INTO t BY NAME SELECT a.x, y AS z FROM src ...`` with an explicit column list.

    Each selected expression's name is its alias, else its last dotted part; ``*`` takes the
    columns of ``src`` (``columns_of``: a registered table's columns)."""
    m = _BY_NAME.search(sql)
    if not m:
        return sql
    table, select, source = m.groups()
    names = []
    for expr in _split_top_level(select):
        alias = re.search(r"\s+AS\s+(\w+)$", expr, re.I)
        if alias:
            names.append(alias.group(1))
        elif expr == "*":
            names.extend(columns_of(source))
        else:
            names.append(expr.split(".")[-1])
    select_list = ", ".join(columns_of(source)) if select.strip() == "*" else select
    return (sql[:m.start()] + f"INSERT INTO {table} ({', '.join(names)}) SELECT {select_list} FROM {source}"
            + sql[m.end():])


def pg_type(t: pa.DataType) -> str | None:
    """The PostgreSQL column type for an Arrow type (None: Arrow's null type, no type known)."""
    if pa.types.is_dictionary(t):
        return pg_type(t.value_type)
    if pa.types.is_null(t):
        return None
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "varchar"  # as the warehouse's columns: varchar[] and text[] do not compare
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer" if t.bit_width <= 16 or (t.bit_width == 32 and pa.types.is_signed_integer(t)) else "bigint"
    if pa.types.is_floating(t):
        return "double precision"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = pg_type(t.value_type)
        return f"{inner or 'varchar'}[]"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "bytea"
    return "text"
