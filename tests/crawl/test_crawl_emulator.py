"""The crawler against the emulator over real HTTP (subprocess crawlers where they get killed)."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import signal
import subprocess
import threading
import time
from datetime import timedelta

import duckdb
import pytest

from ingest.crawl import crawl_async, run_crawl
from ingest.emulator.running import running_emulator, synthetic_catalog
from ingest.spotify import CrawlPaused
from ingest.spotify._client import utcnow
from warehouse import Writer

from ._support import (
    RecordingTransport,
    cli_env,
    crawl_cmd,
    crawl_settings,
    duplicate_keys,
    reachable_artists,
    silver_hash,
    text_hits,
    top_genres,
)

pytestmark = pytest.mark.slow


def test_crawl_reaches_99_percent_of_reachable_artists_and_a_second_run_fetches_nothing(tmp_path, tmp_path_factory):
    # 1,000 artists (2,000 before): the same graph shape at half the suite's time
    catalog = synthetic_catalog(tmp_path_factory.getbasetemp(), artists=1000, seed=7)
    genres = top_genres(catalog, 3, skip=5)
    reachable = reachable_artists(catalog, genres)
    assert len(reachable) > 500  # the seeds must open most of the catalog, or the test says little
    seeds = ",".join(f"genre:{g}" for g in genres)
    with running_emulator(catalog) as emu:
        settings = crawl_settings(tmp_path / "var", emu)
        with Writer(settings.warehouse_file) as w:
            first = run_crawl(settings, w, seeds=seeds, progress=False)
            assert first.status == "completed"
            got = {r[0] for r in w.con.execute("SELECT artist_id FROM artists").fetchall()}
            before = silver_hash(w.con)
            second = run_crawl(settings, w, seeds=seeds, progress=False)
            after = silver_hash(w.con)
            genres_null = w.con.execute("SELECT count(*) FROM artists WHERE genres IS NULL").fetchall()[0][0]
        served = emu.stats()["requests"]
    share = len(got & reachable) / len(reachable)
    print(f"reachable {len(reachable)}, crawled {len(got)}, share {share:.4f}, requests {first.requests}, "
          f"{first.seconds:.1f} s")
    assert share >= 0.99
    assert got <= reachable | got and not (got - reachable)  # nothing outside the reachable set
    assert genres_null == 0  # extended mode: every artist's genres known ([] when it has none)
    assert second.status == "completed" and second.requests == 0 and after == before
    assert served == first.requests + 1  # plus one token request; the second run sent nothing


def test_sigkill_at_five_random_moments_then_resume_ends_identical(small_catalog, small_seeds, reference, tmp_path):
    var = tmp_path / "var"
    rng = random.Random(20261122)
    # Five random moments of the crawl, as points in its request sequence (the emulator counts).
    moments = sorted(rng.sample(range(20, reference["requests"] - 20), 5))
    kills = 0
    with running_emulator(small_catalog) as emu:
        env = cli_env(emu)
        for moment in moments:
            proc = subprocess.Popen(crawl_cmd(var, small_seeds), env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            while proc.poll() is None and emu.stats()["requests"] < moment:
                time.sleep(0.01)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate(timeout=60)
        final = subprocess.run(crawl_cmd(var, small_seeds), env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
    assert kills == 5
    con = duckdb.connect(str(var / "warehouse.duckdb"))
    try:
        assert silver_hash(con, per_table=True) == reference["tables"]
        assert silver_hash(con) == reference["hash"]
        assert duplicate_keys(con) == {}
        # Committed work is never fetched again: each successful URL appears once in bronze.
        dup_urls = con.execute("SELECT count(*) - count(DISTINCT url) FROM raw_responses WHERE status = 200").fetchall()[0][0]
        assert dup_urls == 0
        assert con.execute("SELECT count(*) FROM crawl_queue WHERE state = 'pending'").fetchall()[0][0] == 0
        statuses = [r[0] for r in con.execute("SELECT status FROM crawl_runs ORDER BY started_at").fetchall()]
        assert statuses.count("failed") >= kills - 1 and statuses[-1] == "completed"  # killed runs closed later
    finally:
        con.close()


def test_faults_do_not_change_the_final_content(small_catalog, small_seeds, reference, tmp_path, caplog):
    faults = "5xx=0.05,hang=0.02,malformed=0.01,token_ttl=4,hang_s=5"
    transport = RecordingTransport()
    caplog.set_level(logging.DEBUG)
    with running_emulator(small_catalog, faults=faults, seed=3) as emu:
        settings = crawl_settings(tmp_path / "var", emu, timeout=1.0, max_attempts=8)
        with Writer(settings.warehouse_file) as w:
            result = asyncio.run(crawl_async(settings, w, seeds=small_seeds, progress=False, transport=transport))
            assert result.status == "completed"
            assert silver_hash(w.con, per_table=True) == reference["tables"]
            assert silver_hash(w.con) == reference["hash"]
            failed = w.con.execute("SELECT count(*) FROM crawl_queue WHERE state <> 'done'").fetchall()[0][0]
            assert failed == 0
            # The secret and every token the crawl used appear in no table and no log line.
            needles = [emu.client_secret, base64.b64encode(f"{emu.client_id}:{emu.client_secret}".encode()).decode(),
                       *transport.tokens]
            assert len(transport.tokens) >= 2  # tokens expired during the crawl and were refreshed
            assert text_hits(w.con, needles) == []
        stats = emu.stats()
    assert sum(stats["faults"].values()) > 10  # the faults really happened
    log_text = "\n".join(r.getMessage() for r in caplog.records)
    assert all(n not in log_text for n in needles)


def test_budget_twice_the_real_limit_gets_few_429s_after_the_first_window(small_catalog, small_seeds, tmp_path):
    limit, window = 20, 2.0
    transport = RecordingTransport()
    with running_emulator(small_catalog, rate=limit, window_seconds=window) as emu:
        settings = crawl_settings(tmp_path / "var", emu, budget_per_window=2 * limit, window_seconds=window)
        with Writer(settings.warehouse_file) as w:
            t0 = time.monotonic()
            asyncio.run(crawl_async(settings, w, seeds=small_seeds, progress=False, transport=transport,
                                    max_minutes=0.4))
    events = [(t - t0, s) for t, s, path in transport.events if path != "/api/token"]
    after = [s for t, s in events if t > window]
    share = sum(1 for s in after if s == 429) / len(after)
    first = sum(1 for t, s in events if t <= window and s == 429)
    print(f"429s in the first window {first}; after it {share:.2%} of {len(after)} requests")
    assert len(after) >= 6 * limit  # several windows were really crawled at the limit
    assert share <= 0.02
    rate = len(after) / (events[-1][0] - window) * window
    assert rate >= 0.7 * limit  # and the budget was not simply thrown away


def test_long_retry_after_ends_the_run_and_the_next_run_refuses(small_catalog, small_seeds, tmp_path):
    with running_emulator(small_catalog, rate=100) as emu:
        settings = crawl_settings(tmp_path / "var", emu, budget_per_window=100, max_retry_after=900)
        threading.Timer(1.5, emu.ban, args=(3600,)).start()
        with Writer(settings.warehouse_file) as w:
            t0 = time.monotonic()
            result = run_crawl(settings, w, seeds=small_seeds, progress=False)
            took = time.monotonic() - t0
            assert result.status == "paused"
            assert took < 12
            row = w.con.execute("SELECT status, paused_until FROM crawl_runs WHERE run_id = ?",
                                [result.run_id]).fetchall()[0]
            assert row[0] == "paused"
            assert abs(row[1] - (utcnow() + timedelta(seconds=3600))) < timedelta(seconds=60)
            served = emu.stats()["requests"]
            with pytest.raises(CrawlPaused, match="paused until"):
                run_crawl(settings, w, seeds=small_seeds, progress=False)
            assert emu.stats()["requests"] == served  # the refused run sent nothing
        env = cli_env(emu)
        proc = subprocess.run(crawl_cmd(tmp_path / "var", small_seeds), env=env, capture_output=True, text=True,
                              timeout=120)
    assert proc.returncode == 1 and "paused until" in proc.stderr and "Traceback" not in proc.stderr
    assert emu.client_secret not in proc.stderr + proc.stdout


def test_development_mode_completes_with_fallbacks_and_never_calls_removed_endpoints(small_catalog, small_seeds, tmp_path):
    transport = RecordingTransport()
    with running_emulator(small_catalog, mode="development") as emu:
        settings = crawl_settings(tmp_path / "var", emu)
        with Writer(settings.warehouse_file) as w:
            result = asyncio.run(crawl_async(settings, w, seeds=small_seeds, progress=False, transport=transport))
            assert result.status == "completed" and result.mode == "development"
            artists = w.con.execute("SELECT count(*), count(genres), count(popularity) FROM artists").fetchall()[0]
            hits = w.con.execute("SELECT count(*) FROM artist_genre_hits").fetchall()[0][0]
            albums = w.con.execute("SELECT count(*) FROM albums").fetchall()[0][0]
            tracks = w.con.execute("SELECT count(*) FROM tracks").fetchall()[0][0]
    assert artists[0] > 20 and albums > 0 and tracks > 0
    assert artists[1] == 0 and artists[2] == 0  # genres unknown (NULL), never a false "none"
    assert hits > 0  # the genre evidence that is left: genre-filtered search results
    probe_end = result_probe_index(transport)
    removed = {"/v1/artists", "/v1/tracks", "/v1/albums", "/v1/audio-features"}
    after_probe = [p for _, _, p in transport.events[probe_end:]]
    assert not [p for p in after_probe if p in removed]
    assert any(p.startswith("/v1/albums/") for p in after_probe)  # single album GETs were the fallback


def result_probe_index(transport: RecordingTransport) -> int:
    """Index of the first request after the capability probe (the probe ends with a genre: search)."""
    for i, (_, _, path) in enumerate(transport.events):
        if i >= 6 and path.endswith("/search"):
            return i + 1
    raise AssertionError("no probe found")
