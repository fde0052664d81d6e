"""Several crawl worker processes sharing one PostgreSQL frontier, against one emulator.

Real processes (``genrestore crawl``), a real emulator over HTTP and a private PostgreSQL cluster;
the final content is compared, table by table, with a single-process DuckDB crawl of the same
catalog and seeds, through a snapshot exported from PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import duckdb
import psycopg
import pytest

from ingest.emulator.running import running_emulator
from warehouse import list_snapshots

from ._support import cli_env, crawl_cmd, duplicate_keys, silver_hash

pytestmark = pytest.mark.slow

# Short leases, so a killed worker's units come back soon; not shorter: a live worker's heartbeat
# (every third of a lease) ran late under a load of ~20 on 2 cores with 3 s, and its leases and
# run were taken for dead (a URL fetched twice, a live run shown failed).
LEASE = 6

def _probe_first(var, env) -> None:
    """One worker without seeds: it probes the credentials, stores the probe and finds nothing to do,
    so the fleet's workers share that probe instead of each sending the same probe requests."""
    res = subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "crawl", "--no-progress"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def _snapshot_content(var, env):
    res = subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "snapshot", "create"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    copy = var / "compare.duckdb"  # a copy: the comparison attaches a scratch database
    shutil.copyfile(list_snapshots(var / "snapshots")[-1].path, copy)
    con = duckdb.connect(str(copy))
    try:
        return silver_hash(con, per_table=True), silver_hash(con), duplicate_keys(con)
    finally:
        con.close()


def _entities_fetched_twice(urls: list[str]) -> int:
    """Entities asked for in more than one answered request: a batch URL (``?ids=a,b``) names
    several, a single GET names one in its path; pages differ by their offset."""
    seen: Counter = Counter()
    for url in urls:
        parts = urlsplit(url)
        ids = parse_qs(parts.query).get("ids")
        if ids:
            seen.update((parts.path, i) for i in ids[0].split(","))
        else:
            seen[url] += 1
    return sum(n - 1 for n in seen.values() if n > 1)


def _fleet_facts(url: str) -> dict:
    with psycopg.connect(url) as con:
        def one(sql):
            return con.execute(sql).fetchone()[0]
        return {
            "duplicate_urls": one("SELECT count(*) - count(DISTINCT url) FROM raw_responses WHERE status = 200"),
            "pending": one("SELECT count(*) FROM crawl_queue WHERE state <> 'done' AND state <> 'failed'"),
            "leased": one("SELECT count(*) FROM crawl_queue WHERE claimed_by IS NOT NULL"),
            "runs": con.execute("SELECT status, requests FROM crawl_runs WHERE seeds IS NOT NULL "
                                "ORDER BY started_at").fetchall(),
            "entities_fetched_twice": _entities_fetched_twice(
                [url for (url,) in con.execute(  # the workers' requests, not the probe run's
                    "SELECT url FROM raw_responses WHERE status = 200 AND run_id IN "
                    "(SELECT run_id FROM crawl_runs WHERE seeds IS NOT NULL)")]),
        }


def test_three_workers_reach_the_single_process_content_fetching_no_unit_twice(
        small_catalog, small_seeds, reference, pg_url, tmp_path):
    var = tmp_path / "var"
    with running_emulator(small_catalog) as emu:
        env = cli_env(emu, GENRESTORE_WAREHOUSE__URL=pg_url)
        _probe_first(var, env)
        fleet = subprocess.run([*crawl_cmd(var, small_seeds), "--workers", "3"], env=env, capture_output=True,
                               text=True, timeout=600)
        assert fleet.returncode == 0, fleet.stderr
        served = emu.stats()["requests"]
        tables, content, duplicates = _snapshot_content(var, env)
        status = subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "crawl", "status", "--json"],
                                env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)  # the shared frontier, read from PostgreSQL
    assert sum(states.get("done", 0) for states in shown["queue"].values()) > 0
    assert not any(states.get("pending") for states in shown["queue"].values())
    assert tables == reference["tables"]
    assert content == reference["hash"]
    assert duplicates == {}
    facts = _fleet_facts(pg_url)
    assert facts["duplicate_urls"] == 0  # no unit was fetched twice
    assert facts["pending"] == 0 and facts["leased"] == 0
    assert [status for status, _ in facts["runs"]] == ["completed"] * 3
    assert facts["entities_fetched_twice"] == 0  # nor any entity, inside batches
    # The work was shared, and the fleet sent about what one process does: each worker fills its own
    # id batches, so a fleet ends with partial batches one process would have merged (seen: +2 to +8
    # requests over 321), plus one token call per worker.
    assert sum(1 for _, requests in facts["runs"] if requests > 0) >= 2, facts["runs"]
    assert sum(requests for _, requests in facts["runs"]) <= reference["requests"] * 1.05 + 2
    assert fleet.stderr.count("completed (the frontier is exhausted)") == 3
    assert served > 0


def test_a_worker_killed_mid_crawl_loses_nothing_and_the_others_finish_its_units(
        small_catalog, small_seeds, reference, pg_url, tmp_path):
    var = tmp_path / "var"
    with running_emulator(small_catalog) as emu:
        env = cli_env(emu, GENRESTORE_WAREHOUSE__URL=pg_url, GENRESTORE_WAREHOUSE__LEASE_SECONDS=str(LEASE))
        _probe_first(var, env)
        before = emu.stats()["requests"]
        procs = [subprocess.Popen(crawl_cmd(var, small_seeds), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
        victim = procs[0]
        held: list[tuple[str, str]] = []
        with psycopg.connect(pg_url, autocommit=True) as con:
            deadline = time.monotonic() + 120
            # Kill it while it holds leases, at least a third of the way through the crawl.
            while time.monotonic() < deadline and victim.poll() is None:
                if emu.stats()["requests"] - before >= reference["requests"] // 3:
                    held = con.execute("SELECT kind, key FROM crawl_queue WHERE claimed_by LIKE %s",
                                       [f"%:{victim.pid}:%"]).fetchall()
                    if held:
                        victim.send_signal(signal.SIGKILL)
                        break
                time.sleep(0.02)
        assert held, "the victim never held a lease a third of the way through"
        victim.wait(timeout=30)
        assert victim.returncode == -signal.SIGKILL
        for p in procs[1:]:
            out, err = p.communicate(timeout=600)
            assert p.returncode == 0, err
        tables, content, duplicates = _snapshot_content(var, env)
    assert tables == reference["tables"]
    assert content == reference["hash"]
    assert duplicates == {}
    facts = _fleet_facts(pg_url)
    assert facts["duplicate_urls"] == 0 and facts["pending"] == 0 and facts["leased"] == 0
    with psycopg.connect(pg_url) as con:
        keys = [f"{k}\t{v}" for k, v in held]
        finished = con.execute(
            "SELECT q.state, r.status FROM crawl_queue q JOIN crawl_runs r USING (run_id) "
            "WHERE q.kind || chr(9) || q.key = ANY(%s)", [keys]).fetchall()
    # every unit the victim held was finished, by a worker that completed (not by the victim)
    assert len(finished) == len(held)
    assert {state for state, _ in finished} <= {"done", "failed"} and {s for _, s in finished} == {"completed"}


def test_workers_of_one_client_share_one_budget_and_stay_under_the_limit(small_catalog, small_seeds, pg_url,
                                                                          tmp_path):
    """Each of 3 workers may send `limit` requests per window; together they must too (≤ 1% 429s)."""
    limit, window = 20, 2.0
    var = tmp_path / "var"
    with running_emulator(small_catalog, rate=limit, window_seconds=window) as emu:
        env = cli_env(emu, GENRESTORE_WAREHOUSE__URL=pg_url, GENRESTORE_CRAWL__BUDGET_PER_WINDOW=str(limit),
                      GENRESTORE_CRAWL__WINDOW_SECONDS=str(window))
        _probe_first(var, env)
        emu.reset()
        t0 = time.monotonic()
        fleet = subprocess.run([*crawl_cmd(var, small_seeds), "--workers", "3", "--max-minutes", "0.35"],
                               env=env, capture_output=True, text=True, timeout=300)
        seconds = time.monotonic() - t0
        assert fleet.returncode == 0, fleet.stderr
        stats = emu.stats()
    requests, limited = stats["requests"], stats["rate_limited"]
    print(f"fleet of 3: {requests} requests in {seconds:.1f} s, {limited} answered 429 "
          f"({limited / requests:.2%}); the limit allows {limit / window:.0f}/s")
    assert requests >= 3 * limit  # several windows' worth were really sent (76 of 210 allowed under a load of 20)
    assert limited <= 0.01 * requests
    facts = _fleet_facts(pg_url)
    assert sum(1 for _, n in facts["runs"] if n > 0) >= 2, facts["runs"]  # the budget was shared, not hoarded


def test_workers_need_a_shared_warehouse(cli):
    res = cli("crawl", "--seeds", "genre:rock", "--workers", "2")
    assert res.returncode == 2 and "warehouse.url" in res.stderr and "Traceback" not in res.stderr


def test_a_long_retry_after_seen_by_one_worker_ends_every_worker_of_the_fleet(small_catalog, small_seeds, pg_url,
                                                                               tmp_path):
    """A ban (Retry-After 3600 s > crawl.max_retry_after) answered to one worker pauses the shared budget;
    the workers waiting on that budget must end their runs too, recording the pause, not sleep an hour."""
    var = tmp_path / "var"
    with running_emulator(small_catalog) as emu:
        # A tight shared budget: at any moment most workers wait on it rather than on the API.
        env = cli_env(emu, GENRESTORE_WAREHOUSE__URL=pg_url, GENRESTORE_CRAWL__BUDGET_PER_WINDOW="20",
                      GENRESTORE_CRAWL__WINDOW_SECONDS="2")
        _probe_first(var, env)
        before = emu.stats()["requests"]
        fleet = subprocess.Popen([*crawl_cmd(var, small_seeds), "--workers", "3"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while emu.stats()["requests"] - before < 30 and time.monotonic() < deadline and fleet.poll() is None:
            time.sleep(0.05)
        assert fleet.poll() is None, "the fleet finished before the ban"
        emu.ban(3600)
        banned_at = time.monotonic()
        _, err = fleet.communicate(timeout=120)
        took = time.monotonic() - banned_at
        limited = emu.stats()["rate_limited"]
    assert fleet.returncode == 3, err  # paused, as a single process exits
    assert took < 30, f"the fleet ended {took:.1f} s after the ban"
    with psycopg.connect(pg_url) as con:
        runs = con.execute("SELECT status, paused_until, message FROM crawl_runs WHERE seeds IS NOT NULL").fetchall()
        shared = con.execute("SELECT paused_until - (now() AT TIME ZONE 'UTC') FROM api_budget").fetchone()[0]
    assert [status for status, _, _ in runs] == ["paused"] * 3, runs
    ends = [until for _, until, _ in runs]
    assert max(ends) - min(ends) < timedelta(seconds=30), ends  # one pause, recorded by every worker
    assert shared > timedelta(seconds=3500)
    # at least one worker never got a 429 itself: it ended on the pause the fleet shares
    assert any("another worker" in message for _, _, message in runs), runs
    assert limited <= 3 * 8, limited  # no worker kept sending into the ban (8: crawl.concurrency)


def test_a_killed_workers_run_is_closed_as_failed_once_its_heartbeat_stops(small_catalog, small_seeds, pg_url,
                                                                           tmp_path):
    """kill -9 leaves the run `running`; `crawl status` (or the next worker's start) closes it as
    failed once its heartbeat is older than a lease, and leaves a live worker's run alone."""
    var = tmp_path / "var"
    with running_emulator(small_catalog) as emu:
        # Slow (5 requests/s) so the worker is mid-crawl for a while; short leases.
        env = cli_env(emu, GENRESTORE_WAREHOUSE__URL=pg_url, GENRESTORE_WAREHOUSE__LEASE_SECONDS=str(LEASE),
                      GENRESTORE_CRAWL__BUDGET_PER_WINDOW="10", GENRESTORE_CRAWL__WINDOW_SECONDS="2")
        _probe_first(var, env)
        victim = subprocess.Popen(crawl_cmd(var, small_seeds), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        with psycopg.connect(pg_url, autocommit=True) as con:
            def victim_run():
                return con.execute("SELECT status, heartbeat_at IS NOT NULL FROM crawl_runs WHERE worker_id LIKE %s",
                                   [f"%:{victim.pid}:%"]).fetchall()
            while victim_run() != [("running", True)] and time.monotonic() < deadline and victim.poll() is None:
                time.sleep(0.05)
            time.sleep(2)  # a few heartbeats in
            assert victim.poll() is None, "the worker finished before the kill"
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
            killed_at = time.monotonic()

            def status():
                res = subprocess.run([sys.executable, "-m", "jobs", "--var", str(var), "crawl", "status", "--json"],
                                     env=env, capture_output=True, text=True, timeout=120)
                assert res.returncode == 0, res.stderr
                return {r["run_id"]: r["status"] for r in json.loads(res.stdout)["runs"]}

            early = victim_run()
            shown_early = status() if time.monotonic() - killed_at < 2 else None
            if time.monotonic() - killed_at >= 2:  # `crawl status` itself took that long (a loaded
                shown_early = None                 # machine): its look may have come after the lease
            time.sleep(max(0.0, killed_at + LEASE + 1.5 - time.monotonic()))
            shown = status()
            late = con.execute("SELECT status, message, ended_at IS NOT NULL FROM crawl_runs WHERE worker_id LIKE %s",
                               [f"%:{victim.pid}:%"]).fetchall()
    assert early == [("running", True)]
    if shown_early is not None:  # within a lease of the kill it may still be alive: left alone
        assert "running" in shown_early.values(), shown_early
    assert len(late) == 1 and late[0][0] == "failed" and "heartbeat" in late[0][1] and late[0][2], late
    assert "running" not in shown.values() and "failed" in shown.values(), shown
