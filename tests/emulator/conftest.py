"""Fixtures for the emulator tests: one cached synthetic catalog, emulator subprocesses, spotipy clients."""

from __future__ import annotations

import polars as pl
import pytest

from ingest.emulator.running import running_emulator, spotipy_client, synthetic_catalog


@pytest.fixture(scope="session")
def catalog_dir(tmp_path_factory):
    return synthetic_catalog(tmp_path_factory.getbasetemp(), artists=2000, seed=7)


@pytest.fixture(scope="session")
def tables(catalog_dir):
    """The catalog's Parquet tables, read independently of the server (the expected answers)."""
    names = ["artists", "artist_genres", "albums", "album_artists", "tracks", "track_artists",
             "audio_features", "playlists", "playlist_items"]
    return {n: pl.read_parquet(catalog_dir / f"{n}.parquet") for n in names}


@pytest.fixture(scope="session")
def extended_emu(catalog_dir):
    with running_emulator(catalog_dir) as emu:
        yield emu


@pytest.fixture(scope="session")
def dev_emu(catalog_dir):
    with running_emulator(catalog_dir, mode="development") as emu:
        yield emu


@pytest.fixture(scope="session")
def sp(extended_emu):
    return spotipy_client(extended_emu)


@pytest.fixture(scope="session")
def sp_dev(dev_emu):
    return spotipy_client(dev_emu)
