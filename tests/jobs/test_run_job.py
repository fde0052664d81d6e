"""run_job: writer lock for the whole run, job_runs history, skipped/paused/abandoned runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import duckdb
import pytest

import jobs
import modeling
import warehouse
from jobs._runs import utcnow
from tests.conftest import REPO


def _job_rows(settings):
    con = duckdb.connect(str(settings.warehouse_file), read_only=True)
    try:
        return con.execute(
            "SELECT job, status, trigger, snapshot_id, error, message, counts FROM job_runs ORDER BY started_at"
        ).fetchall()
    finally:
        con.close()


def test_snapshot_and_prune_jobs_are_recorded(settings):
    first = jobs.run_job("snapshot", settings)
    second = jobs.run_job("snapshot", settings)
    assert first.status == second.status == "succeeded"
    assert first.snapshot_id != second.snapshot_id
    assert warehouse.get_snapshot(settings.snapshots_path).snapshot_id == second.snapshot_id
    pruned = jobs.run_job("prune", settings, keep="1")
    assert pruned.status == "succeeded" and pruned.counts["removed"] == 1
    assert [s.snapshot_id for s in warehouse.list_snapshots(settings.snapshots_path)] == [second.snapshot_id]
    rows = _job_rows(settings)
    assert [(r[0], r[1]) for r in rows] == [("snapshot", "succeeded"), ("snapshot", "succeeded"), ("prune", "succeeded")]
    assert rows[0][3] == first.snapshot_id
    assert json.loads(rows[2][6])["removed_ids"] == [first.snapshot_id]


def test_unknown_job_or_option_is_a_usage_error(settings):
    with pytest.raises(warehouse.UsageError, match="no job named 'crawll'"):
        jobs.run_job("crawll", settings)
    with pytest.raises(warehouse.UsageError, match="has no option 'keep'"):
        jobs.run_job("snapshot", settings, keep=3)
    with pytest.raises(warehouse.UsageError, match="not a valid int"):
        jobs.run_job("prune", settings, keep="many")


def test_job_is_skipped_while_another_process_writes_and_recorded_later(settings):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, warehouse; w = warehouse.Writer(sys.argv[1], command='holder-for-test').open(); "
         "print('held', flush=True); time.sleep(60)", str(settings.warehouse_file)],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        rec = jobs.run_job("snapshot", settings)
        assert rec.status == "skipped"
        assert f"pid {holder.pid}" in rec.error and "holder-for-test" in rec.error
        # Visible in history even though the warehouse could not take it yet.
        history, source = jobs.job_history(settings)
        assert [r.run_id for r in history] == [rec.run_id]
        assert "busy" in source
    finally:
        holder.kill()
        holder.wait()
    later = jobs.run_job("snapshot", settings)
    assert later.status == "succeeded"
    rows = _job_rows(settings)
    assert [(r[0], r[1]) for r in rows] == [("snapshot", "skipped"), ("snapshot", "succeeded")]
    assert f"pid {holder.pid}" in rows[0][4]
    history, source = jobs.job_history(settings)
    assert "live warehouse" in source and len(history) == 2


def test_crawl_respects_a_recorded_pause_without_calling_the_api(settings):
    until = utcnow() + timedelta(hours=1)
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        con.execute(
            "INSERT INTO crawl_runs (run_id, started_at, ended_at, status, paused_until) VALUES ('c1', ?, ?, 'paused', ?)",
            [utcnow(), utcnow(), until],
        )
    # An API URL where nothing listens: if the job called it, it would fail, not pause.
    s = jobs.load_settings(var_dir=settings.var_dir, api_url="http://127.0.0.1:9/v1")
    rec = jobs.run_job("crawl", s, max_requests=5)
    assert rec.status == "paused"
    assert f"{until:%Y-%m-%d %H:%M}" in rec.message
    assert rec.counts["paused_until"].startswith(f"{until:%Y-%m-%dT%H:%M}")


def test_run_left_running_by_a_dead_process_is_marked_abandoned(settings):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        con.execute(
            "INSERT INTO job_runs (run_id, job, started_at, status, pid) VALUES ('old', 'crawl', ?, 'running', ?)",
            [utcnow() - timedelta(minutes=5), dead.pid],
        )
    jobs.run_job("prune", settings)
    rows = {r[0]: r[1] for r in _job_rows(settings)}
    assert rows == {"crawl": "abandoned", "prune": "succeeded"}


def test_build_and_retrain_skip_without_a_snapshot(settings):
    for name in ("build", "retrain"):
        rec = jobs.run_job(name, settings)
        assert rec.status == "skipped" and "no snapshot" in rec.message


def test_cli_jobs_run_and_history(cli, tmp_path):
    r = cli("jobs", "run", "snapshot", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "succeeded"
    r = cli("jobs", "run", "nope")
    assert r.returncode == 2 and "no job named 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = cli("jobs", "history", "--json")
    runs = json.loads(r.stdout)
    assert [x["job"] for x in runs] == ["snapshot"]
    r = cli("jobs", "list", "--json")
    listed = {x["job"]: x for x in json.loads(r.stdout)}
    assert set(listed) == set(jobs.JOBS)
    assert "grace" in listed["crawl"]["schedule"]


def test_schedules_merge_defaults_and_validate(settings, monkeypatch):
    monkeypatch.setenv("GENRESTORE_SCHEDULES__CRAWL__INTERVAL_SECONDS", "5")
    monkeypatch.setenv("GENRESTORE_SCHEDULES__CRAWL__OPTIONS__MAX_REQUESTS", "20")
    s = jobs.load_settings(var_dir=settings.var_dir)
    eff = jobs.effective_schedules(s)
    assert eff["crawl"].interval_seconds == 5 and eff["crawl"].options == {"max_requests": "20"}
    assert eff["report"].cron  # untouched jobs keep their default schedule
    assert all(jobs.grace_seconds(n, sc) > 1 for n, sc in eff.items())  # never APScheduler's 1 s
    # Invalid schedules fail when the settings load, naming the key.
    monkeypatch.setenv("GENRESTORE_SCHEDULES__CRAWL__CRON", "0 * * * *")
    with pytest.raises(warehouse.ConfigError, match="schedules.crawl: give exactly one of interval_seconds or cron"):
        jobs.load_settings(var_dir=settings.var_dir)
    monkeypatch.delenv("GENRESTORE_SCHEDULES__CRAWL__CRON")
    monkeypatch.setenv("GENRESTORE_SCHEDULES__CRAWL__OPTIONS__BOGUS", "1")
    with pytest.raises(warehouse.ConfigError, match="schedules.crawl.options: job crawl has no option 'bogus'"):
        jobs.load_settings(var_dir=settings.var_dir)


def test_history_reads_a_snapshot_while_the_writer_is_busy(settings):
    jobs.run_job("snapshot", settings)
    jobs.run_job("snapshot", settings)
    with warehouse.Writer(settings.warehouse_file, command="busy-test"):
        t0 = time.monotonic()
        history, source = jobs.job_history(settings)
        assert time.monotonic() - t0 < 5
    assert "snapshot" in source and "busy-test" in source
    # The latest snapshot was taken during the second run, so it holds the first run completed.
    assert history and history[-1].job == "snapshot"


def test_cycle_runs_steps_in_order_and_still_reports_after_a_failure(settings, monkeypatch):
    monkeypatch.setattr(modeling, "retrain", _broken_retrain)  # retrain fails; the cycle goes on
    rec = jobs.run_job("cycle", settings, steps="snapshot,retrain,prune,report")
    assert rec.status == "failed" and rec.error == "step retrain failed"
    assert rec.counts["steps"] == {"snapshot": "succeeded", "retrain": "failed", "report": "succeeded"}
    con = duckdb.connect(str(settings.warehouse_file), read_only=True)
    try:
        steps = con.execute("SELECT job, status, parent_run_id FROM job_runs WHERE parent_run_id IS NOT NULL "
                            "ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert [(j, s) for j, s, _ in steps] == [("snapshot", "succeeded"), ("retrain", "failed"), ("report", "succeeded")]
    assert {p for _, _, p in steps} == {rec.run_id}


def test_cli_usage_errors_are_one_message_not_a_traceback(cli):
    r = cli("demo", "--crawl-minutes", "-1")
    assert r.returncode == 2 and "Invalid value for '--crawl-minutes'" in r.stderr
    assert "Traceback" not in r.stderr


def _broken_retrain(*args, **kwargs):
    raise RuntimeError("retrain broke (test)")
