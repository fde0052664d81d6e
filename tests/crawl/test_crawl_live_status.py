"""`genrestore crawl status` while a real `genrestore crawl` subprocess writes the warehouse: it
shows the live progress the crawl publishes (the warehouse itself cannot be opened then), and
reads the warehouse as before once the crawl has ended."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.emulator.running import running_emulator, synthetic_catalog

from ._support import cli_env, crawl_cmd, top_genres

pytestmark = pytest.mark.slow

# About 10 requests a second, and a 60 s Retry-After the crawl waits out (it stays running).
PACED = {"GENRESTORE_CRAWL__BUDGET_PER_WINDOW": "20", "GENRESTORE_CRAWL__BUDGET_CEILING": "20",
         "GENRESTORE_CRAWL__WINDOW_SECONDS": "2", "GENRESTORE_CRAWL__MAX_RETRY_AFTER": "900"}


def _status(var: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "crawl", "status", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def _wait(emu, proc: subprocess.Popen, n: int, key: str) -> None:
    deadline = time.monotonic() + 120
    while emu.stats()[key] < n:
        assert proc.poll() is None, f"the crawl ended before {n} {key}: {proc.communicate()[1]}"
        assert time.monotonic() < deadline, f"no {n} {key} within 120 s"
        time.sleep(0.05)


def test_crawl_status_shows_live_progress_during_a_crawl_and_the_warehouse_after(tmp_path):
    catalog = synthetic_catalog(tmp_path, artists=100, seed=7)
    seeds = ",".join(f"genre:{g}" for g in top_genres(catalog, 2))
    var = tmp_path / "var"
    with running_emulator(catalog) as emu:
        env = cli_env(emu, **PACED)
        proc = subprocess.Popen(crawl_cmd(var, seeds), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            _wait(emu, proc, 40, "requests")
            emu.ban(60)  # the crawl now waits out a pause: it is certainly still running below
            _wait(emu, proc, 1, "rate_limited")
            deadline = time.monotonic() + 60
            while True:  # the progress file is rewritten every few seconds
                got = _status(var, env, "--json")
                assert got.returncode == 0, got.stderr
                live = json.loads(got.stdout)
                if live["live"] and live["paused_for_seconds"] > 0:
                    break
                assert time.monotonic() < deadline, f"no live progress showing the pause within 60 s: {live}"
                time.sleep(0.5)
            assert proc.poll() is None
            assert live["state"] == "running" and live["pid"] == proc.pid and live["mode"] == "extended"
            assert live["requests"] >= 40 and live["responses_429"] >= 1 and live["units_done"] > 0
            assert 0 <= live["age_seconds"] < 30
            assert live["window"]["ceiling"] == 20 and live["window"]["seconds"] == 2
            assert sum(live["inserted"].values()) > 0 and live["inserted"]["artists"] > 0
            assert live["pending_units"] == sum(live["pending"].values()) > 0
            assert live["pending_requests"] > 0 and live["eta_seconds"] > 0
            assert sum(live["errors_by_kind"].values()) == live["errors"]
            text = _status(var, env)
            assert text.returncode == 0, text.stderr
            assert f"crawl {live['run_id']} is running" in text.stdout and "live progress" in text.stdout
            assert "ETA" in text.stdout and "req/s" in text.stdout and "errors" in text.stdout
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                pytest.fail("the crawl was still running 120 s after SIGTERM")
        assert proc.returncode == 0 and "stopped" in err, err
        after = _status(var, env, "--json")
        assert after.returncode == 0, after.stderr
        stored = json.loads(after.stdout)
        assert stored["live"] is False
        run = stored["runs"][0]
        assert run["run_id"] == live["run_id"] and run["status"] == "stopped"
        assert run["requests"] >= live["requests"]
