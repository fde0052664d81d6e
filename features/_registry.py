"""The feature-view registry: every ``views/*.sql`` file is one view.

A view file starts with ``-- name:``, ``-- entity:`` and ``-- description:`` header lines (the
description may continue on ``--   `` lines), followed by one DuckDB SELECT that reads the
snapshot's tables as ``{snap}.<table>`` and returns one row per entity with the entity key first.
The version is a hash of the file's text, so editing a view changes its version.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import duckdb

from warehouse import UsageError, migrate

_HEADER = re.compile(r"^--\s*(name|entity|description):\s*(.*)$")


@dataclass(frozen=True)
class FeatureView:
    """One registered feature view."""

    name: str
    entity: str
    description: str
    sql: str
    version: str

    @property
    def table(self) -> str:
        """The gold table holding its rows, keyed by (snapshot_id, <entity>_id)."""
        return f"feature_{self.name}"

    @property
    def key(self) -> str:
        return f"{self.entity}_id"

    def query(self, source: str) -> str:
        """The SELECT with ``{snap}`` bound to the database alias of the snapshot."""
        return self.sql.replace("{snap}", source)

    def columns(self) -> list[tuple[str, str]]:
        """(name, type) of the output columns, from DuckDB on an empty schema."""
        return _output_columns(self.name)


def _parse(text: str) -> FeatureView:
    meta: dict[str, str] = {}
    body: list[str] = []
    last = None
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m and not body:
            last = m.group(1)
            meta[last] = m.group(2).strip()
        elif line.startswith("--") and last == "description" and not body:
            meta["description"] += " " + line.lstrip("-").strip()
        else:
            last = None
            if line.strip() or body:
                body.append(line)
    missing = {"name", "entity", "description"} - set(meta)
    if missing:
        raise ValueError(f"feature view file lacks header(s) {sorted(missing)}")
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return FeatureView(meta["name"], meta["entity"], meta["description"], "\n".join(body), version)


@lru_cache(maxsize=1)
def _load() -> tuple[FeatureView, ...]:
    views = []
    for entry in sorted(resources.files("features.views").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            views.append(_parse(entry.read_text(encoding="utf-8")))
    return tuple(views)


def list_views() -> list[FeatureView]:
    """Every registered view, by name."""
    return list(_load())


def get_view(name: str) -> FeatureView:
    """The view called ``name`` (UsageError listing the known names otherwise)."""
    for view in _load():
        if view.name == name:
            return view
    known = ", ".join(v.name for v in _load())
    raise UsageError(f"no feature view {name!r}; known views: {known}")


@lru_cache(maxsize=None)
def _output_columns(name: str) -> list[tuple[str, str]]:
    view = get_view(name)
    con = duckdb.connect(":memory:")
    try:
        migrate(con)
        rel = con.sql(view.query("memory.main"))
        return list(zip(rel.columns, [str(t) for t in rel.types]))
    finally:
        con.close()
