"""One API request budget for every worker of a client id, kept in PostgreSQL (``api_budget``).

Spotify limits requests per app, not per process, so N workers with the same client id must send
no more than one would. The budget is a token bucket per client (the hash of its id, never the id)
refilled at about ``budget_per_window / window_seconds`` tokens a second and holding at most
``capacity`` (default 1: the fleet is paced like one process, with no burst above the rate). Each
request takes a token in one atomic UPDATE on its own autocommit connection, so takes from all
workers serialize on that row and nothing else waits for them. The largest Retry-After any worker
was given is kept in ``paused_until``; no worker takes a token before it. Times are the database's
clock, so the workers' hosts need not agree on theirs.

A DuckDB warehouse has one writer process, whose own limiter is the whole budget: there
:func:`shared_budget` is None.
"""

from __future__ import annotations

import threading

from ._pg_connection import PgConnection

_NOW = "clock_timestamp() AT TIME ZONE 'UTC'"


class SharedBudget:
    """The token bucket of one client id (a PostgreSQL row), used from any thread."""

    def __init__(self, url: str, key: str, per_window: float, window_seconds: float, capacity: float = 1.0):
        self.url = url
        self.key = key
        # As the local limiter: a little margin on the window, and the one token the bucket may hold
        # counted against the window, so no rolling window ever sees more than per_window requests.
        margin = min(0.25, window_seconds * 0.02)
        self.capacity = max(1.0, capacity)
        self.rate = max(per_window - self.capacity, 1.0) / (window_seconds + margin)
        self._local = threading.local()

    def _con(self) -> PgConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = PgConnection(self.url)
            con.execute(f"INSERT INTO api_budget (client_hash, tokens, refilled_at) VALUES (?, ?, {_NOW}) "
                        "ON CONFLICT DO NOTHING", [self.key, self.capacity])
        return con

    def take(self) -> float:
        """Take one token: 0.0 when taken, else the seconds to wait before trying again."""
        con = self._con()
        level = (f"least(?, tokens + ? * extract(epoch FROM {_NOW} - refilled_at))")
        got = con.execute(
            f"UPDATE api_budget SET tokens = {level} - 1, refilled_at = {_NOW} "
            f"WHERE client_hash = ? AND {level} >= 1 AND (paused_until IS NULL OR paused_until <= {_NOW}) "
            "RETURNING tokens", [self.capacity, self.rate, self.key, self.capacity, self.rate]).fetchall()
        if got:
            return 0.0
        tokens, paused = con.execute(
            f"SELECT {level}, extract(epoch FROM coalesce(paused_until, {_NOW}) - {_NOW}) "
            "FROM api_budget WHERE client_hash = ?", [self.capacity, self.rate, self.key]).fetchall()[0]
        return max(float(paused), (1.0 - float(tokens)) / self.rate, 0.001)

    def pause(self, seconds: float) -> None:
        """Every worker of this client waits ``seconds`` from now (a later end wins)."""
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
