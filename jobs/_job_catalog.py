"""The job catalog: every job by name with its options and default grace time, and the cycle job
that runs the others in order (it needs the catalog, so it lives beside it)."""

from __future__ import annotations

from warehouse import UsageError

from ._job_bodies import (
    build_job,
    crawl_job,
    prune_job,
    publish_job,
    refresh_job,
    report_job,
    retrain_job,
    seed_list,
    snapshot_job,
)
from ._job_spec import JobContext, JobOption, JobOutcome, JobSpec

# ───────────────────────────── cycle: the pipeline in order ─────────────────────────────

CYCLE_STEPS = ("crawl", "snapshot", "build", "retrain", "report", "publish")


def cycle_job(ctx: JobContext) -> JobOutcome:
    """Run steps in order under this one writer; each step is its own job_runs row."""
    from ._runner import run_step

    steps = ctx.options.get("steps") or list(CYCLE_STEPS)
    for step in steps:
        if step not in JOBS or step == "cycle":
            raise UsageError(f"cycle step {step!r} is not a job (jobs: {', '.join(n for n in JOBS if n != 'cycle')})")
    results = {}
    status = "succeeded"
    failed = None
    snapshot_id = None
    for step in steps:
        if ctx.stop_event.is_set():
            status = "stopped"
            break
        if status == "failed" and step not in ("report", "publish"):
            continue  # after a failure the report still runs (it says what went wrong) and is published
        step_opts = {}
        if step == "crawl":
            step_opts = {k: ctx.options[k] for k in ("seeds", "max_requests", "max_minutes") if ctx.options.get(k) is not None}
        rec = run_step(step, ctx, step_opts)
        results[step] = rec.status
        snapshot_id = rec.snapshot_id or snapshot_id
        if rec.status == "failed":
            status = "failed"
            failed = failed or step
            continue
        if rec.status == "stopped":
            status = "stopped"
            break
    msg = ", ".join(f"{k} {v}" for k, v in results.items())
    return JobOutcome(status=status, counts={"steps": results}, snapshot_id=snapshot_id, message=msg,
                      error=None if status != "failed" else f"step {failed} failed")


_CRAWL_OPTS = (
    JobOption("seeds", seed_list, "Comma-separated seeds, as `genrestore crawl --seeds` takes them (genre:rock, "
              "genre:\"dance pop\", artist:ID, playlist:ID, track:ID, query:WORDS); default: continue the frontier."),
    JobOption("max_requests", int, "Stop after this many API requests."),
    JobOption("max_minutes", float, "End the crawl after this many minutes, even while it waits out a pause."),
)
_SNAPSHOT_OPT = JobOption("snapshot", str, "Snapshot id (default: the latest).")

JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec("crawl", "Crawl the API from the frontier (or seeds) under the rate limit; respects a recorded pause.",
                crawl_job, _CRAWL_OPTS, default_grace_seconds=900),
        JobSpec("refresh", "Re-fetch entities older than a given age (popularity, followers, genres change).",
                refresh_job, (*_CRAWL_OPTS[1:], JobOption("older_than_days", float, "Refresh entities last fetched this many days ago.", 30.0)),
                default_grace_seconds=6 * 3600),
        JobSpec("snapshot", "Publish a read-only snapshot of the live warehouse.", snapshot_job,
                default_grace_seconds=6 * 3600),
        JobSpec("publish", "Publish a snapshot after retrain and report, so `sql` sees the predictions and models.",
                publish_job, default_grace_seconds=6 * 3600),
        JobSpec("build", "Build feature views, genre taxonomy, labels and splits on the newest snapshot.",
                build_job, (_SNAPSHOT_OPT,), default_grace_seconds=6 * 3600),
        JobSpec("retrain", "Train a challenger, compare with the champion, promote or not, predict.",
                retrain_job, (_SNAPSHOT_OPT,), default_grace_seconds=6 * 3600),
        JobSpec("report", "Write the nightly HTML + JSON report under var/reports/<date>/.", report_job,
                (JobOption("run", str, "Report on the snapshot of this job run id (default: the latest snapshot)."),),
                default_grace_seconds=12 * 3600),
        JobSpec("prune", "Remove all but the newest snapshots (setting snapshot_keep).", prune_job,
                (JobOption("keep", int, "Snapshots to keep (default: setting snapshot_keep)."),),
                default_grace_seconds=24 * 3600),
        JobSpec("cycle", "crawl → snapshot → build → retrain → report → publish in order, each recorded as its own run.",
                cycle_job, (*_CRAWL_OPTS, JobOption("steps", list, "Steps to run, comma-separated.")),
                default_grace_seconds=3600),
    )
}
