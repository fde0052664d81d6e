"""Jobs: the scheduled work that ties genrestore together, its run history, reports and the demo.

- :func:`run_job` runs one job (crawl, refresh, snapshot, build, retrain, report, prune, cycle)
  holding the warehouse writer lock, and records it in ``job_runs``.
- :func:`run_scheduler` is the APScheduler daemon behind ``genrestore scheduler``.
- :func:`write_report` writes the nightly HTML + JSON report.
- :func:`run_demo` is ``make demo``: emulator → crawl → snapshot → build → retrain → report.
"""

from ._installation import InstallationClash, check_installation

check_installation()  # before anything below imports a package that may be someone else's

from ._errors import JobsError
from ._job_catalog import CYCLE_STEPS, JOBS
from ._job_spec import JobContext, JobOption, JobOutcome, JobSpec
from ._runner import get_job, list_jobs, record_missed, run_job
from ._runs import STATUSES, JobRunRecord, job_history
from ._schedule_settings import JobSchedule, default_schedules
from ._scheduler import (
    SchedulerLockedError,
    effective_schedules,
    grace_seconds,
    run_scheduler,
    scheduler_lock,
)


def load_settings(config=None, **overrides):
    """Every setting, resolved (see :func:`jobs._settings.load_settings`); imported on first use:
    the composed settings import modeling, and with it LightGBM, which should load only after
    ``warehouse.prepare_process`` (``jobs.cli.main`` calls it first)."""
    from ._settings import load_settings as _load

    return _load(config, **overrides)


def __getattr__(name: str):
    # ``jobs.Settings``, imported on first use like load_settings above.
    if name == "Settings":
        from ._settings import Settings

        return Settings
    raise AttributeError(f"module 'jobs' has no attribute {name!r}")


def write_report(*args, **kwargs):
    """Write the report (see :func:`jobs._report.write_report`); imported lazily (matplotlib)."""
    from ._report import write_report as _write

    return _write(*args, **kwargs)


def run_demo(*args, **kwargs):
    """The embedded default (see :func:`jobs._demo.run_demo`)."""
    from ._demo import run_demo as _run

    return _run(*args, **kwargs)


__all__ = [
    "CYCLE_STEPS",
    "InstallationClash",
    "JOBS",
    "JobContext",
    "JobOption",
    "JobOutcome",
    "JobRunRecord",
    "JobSchedule",
    "JobSpec",
    "JobsError",
    "STATUSES",
    "SchedulerLockedError",
    "Settings",
    "check_installation",
    "default_schedules",
    "effective_schedules",
    "get_job",
    "grace_seconds",
    "job_history",
    "list_jobs",
    "load_settings",
    "record_missed",
    "run_demo",
    "run_job",
    "run_scheduler",
    "scheduler_lock",
    "write_report",
]
