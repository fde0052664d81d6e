"""The crawl runs of a period and the queue by state, for readers outside the crawler (the report).

The ``crawl_runs`` and ``crawl_queue`` SQL stays in the crawler; a reader gets typed rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class CrawlRunRow:
    """One crawl run as recorded: its span, outcome and request counts."""

    run_id: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    mode: str | None
    requests: int | None
    responses_429: int | None
    errors: int | None
    paused_until: datetime | None
    message: str | None


def crawl_runs_between(con: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime) -> list[CrawlRunRow]:
    """Runs started after ``since`` (from the first when None) and at or before ``until``, oldest first."""
    where, params = ("WHERE started_at > ? AND started_at <= ?", [since, until]) if since else ("WHERE started_at <= ?", [until])
    return [CrawlRunRow(*r) for r in con.execute(f"""
        SELECT run_id, started_at, ended_at, status, mode, requests, responses_429, errors, paused_until, message
        FROM crawl_runs {where} ORDER BY started_at""", params).fetchall()]


def queue_by_state(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Units in the crawl queue per state (pending, done, failed, ...), states in name order."""
    return dict(con.execute("SELECT state, count(*) FROM crawl_queue GROUP BY state ORDER BY state").fetchall())
