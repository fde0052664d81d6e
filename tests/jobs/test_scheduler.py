"""The scheduler as a real process: runs jobs on schedule, one at a time, refuses a second instance,
exits 0 on SIGTERM, keeps its schedules across restarts."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, real_data_dir


def start_scheduler(cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    full.update({"PYTHONPATH": str(REPO), "GENRESTORE_DATA": str(real_data_dir())}, **env)
    return subprocess.Popen([sys.executable, "-m", "jobs", "scheduler"], cwd=cwd, env=full,
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen, timeout: float = 60) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=timeout)


def job_runs(var: Path) -> list[tuple]:
    con = duckdb.connect(str(var / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT job, status, trigger FROM job_runs ORDER BY started_at").fetchall()
    finally:
        con.close()


BAD_CRON = "61 25 * * *"


@pytest.mark.parametrize("where", ["env", "toml"])
@pytest.mark.parametrize("command", [("jobs", "list"), ("scheduler",), ("config",)])
def test_an_invalid_cron_is_refused_when_settings_load(tmp_path, cli, command, where):
    """Any command that loads the settings refuses it: one line naming the key and the value,
    exit 2, no traceback; the scheduler starts nothing (before: `jobs list` showed it, the
    scheduler logged a traceback and ran on without it)."""
    env = {}
    if where == "env":
        env["GENRESTORE_SCHEDULES__REPORT__CRON"] = BAD_CRON
    else:
        (tmp_path / "genrestore.toml").write_text(f'[schedules.report]\ncron = "{BAD_CRON}"\n')
    r = cli(*command, env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: invalid setting schedules.report.cron: ")
    assert lines[0].endswith(f"(got '{BAD_CRON}')")
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("env, message", [
    ({"GENRESTORE_SCHEDULES__CRAWL__INTERVAL_SECONDS": "0"},
     "invalid setting schedules.crawl.interval_seconds: Input should be greater than 0 (got '0')"),
    ({"GENRESTORE_SCHEDULES__CRAWL__INTERVAL_SECONDS": "60", "GENRESTORE_SCHEDULES__CRAWL__CRON": "0 * * * *"},
     "invalid setting schedules.crawl: give exactly one of interval_seconds or cron "
     "(got interval_seconds=60 and cron='0 * * * *')"),
    ({"GENRESTORE_SCHEDULES__CRAWL__OPTIONS__MAX_MINUTES": "5"},
     "invalid setting schedules.crawl: give exactly one of interval_seconds or cron "
     "(got neither; a configured schedule replaces the default one)"),
    ({"GENRESTORE_SCHEDULES__REPROT__CRON": "0 6 * * *"},
     "invalid setting schedules.reprot: no such job (jobs: crawl, refresh,"),
    ({"GENRESTORE_SCHEDULES__PRUNE__CRON": "0 7 * * *", "GENRESTORE_SCHEDULES__PRUNE__OPTIONS__KEPP": "2"},
     "invalid setting schedules.prune.options: job prune has no option 'kepp' (options: keep)"),
    ({"GENRESTORE_SCHEDULES__PRUNE__CRON": "0 7 * * *", "GENRESTORE_SCHEDULES__PRUNE__OPTIONS__KEEP": "two"},
     "invalid setting schedules.prune.options: job prune option keep: 'two' is not a valid int"),
], ids=["interval-0", "cron-and-interval", "neither", "unknown-job", "unknown-option", "bad-option-value"])
def test_invalid_schedules_are_refused_when_settings_load(cli, env, message):
    r = cli("jobs", "list", env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith(f"error: {message}"), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_scheduler_runs_jobs_refuses_a_second_instance_and_restarts(tmp_path, cli):
    env = {
        "GENRESTORE_SCHEDULES__SNAPSHOT__INTERVAL_SECONDS": "1",
        "GENRESTORE_SCHEDULES__PRUNE__INTERVAL_SECONDS": "2",
        "GENRESTORE_SCHEDULES__PRUNE__OPTIONS__KEEP": "2",
        "GENRESTORE_SCHEDULES__REPORT__ENABLED": "false",
        "GENRESTORE_SCHEDULES__PUBLISH__ENABLED": "false",
    }
    log = tmp_path / "sched1.log"
    proc = start_scheduler(tmp_path, env, log)
    try:
        wait_for(lambda: re.search(r"job prune succeeded .*removed [1-9]", log.read_text()), 60,
                 "a scheduled prune that removed a snapshot")
        second = subprocess.run(
            [sys.executable, "-m", "jobs", "scheduler"], cwd=tmp_path, capture_output=True, text=True, timeout=30,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert second.returncode == 1
        assert f"a scheduler already runs on {tmp_path / 'var'}: pid {proc.pid}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        t0 = time.monotonic()
        code = stop(proc)
        took = time.monotonic() - t0
    text = log.read_text()
    assert code == 0, text
    assert took < 30, f"took {took:.1f}s to stop"
    assert "scheduler stopped" in text
    assert "Traceback" not in text and " ERROR " not in text, text[-3000:]
    assert "scheduled report" not in text  # disabled by configuration
    assert "grace 21600s" in text  # per-job grace time, not APScheduler's 1 s
    runs = job_runs(tmp_path / "var")
    assert {(j, s, t) for j, s, t in runs} >= {("snapshot", "succeeded", "scheduled"), ("prune", "succeeded", "scheduled")}
    assert all(s != "running" for _, s, _ in runs)
    snaps = sorted((tmp_path / "var" / "snapshots").glob("*.json"))
    published = sum(1 for j, s, _ in runs if (j, s) == ("snapshot", "succeeded"))
    assert len(snaps) < published  # the scheduled prune removed the older ones

    # Restart: unchanged schedules are kept from the job store, a changed one is replaced.
    log2 = tmp_path / "sched2.log"
    env2 = {**env, "GENRESTORE_SCHEDULES__PRUNE__INTERVAL_SECONDS": "3"}
    proc = start_scheduler(tmp_path, env2, log2)
    try:
        wait_for(lambda: "job snapshot succeeded" in log2.read_text(), 60, "a snapshot after restart")
    finally:
        code = stop(proc)
    text2 = log2.read_text()
    assert code == 0, text2
    assert "Traceback" not in text2 and " ERROR " not in text2, text2[-3000:]
    assert "kept snapshot: interval[0:00:01]" in text2
    assert "kept refresh: cron" in text2
    assert "scheduled prune: interval[0:00:03]" in text2
    assert len(job_runs(tmp_path / "var")) > len(runs)
    assert (tmp_path / "var" / "scheduler.sqlite").exists()


def pretend_stopped_for(var: Path, seconds: float, jobs: set[str]) -> None:
    """A fake clock for a stopped scheduler: move the stored next run times of ``jobs`` ``seconds``
    into the past, as if it had been down that long (instead of sleeping through the run times)."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(url=f"sqlite:///{var / 'scheduler.sqlite'}")
    store.start(None, "default")
    try:
        for job in store.get_all_jobs():
            if job.id not in jobs:
                continue
            job.next_run_time -= timedelta(seconds=seconds)
            store.update_job(job)
    finally:
        store.shutdown()


@pytest.mark.slow
def test_runs_missed_while_stopped_are_coalesced_and_honour_each_jobs_grace(tmp_path):
    """Stopped across several run times: a job within its grace time runs once on restart, a job
    whose grace time has passed is recorded as missed, once (coalesced), never dropped silently."""
    env = {
        "GENRESTORE_SCHEDULES__SNAPSHOT__INTERVAL_SECONDS": "3600",  # default grace: 6 h
        "GENRESTORE_SCHEDULES__PRUNE__INTERVAL_SECONDS": "3600",
        "GENRESTORE_SCHEDULES__PRUNE__MISFIRE_GRACE_SECONDS": "60",
        "GENRESTORE_SCHEDULES__REPORT__ENABLED": "false",
        "GENRESTORE_SCHEDULES__PUBLISH__ENABLED": "false",
    }
    log = tmp_path / "sched1.log"
    proc = start_scheduler(tmp_path, env, log)
    try:  # stop as soon as both jobs are stored, an hour before their first run time
        wait_for(lambda: "scheduled prune" in log.read_text() and "scheduled snapshot" in log.read_text(), 60,
                 "both jobs stored")
    finally:
        assert stop(proc) == 0
    assert not (tmp_path / "var" / "snapshots").exists() or not list((tmp_path / "var" / "snapshots").glob("*.json"))
    # Down for 2.5 h: run times passed 1.5 h and 0.5 h ago, beyond prune's 60 s grace, within
    # snapshot's 6 h. Never a run time near "now", so which side of a grace time it falls is certain.
    pretend_stopped_for(tmp_path / "var", 2.5 * 3600, {"snapshot", "prune"})

    log2 = tmp_path / "sched2.log"
    proc = start_scheduler(tmp_path, env, log2)
    try:
        wait_for(lambda: "job snapshot succeeded" in log2.read_text() and "missed prune" in log2.read_text(), 60,
                 "the snapshot catch-up run and the missed prune")
    finally:
        assert stop(proc) == 0
    text = log2.read_text()
    assert "kept snapshot" in text and "kept prune" in text  # stored run times survived the restart
    assert "Traceback" not in text and " ERROR " not in text, text[-3000:]
    missed_lines = re.findall(r"missed (\w+) scheduled for", text)
    assert missed_lines.count("prune") == 1, text  # two or more run times passed: one missed record
    assert "snapshot" not in missed_lines  # within its grace time: it ran instead
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    history = subprocess.run([sys.executable, "-m", "jobs", "jobs", "history", "--json"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60, env={**clean, "PYTHONPATH": str(REPO)})
    assert history.returncode == 0, history.stderr
    runs = json.loads(history.stdout)
    assert [r["status"] for r in runs if r["job"] == "prune"].count("missed") == 1
    assert "missed" not in [r["status"] for r in runs if r["job"] == "snapshot"]
    assert "succeeded" in [r["status"] for r in runs if r["job"] == "snapshot"]
