"""Materializing feature views for one snapshot into their ``feature_<name>`` tables."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from warehouse import SnapshotInfo, WarehouseError, Writer

from ._registry import FeatureView, list_views
from ._snapshot_source import attached_snapshot
from warehouse import first_row


@dataclass(frozen=True)
class ViewBuild:
    name: str
    version: str
    snapshot_id: str
    rows: int
    content_hash: str
    seconds: float


def rows_hash(con: duckdb.DuckDBPyConnection, table: str, snapshot_id: str) -> str:
    """Order-independent hash of one snapshot's rows of a gold table (no timestamps in them).

    Floating-point columns are rounded to 6 decimals first: parallel aggregation may sum in a
    different order on a rebuild, which can change the last bits but not the value.
    """
    cols = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
        "AND database_name = current_database() ORDER BY column_index", [table],
    ).fetchall()
    exprs = [f"round({c}, 6)" if t in ("DOUBLE", "FLOAT") else c for c, t in cols]
    n, h = first_row(con.execute(
        f"SELECT count(*), coalesce(sum(hash({', '.join(exprs)})::HUGEINT), 0) FROM {table} WHERE snapshot_id = ?",
        [snapshot_id],
    ))
    import hashlib

    return hashlib.sha256(f"{table}:{n}:{h}".encode()).hexdigest()[:16]


def _materialize_one(con: duckdb.DuckDBPyConnection, view: FeatureView, source: str,
                     snapshot_id: str) -> ViewBuild:
    start = time.perf_counter()
    con.execute(f"DELETE FROM {view.table} WHERE snapshot_id = ?", [snapshot_id])
    try:
        con.execute(
            f"INSERT INTO {view.table} BY NAME SELECT ? AS snapshot_id, v.* FROM ({view.query(source)}) v",
            [snapshot_id],
        )
    except duckdb.Error as exc:
        raise WarehouseError(f"feature view {view.name} failed on snapshot {snapshot_id}: {exc}") from None
    n = first_row(con.execute(f"SELECT count(*) FROM {view.table} WHERE snapshot_id = ?", [snapshot_id]))[0]
    chash = rows_hash(con, view.table, snapshot_id)
    seconds = time.perf_counter() - start
    con.execute(
        "INSERT OR REPLACE INTO feature_views VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [view.name, view.version, snapshot_id, view.entity, n, chash,
         datetime.now(timezone.utc).replace(tzinfo=None), seconds],
    )
    return ViewBuild(view.name, view.version, snapshot_id, int(n), chash, seconds)


def build_views(writer: Writer, snapshot: SnapshotInfo, names: list[str] | None = None,
                progress=None) -> list[ViewBuild]:
    """Materialize the views (all, or ``names``) for ``snapshot``; each view is one transaction.

    Rebuilding replaces that snapshot's rows, and gives the same content hash as long as the
    view's definition is unchanged (it reads only the snapshot).
    """
    views = [v for v in list_views() if names is None or v.name in names]
    unknown = set(names or []) - {v.name for v in views}
    if unknown:
        from ._registry import get_view

        get_view(sorted(unknown)[0])  # raises UsageError with the known names
    out = []
    with attached_snapshot(writer.con, snapshot) as source:
        for view in views:
            with writer.transaction() as con:
                out.append(_materialize_one(con, view, source, snapshot.snapshot_id))
            if progress is not None:
                progress(view.name)
    return out
