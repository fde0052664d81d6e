"""The demo never crawls a catalog into a warehouse that holds artists from another source."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from jobs import load_settings
from warehouse import WarehouseError, Writer, upsert

# Spotify-style ids as a MusicOSet import or crawl stores them; no synthetic catalog has them.
MUSICOSET_LIKE = {"3TVXtAsR1Inumwj472S9r4": "Drake", "1Xyo4u8uXC1ZmMpatF05PJ": "The Weeknd",
                  "06HL4z0CvFAxyc27GXpf02": "Taylor Swift"}


def _warehouse_with(var, artist_ids) -> None:
    with Writer(var / "warehouse.duckdb") as w:
        with w.transaction() as con:
            upsert(con, "artists", [{"artist_id": a, "name": a, "genres": ["pop"], "source": "t"} for a in artist_ids],
                   ["artist_id"])


def test_synthetic_demo_refuses_a_warehouse_holding_other_artists(cli, tmp_path):
    _warehouse_with(tmp_path / "var", MUSICOSET_LIKE)
    res = cli("demo", "--synthetic", "--artists", "60", "--crawl-minutes", "0.01", timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    line = res.stderr.strip().splitlines()
    assert len(line) == 1 and "Traceback" not in res.stderr, res.stderr
    assert f"refusing to crawl the synthetic (60 artists) catalog into {tmp_path / 'var' / 'warehouse.duckdb'}" in line[0]
    assert "it holds 3 artists and only 0 of 3 checked" in line[0] and "another --var" in line[0]
    con = duckdb.connect(str(tmp_path / "var" / "warehouse.duckdb"), read_only=True)
    try:  # nothing was crawled or recorded into it
        assert con.execute("SELECT count(*) FROM crawl_runs").fetchall() == [(0,)]
        assert sorted(r[0] for r in con.execute("SELECT artist_id FROM artists").fetchall()) == sorted(MUSICOSET_LIKE)
    finally:
        con.close()


def test_catalog_check_both_ways(tmp_path):
    from ingest.emulator import build_synthetic_catalog
    from jobs._demo import _check_catalog_matches

    synthetic = tmp_path / "catalog-synthetic"
    build_synthetic_catalog(synthetic, 60, 0)
    crawled = pl.read_parquet(synthetic / "artists.parquet")["artist_id"].to_list()[:40]
    musicoset = tmp_path / "catalog-musicoset"
    musicoset.mkdir()
    pl.DataFrame({"artist_id": list(MUSICOSET_LIKE)}).write_parquet(musicoset / "artists.parquet")

    settings = load_settings(var_dir=tmp_path / "var", data_dir=tmp_path / "data")
    _check_catalog_matches(settings, synthetic, "synthetic (60 artists)")  # no warehouse yet: fine
    _warehouse_with(tmp_path / "var", crawled)
    _check_catalog_matches(settings, synthetic, "synthetic (60 artists)")  # its own catalog: a re-run
    with pytest.raises(WarehouseError, match=r"refusing to crawl the MusicOSet catalog .* only 0 of 40 checked"):
        _check_catalog_matches(settings, musicoset, "MusicOSet")
