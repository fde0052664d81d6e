"""``genrestore scheduler``: APScheduler 3.x in the foreground, one job at a time.

- Job store: SQLAlchemyJobStore on ``var/scheduler.sqlite``. Jobs are stored under stable ids (the
  job name) with an importable function reference, so a restart finds them again; a schedule whose
  trigger did not change keeps its stored next run time (and its misfire is coalesced), a changed one
  is replaced, a removed or disabled one is unscheduled.
- One process per ``var/``: APScheduler cannot share a job store between processes (its FAQ: "you
  can't"), so ``var/scheduler.lock`` (an flock, released by the kernel even on SIGKILL) makes a
  second scheduler refuse at once, naming the holder.
- One job at a time: a single-thread executor, ``max_instances=1``, ``coalesce=True``, and a
  misfire grace time per job instead of APScheduler's 1-second default that silently drops runs.
  Missed runs are journaled as ``missed``. On top, each run holds the warehouse writer lock.
- SIGTERM/SIGINT: the stop event tells the running job to finish its current unit (the crawl checks
  it between units), no new job starts, and the process exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from warehouse import ConfigError, GenrestoreError, JobSchedule, Settings, UsageError
from warehouse._lock import ProcessLock, describe_holder
from warehouse.settings import _default_schedules

from ._definitions import JOBS
from ._runner import record_missed, run_job

log = logging.getLogger("genrestore.scheduler")

JOB_FUNC = "jobs._scheduler:scheduled_run"


class SchedulerLockedError(GenrestoreError):
    """Another scheduler already runs on this var/ directory."""


def SchedulerLock(path: Path) -> ProcessLock:
    """The lock that keeps a second scheduler off the same var/ directory."""
    return ProcessLock(path, refused=lambda holder: SchedulerLockedError(
        f"a scheduler already runs on {path.parent}: {describe_holder(holder)}; "
        "stop it first (SIGTERM) or use another --var"
    ))


def effective_schedules(settings: Settings) -> dict[str, JobSchedule]:
    """The configured schedules over the defaults (a job named in the configuration replaces its
    default entry; the others keep theirs), validated."""
    merged = dict(_default_schedules())
    merged.update(settings.schedules)
    for name, sched in merged.items():
        if name not in JOBS:
            raise ConfigError(f"invalid setting schedules.{name}: no such job (jobs: {', '.join(JOBS)})")
        if sched.enabled and (sched.interval_seconds is None) == (sched.cron is None):
            raise ConfigError(
                f"invalid setting schedules.{name}: give exactly one of interval_seconds or cron"
            )
        try:
            JOBS[name].parse_options(sched.options)  # unknown or malformed options fail at start
        except UsageError as exc:  # say where the bad option was written
            raise UsageError(f"invalid setting schedules.{name}.options: {exc}") from None
    return merged


def make_trigger(name: str, sched: JobSchedule):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if sched.interval_seconds is not None:
        return IntervalTrigger(seconds=sched.interval_seconds, timezone=timezone.utc)
    try:
        return CronTrigger.from_crontab(sched.cron, timezone=timezone.utc)
    except ValueError as exc:
        raise ConfigError(f"invalid setting schedules.{name}.cron: {exc} (got {sched.cron!r})") from None


def grace_seconds(name: str, sched: JobSchedule) -> int:
    """How late a run may start and still run: configured, else the job's own default."""
    return int(max(1, sched.misfire_grace_seconds or JOBS[name].default_grace_seconds))


@dataclass
class _Active:
    settings: Settings
    stop_event: threading.Event
    schedules: dict[str, JobSchedule]


_active: _Active | None = None


def scheduled_run(name: str) -> None:
    """What the job store points at (by import path, so it survives restarts and refactors of
    everything else): run job ``name`` with the scheduler's settings and stop event."""
    active = _active
    if active is None:
        raise RuntimeError("scheduled_run called outside a running scheduler")
    if active.stop_event.is_set():
        return
    options = active.schedules.get(name, JobSchedule()).options
    run_job(name, active.settings, trigger="scheduled", stop_event=active.stop_event, **options)


def _reconcile(scheduler, schedules: dict[str, JobSchedule]) -> None:
    """Make the job store match the configuration, keeping unchanged schedules' next run times."""
    wanted = {n: s for n, s in schedules.items() if s.enabled}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            log.info("unscheduled %s (not in the configuration or disabled)", job.id)
    for name, sched in wanted.items():
        trigger = make_trigger(name, sched)
        grace = grace_seconds(name, sched)
        existing = scheduler.get_job(name)
        if (existing is not None and str(existing.trigger) == str(trigger)
                and existing.misfire_grace_time == grace and existing.func_ref == JOB_FUNC):
            log.info("kept %s: %s, next run %s (grace %ss)", name, trigger, existing.next_run_time, grace)
            continue
        job = scheduler.add_job(
            JOB_FUNC, trigger=trigger, args=[name], id=name, name=name, replace_existing=True,
            misfire_grace_time=grace, coalesce=True, max_instances=1,
        )
        log.info("scheduled %s: %s, next run %s (grace %ss)", name, trigger,
                 getattr(job, "next_run_time", "?"), grace)


def run_scheduler(settings: Settings, *, stop_event: threading.Event | None = None,
                  handle_signals: bool = True) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (or ``stop_event``); return 0."""
    from apscheduler.events import (
        EVENT_JOB_ERROR,
        EVENT_JOB_MAX_INSTANCES,
        EVENT_JOB_MISSED,
        EVENT_SCHEDULER_STARTED,
    )
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    global _active
    schedules = effective_schedules(settings)
    var = Path(settings.var_dir)
    lock = SchedulerLock(var / "scheduler.lock").acquire()
    stop_event = stop_event or threading.Event()
    try:
        scheduler = BlockingScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{(var / 'scheduler.sqlite').resolve()}")},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone=timezone.utc,
        )
        _active = _Active(settings, stop_event, schedules)

        def on_event(event):
            if event.code == EVENT_SCHEDULER_STARTED:
                _reconcile(scheduler, schedules)
            elif event.code == EVENT_JOB_MISSED:
                why = "scheduler too late beyond the grace time (asleep, or busy with a longer job)"
                record_missed(settings, event.job_id, event.scheduled_run_time, why)
                log.warning("missed %s scheduled for %s: %s", event.job_id, event.scheduled_run_time, why)
            elif event.code == EVENT_JOB_MAX_INSTANCES:
                log.warning("%s still running; this run time is skipped (max_instances=1)", event.job_id)
            elif event.code == EVENT_JOB_ERROR:
                log.error("job %s raised: %s", event.job_id, event.exception)

        scheduler.add_listener(on_event, EVENT_SCHEDULER_STARTED | EVENT_JOB_MISSED
                               | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR)

        def on_signal(signum, _frame):
            if stop_event.is_set():
                log.warning("second signal: exiting now without waiting for the running job")
                os._exit(1)
            log.info("stopping on signal %d: the running job finishes its current unit, nothing new starts",
                     signum)
            stop_event.set()

        if handle_signals:
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)

        def stop_when_asked():
            stop_event.wait()
            # shutdown(wait=True) joins the running job, so it runs here, not in a signal handler.
            scheduler.shutdown(wait=True)

        stopper = threading.Thread(target=stop_when_asked, daemon=True, name="scheduler-stop")
        stopper.start()
        log.info("scheduler started on %s (pid %d); jobs: %s", var, os.getpid(),
                 ", ".join(n for n, s in schedules.items() if s.enabled))
        scheduler.start()
        stopper.join()
        log.info("scheduler stopped")
        return 0
    finally:
        _active = None
        lock.release()
