"""The ``ON CONFLICT`` clause of a keyed merge, one text for DuckDB and PostgreSQL.

An upsert mode says how an incoming value (``EXCLUDED``) meets the stored one; a row is rewritten
only when a compared column would change, so loading the same rows twice writes nothing.
"""

from __future__ import annotations

from typing import Iterable, Sequence

# Columns that record when a row was touched; they never make a row "changed".
TOUCH_COLUMNS = ("updated_at", "first_seen_at")
# How an incoming value (new) meets the stored one (old), per upsert mode.
MODES = {"replace": "{new}", "coalesce": "COALESCE({new}, {old})", "fill": "COALESCE({old}, {new})"}


def conflict_clause(table: str, cols: Sequence[str], key: Sequence[str], *, keep_existing: Iterable[str],
                    mode: str, row: str = "") -> str:
    """``ON CONFLICT (key) DO UPDATE SET … WHERE (old) IS DISTINCT FROM (new)`` for the incoming
    ``cols`` (``DO NOTHING`` when no column may change). ``row`` prefixes both sides of the
    comparison (PostgreSQL's ``ROW``, so a single compared column is still a row comparison)."""
    keys = ", ".join(key)
    keep = set(keep_existing) | set(key)
    updatable = [c for c in cols if c not in keep]
    compare = [c for c in updatable if c not in TOUCH_COLUMNS]
    if not (updatable and compare):
        return f"ON CONFLICT ({keys}) DO NOTHING"
    value = {c: MODES[mode].format(new=f"EXCLUDED.{c}", old=f"{table}.{c}") for c in compare}
    sets = ", ".join(f"{c} = {value.get(c, f'EXCLUDED.{c}')}" for c in updatable)
    old = ", ".join(f"{table}.{c}" for c in compare)
    new = ", ".join(value[c] for c in compare)
    return f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE {row}({old}) IS DISTINCT FROM {row}({new})"
