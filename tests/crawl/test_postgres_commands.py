"""Commands with a PostgreSQL live warehouse (``warehouse.url``): those that work there go through
it, those that only know the DuckDB file refuse in one line instead of writing a file nobody reads.

Real CLI subprocesses; the jobs path runs against a real emulator and a private PostgreSQL cluster.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from ingest.emulator.running import running_emulator, synthetic_catalog
from warehouse import list_snapshots

from tests.conftest import REPO, real_data_dir

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


DUCKDB_ONLY_JOBS = ("build", "publish", "report", "retrain")  # in the default schedule


def test_the_scheduler_refuses_at_start_a_schedule_with_jobs_postgres_cannot_run(cli, tmp_path):
    """Refused before anything starts (before: it started, then logged a refusal each time one of
    those jobs came due, e.g. the nightly build at 05:00)."""
    res = cli("scheduler", env={"GENRESTORE_WAREHOUSE__URL": NOWHERE}, timeout=60)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr, res.stderr
    assert "warehouse.url" in res.stderr and "PostgreSQL" in res.stderr, res.stderr
    assert "(build, publish, report, retrain)" in res.stderr, res.stderr  # the enabled default ones
    assert "GENRESTORE_SCHEDULES__BUILD__ENABLED=false" in res.stderr, res.stderr
    assert not (tmp_path / "var" / "scheduler.sqlite").exists()  # no job store: nothing was scheduled

    # Only the jobs that work on PostgreSQL left enabled: it starts (and stops on SIGTERM with 0).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    env.update(PYTHONPATH=str(REPO), GENRESTORE_DATA=str(real_data_dir()), GENRESTORE_WAREHOUSE__URL=NOWHERE,
               **{f"GENRESTORE_SCHEDULES__{job.upper()}__ENABLED": "false" for job in DUCKDB_ONLY_JOBS})
    log = tmp_path / "scheduler.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "jobs", "--var", str(tmp_path / "var"), "scheduler"],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 60
            while "scheduler started" not in log.read_text() and proc.poll() is None:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            assert proc.poll() is None, log.read_text()
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
    assert code == 0, log.read_text()
    started = next(line for line in log.read_text().splitlines() if "scheduler started" in line)
    assert "crawl" in started and not any(job in started for job in DUCKDB_ONLY_JOBS), started


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
        base = [sys.executable, "-m", "jobs", "--var", str(var), "jobs", "history"]
        history = subprocess.run([*base, "--json"], env=env, capture_output=True, text=True, timeout=120)
        table = subprocess.run(base, env=env, capture_output=True, text=True, timeout=120)
        only_crawl = subprocess.run([*base, "crawl", "--json"], env=env, capture_output=True, text=True, timeout=120)
    crawled, published = json.loads(crawl.stdout), json.loads(snap.stdout)
    assert crawled["status"] == "succeeded" and crawled["counts"]["units_done"] > 0, crawled
    assert published["status"] == "succeeded", published
    assert not (var / "warehouse.duckdb").exists()  # everything went to PostgreSQL
    with psycopg.connect(pg_url) as con:
        runs = con.execute("SELECT job, status FROM job_runs ORDER BY started_at").fetchall()
        artists = con.execute("SELECT count(*) FROM artists").fetchone()[0]
    assert runs == [("crawl", "succeeded"), ("snapshot", "succeeded")]
    # `jobs history` reads PostgreSQL's job_runs (before: the DuckDB file or a snapshot, so nothing).
    assert history.returncode == 0, history.stderr
    assert [(r["run_id"], r["job"], r["status"]) for r in json.loads(history.stdout)] == [
        (published["run_id"], "snapshot", "succeeded"), (crawled["run_id"], "crawl", "succeeded")]
    assert [r["run_id"] for r in json.loads(only_crawl.stdout)] == [crawled["run_id"]]
    assert table.returncode == 0, table.stderr
    assert "2 run(s) from PostgreSQL warehouse" in " ".join(table.stdout.split()), table.stdout
    assert not (var / "warehouse.duckdb").exists()  # the history opened no DuckDB file either
    assert artists > 0
    snaps = list_snapshots(var / "snapshots")
    assert [s.snapshot_id for s in snaps] == [published["snapshot_id"]]
    assert snaps[0].row_counts["artists"] == artists
