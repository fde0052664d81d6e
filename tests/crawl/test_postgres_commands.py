"""Commands with a PostgreSQL live warehouse (``warehouse.url``): those that work there go through
it, those that only know the DuckDB file refuse in one line instead of writing a file nobody reads.

Real CLI subprocesses; the jobs path runs against a real emulator and a private PostgreSQL cluster.
"""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest

from ingest.emulator.running import running_emulator, synthetic_catalog
from warehouse import list_snapshots

from ._support import cli_env, top_genres

# Nothing listens here: a refusal must come before any connection is tried.
NOWHERE = "postgresql://nobody@127.0.0.1:9/none"


@pytest.mark.parametrize("args", [
    ("jobs", "run", "build"),
    ("jobs", "run", "cycle"),
    ("sql", "--live", "SELECT 1"),
    ("train", "--task", "artist-families"),
    ("models", "promote", "some-model"),
    ("predict",),
], ids=lambda a: " ".join(a[:3]))
def test_a_command_that_only_knows_the_duckdb_file_refuses_a_postgres_warehouse(cli, tmp_path, args):
    res = cli(*args, env={"GENRESTORE_WAREHOUSE__URL": NOWHERE})
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "warehouse.url" in res.stderr and "PostgreSQL" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) <= 3, res.stderr
    assert "nobody" not in res.stderr
    assert not (tmp_path / "var" / "warehouse.duckdb").exists()  # no DuckDB file written on the side


@pytest.mark.slow
def test_the_crawl_and_snapshot_jobs_work_on_a_postgres_warehouse(pg_url, tmp_path):
    catalog = synthetic_catalog(tmp_path, artists=40, seed=11)
    var = tmp_path / "var"
    with running_emulator(catalog) as emu:
        env = cli_env(emu, GENRESTORE_WAREHOUSE__URL=pg_url)
        seeds = f"seeds=genre:{top_genres(catalog, 1)[0]}"

        def job(*args):
            return subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "jobs", "run", *args, "--json"],
                                  env=env, capture_output=True, text=True, timeout=300)

        crawl = job("crawl", "-o", seeds)
        assert crawl.returncode == 0, crawl.stderr
        snap = job("snapshot")
        assert snap.returncode == 0, snap.stderr
    crawled, published = json.loads(crawl.stdout), json.loads(snap.stdout)
    assert crawled["status"] == "succeeded" and crawled["counts"]["units_done"] > 0, crawled
    assert published["status"] == "succeeded", published
    assert not (var / "warehouse.duckdb").exists()  # everything went to PostgreSQL
    with psycopg.connect(pg_url) as con:
        runs = con.execute("SELECT job, status FROM job_runs ORDER BY started_at").fetchall()
        artists = con.execute("SELECT count(*) FROM artists").fetchone()[0]
    assert runs == [("crawl", "succeeded"), ("snapshot", "succeeded")]
    assert artists > 0
    snaps = list_snapshots(var / "snapshots")
    assert [s.snapshot_id for s in snaps] == [published["snapshot_id"]]
    assert snaps[0].row_counts["artists"] == artists
