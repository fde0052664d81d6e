"""What models learn from: features joined to labels and the stored split, per snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from warehouse import UsageError, fetch_arrow

from ._labels import multi_hot
from ._registry import list_views

_KEYS = {"snapshot_id", "artist_id"}


@dataclass
class TrainingData:
    """Labelled (tagged) artists of one snapshot, in artist_id order."""

    snapshot_id: str
    taxonomy_version: int
    artist_ids: list[str]
    X: pl.DataFrame           # numeric features only (Float64), no ids or names
    Y: np.ndarray             # n × k 0/1, columns in family_ids order
    family_ids: list[int]     # the groups of ``level`` (families by default)
    family_names: list[str]
    fold: np.ndarray          # 'train' | 'test' per row
    cv_fold: np.ndarray       # 0-4 for train rows, -1 for test rows
    level: str = "family"     # 'family' (the headline) or 'subfamily'


@dataclass
class UnlabeledData:
    """Artists without usable tags (genres [] or unknown), same feature columns as TrainingData."""

    snapshot_id: str
    taxonomy_version: int
    artist_ids: list[str]
    X: pl.DataFrame
    state: np.ndarray         # 'untagged' | 'unknown' | 'unplaced'


def resolve_version(con: duckdb.DuckDBPyConnection, snapshot_id: str, taxonomy_version: int | None) -> int:
    if taxonomy_version is not None:
        n = con.execute("SELECT count(*) FROM artist_labels WHERE snapshot_id = ? AND taxonomy_version = ?",
                        [snapshot_id, taxonomy_version]).fetchall()[0][0]
        if not n:
            raise UsageError(f"no labels for snapshot {snapshot_id} with taxonomy version {taxonomy_version}; "
                             "run `genrestore features build`")
        return taxonomy_version
    v = con.execute("SELECT max(taxonomy_version) FROM artist_labels WHERE snapshot_id = ?", [snapshot_id]).fetchall()[0][0]
    if v is None:
        raise UsageError(f"no labels built for snapshot {snapshot_id}; run `genrestore features build`")
    return int(v)


def _feature_select() -> tuple[str, str]:
    """(select list, joins) over every feature table, keyed on the labels' artist_id."""
    cols, joins = [], []
    for i, view in enumerate(list_views()):
        alias = f"f{i}"
        for name, _ in view.columns():
            if name not in _KEYS:
                cols.append(f'CAST({alias}."{name}" AS DOUBLE) AS "{name}"')
        joins.append(f"LEFT JOIN {view.table} {alias} ON {alias}.snapshot_id = l.snapshot_id AND {alias}.artist_id = l.artist_id")
    return ", ".join(cols), " ".join(joins)


def _features(con, where: str, params: list, extra: str, extra_join: str = "") -> pl.DataFrame:
    cols, joins = _feature_select()
    sql = (f"SELECT l.artist_id, {extra}, {cols} FROM artist_labels l {extra_join} {joins} "
           f"WHERE {where} ORDER BY l.artist_id")
    return pl.from_arrow(fetch_arrow(con.sql(sql, params=params)))


def _has_levels(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'genre_families' "
                            "AND column_name = 'level' AND database_name = current_database()").fetchall()[0][0])


def training_data(con: duckdb.DuckDBPyConnection, snapshot_id: str, taxonomy_version: int | None = None,
                  level: str = "family") -> TrainingData:
    """Tagged artists with features X, multi-hot groups Y of ``level`` and the stored split."""
    if level not in ("family", "subfamily"):
        raise UsageError(f"unknown taxonomy level {level!r}; use family or subfamily")
    version = resolve_version(con, snapshot_id, taxonomy_version)
    column = "l.families" if level == "family" else "l.subfamilies AS families"
    df = _features(
        con,
        "l.snapshot_id = ? AND l.taxonomy_version = ? AND l.state = 'tagged'",
        [snapshot_id, version],
        f"{column}, s.fold AS _fold, s.cv_fold AS _cv_fold",
        "JOIN splits s ON s.snapshot_id = l.snapshot_id AND s.taxonomy_version = l.taxonomy_version "
        "AND s.artist_id = l.artist_id",
    )
    where = "AND coalesce(level, 'family') = ?" if _has_levels(con) else "AND 'family' = ?"
    fams = con.execute(f"SELECT family_id, name FROM genre_families WHERE version = ? {where} ORDER BY family_id",
                       [version, level]).fetchall()
    family_ids = [int(f) for f, _ in fams]
    Y = multi_hot(df.get_column("families").to_list(), family_ids)
    X = df.drop(["artist_id", "families", "_fold", "_cv_fold"])
    return TrainingData(snapshot_id, version, df.get_column("artist_id").to_list(), X, Y, family_ids,
                        [n for _, n in fams], np.array(df.get_column("_fold").to_list(), dtype=object),
                        df.get_column("_cv_fold").to_numpy().astype(int), level)


def unlabeled_data(con: duckdb.DuckDBPyConnection, snapshot_id: str, taxonomy_version: int | None = None) -> UnlabeledData:
    """Artists without a placed tag (genres empty, unknown, or no tag placed), same columns as training_data."""
    version = resolve_version(con, snapshot_id, taxonomy_version)
    df = _features(con, "l.snapshot_id = ? AND l.taxonomy_version = ? AND l.state <> 'tagged'",
                   [snapshot_id, version], "l.state")
    return UnlabeledData(snapshot_id, version, df.get_column("artist_id").to_list(),
                         df.drop(["artist_id", "state"]), np.array(df.get_column("state").to_list(), dtype=object))
