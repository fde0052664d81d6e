"""``next_runs``: when each job runs next, from the scheduler's job store when there is one, else
computed from the effective schedules (the job store is what a running scheduler will follow)."""

from __future__ import annotations

import pickle
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse import read_lock_holder

from ._job_catalog import JOBS
from ._scheduler import effective_schedules, grace_seconds, make_trigger

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from ._settings import Settings


@dataclass
class NextRun:
    job: str
    next_run: datetime | None  # aware UTC; None when not scheduled
    schedule: str
    source: str  # "job store", "schedule", or why there is no next run
    overdue: bool = False


def _stored_jobs(store: Path) -> dict[str, tuple[float | None, str | None]]:
    """job id -> (next run time as epoch seconds, trigger text) from APScheduler's SQLite store."""
    if not store.exists():
        return {}
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        got = con.execute("SELECT id, next_run_time, job_state FROM apscheduler_jobs").fetchall()
    except sqlite3.Error:
        return {}
    finally:
        con.close()
    out = {}
    for job_id, when, state in got:
        try:
            trigger = str(pickle.loads(state)["trigger"])  # our own file, written by APScheduler
        except Exception:  # an unreadable entry is replaced when the scheduler starts
            trigger = None
        out[job_id] = (when, trigger)
    return out


def scheduler_store(settings: Settings) -> Path:
    return Path(settings.var_dir) / "scheduler.sqlite"


def scheduler_holder(settings: Settings) -> dict | None:
    """Who runs the scheduler on this var/ (pid, command, since), or None."""
    return read_lock_holder(Path(settings.var_dir) / "scheduler.lock")


def next_runs(settings: Settings, now: datetime | None = None) -> list[NextRun]:
    """Every job with its next run time. A stored time is used when the stored trigger is the one
    configured (the scheduler keeps it on start); otherwise the time is computed from the trigger."""
    now = now or datetime.now(timezone.utc)
    schedules = effective_schedules(settings)
    stored = _stored_jobs(scheduler_store(settings))
    out = []
    for name in JOBS:
        sched = schedules.get(name)
        if sched is None or not sched.enabled:
            out.append(NextRun(name, None, "-", "not scheduled" if sched is None else "disabled"))
            continue
        trigger = make_trigger(name, sched)
        text = f"every {sched.interval_seconds:g}s" if sched.interval_seconds else f"cron {sched.cron}"
        when, stored_trigger = stored.get(name, (None, None))
        if when is not None and stored_trigger == str(trigger):
            at = datetime.fromtimestamp(when, timezone.utc)
            # Past due: a scheduler that starts now runs it once if within its grace time.
            overdue = at < now
            if overdue and (now - at).total_seconds() > grace_seconds(name, sched):
                at = trigger.get_next_fire_time(None, now)
                overdue = False
            out.append(NextRun(name, at, text, "job store", overdue))
        else:
            out.append(NextRun(name, trigger.get_next_fire_time(None, now), text, "schedule"))
    return out
