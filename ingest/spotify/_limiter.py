"""One rate limiter shared by every in-flight request of a process.

- A rolling-window budget: at most ``budget`` requests start in any ``window`` seconds (the shape of
  Spotify's limit), so a burst never exceeds what the server counts.
- Pacing: requests start at least window/budget seconds apart, so a budget above the real limit
  overshoots by one request, not by a burst.
- A global pause: a 429 stops *all* requests until the largest Retry-After seen has passed; then
  a single request probes (half-open circuit breaker) before the others follow.
- AIMD: after a 429 the budget drops to a fraction of what was answered in the last window (the
  server's real limit is at most that; halved when we started less than a window ago); it grows back by one request per quiet window, and only
  slowly past the level where the last 429 happened, so a limit that rose is found again without
  a 429 storm.
- Budget discovery (``ramp``): until the first 429 the budget doubles after every window it was
  used to three quarters in, up to ``ceiling``; the first 429 sets it just under the level the
  server answered (``ramp_decrease`` x requests answered in the last window), then AIMD. Starting from
  90 per 30 s against an unknown 300 per 30 s that is one 429 burst and three windows instead of
  the ~105 minutes additive increase alone needed (issue 17). :meth:`learned` and
  :meth:`start_from` carry the result from one run to the next.
- Refusal: :meth:`RateLimiter.refuse` makes every waiting and later :meth:`~RateLimiter.acquire`
  raise at once (a pause too long to wait out, a crawl that is stopping). Waits inside ``acquire``
  are interruptible for this reason: one sleeping waiter must never hold every other task, or the
  process, for the length of a pause.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable


@dataclass
class LimiterStats:
    budget: float
    ceiling: int
    sent_in_window: int
    paused_for: float
    responses_429: int


class _Refusal:
    """Why acquire() refuses, and until when (monotonic seconds; None: for good)."""

    def __init__(self, error: Callable[[], BaseException], until: float | None):
        self.error = error
        self.until = until


class RateLimiter:
    """Rolling-window budget with global pauses and AIMD adaptation.

    :param budget: requests allowed per window (settings.crawl.budget_per_window).
    :param window: window length in seconds (settings.crawl.window_seconds).
    :param decrease: on a 429 the budget becomes ``decrease`` x the requests sent in the last window.
    :param margin: seconds added to the window so clock skew between us and the server never
        lets one request too many into the server's window.
    :param ceiling: the budget never goes above this (default: ``budget``, i.e. no growth past it).
    :param ramp: discover the budget: double it per window used to three quarters until the first 429.
    :param ramp_decrease: on the ramp's first 429 the budget becomes this x the level answered.
    :param clock, sleep: a fake clock and its sleep for tests; with the real ones, waits end early
        when :meth:`refuse` is called.
    """

    def __init__(self, budget: int, window: float, *, decrease: float = 0.85, margin: float | None = None,
                 ceiling: int | None = None, ramp: bool = False, ramp_factor: float = 2.0,
                 ramp_decrease: float = 0.92, clock: Callable[[], float] = time.monotonic, sleep=None):
        self.ceiling = int(ceiling if ceiling is not None else budget)
        self.window = float(window)
        self.budget = float(min(budget, self.ceiling))
        self.ramping = ramp and self.budget < self.ceiling
        self.ramp_factor = ramp_factor
        self.ramp_decrease = ramp_decrease
        self.decrease = decrease
        self.margin = margin if margin is not None else min(0.25, self.window * 0.02)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._answered: deque[float] = deque()  # while ramping: when non-429 answers came
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._last_429_level: float | None = None
        self._last_change = clock()
        self._created = clock()
        self.responses_429 = 0
        self.total_acquired = 0
        self.in_flight = 0
        self._half_open = False   # after a 429: one probe request at a time until one passes
        self._probe_out = False
        self._refusal: _Refusal | None = None
        self._refused = asyncio.Event()  # wakes the waiter that holds the lock when refuse() is called

    # ── bookkeeping ──
    def _expire(self, now: float) -> None:
        horizon = now - self.window - self.margin
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()

    def _grow(self, now: float) -> None:
        """Ramp: x ramp_factor per window used to three quarters. Else additive increase: one request per quiet
        window; near the last 429 level, one per four."""
        if self.ramping:
            if now - self._last_change >= self.window:
                # Only a window the budget limited says anything: an idle crawler learns nothing.
                if len(self._sent) >= 0.75 * math.floor(self.budget):
                    self.budget = min(float(self.ceiling), self.budget * self.ramp_factor)
                    self.ramping = self.budget < self.ceiling
                self._last_change = now
            return
        while self.budget < self.ceiling:
            step = self.window
            if self._last_429_level is not None and self.budget >= self._last_429_level * 0.97:
                step = self.window * 4
            if now - self._last_change < step:
                return
            self.budget = min(float(self.ceiling), self.budget + 1)
            self._last_change += step

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def sent_in_window(self) -> int:
        self._expire(self._clock())
        return len(self._sent)

    def stats(self) -> LimiterStats:
        return LimiterStats(self.budget, self.ceiling, self.sent_in_window(), self.paused_for, self.responses_429)

    def _check_refusal(self, now: float) -> None:
        refusal = self._refusal
        if refusal is None:
            return
        if refusal.until is not None and now >= refusal.until:
            self._refusal = None
            self._refused.clear()
            return
        raise refusal.error()

    async def _wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if :meth:`refuse` is called meanwhile."""
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        try:
            await asyncio.wait_for(self._refused.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    # ── the API used by the client ──
    async def acquire(self) -> None:
        """Wait until a request may start (FIFO among waiters), then count it.

        :raises: whatever the error factory of :meth:`refuse` makes, while a refusal is in force.
        """
        self._check_refusal(self._clock())
        async with self._lock:
            while True:
                now = self._clock()
                self._check_refusal(now)
                if now < self._paused_until:
                    await self._wait(self._paused_until - now)
                    continue
                if self._half_open and self._probe_out:
                    await self._wait(0.02)  # after a 429 one request probes; the rest wait for it
                    continue
                self._expire(now)
                self._grow(now)
                budget = max(1, math.floor(self.budget))
                # Spread requests over the window rather than bursting: a burst above the real
                # limit would put many requests in flight before the first 429 comes back, and
                # every call made while limited lengthens the penalty.
                spacing = self.window / budget
                if self._sent and now < self._sent[-1] + spacing:
                    await self._wait(self._sent[-1] + spacing - now)
                    continue
                if len(self._sent) < budget:
                    self._sent.append(now)
                    self.total_acquired += 1
                    self.in_flight += 1
                    if self._half_open:
                        self._probe_out = True
                    return
                await self._wait(max(0.001, self._sent[0] + self.window + self.margin - now))

    def on_success(self) -> None:
        """A non-429 answer: the probe after a pause passed, everyone may go again."""
        if self.ramping:  # what the server accepted, by when it answered (the ramp's first 429 reads it)
            now = self._clock()
            self._answered.append(now)
            while self._answered and self._answered[0] <= now - self.window:
                self._answered.popleft()
        self._half_open = False
        self._probe_out = False

    def on_error(self) -> None:
        """No answer at all (timeout, connection error): let another request probe."""
        self._probe_out = False

    def release(self) -> None:
        """The request that :meth:`acquire` admitted has been answered (or failed)."""
        self.in_flight = max(0, self.in_flight - 1)

    def on_429(self, retry_after: float) -> None:
        """A 429: pause everyone for ``retry_after`` seconds; the first 429 of a burst lowers the budget."""
        now = self._clock()
        self.responses_429 += 1
        fresh = now >= self._paused_until
        self._paused_until = max(self._paused_until, now + max(retry_after, 0.0))
        self._half_open, self._probe_out = True, False
        if fresh:
            self._expire(now)
            # Requests answered so far in this window (this one included) bound what the server allows;
            # requests still in flight may not have reached it yet.
            level = max(1, len(self._sent) - self.in_flight)
            if self.ramping and now - self._created >= self.window:
                # The answers accepted in the last window: requests sent (less those in flight)
                # overstated the level by ~10 % at a 6 s window (bench/crawl.py --ramp), enough to
                # set the budget above the limit.
                level = max(1, sum(1 for t in self._answered if t > now - self.window))
                # The first 429 of budget discovery: the server answered ``level`` in a window.
                self.ramping = False
                self.budget = min(self.budget, max(1.0, level * self.ramp_decrease))
                self._last_429_level = float(level)
                self._last_change = self._paused_until
                return
            self.ramping = False
            if now - self._created >= self.window:
                new = max(1.0, min(self.budget, level) * self.decrease)
            else:
                # Less than a window since we started: the server may still be counting an earlier
                # process's requests, so what we sent says little about its limit. Halve instead.
                new = max(1.0, self.budget * 0.5)
            self.budget = min(self.budget, new)
            self._last_429_level = self.budget / self.decrease
        self._last_change = self._paused_until

    def learned(self) -> tuple[float, float | None, bool]:
        """(budget now, level of the last 429 or None, still ramping): what the next run starts from."""
        return self.budget, self._last_429_level, self.ramping

    def start_from(self, budget: float, limit_seen: float | None, ramping: bool) -> None:
        """Start from a budget an earlier run learned (never above the ceiling)."""
        self.budget = max(1.0, min(float(self.ceiling), float(budget)))
        self._last_429_level = limit_seen
        self.ramping = ramping and self.budget < self.ceiling
        self._last_change = self._clock()

    def pause(self, seconds: float) -> None:
        """Pause everyone without counting a 429 (e.g. a ban noticed elsewhere)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def refuse(self, error: Callable[[], BaseException], *, seconds: float | None = None) -> None:
        """Make every :meth:`acquire`, those waiting now included, raise ``error()`` at once.

        For ``seconds`` (a pause too long to wait out: nobody may sleep through it), or for good when
        None (a crawl that is stopping). A later call replaces an earlier one.
        """
        until = None if seconds is None else self._clock() + seconds
        self._refusal = _Refusal(error, until)
        self._refused.set()
