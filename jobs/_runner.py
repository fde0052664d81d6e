"""``run_job``: open the writer for the job's whole duration, run it, record it in ``job_runs``.

Holding the writer lock for the entire run is what keeps a job from ever overlapping another
writer (a crawl by hand, a second scheduler, an import). If the lock is taken the run is not
attempted: it is recorded as ``skipped`` with the holder's pid and command.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import TYPE_CHECKING, Any


from warehouse import GenrestoreError, UsageError, WriterLockedError, writer_for

from ._job_catalog import JOBS
from ._job_spec import JobContext, JobOutcome, JobSpec
from ._runs import (
    JobRunRecord,
    append_pending,
    flush_pending,
    insert_run,
    mark_abandoned,
    new_run_id,
    utcnow,
)

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from ._settings import Settings

log = logging.getLogger("genrestore.jobs")

# The jobs that work on a PostgreSQL live warehouse (warehouse.url): the crawl and the snapshot
# export go through ``warehouse.writer_for``. The others write features, models and reports with
# DuckDB-only code into the live warehouse, so they refuse rather than write a DuckDB file nobody reads.
POSTGRES_JOBS = ("crawl", "prune", "refresh", "snapshot")


def get_job(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise UsageError(f"no job named {name!r} (jobs: {', '.join(JOBS)})") from None


def _scrub(text: str, settings: Settings, one_line: bool = True) -> str:
    """Never the client secret (a library may echo a request back); one line unless asked."""
    text = " ".join(str(text).split()) if one_line else str(text)
    secret = settings.client_secret.get_secret_value() if settings.client_secret else None
    if secret:
        text = text.replace(secret, "********")
    return text[:2000] if one_line else text


def _record(writer, record: JobRunRecord) -> None:
    with writer.transaction() as con:
        insert_run(con, record)


def _execute(spec: JobSpec, ctx: JobContext, record: JobRunRecord) -> JobRunRecord:
    settings = ctx.settings
    log.info("job %s started (run %s, %s)", spec.name, record.run_id, record.trigger)
    try:
        outcome = spec.fn(ctx)
    except GenrestoreError as exc:
        outcome = JobOutcome(status="failed", error=_scrub(str(exc), settings))
    except Exception as exc:  # a bug in a job must not take the scheduler down; it is recorded
        log.error("job %s crashed:\n%s", spec.name, _scrub(traceback.format_exc(), settings, one_line=False))
        outcome = JobOutcome(status="failed", error=_scrub(f"{type(exc).__name__}: {exc}", settings))
    except BaseException:
        record.status, record.ended_at = "stopped", utcnow()
        record.error = "interrupted"
        try:
            _record(ctx.writer, record)
        finally:
            raise
    record.status = outcome.status
    record.counts = outcome.counts
    record.snapshot_id = outcome.snapshot_id or record.snapshot_id
    record.message = _scrub(outcome.message, settings) if outcome.message else None
    record.error = outcome.error
    record.ended_at = utcnow()
    _record(ctx.writer, record)
    log.info("job %s %s in %.1fs%s", spec.name, record.status, record.seconds or 0.0,
             f": {record.message or record.error}" if (record.message or record.error) else "")
    return record


def run_job(
    name: str,
    settings: Settings,
    *,
    trigger: str = "manual",
    progress: bool = False,
    stop_event: threading.Event | None = None,
    **options: Any,
) -> JobRunRecord:
    """Run job ``name`` now and return its record (also written to ``job_runs``).

    :param trigger: who asked: ``manual``, ``scheduled``, ``demo``.
    :param progress: show progress bars on stderr (the CLI does, the scheduler does not).
    :param stop_event: set it to ask the job to finish its current unit and stop (SIGTERM).
    :param options: the job's own options (see ``genrestore jobs list``), e.g. ``max_minutes=5``.
    :raises UsageError: unknown job or option. Job failures are recorded, not raised.
    """
    spec = get_job(name)
    opts = spec.parse_options({k: v for k, v in options.items() if v is not None})
    if settings.warehouse.url and name not in POSTGRES_JOBS:
        raise UsageError(f"job {name} works on the embedded DuckDB warehouse only, but warehouse.url names a "
                         f"PostgreSQL warehouse (jobs that work there: {', '.join(POSTGRES_JOBS)}); "
                         "unset warehouse.url (env GENRESTORE_WAREHOUSE__URL) to run it")
    record = JobRunRecord(run_id=new_run_id(name), job=name, started_at=utcnow(), trigger=trigger,
                          options={k: v for k, v in opts.items() if v is not None})
    writer = writer_for(settings, command=f"genrestore job {name} ({trigger})")
    try:
        writer.open()
    except WriterLockedError as exc:
        record.status, record.ended_at = "skipped", utcnow()
        record.error = _scrub(str(exc), settings)
        record.message = "writer busy; not run"
        append_pending(settings, record)
        log.warning("job %s skipped: %s", name, record.error)
        return record
    try:
        with writer.transaction() as con:
            flush_pending(settings, con)
            mark_abandoned(con)
            insert_run(con, record)
        ctx = JobContext(settings=settings, writer=writer, options=opts, run_id=record.run_id,
                         trigger=trigger, progress=progress, stop_event=stop_event or threading.Event())
        return _execute(spec, ctx, record)
    finally:
        writer.close()


def run_step(name: str, parent: JobContext, options: dict[str, Any]) -> JobRunRecord:
    """Run a job inside another job's run (the cycle), on the writer it already holds."""
    spec = get_job(name)
    opts = spec.parse_options(options)
    record = JobRunRecord(run_id=new_run_id(name), job=name, started_at=utcnow(), trigger=parent.trigger,
                          options={k: v for k, v in opts.items() if v is not None},
                          parent_run_id=parent.run_id)
    _record(parent.writer, record)
    ctx = JobContext(settings=parent.settings, writer=parent.writer, options=opts, run_id=record.run_id,
                     trigger=parent.trigger, progress=parent.progress, stop_event=parent.stop_event)
    return _execute(spec, ctx, record)


def record_missed(settings: Settings, name: str, scheduled_for, reason: str) -> JobRunRecord:
    """A scheduled run that will not run (too late for its grace time, or the scheduler stopping):
    recorded ``missed`` in ``job_runs``, or journaled when the writer is busy; never silent."""
    now = utcnow()
    record = JobRunRecord(run_id=new_run_id(name), job=name, started_at=now, ended_at=now, status="missed",
                          trigger="scheduled", message=reason,
                          counts={} if scheduled_for is None else {"scheduled_for": str(scheduled_for)})
    writer = writer_for(settings, command=f"genrestore scheduler (recording a missed {name} run)")
    try:
        writer.open()
    except GenrestoreError:  # another writer holds it (or the file is unusable): the journal keeps it
        append_pending(settings, record)
        return record
    try:
        _record(writer, record)
    except Exception:  # duckdb.Error, or the PostgreSQL session failed: the journal keeps it
        append_pending(settings, record)
    finally:
        writer.close()
    return record


def list_jobs() -> list[JobSpec]:
    return list(JOBS.values())

