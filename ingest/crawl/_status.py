"""What the crawl frontier and the recent runs look like (read-only)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from ._budget import learned_budgets
from ._store import paused_until


@dataclass
class CrawlStatus:
    queue: dict[str, dict[str, int]] = field(default_factory=dict)   # kind -> state -> units
    runs: list[dict] = field(default_factory=list)                   # newest first; rows_* are {table: rows}
    paused_until: datetime | None = None
    capabilities: dict | None = None
    budgets: list[dict] = field(default_factory=list)                # learned rate budgets, newest first


def crawl_status(con: duckdb.DuckDBPyConnection, *, runs: int = 5) -> CrawlStatus:
    """Queue by kind and state, the last ``runs`` runs, a pause in force, the latest capabilities,
    the rate budgets learned per API URL, credentials and mode."""
    status = CrawlStatus()
    for kind, state, n in con.execute(
            "SELECT kind, state, count(*) FROM crawl_queue GROUP BY kind, state ORDER BY kind, state").fetchall():
        status.queue.setdefault(kind, {})[state] = n
    cols = ["run_id", "started_at", "ended_at", "status", "mode", "requests", "responses_429", "errors",
            "rows_inserted", "rows_updated", "entities", "paused_until", "message"]
    for row in con.execute(f"SELECT {', '.join(cols)} FROM crawl_runs ORDER BY started_at DESC LIMIT ?",
                           [runs]).fetchall():
        run = dict(zip(cols, row))
        for key in ("rows_inserted", "rows_updated", "entities"):  # JSON text -> {table: rows}
            run[key] = json.loads(run[key]) if run[key] else None
        status.runs.append(run)
    pause = paused_until(con)
    status.paused_until = pause.until if pause else None
    status.budgets = learned_budgets(con)
    row = (con.execute("SELECT probed_at, api_url, mode, details FROM capabilities ORDER BY probed_at DESC LIMIT 1"
                      ).fetchall()[:1] or [None])[0]
    if row:
        status.capabilities = {"probed_at": row[0], "api_url": row[1], "mode": row[2], **json.loads(row[3])}
    return status
