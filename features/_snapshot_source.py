"""Reading one published snapshot from the writer's connection.

A build attaches the snapshot file read-only under a private alias, so every query sees exactly
what the snapshot holds (point in time) while results are written into the live warehouse.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Iterator

import duckdb

from warehouse import SnapshotInfo, WarehouseError

_counter = itertools.count()


@contextmanager
def attached_snapshot(con: duckdb.DuckDBPyConnection, info: SnapshotInfo) -> Iterator[str]:
    """Attach ``info.path`` read-only; yield its alias; detach afterwards."""
    alias = f"_fsnap_{next(_counter)}"
    try:
        con.execute(f"ATTACH '{info.path}' AS {alias} (READ_ONLY)")
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read snapshot {info.snapshot_id} at {info.path}: {exc}") from None
    try:
        yield alias
    finally:
        try:
            con.execute(f"DETACH {alias}")
        except duckdb.Error:
            pass


def artist_genres_frame(con: duckdb.DuckDBPyConnection, source: str):
    """(artist_id, genres) of every artist in the snapshot as polars; genres NULL = unknown."""
    import polars as pl

    from warehouse import fetch_arrow

    table = fetch_arrow(con.sql(f"SELECT artist_id, genres FROM {source}.main.artists ORDER BY artist_id"))
    return pl.from_arrow(table)
