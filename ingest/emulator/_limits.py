"""Rate limiting as Spotify does it (docs §5): a rolling 30-second window per client, 429 with an
integer Retry-After, a penalty that grows while a limited client keeps calling, an optional daily
quota (429 with reason QUOTA_EXCEEDED) and a test-forced ban.

Runs on the event loop only (single thread), so no locking is needed.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class _ClientState:
    window: deque = field(default_factory=deque)
    penalty_until: float = 0.0
    strikes: int = 0
    quota_day: int = -1
    quota_used: int = 0


@dataclass(frozen=True)
class Limited:
    """Why a request was refused and for how long."""

    retry_after: int
    reason: str | None = None  # "QUOTA_EXCEEDED" for the daily quota, None for the window


class ServerRateLimit:
    """The emulator's server-side rate limit (what Spotify enforces; the crawler's own client-side
    pacing is ``ingest.spotify.RateLimiter``). `check(client)` returns None (accepted, counted) or a
    :class:`Limited`."""

    def __init__(self, rate: int | None = None, *, window_seconds: float = 30.0, daily_quota: int | None = None,
                 penalty_step: float = 1.0, clock=time.monotonic, wall_clock=time.time) -> None:
        self.rate = rate
        self.window_seconds = window_seconds
        self.daily_quota = daily_quota
        self.penalty_step = penalty_step
        self.clock = clock
        self.wall_clock = wall_clock
        self.clients: dict[str, _ClientState] = {}
        self.ban_until = 0.0

    def reset(self) -> None:
        self.clients.clear()
        self.ban_until = 0.0

    def ban(self, seconds: float) -> None:
        """Answer every API call with 429 for `seconds` (0 lifts the ban)."""
        self.ban_until = self.clock() + seconds if seconds > 0 else 0.0

    def ban_remaining(self) -> float:
        return max(0.0, self.ban_until - self.clock())

    def window_count(self, client: str | None = None) -> int:
        now = self.clock()
        states = [self.clients[client]] if client in self.clients else list(self.clients.values()) if client is None else []
        total = 0
        for st in states:
            self._expire(st, now)
            total += len(st.window)
        return total

    def quota_used(self) -> int:
        return sum(st.quota_used for st in self.clients.values())

    def _expire(self, st: _ClientState, now: float) -> None:
        horizon = now - self.window_seconds
        w = st.window
        while w and w[0] <= horizon:
            w.popleft()

    def check(self, client: str) -> Limited | None:
        now = self.clock()
        if now < self.ban_until:
            return Limited(max(1, math.ceil(self.ban_until - now)))
        st = self.clients.get(client)
        if st is None:
            st = self.clients[client] = _ClientState()
        if now < st.penalty_until:
            # Calling while limited: each further call extends the penalty a little more.
            st.strikes += 1
            st.penalty_until += self.penalty_step * st.strikes
            return Limited(max(1, math.ceil(st.penalty_until - now)))
        if self.daily_quota is not None:
            wall = self.wall_clock()
            day = int(wall // 86400)
            if day != st.quota_day:
                st.quota_day, st.quota_used = day, 0
            if st.quota_used >= self.daily_quota:
                return Limited(max(1, math.ceil((day + 1) * 86400 - wall)), "QUOTA_EXCEEDED")
        self._expire(st, now)
        if self.rate is not None and len(st.window) >= self.rate:
            wait = st.window[0] + self.window_seconds - now
            st.penalty_until = now + wait
            st.strikes = 0
            return Limited(max(1, math.ceil(wait)))
        st.window.append(now)
        st.quota_used += 1
        return None
