"""End to end against the emulator over real HTTP, with the scheduler as a real process:
two full cycles (crawl → snapshot → build → retrain → report) whose second report shows what
changed, and SIGTERM in the middle of a crawl followed by a restart that continues it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import duckdb
import pytest

from tests.jobs.test_scheduler import start_scheduler, stop, wait_for


pytestmark = pytest.mark.slow
STEPS = ["crawl", "snapshot", "build", "retrain", "report"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    from ingest.emulator import build_synthetic_catalog

    out = tmp_path_factory.mktemp("catalog") / "synthetic-600"
    build_synthetic_catalog(out, 600, 7)
    return out


def _env_for(emu, **extra: str) -> dict[str, str]:
    return {"GENRESTORE_API_URL": emu.api_url, "SPOTIFY_CLIENT_ID": emu.client_id,
            "SPOTIFY_CLIENT_SECRET": emu.client_secret, **extra}


def _query(var: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(var / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_two_scheduled_cycles_and_the_second_report_shows_the_differences(catalog, tmp_path):
    from ingest.emulator.running import running_emulator

    with running_emulator(catalog, rate=600) as emu:
        env = _env_for(
            emu,
            GENRESTORE_CRAWL__BUDGET_PER_WINDOW="500",
            GENRESTORE_SCHEDULES__CYCLE__INTERVAL_SECONDS="3",
            GENRESTORE_SCHEDULES__CYCLE__OPTIONS__STEPS=",".join(STEPS),
            GENRESTORE_SCHEDULES__CYCLE__OPTIONS__SEEDS="genre:" + _top_genre(catalog),
            GENRESTORE_SCHEDULES__CYCLE__OPTIONS__MAX_REQUESTS="25",
            GENRESTORE_SCHEDULES__CRAWL__ENABLED="false",
        )
        log = tmp_path / "scheduler.log"
        proc = start_scheduler(tmp_path, env, log)
        try:
            wait_for(lambda: len(re.findall(r"job cycle (succeeded|failed)", log.read_text())) >= 2, 150,
                     "two scheduled cycles")
        finally:
            code = stop(proc, timeout=120)
        stats = emu.stats()
        secret = emu.client_secret
    text = log.read_text()
    assert code == 0, text[-3000:]
    var = tmp_path / "var"
    # The client secret is nowhere: not in the log, the job history or any report.
    assert secret not in text
    leaked = _query(var, f"SELECT count(*) FROM job_runs WHERE concat_ws(' ', counts, options, error, message) LIKE '%{secret}%'")
    assert leaked == [(0,)]
    written = [f for f in (var / "reports").rglob("*") if f.is_file()]
    assert len(written) >= 6  # day files + each report's own HTML and JSON
    for f in written:
        assert secret not in f.read_text()
    cycles = _query(var, "SELECT run_id, status, trigger FROM job_runs WHERE job = 'cycle' ORDER BY started_at")
    assert [c[1] for c in cycles[:2]] == ["succeeded", "succeeded"], text[-3000:]
    assert all(c[2] == "scheduled" for c in cycles)
    for run_id, _, _ in cycles[:2]:
        steps = _query(var, f"SELECT job, status FROM job_runs WHERE parent_run_id = '{run_id}' ORDER BY started_at")
        assert steps == [(s, "succeeded") for s in STEPS]
    assert stats["requests"] > 0
    reports = _query(var, "SELECT json_path FROM reports ORDER BY created_at")
    assert len(reports) >= 2
    first, second = (json.loads((var / p).read_text()) for (p,) in reports[:2])  # relative to var/
    assert second["previous_snapshot"]["snapshot_id"] == first["snapshot"]["snapshot_id"]
    tables = {t["table"]: t for t in second["snapshot_diff"]["tables"]}
    silver = ("artists", "albums", "tracks", "album_artists", "track_artists", "audio_features")
    added = {t: tables[t]["added"] for t in silver if t in tables}
    assert tables["artists"]["previous"] > 0
    assert sum(added.values()) > 0, added  # the second crawl brought new rows, and the report says so
    assert second["snapshot_diff"]["new_artists"] == tables["artists"]["added"]
    assert second["crawl_health"]["requests"] > 0
    since = {f["figure"]: f for f in second["since_last_report"]["figures"]}
    assert since["artists"]["change"] == tables["artists"]["added"]
    assert since["warehouse_rows"]["change"] > 0
    for section in ("taxonomy", "label_drift", "models", "per_family", "feature_drift"):
        assert second["sections"][section] == "available", (section, second["sections"][section])


def _top_genre(catalog: Path) -> str:
    con = duckdb.connect()
    try:
        return con.execute(
            f"SELECT genre FROM read_parquet('{catalog / 'artist_genres.parquet'}') GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0][0]
    finally:
        con.close()


def test_sigterm_during_a_crawl_exits_cleanly_and_a_restart_continues(catalog, tmp_path):
    from ingest.emulator.running import running_emulator

    # A slow limit so the crawl is surely mid-way when the signal arrives.
    with running_emulator(catalog, rate=60) as emu:
        env = _env_for(
            emu,
            GENRESTORE_CRAWL__BUDGET_PER_WINDOW="50",
            GENRESTORE_SCHEDULES__CRAWL__INTERVAL_SECONDS="1",
            GENRESTORE_SCHEDULES__CRAWL__OPTIONS__SEEDS="genre:" + _top_genre(catalog),
            GENRESTORE_SCHEDULES__CRAWL__OPTIONS__MAX_MINUTES="10",
        )
        var = tmp_path / "var"
        runs, done_units = [], []
        for attempt in (1, 2):
            log = tmp_path / f"scheduler{attempt}.log"
            before = emu.stats()["requests"]
            proc = start_scheduler(tmp_path, env, log)
            try:
                wait_for(lambda: "job crawl started" in log.read_text(), 60, "the crawl to start")
                wait_for(lambda: emu.stats()["requests"] >= before + 15, 60, "the crawl to send requests")
            finally:
                t0 = time.monotonic()
                code = stop(proc, timeout=60)
            took = time.monotonic() - t0
            text = log.read_text()
            assert code == 0, text[-3000:]
            assert took < 45, f"took {took:.1f}s to stop"
            assert "scheduler stopped" in text
            runs.append(_query(var, "SELECT run_id, status, requests FROM crawl_runs ORDER BY started_at"))
            done_units.append(_query(var, "SELECT count(*) FROM crawl_queue WHERE state = 'done'")[0][0])
    jobs_rows = _query(var, "SELECT status FROM job_runs WHERE job = 'crawl' AND status <> 'missed' ORDER BY started_at")
    assert jobs_rows == [("stopped",), ("stopped",)]
    # Run times that passed while each crawl finished its unit are recorded, not dropped.
    missed = _query(var, "SELECT message FROM job_runs WHERE job = 'crawl' AND status = 'missed'")
    assert all(m.startswith("the scheduler was stopping") for (m,) in missed), missed
    crawl_runs = runs[-1]
    assert [r[1] for r in crawl_runs] == ["stopped", "stopped"]
    assert all(r[2] > 0 for r in crawl_runs)
    # The restart continued the frontier instead of starting over: more units done after it, and no
    # request URL was fetched twice across the two runs (the probe is not repeated either).
    assert done_units[1] > done_units[0] > 0  # the second run completed further units
    twice = _query(var, "SELECT url, count(*) FROM raw_responses GROUP BY url HAVING count(*) > 1")
    assert twice == []
    dupes = _query(var, "SELECT count(*) - count(DISTINCT artist_id) FROM artists")[0][0]
    assert dupes == 0


def test_sigterm_while_runs_are_due_exits_cleanly_and_records_them_missed(catalog, tmp_path):
    """Every API request takes 3 s, so a crawl outlasts the 1-second snapshot schedule: a snapshot
    run is queued behind the crawl when SIGTERM arrives, and more run times pass while the crawl
    finishes its unit. None of them will run; each job is recorded `missed` (coalesced), and the
    shutdown logs no ERROR (before: APScheduler's 'Error submitting job' traceback, nothing recorded)."""
    from ingest.emulator.running import running_emulator

    with running_emulator(catalog, rate=600, faults="latency=1.0,latency_s=3") as emu:
        env = _env_for(
            emu,
            GENRESTORE_SCHEDULES__CRAWL__INTERVAL_SECONDS="1",
            GENRESTORE_SCHEDULES__CRAWL__OPTIONS__SEEDS="genre:" + _top_genre(catalog),
            GENRESTORE_SCHEDULES__CRAWL__OPTIONS__MAX_MINUTES="10",
            GENRESTORE_SCHEDULES__SNAPSHOT__INTERVAL_SECONDS="1",
        )
        log = tmp_path / "scheduler.log"
        proc = start_scheduler(tmp_path, env, log)
        try:
            wait_for(lambda: "job crawl started" in log.read_text(), 60, "the crawl to start")
            # A lower bound, not a race: 3 s into the crawl at least two snapshot run times have
            # passed, so one snapshot run sits queued behind the crawl (one job at a time).
            time.sleep(3)
        finally:
            t0 = time.monotonic()
            code = stop(proc, timeout=90)
        took = time.monotonic() - t0
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert took < 60, f"took {took:.1f}s to stop"
    assert "Traceback" not in text and " ERROR " not in text, text[-3000:]
    assert "scheduler stopped" in text
    var = tmp_path / "var"
    crawl = _query(var, "SELECT status FROM job_runs WHERE job = 'crawl' AND status <> 'missed'")
    assert crawl == [("stopped",)], crawl
    # Written to job_runs itself (the writer is free once the crawl ended), not only the journal.
    missed = _query(var, "SELECT job, message FROM job_runs WHERE status = 'missed' AND trigger = 'scheduled'")
    assert ("snapshot", "the scheduler was stopping (SIGTERM/SIGINT); this run was queued behind the running job") \
        in missed, (missed, text[-3000:])
    came_due = [job for job, message in missed if "stopping (SIGTERM/SIGINT) when it came due" in message]
    assert len(came_due) == len(set(came_due))  # run times passed while stopping: one record per job
    assert all("scheduler was stopping" in message for _, message in missed), missed
    journal = var / "jobs" / "pending-runs.jsonl"
    assert not journal.exists() or not journal.read_text().strip()
