"""A :class:`RateLimiter` that also answers to a budget shared with other processes.

Each request first passes this process's limiter (its window, pacing, AIMD and pauses), then
takes a token from the shared budget of its client id (``warehouse.SharedBudget``: one token
bucket for every worker of the fleet). A 429 pauses every worker: the Retry-After is written to
the shared budget as well as applied here, and the largest one seen wins. A shared pause longer
than ``max_wait`` (``crawl.max_retry_after``: another worker was sent a long Retry-After) raises
:class:`SharedPause`, which the client turns into :class:`CrawlPaused`, so every worker of the
fleet ends its run as the worker that was told does, instead of sleeping through the ban. The
shared calls are blocking database statements, so they run in a thread; waits stay interruptible
by :meth:`refuse`; a token the budget handed out with others in one round trip is spent without
leaving the event loop.
"""

from __future__ import annotations

import asyncio

from ._limiter import RateLimiter


class SharedPause(Exception):
    """The fleet's shared pause lasts ``seconds`` more: too long to wait out."""

    def __init__(self, seconds: float):
        super().__init__(f"the fleet is paused for {seconds:,.0f} s")
        self.seconds = seconds


class SharedRateLimiter(RateLimiter):
    """:param budget: the shared budget (``take() -> seconds to wait``, ``pause(seconds)``).
    :param max_wait: a shared pause longer than this raises :class:`SharedPause` (None: waited out)."""

    def __init__(self, budget, per_window: int, window: float, *, max_wait: float | None = None, **kwargs):
        super().__init__(per_window, window, **kwargs)
        self.shared = budget
        self.max_wait = max_wait
        self.shared_waits = 0.0  # seconds spent waiting for the fleet's budget (for tuning)

    async def acquire(self) -> None:
        await super().acquire()
        try:
            while True:
                self._check_refusal(self._clock())
                if self.shared.take_held():  # a token taken with others in one round trip
                    return
                wait = await asyncio.to_thread(self.shared.take)
                if wait <= 0:
                    return
                if self.max_wait is not None and wait > self.max_wait:  # only a pause waits that long
                    raise SharedPause(wait)
                self.shared_waits += wait
                await self._wait(wait)
        except BaseException:
            self.release()  # admitted here but never sent
            raise

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        try:
            self.shared.pause(seconds)
        except Exception:
            pass

    def on_429(self, retry_after: float) -> None:
        super().on_429(retry_after)
        try:
            self.shared.pause(max(retry_after, 0.0))
        except Exception:  # the database is away: this worker still pauses itself
            pass
