"""Budget discovery: a multiplicative ramp to the first 429, then AIMD; the learned budget is stored
per credentials and mode and the next run starts from it."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from ingest.crawl import crawl_async, crawl_status
from ingest.emulator.running import running_emulator, synthetic_catalog
from ingest.spotify import RateLimiter
from ingest import CrawlSettings
from warehouse import Writer

from tests.conftest import run_cli

from ._support import crawl_settings, top_genres


class Server:
    """A rolling-window limit like the emulator's: ``limit`` answers per ``window`` seconds."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.answered: deque[float] = deque()

    def answer(self, now: float) -> bool:
        while self.answered and self.answered[0] <= now - self.window:
            self.answered.popleft()
        if len(self.answered) >= self.limit:
            return False
        self.answered.append(now)
        return True


def simulate(limiter: RateLimiter, server: Server, clock: list[float], windows: int) -> list[tuple[int, int]]:
    """Send as fast as the limiter admits for ``windows`` windows; (answered, 429) per window."""
    per = [[0, 0] for _ in range(windows)]

    async def go():
        while clock[0] < windows * server.window:
            await limiter.acquire()
            limiter.release()
            k = int(clock[0] // server.window)
            if k >= windows:
                return
            if server.answer(clock[0]):
                per[k][0] += 1
                limiter.on_success()
            else:
                per[k][1] += 1
                limiter.on_429(1.0)  # the emulator's Retry-After at a full window: about a second
    asyncio.run(go())
    return [tuple(p) for p in per]


def fake_limiter(clock: list[float], **kw) -> RateLimiter:
    async def sleep(seconds):
        clock[0] += seconds

    return RateLimiter(clock=lambda: clock[0], sleep=sleep, margin=0.0, **kw)


def test_default_settings_find_an_unknown_300_per_30s_limit_within_ten_windows():
    d = CrawlSettings()
    assert d.budget_ramp and d.budget_per_window < 300 < d.budget_ceiling
    clock = [0.0]
    limiter = fake_limiter(clock, budget=d.budget_per_window, window=d.window_seconds, ceiling=d.budget_ceiling,
                           ramp=True)
    per = simulate(limiter, Server(300, 30.0), clock, 12)
    used = [a / 300 for a, _ in per]
    first = next(i for i, u in enumerate(used) if u >= 0.9)
    total, r429 = sum(a + b for a, b in per), sum(b for _, b in per)
    print(f"in use per window: {[f'{u:.0%}' for u in used]}; {r429} x 429 of {total}")
    assert first < 10 and all(u >= 0.9 for u in used[first:])  # >= 90 % from then on
    assert r429 <= 0.01 * total
    budget, seen, ramping = limiter.learned()
    assert not ramping and seen == pytest.approx(300, abs=3) and 0.9 * 300 <= budget < 300


def test_the_ramp_needs_full_windows_and_stops_at_the_ceiling():
    clock = [0.0]
    limiter = fake_limiter(clock, budget=10, window=1.0, ceiling=25, ramp=True)
    clock[0] = 5.0
    limiter._grow(5.0)  # idle windows say nothing about the limit
    assert limiter.budget == 10
    per = simulate(limiter, Server(1000, 1.0), clock, 12)
    assert limiter.budget == 25 and not limiter.ramping  # 10 -> 20 -> 25 (the ceiling), no 429 needed
    assert max(a for a, _ in per) <= 25 and sum(b for _, b in per) == 0


def test_start_from_a_learned_budget_never_above_the_ceiling():
    limiter = RateLimiter(90, 30.0, ceiling=200, ramp=True)
    limiter.start_from(285.0, 300.0, False)
    assert limiter.budget == 200 and not limiter.ramping
    limiter.start_from(150.0, None, True)
    assert limiter.budget == 150 and limiter.ramping


def test_a_crawl_stores_the_learned_budget_and_the_next_run_starts_from_it(tmp_path_factory, tmp_path):
    catalog = synthetic_catalog(tmp_path_factory.getbasetemp(), artists=400, seed=7)
    seeds = ",".join(f"genre:{g}" for g in top_genres(catalog, 2))
    limit, window = 40, 2.0
    with running_emulator(catalog, rate=limit, window_seconds=window) as emu:
        settings = crawl_settings(tmp_path / "var", emu, budget_per_window=8, window_seconds=window,
                                  budget_ceiling=1000)
        with Writer(settings.warehouse_file) as w:
            first = asyncio.run(crawl_async(settings, w, seeds=seeds, progress=False, max_minutes=10 * window / 60))
            st = crawl_status(w.con)
            second = asyncio.run(crawl_async(settings, w, progress=False, max_minutes=2 * window / 60))
    assert first.budget_start == 8
    assert first.responses_429 >= 1  # the ramp met the limit ...
    assert 0.85 * limit <= first.budget_learned < limit  # ... and settled just under it
    (stored,) = st.budgets
    assert stored["mode"] == "extended" and stored["budget"] == pytest.approx(first.budget_learned, abs=0.1)
    assert stored["limit_seen"] == pytest.approx(limit, abs=3) and not stored["ramping"]
    assert emu.client_id not in str(st.budgets)  # only a hash of the client id is stored
    assert second.budget_start == pytest.approx(stored["budget"], abs=0.06)
    # The CLI shows it: `crawl status` as a line, `crawl plan` as a second estimate for that mode.
    env = {"GENRESTORE_API_URL": emu.api_url, "GENRESTORE_CRAWL__WINDOW_SECONDS": str(window)}
    status = run_cli("--var", str(tmp_path / "var"), "crawl", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert "learned budget (extended mode at " in status.stdout and f"per {window:g} s, last 429 at" in status.stdout
    plan = run_cli("--var", str(tmp_path / "var"), "crawl", "plan", "--artists", "1000", env=env)
    assert plan.returncode == 0, plan.stderr
    assert "at the learned budget of" in plan.stdout
