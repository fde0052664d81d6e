"""One API request budget for every worker of a client id, kept in PostgreSQL (``api_budget``).

Spotify limits requests per app, not per process, so N workers with the same client id must send
no more than one would. The budget is a token bucket per client (the hash of its id, never the id)
refilled at about ``budget_per_window / window_seconds`` tokens a second and holding at most
``capacity`` (1 unless the rate is high: the fleet is paced like one process, with no burst above
the rate). Tokens are taken in one atomic statement on the worker's own autocommit connection, so
takes from all workers serialize on that row and nothing else waits for them. The largest
Retry-After any worker was given is kept in ``paused_until``; no worker takes a token before it.
Times are the database's clock, so the workers' hosts need not agree on theirs.

When the rate is high a worker takes up to :data:`MAX_BATCH` tokens per round trip and spends them
within ``hold_seconds``; what it has not spent by then is dropped. Measured on one worker (emulator
latency 100 ms, a limit that does not bind): one round trip per request, through a thread, added
33 ms to every request. The bound stays: tokens granted in any span of ``window_seconds`` number
at most ``rate * (window + hold) + capacity``, and ``rate`` is reduced by exactly that ``hold`` (the
window margin) and that ``capacity``, so a rolling window still sees at most ``per_window``
requests. At Spotify-like budgets (a few requests a second) a batch is one token, as before.

A DuckDB warehouse has one writer process, whose own limiter is the whole budget: there
:func:`shared_budget` is None.
"""

from __future__ import annotations

import threading
import time

from ._pg_connection import PgConnection

_NOW = "clock_timestamp() AT TIME ZONE 'UTC'"
MAX_BATCH = 8  # tokens per round trip at most (a worker's default crawl.concurrency)


class SharedBudget:
    """The token bucket of one client id (a PostgreSQL row), used from any thread."""

    def __init__(self, url: str, key: str, per_window: float, window_seconds: float, capacity: float = 1.0):
        self.url = url
        self.key = key
        # As the local limiter: a little margin on the window, and the tokens the bucket may hold
        # counted against the window, so no rolling window ever sees more than per_window requests.
        # The margin is also how long taken tokens may be held (see the module's docstring).
        margin = min(0.25, window_seconds * 0.02)
        self.hold_seconds = margin
        plain_rate = max(per_window - 1.0, 1.0) / (window_seconds + margin)
        self.batch = int(max(1, min(MAX_BATCH, plain_rate * margin)))
        self.capacity = max(1.0, capacity, float(self.batch))
        self.rate = max(per_window - self.capacity, 1.0) / (window_seconds + margin)
        self._local = threading.local()
        self._held_lock = threading.Lock()
        self._held = 0
        self._held_until = 0.0

    def _con(self) -> PgConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = PgConnection(self.url)
            con.execute(f"INSERT INTO api_budget (client_hash, tokens, refilled_at) VALUES (?, ?, {_NOW}) "
                        "ON CONFLICT DO NOTHING", [self.key, self.capacity])
        return con

    def take_held(self) -> bool:
        """Spend a token this worker took earlier and may still spend (no round trip)."""
        with self._held_lock:
            if self._held and time.monotonic() < self._held_until:
                self._held -= 1
                return True
            self._held = 0
            return False

    def take(self) -> float:
        """Take one token: 0.0 when taken, else the seconds to wait before trying again."""
        if self.take_held():
            return 0.0
        con = self._con()
        level = (f"least(?, tokens + ? * extract(epoch FROM {_NOW} - refilled_at))")
        asked = time.monotonic()
        # FOR UPDATE: a concurrent take waits, then reads the level its predecessor left.
        got = con.execute(
            f"WITH bucket AS (SELECT {level} AS level FROM api_budget WHERE client_hash = ? "
            f"AND (paused_until IS NULL OR paused_until <= {_NOW}) FOR UPDATE) "
            "UPDATE api_budget SET tokens = bucket.level - least(floor(bucket.level), ?), "
            f"refilled_at = {_NOW} FROM bucket WHERE client_hash = ? AND bucket.level >= 1 "
            "RETURNING least(floor(bucket.level), ?)",
            [self.capacity, self.rate, self.key, self.batch, self.key, self.batch]).fetchall()
        if got:
            granted = int(got[0][0])
            if granted > 1:
                with self._held_lock:
                    self._held, self._held_until = granted - 1, asked + self.hold_seconds
            return 0.0
        tokens, paused = con.execute(
            f"SELECT {level}, extract(epoch FROM coalesce(paused_until, {_NOW}) - {_NOW}) "
            "FROM api_budget WHERE client_hash = ?", [self.capacity, self.rate, self.key]).fetchall()[0]
        return max(float(paused), (1.0 - float(tokens)) / self.rate, 0.001)

    def pause(self, seconds: float) -> None:
        """Every worker of this client waits ``seconds`` from now (a later end wins)."""
        with self._held_lock:
            self._held = 0
        self._con().execute(
            f"UPDATE api_budget SET paused_until = greatest(coalesce(paused_until, {_NOW}), "
            f"{_NOW} + make_interval(secs => ?)), tokens = 0, refilled_at = {_NOW} + make_interval(secs => ?) "
            "WHERE client_hash = ?", [seconds, seconds, self.key])

    def paused_for(self) -> float:
        """Seconds until the shared pause ends (0 when none is in force)."""
        return max(0.0, float(self._con().execute(
            f"SELECT extract(epoch FROM coalesce(paused_until, {_NOW}) - {_NOW}) FROM api_budget "
            "WHERE client_hash = ?", [self.key]).fetchall()[0][0]))


def shared_budget(writer, key: str, per_window: float, window_seconds: float) -> SharedBudget | None:
    """The budget ``writer``'s workers share for client ``key`` (its hash), or None with one writer."""
    url = getattr(writer, "url", None)
    if getattr(writer, "backend", None) != "postgresql" or not url:
        return None
    return SharedBudget(url, key, per_window, window_seconds)
