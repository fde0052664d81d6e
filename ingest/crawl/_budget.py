"""The rate budget a crawl learned, kept per API URL, credentials and mode (``crawl_budgets``), so the
next run starts where the last one got to instead of ramping from ``crawl.budget_per_window`` again.

Only a hash of the client id is stored (``ingest.spotify.client_hash``), never the id or the secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from ingest.spotify import RateLimiter, client_hash, utcnow


@dataclass(frozen=True)
class LearnedBudget:
    """A budget a run learned: ``budget`` requests per ``window_seconds``."""

    mode: str
    window_seconds: float
    budget: float
    limit_seen: float | None   # requests answered in the window of the last 429 (None: none seen)
    ramping: bool              # no 429 yet: discovery goes on
    learned_at: datetime | None = None
    run_id: str | None = None

    def per_window(self, window_seconds: float) -> float:
        """The budget for a window of another length (the settings may have changed)."""
        return self.budget * window_seconds / self.window_seconds

    @classmethod
    def of(cls, limiter: RateLimiter, mode: str, run_id: str | None = None) -> "LearnedBudget":
        budget, limit_seen, ramping = limiter.learned()
        return cls(mode, limiter.window, round(budget, 3), limit_seen, ramping, utcnow(), run_id)


_COLS = "mode, window_seconds, budget, limit_seen, ramping, learned_at, run_id"


def load_budget(con: duckdb.DuckDBPyConnection, api_url: str, client_id: str, mode: str) -> LearnedBudget | None:
    row = (con.execute(f"SELECT {_COLS} FROM crawl_budgets WHERE api_url = ? AND client_hash = ? AND mode = ?",
                       [api_url, client_hash(client_id), mode]).fetchall()[:1] or [None])[0]
    return LearnedBudget(*row) if row else None


def save_budget(con: duckdb.DuckDBPyConnection, api_url: str, client_id: str, learned: LearnedBudget) -> None:
    con.execute(
        # ON CONFLICT, not INSERT OR REPLACE: the same statement on DuckDB and PostgreSQL.
        f"INSERT INTO crawl_budgets (api_url, client_hash, {_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT (api_url, client_hash, mode) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _COLS.split(", ") if c != "mode"),
        [api_url, client_hash(client_id), learned.mode, learned.window_seconds, learned.budget, learned.limit_seen,
         learned.ramping, learned.learned_at or utcnow(), learned.run_id])


def learned_budgets(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every stored budget, newest first (``crawl status``, ``crawl plan``)."""
    cols = ["api_url", *_COLS.split(", ")]
    return [dict(zip(cols, r)) for r in con.execute(
        f"SELECT api_url, {_COLS} FROM crawl_budgets ORDER BY learned_at DESC").fetchall()]
