"""Reading one published snapshot: the one reader of snapshot files for features and modeling.

A build attaches the snapshot file read-only under a private alias (:func:`attached_snapshot`), so
every query sees exactly what the snapshot holds (point in time) while results are written into the
live warehouse. Feature groups computed at training and prediction time (name cues, artist type,
collaborator genre, text and release) open the snapshot file itself (:func:`snapshot_connection`)
when the ``snapshots`` table knows it, so training and prediction see the same point in time;
without one (tests, or a connection that *is* a snapshot) they read the connection's own tables.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Any, Iterator

import duckdb

from warehouse import SnapshotInfo, WarehouseError, connect_readonly, database_dir, resolve_recorded

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


def _has_table(con: duckdb.DuckDBPyConnection, source: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                            [source, table]).fetchall()[0][0])


def artist_genres_frame(con: duckdb.DuckDBPyConnection, source: str):
    """(artist_id, genres, label_source) of every artist in the snapshot as polars.

    Tags come from every label source the snapshot holds: ``artists.genres`` (imported data sets and
    crawled artist objects) and ``artist_genre_hits`` (the artists a genre search returned, the
    genre evidence development-mode crawls still get). genres NULL = unknown, [] = none.
    """
    import polars as pl

    from warehouse import fetch_arrow

    if _has_table(con, source, "artist_genre_hits"):
        sql = f"""
            WITH h AS (SELECT artist_id, list(DISTINCT genre) AS hit_genres
                       FROM {source}.main.artist_genre_hits GROUP BY artist_id)
            SELECT a.artist_id,
                   CASE WHEN h.hit_genres IS NULL THEN a.genres
                        ELSE list_sort(list_distinct(list_concat(coalesce(a.genres, []), h.hit_genres))) END AS genres,
                   CASE WHEN h.hit_genres IS NOT NULL AND len(coalesce(a.genres, [])) > 0 THEN 'genres+hits'
                        WHEN h.hit_genres IS NOT NULL THEN 'hits'
                        WHEN len(a.genres) > 0 THEN 'genres' END AS label_source
            FROM {source}.main.artists a LEFT JOIN h USING (artist_id) ORDER BY a.artist_id"""
    else:
        sql = (f"SELECT artist_id, genres, CASE WHEN len(genres) > 0 THEN 'genres' END AS label_source "
               f"FROM {source}.main.artists ORDER BY artist_id")
    return pl.from_arrow(fetch_arrow(con.sql(sql)))


def genre_hierarchy(con: duckdb.DuckDBPyConnection, source: str):
    """The FMA genre tree of the snapshot (``fma_genres``), or None when it was not imported."""
    from ._fma import GenreHierarchy

    if not _has_table(con, source, "fma_genres"):
        return None
    rows = con.execute(f"SELECT genre_id, title, parent_id FROM {source}.main.fma_genres").fetchall()
    return GenreHierarchy(rows, name="fma") if rows else None


@contextmanager
def snapshot_connection(con, snapshot_id: str | None) -> Iterator[Any]:
    """A read-only connection to the snapshot's file, or ``con`` itself when there is none."""
    path = None
    if snapshot_id is not None:
        try:
            rows = con.execute("SELECT path FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchall()
        except duckdb.Error:  # no snapshots table on this connection
            rows = []
        if rows:  # recorded relative to the warehouse's directory (var/)
            found = resolve_recorded(rows[0][0], database_dir(con))
            path = found if found.exists() else None
    if path is None:
        yield con
        return

    snap = connect_readonly(path)
    try:
        yield snap
    finally:
        snap.close()


def artist_column(con, snapshot_id: str | None, artist_ids, column: str) -> list:
    """One ``artists`` column for ``artist_ids`` from the snapshot; an artist not found gives None."""
    with snapshot_connection(con, snapshot_id) as source:
        lookup = dict(source.execute(f'SELECT artist_id, "{column}" FROM artists').fetchall())
    return [lookup.get(str(a)) for a in artist_ids]
