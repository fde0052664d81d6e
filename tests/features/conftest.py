"""Fixtures for the features tests: a synthetic warehouse + snapshot, and one real MusicOSet build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from features import GenreTaxonomy, build_all, write_synthetic_catalog
from warehouse import Writer, create_snapshot

SYNTHETIC_ARTISTS = 3000


def small_taxonomy(**kw) -> GenreTaxonomy:
    """Fast settings for tests where the stability figure is not the point."""
    params = dict(min_artists=10, k_min=12, k_max=20, n_bootstrap=4, random_state=0)
    params.update(kw)
    return GenreTaxonomy(**params)


@pytest.fixture(scope="session")
def synthetic_warehouse(tmp_path_factory):
    """(warehouse path, snapshots dir, SnapshotInfo) of a 3,000-artist synthetic catalog."""
    root = tmp_path_factory.mktemp("synthetic")
    path, snaps = root / "warehouse.duckdb", root / "snapshots"
    with Writer(path, command="tests: synthetic_warehouse") as writer:
        write_synthetic_catalog(writer, SYNTHETIC_ARTISTS, tracks_per_artist=6, seed=1)
        info = create_snapshot(writer, snaps)
    return path, snaps, info


@pytest.fixture
def synthetic_copy(synthetic_warehouse, tmp_path):
    """A private copy of the synthetic warehouse (write freely) + its snapshot."""
    path, snaps, info = synthetic_warehouse
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(path, copy)
    return copy, snaps, info


@pytest.fixture(scope="session")
def musicoset_build(musicoset_warehouse, tmp_path_factory):
    """One full build (real taxonomy settings) on a copy of the MusicOSet warehouse with FMA's
    genre tree imported too (the fma placement route), from a snapshot of that copy.

    Returns (warehouse path, SnapshotInfo of the snapshot built from, BuildReport).
    """
    from ingest.datasets import import_fma_genres

    from ..conftest import real_data_dir

    root = tmp_path_factory.mktemp("musicoset_build")
    copy = root / "warehouse.duckdb"
    shutil.copy(musicoset_warehouse, copy)
    with Writer(copy, command="tests: musicoset_build") as writer:
        import_fma_genres(writer, real_data_dir() / "fma_metadata" / "genres.csv.gz", progress=False)
        snapshot = create_snapshot(writer, root / "snapshots")
        report = build_all(writer, snapshot, progress=False)
    return copy, snapshot, report
