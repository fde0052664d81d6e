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
  Missed runs are recorded as ``missed`` (in ``job_runs``, or the journal when the writer is busy).
  On top, each run holds the warehouse writer lock.
- Schedules are validated when the settings load (cron by APScheduler's own parser, job names and
  options by :func:`check_schedules`), and again here: an invalid one never reaches the job store.
- SIGTERM/SIGINT: the stop event tells the running job to finish its current unit (the crawl checks
  it between units), no new job starts, and the process exits 0. The scheduler's own loop does the
  shutdown (see :func:`_scheduler_class`); a run that came due meanwhile is recorded ``missed``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from warehouse import (
    ConfigError,
    ProcessLock,
    UsageError,
    describe_holder,
)

from ._errors import JobsError
from ._job_catalog import JOBS
from ._runner import POSTGRES_JOBS, record_missed, run_job
from ._schedule_settings import JobSchedule, default_schedules

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from ._settings import Settings

log = logging.getLogger("genrestore.scheduler")

JOB_FUNC = "jobs._scheduler:scheduled_run"


class SchedulerLockedError(JobsError):
    """Another scheduler already runs on this var/ directory."""


def scheduler_lock(path: Path) -> ProcessLock:
    """The lock that keeps a second scheduler off the same var/ directory."""
    return ProcessLock(path, refused=lambda holder: SchedulerLockedError(
        f"a scheduler already runs on {path.parent}: {describe_holder(holder)}; "
        "stop it first (SIGTERM) or use another --var"
    ))


def check_schedules(schedules: Mapping[str, JobSchedule]) -> None:
    """Each schedule names a job and only options of that job; ConfigError naming the key if not.

    Called by ``Settings`` when they load, so every command refuses a bad schedule.
    """
    for name, sched in schedules.items():
        if name not in JOBS:
            raise ConfigError(f"invalid setting schedules.{name}: no such job (jobs: {', '.join(JOBS)})")
        try:
            JOBS[name].parse_options(sched.options)
        except UsageError as exc:
            raise ConfigError(f"invalid setting schedules.{name}.options: {exc}") from None



def effective_schedules(settings: Settings) -> dict[str, JobSchedule]:
    """The configured schedules over the defaults (a job named in the configuration replaces its
    default entry; the others keep theirs), validated."""
    merged = dict(default_schedules())
    merged.update(settings.schedules)
    check_schedules(merged)
    return merged


def check_backend(settings: Settings, schedules: Mapping[str, JobSchedule]) -> None:
    """With ``warehouse.url`` set, every enabled schedule must be a job that works on PostgreSQL.

    Checked when the scheduler starts, not when a job comes due: a scheduler that starts and then
    refuses its nightly build at 05:00 every day fails silently for anyone not reading its log.
    """
    if not settings.warehouse.url:
        return
    refused = sorted(n for n, s in schedules.items() if s.enabled and n not in POSTGRES_JOBS)
    if refused:
        raise ConfigError(
            f"the schedule has jobs that work on the embedded DuckDB warehouse only ({', '.join(refused)}), "
            f"but warehouse.url names a PostgreSQL warehouse, where only {', '.join(POSTGRES_JOBS)} run; "
            f"disable them (schedules.NAME.enabled = false, e.g. env GENRESTORE_SCHEDULES__"
            f"{refused[0].upper()}__ENABLED=false) or unset warehouse.url")


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
STOPPING = "the scheduler was stopping (SIGTERM/SIGINT)"


def scheduled_run(name: str) -> None:
    """What the job store points at (by import path, so it survives restarts and refactors of
    everything else): run job ``name`` with the scheduler's settings and stop event."""
    active = _active
    if active is None:
        raise RuntimeError("scheduled_run called outside a running scheduler")
    if active.stop_event.is_set():
        # Submitted before the stop, queued behind the running job: it will not run, and says so.
        why = STOPPING + "; this run was queued behind the running job"
        record_missed(active.settings, name, None, why)
        log.warning("missed %s: %s", name, why)
        return
    sched = active.schedules.get(name)
    options = sched.options if sched is not None else {}
    run_job(name, active.settings, trigger="scheduled", stop_event=active.stop_event, **options)


def _reconcile(scheduler, schedules: dict[str, JobSchedule], triggers: dict) -> None:
    """Make the job store match the configuration, keeping unchanged schedules' next run times."""
    wanted = {n: s for n, s in schedules.items() if s.enabled}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            log.info("unscheduled %s (not in the configuration or disabled)", job.id)
    for name, sched in wanted.items():
        trigger = triggers[name]
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


def _record_due_runs(scheduler, settings: Settings) -> int:
    """Runs whose time came while the scheduler was stopping: ``missed`` (one record per job,
    coalesced), and their next run time moved past now so a restart does not run them as well."""
    now = datetime.now(timezone.utc)
    recorded = 0
    for job in scheduler.get_jobs():
        first = job.next_run_time
        if first is None or first > now:
            continue
        due, later = 1, job.trigger.get_next_fire_time(first, now)
        while later is not None and later <= now and due < 10_000:
            due, later = due + 1, job.trigger.get_next_fire_time(later, now)
        why = STOPPING + " when it came due" + (f" ({due} run times, coalesced)" if due > 1 else "")
        record_missed(settings, job.id, first, why)
        log.warning("missed %s scheduled for %s: %s", job.id, first, why)
        if later is None:
            scheduler.remove_job(job.id)
        else:
            job.modify(next_run_time=later)
        recorded += 1
    return recorded


def _scheduler_class():
    from apscheduler.schedulers.blocking import BlockingScheduler

    class StoppableScheduler(BlockingScheduler):
        """A BlockingScheduler whose own loop shuts it down when ``stop_event`` is set.

        APScheduler's ``shutdown()`` called from another thread (a signal) races this loop: the
        loop wakes for a run that came due while the running job finished, submits it to the
        executor that was just shut down, logs ``ERROR Error submitting job ... RuntimeError: cannot
        schedule new futures after shutdown`` with a traceback, and the run is neither run nor
        recorded. Here nothing is submitted once the stop is asked for: ``drain(self)`` lets the
        running job finish its unit and records the runs that came due, then the shutdown.
        """

        def __init__(self, *, stop_event: threading.Event, drain, **options):
            super().__init__(**options)
            self._stop_event, self._drain = stop_event, drain

        def _process_jobs(self):
            if not self._stop_event.is_set():
                return super()._process_jobs()
            try:
                self._drain(self)
            finally:
                self.shutdown(wait=True)  # the executor is already down; this closes the job store
            return None  # the loop sees the stopped state and returns from start()

    return StoppableScheduler


def run_scheduler(settings: Settings, *, stop_event: threading.Event | None = None,
                  handle_signals: bool = True) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (or ``stop_event``); return 0.

    :raises ConfigError: an invalid schedule, or a job the PostgreSQL warehouse cannot run; nothing
        is started.
    :raises SchedulerLockedError: another scheduler runs on this var/ directory.
    """
    from apscheduler.events import (
        EVENT_JOB_ERROR,
        EVENT_JOB_MAX_INSTANCES,
        EVENT_JOB_MISSED,
        EVENT_SCHEDULER_STARTED,
    )
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    global _active
    schedules = effective_schedules(settings)
    check_backend(settings, schedules)
    triggers = {name: make_trigger(name, s) for name, s in schedules.items() if s.enabled}
    var = Path(settings.var_dir)
    lock = scheduler_lock(var / "scheduler.lock").acquire()
    stop_event = stop_event or threading.Event()
    failed: list[BaseException] = []
    executor = ThreadPoolExecutor(max_workers=1)

    def drain(scheduler) -> None:
        # Waits for the running job; a run queued behind it sees the stop event (scheduled_run).
        executor.shutdown(wait=True)
        if failed:
            return
        try:
            _record_due_runs(scheduler, settings)
        except Exception as exc:  # the store went away under us: say so, and still stop cleanly
            log.error("could not record the runs due at shutdown: %s", exc)

    try:
        scheduler = _scheduler_class()(
            stop_event=stop_event, drain=drain,
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{(var / 'scheduler.sqlite').resolve()}")},
            executors={"default": executor},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone=timezone.utc,
        )
        _active = _Active(settings, stop_event, schedules)

        def wake_on_stop():
            stop_event.wait()
            scheduler.wakeup()  # the loop then stops itself (StoppableScheduler._process_jobs)

        def on_event(event):
            if event.code == EVENT_SCHEDULER_STARTED:
                try:
                    _reconcile(scheduler, schedules, triggers)
                except Exception as exc:  # APScheduler would log it and run on with jobs missing
                    failed.append(exc)
                    stop_event.set()
                threading.Thread(target=wake_on_stop, daemon=True, name="scheduler-stop").start()
            elif event.code == EVENT_JOB_MISSED:
                why = "scheduler too late beyond the grace time (asleep, or busy with a longer job)"
                record_missed(settings, event.job_id, event.scheduled_run_time, why)
                log.warning("missed %s scheduled for %s: %s", event.job_id, event.scheduled_run_time, why)
            elif event.code == EVENT_JOB_MAX_INSTANCES:
                log.warning("%s still running or queued; this run time is skipped (max_instances=1)",
                            event.job_id)
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

        log.info("scheduler started on %s (pid %d); jobs: %s", var, os.getpid(),
                 ", ".join(n for n, s in schedules.items() if s.enabled))
        scheduler.start()  # returns once the loop has shut the scheduler down
        if failed:
            raise failed[0]
        log.info("scheduler stopped")
        return 0
    finally:
        _active = None
        lock.release()
