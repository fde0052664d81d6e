"""Bans, pauses, signals and --max-minutes at real concurrency: `genrestore crawl` (and `jobs run crawl`)
as subprocesses against a real emulator.

The tests run at crawl.concurrency 8 (the default) or 32 (the ban before the first request at
both): with several requests in flight, one task's long Retry-After used to leave the others asleep
in the limiter for the whole ban, deaf to signals and to --max-minutes, holding the writer lock.
Each concurrency meets a ban, a pause and a stop; running every test at both doubled the suite's
slowest file for no path the other does not take.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.emulator.running import running_emulator
from ingest.spotify._client import utcnow

from ._support import cli_env, crawl_cmd, duplicate_keys, silver_hash

pytestmark = pytest.mark.slow

CONCURRENCY = pytest.mark.parametrize("concurrency", [8, 32])
DEFAULT_CONCURRENCY = pytest.mark.parametrize("concurrency", [8])
HIGH_CONCURRENCY = pytest.mark.parametrize("concurrency", [32])
# About 10 requests a second, so a ban can land in the middle of the crawl of a small catalog.
PACED = {"GENRESTORE_CRAWL__BUDGET_PER_WINDOW": "20", "GENRESTORE_CRAWL__WINDOW_SECONDS": "2"}
BAN_AFTER = 40  # emulator requests served before a mid-crawl ban (a few commits have happened)


@pytest.fixture(scope="session")
def catalog(small_catalog):  # the shared small catalog (tests/crawl/conftest.py), its seeds and reference
    return small_catalog


@pytest.fixture(scope="session")
def seeds(small_seeds):
    return small_seeds


def _env(emu, concurrency: int, **extra) -> dict[str, str]:
    return cli_env(emu, GENRESTORE_CRAWL__CONCURRENCY=str(concurrency), **extra)


def _start(var: Path, seeds: str, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(crawl_cmd(var, seeds) + list(args), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_served(emu, proc: subprocess.Popen, n: int, key: str = "requests") -> None:
    deadline = time.monotonic() + 120
    while emu.stats()[key] < n:
        assert proc.poll() is None, f"the crawl ended before {n} {key}: {proc.communicate()[1]}"
        assert time.monotonic() < deadline, f"no {n} {key} within 120 s"
        time.sleep(0.02)


def _finish(proc: subprocess.Popen, timeout: float) -> tuple[int, str]:
    """The exit code and stderr; a crawl still running after ``timeout`` s is killed and fails the test."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the crawl was still running {timeout:.0f} s later")
    return proc.returncode, err


def _runs(var: Path) -> list[tuple]:
    con = duckdb.connect(str(var / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT status, paused_until, message FROM crawl_runs ORDER BY started_at").fetchall()
    finally:
        con.close()


def _done_units_and_artists(var: Path) -> tuple[int, int]:
    con = duckdb.connect(str(var / "warehouse.duckdb"), read_only=True)
    try:
        return (con.execute("SELECT count(*) FROM crawl_queue WHERE state = 'done'").fetchall()[0][0],
                con.execute("SELECT count(*) FROM artists").fetchall()[0][0])
    finally:
        con.close()


def _resume_matches_reference(emu, var: Path, seeds: str, reference: dict, concurrency: int) -> None:
    """Lift the ban (and the recorded pause, as if it had passed), crawl to the end: the content is that
    of an uninterrupted crawl and no committed unit was fetched twice."""
    emu.ban(0)
    con = duckdb.connect(str(var / "warehouse.duckdb"))
    con.execute("UPDATE crawl_runs SET paused_until = NULL")
    con.close()
    done = subprocess.run(crawl_cmd(var, seeds), env=_env(emu, concurrency), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(var / "warehouse.duckdb"))
    try:
        assert silver_hash(con, per_table=True) == reference["tables"]
        assert duplicate_keys(con) == {}
        dup_urls = con.execute("SELECT count(*) - count(DISTINCT url) FROM raw_responses WHERE status = 200").fetchall()[0][0]
        assert dup_urls == 0
    finally:
        con.close()


def _with_capabilities(emu, var: Path, seeds: str, concurrency: int) -> None:
    """A short first run: capabilities stored and a frontier left, so the next run starts every worker at once."""
    first = subprocess.run(crawl_cmd(var, seeds) + ["--max-requests", "20"], env=_env(emu, concurrency),
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and "reached --max-requests" in first.stderr, first.stderr


@CONCURRENCY
def test_a_ban_before_the_first_request_exits_3_at_once_and_the_next_run_sends_nothing(
        catalog, seeds, tmp_path, concurrency):
    var = tmp_path / "var"
    with running_emulator(catalog) as emu:
        _with_capabilities(emu, var, seeds, concurrency)
        emu.ban(3600)
        banned_at = utcnow()
        t0 = time.monotonic()
        # Paced, as at the default budget: the other workers wait in the limiter when the 429 comes back.
        code, err = _finish(_start(var, seeds, _env(emu, concurrency, **PACED)), timeout=120)
        took = time.monotonic() - t0
        assert code == 3, err
        assert took < 30, f"took {took:.1f} s"
        status, until, _ = _runs(var)[-1]
        assert status == "paused" and "paused" in err
        assert abs(until - (banned_at + timedelta(seconds=3600))) < timedelta(seconds=30)

        served = emu.stats()["requests"]
        again = subprocess.run(crawl_cmd(var, seeds), env=_env(emu, concurrency), capture_output=True,
                               text=True, timeout=120)
        assert emu.stats()["requests"] == served  # not one request, not even a token
    assert again.returncode == 1 and "paused until" in again.stderr and "Traceback" not in again.stderr


@HIGH_CONCURRENCY
def test_a_ban_mid_crawl_exits_3_soon_and_keeps_the_committed_units(catalog, seeds, reference, tmp_path,
                                                                      concurrency):
    var = tmp_path / "var"
    with running_emulator(catalog) as emu:
        proc = _start(var, seeds, _env(emu, concurrency, **PACED))
        _wait_served(emu, proc, BAN_AFTER)
        emu.ban(3600)
        banned_at, t0 = utcnow(), time.monotonic()
        code, err = _finish(proc, timeout=120)
        took = time.monotonic() - t0
        assert code == 3, err
        assert took < 20, f"exited {took:.1f} s after the ban"
        status, until, _ = _runs(var)[-1]
        assert status == "paused"
        assert abs(until - (banned_at + timedelta(seconds=3600))) < timedelta(seconds=30)
        done, artists = _done_units_and_artists(var)
        assert done > 0 and artists > 0  # the units committed before the ban are still there
        assert emu.stats()["requests"] < reference["requests"]  # the ban really cut the crawl short
        _resume_matches_reference(emu, var, seeds, reference, concurrency)


@DEFAULT_CONCURRENCY
def test_sigterm_during_a_short_pause_ends_the_crawl_within_seconds(catalog, seeds, reference, tmp_path,
                                                                     concurrency):
    var = tmp_path / "var"
    with running_emulator(catalog) as emu:
        # A 60 s Retry-After is short enough to wait out (max_retry_after 900): the crawl sleeps on it.
        proc = _start(var, seeds, _env(emu, concurrency, GENRESTORE_CRAWL__MAX_RETRY_AFTER="900", **PACED))
        _wait_served(emu, proc, BAN_AFTER)
        emu.ban(60)
        _wait_served(emu, proc, 1, key="rate_limited")
        time.sleep(1.0)  # the crawl is waiting out the pause now
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        code, err = _finish(proc, timeout=120)
        took = time.monotonic() - t0
        assert code == 0 and "stopped" in err, err
        assert took < 15, f"exited {took:.1f} s after SIGTERM"
        status, until, message = _runs(var)[-1]
        assert (status, until) == ("stopped", None) and "signal" in message
        assert _done_units_and_artists(var)[0] > 0
        _resume_matches_reference(emu, var, seeds, reference, concurrency)


@HIGH_CONCURRENCY
def test_max_minutes_ends_a_crawl_that_waits_out_a_pause(catalog, seeds, tmp_path, concurrency):
    var = tmp_path / "var"
    minutes = 0.4
    with running_emulator(catalog) as emu:
        t0 = time.monotonic()
        proc = _start(var, seeds, _env(emu, concurrency, GENRESTORE_CRAWL__MAX_RETRY_AFTER="900", **PACED),
                      "--max-minutes", str(minutes))
        _wait_served(emu, proc, BAN_AFTER)
        emu.ban(300)  # far past the deadline, short enough to be waited out
        code, err = _finish(proc, timeout=180)
        took = time.monotonic() - t0
        assert emu.stats()["rate_limited"] >= 1  # the crawl met the ban before its deadline
    assert code == 0, err
    assert minutes * 60 <= took < minutes * 60 + 20, f"took {took:.1f} s for --max-minutes {minutes}"
    status, until, message = _runs(var)[-1]
    assert (status, until, message) == ("stopped", None, "reached --max-minutes")


@DEFAULT_CONCURRENCY
def test_the_crawl_job_records_a_ban_as_paused_and_the_next_job_sends_nothing(catalog, seeds, tmp_path,
                                                                              concurrency):
    var = tmp_path / "var"
    job = [sys.executable, "-m", "jobs", "--var", str(var), "jobs", "run", "crawl", "--json"]
    with running_emulator(catalog) as emu:
        _with_capabilities(emu, var, seeds, concurrency)
        emu.ban(3600)
        banned_at, t0 = utcnow(), time.monotonic()
        first = subprocess.run(job, env=_env(emu, concurrency, **PACED), capture_output=True, text=True,
                               timeout=120)
        took = time.monotonic() - t0
        served = emu.stats()["requests"]
        second = subprocess.run(job, env=_env(emu, concurrency), capture_output=True, text=True, timeout=120)
        assert emu.stats()["requests"] == served
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert took < 30, f"took {took:.1f} s"
    for record in (json.loads(first.stdout), json.loads(second.stdout)):
        assert record["status"] == "paused", record
        until = record["counts"]["paused_until"]
        assert abs(datetime.fromisoformat(until) - (banned_at + timedelta(seconds=3600))) < timedelta(seconds=30)
    assert _runs(var)[-1][0] == "paused"
