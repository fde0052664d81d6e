"""A running crawl's progress, where other processes can read it.

DuckDB lets no other process open the warehouse while the crawl writes it, so the crawl publishes
its figures in a small JSON file next to the warehouse (``<warehouse>.crawl-progress.json``),
replaced atomically (write a temporary file, then rename) every PROGRESS_INTERVAL seconds and once
more when the run ends. ``genrestore crawl status`` reads it while the writer lock is held.
The live display on stderr shows the same figures.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from datetime import datetime, timezone
from pathlib import Path

PROGRESS_INTERVAL = 2.0  # seconds between two writes of the progress file
PROGRESS_VERSION = 1


def progress_path(warehouse_file: str | Path) -> Path:
    """Where the crawl writing ``warehouse_file`` publishes its progress."""
    path = Path(warehouse_file)
    return path.with_name(path.name + ".crawl-progress.json")


def _utc_iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="seconds")


def snapshot(crawl, *, state: str = "running") -> dict:
    """The figures of a run so far (``crawl``: the loop's state), as the progress file holds them.

    ETA: the pending units of every kind, as requests (units per request from the current batch
    sizes), at the limiter's current budget; the frontier still grows while the crawl expands it,
    so this is the time to drain what is pending now, at the current limits.
    """
    stats = crawl.client.stats
    lim = crawl.client.limiter
    elapsed = max(1e-6, time.monotonic() - crawl.started)
    in_window = lim.sent_in_window()
    pending = dict(sorted(crawl.pending.items()))
    pending_requests = sum(math.ceil(n / max(1, crawl.sizes.get(kind, 1))) for kind, n in pending.items())
    per_second = lim.budget / lim.window if lim.window > 0 else 0.0
    eta = pending_requests / per_second + lim.paused_for if per_second > 0 else None
    return {
        "version": PROGRESS_VERSION,
        "state": state,
        "run_id": crawl.run_id,
        "pid": os.getpid(),
        "started_at": _utc_iso(crawl.started_wall),
        "written_at": _utc_iso(time.time()),
        "elapsed_seconds": round(elapsed, 1),
        "mode": crawl.ctx.caps.mode if crawl.ctx else None,
        "requests": stats.requests,
        "responses_429": stats.responses_429,
        "rate_per_second": round(in_window / lim.window, 2) if lim.window > 0 else None,  # the last window
        "average_per_second": round(stats.requests / elapsed, 2),
        "window": {"seconds": lim.window, "sent": in_window, "budget": round(lim.budget, 1),
                   "ceiling": lim.ceiling},
        "paused_for_seconds": round(lim.paused_for, 1),
        "units_done": crawl.units_done,
        "errors": crawl.errors,
        "errors_by_kind": dict(sorted(crawl.errors_by_kind.items())),
        "inserted": dict(sorted(crawl.inserted.items())),
        "updated": dict(sorted(crawl.updated.items())),
        "pending": pending,
        "pending_units": sum(pending.values()),
        "pending_requests": pending_requests,
        "eta_seconds": round(eta, 1) if eta is not None else None,
    }


def format_eta(seconds: float | None) -> str:
    """``1h02m``, ``4m05s``, ``12s``; ``?`` when unknown."""
    if seconds is None:
        return "?"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def write_progress(path: Path, data: dict) -> None:
    """Replace ``path`` with ``data`` atomically: a reader sees the old file or the new one, whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


def read_progress(path: Path) -> dict | None:
    """The last progress a crawl published in ``path``, with its age in seconds; None if there is none."""
    try:
        data = json.loads(Path(path).read_text())
        age = time.time() - Path(path).stat().st_mtime
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != PROGRESS_VERSION:
        return None
    data["age_seconds"] = round(max(0.0, age), 1)
    return data


async def publish_progress(crawl, path: Path) -> None:
    """Write the progress file every PROGRESS_INTERVAL seconds until cancelled."""
    while True:
        try:
            write_progress(path, snapshot(crawl))
        except OSError:
            pass  # the figures are a courtesy: a full disk must not end the crawl
        await asyncio.sleep(PROGRESS_INTERVAL)
