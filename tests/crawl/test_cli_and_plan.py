"""`crawl plan`, `crawl status` and the budget plan (no emulator needed; seeds: test_seeds.py)."""

from __future__ import annotations

import json

import pytest

from ingest.crawl import plan_crawl
from warehouse import Writer


def test_plan_matches_the_worked_example_of_the_api_notes():
    # docs/spotify-web-api.md §8.5: N = 10,000, R = 6, T = 8 → EQM 200 + 3,000 albums + 10,000
    # discography pages + 9,600 track batches; DEV 1,000 search pages + 10,000 pages + 60,000 albums.
    ext, dev = plan_crawl(10_000, per_track_detail=None, audio_features=False)
    assert ext.steps["search pages"] == 200 and ext.steps["album objects (batch 20)"] == 3_000
    assert ext.steps["discography pages (50)"] == 10_000 and ext.steps["full tracks (batch 50)"] == 9_600
    assert dev.steps["search pages"] == 1_000 and dev.steps["album objects (single)"] == 60_000
    assert dev.requests > 3 * ext.requests
    assert ext.seconds == pytest.approx(ext.requests / 90 * 30)


def test_cli_plan_status_and_bad_seed(cli, tmp_path):
    plan = cli("crawl", "plan", "--artists", "1000", "--json")
    assert plan.returncode == 0, plan.stderr
    modes = {e["mode"]: e for e in json.loads(plan.stdout)}
    assert set(modes) == {"extended", "development"} and modes["development"]["requests"] > modes["extended"]["requests"]
    nowhere = cli("crawl", "status", "--json")  # no warehouse here: says so, creates none
    assert nowhere.returncode == 1 and "no warehouse at" in nowhere.stderr
    assert not (tmp_path / "var" / "warehouse.duckdb").exists()
    with Writer(tmp_path / "var" / "warehouse.duckdb"):
        pass
    status = cli("crawl", "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["queue"] == {}
    bad = cli("crawl", "--seeds", "rock", env={"SPOTIFY_CLIENT_ID": "x", "SPOTIFY_CLIENT_SECRET": "y"})
    assert bad.returncode == 2 and "bad seed" in bad.stderr and "Traceback" not in bad.stderr
    helptext = cli("crawl", "--help")
    assert "--max-requests" in helptext.stdout and "--token-url" in helptext.stdout
