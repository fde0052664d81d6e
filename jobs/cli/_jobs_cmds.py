"""`jobs list|run|history`, `scheduler`, `report` and `demo`: the jobs package on the command line."""

from __future__ import annotations

import json
import logging
from typing import List, Optional

import typer
from rich.table import Table

import jobs
from warehouse import UsageError

from . import app
from ._common import console, err_console, is_tty, require_data, settings_of

jobs_app = typer.Typer(
    help="Run jobs by hand and read their history (the scheduler runs the same jobs).",
    no_args_is_help=True,
)
app.add_typer(jobs_app, name="jobs")


def _parse_options(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(f"--option takes KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def _print_record(rec: jobs.JobRunRecord) -> None:
    color = {"succeeded": "green", "failed": "red", "skipped": "yellow", "paused": "yellow",
             "stopped": "yellow"}.get(rec.status, "white")
    secs = f" in {rec.seconds:.1f}s" if rec.seconds is not None else ""
    console.print(f"job [bold]{rec.job}[/] [{color}]{rec.status}[/]{secs} (run {rec.run_id})", highlight=False)
    if rec.message:
        console.print(f"  {rec.message}", highlight=False)
    if rec.error:
        console.print(f"  [red]{rec.error}[/]", highlight=False)


@jobs_app.command("list")
def jobs_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the jobs, their options and their schedules (configured or default)."""
    settings = settings_of(ctx)
    schedules = jobs.effective_schedules(settings)
    rows = []
    for spec in jobs.list_jobs():
        sched = schedules.get(spec.name)
        if sched is None or not sched.enabled:
            when = "not scheduled"
        else:
            when = f"every {sched.interval_seconds:g}s" if sched.interval_seconds else f"cron {sched.cron}"
            when += f" (grace {jobs.grace_seconds(spec.name, sched)}s)"
        rows.append({"job": spec.name, "schedule": when, "help": spec.help,
                     "options": {o.name: o.help for o in spec.options}})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    t = Table("job", "schedule", "what it does", "options")
    for r in rows:
        t.add_row(r["job"], r["schedule"], r["help"], ", ".join(r["options"]) or "-")
    console.print(t)
    console.print("`genrestore jobs run NAME -o key=value` runs one now.", style="dim")


@jobs_app.command("next")
def jobs_next(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List when each job runs next (UTC): from the scheduler's job store when there is one, else
    computed from the schedules (configured or default)."""
    from jobs._next import next_runs, scheduler_holder, scheduler_store

    settings = settings_of(ctx)
    runs = next_runs(settings)
    holder = scheduler_holder(settings)
    store = scheduler_store(settings)
    if as_json:
        print(json.dumps({
            "scheduler": holder, "job_store": str(store) if store.exists() else None,
            "jobs": [{"job": r.job, "next_run": r.next_run.isoformat(timespec="seconds") if r.next_run else None,
                      "schedule": r.schedule, "source": r.source, "overdue": r.overdue} for r in runs],
        }, indent=2))
        return
    t = Table("job", "next run (UTC)", "schedule", "from")
    for r in sorted(runs, key=lambda r: (r.next_run is None, r.next_run or 0)):
        when = "-" if r.next_run is None else f"{r.next_run:%Y-%m-%d %H:%M:%S}"
        if r.overdue:
            when += " (overdue: runs when the scheduler starts)"
        t.add_row(r.job, when, r.schedule, r.source)
    console.print(t)
    if holder:
        console.print(f"a scheduler runs on this var/: pid {holder.get('pid', '?')} (since {holder.get('since', '?')})",
                      style="dim", highlight=False)
    elif store.exists():
        console.print(f"no scheduler is running; times from its job store {store}", style="dim", highlight=False)
    else:
        console.print("no scheduler has run on this var/ yet; times computed from the schedules", style="dim",
                      highlight=False)


@jobs_app.command("run")
def jobs_run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Job name (see `genrestore jobs list`)."),
    option: Optional[List[str]] = typer.Option(
        None, "--option", "-o", help="Job option KEY=VALUE, repeatable (e.g. -o max_minutes=5 -o seeds=genre:rock)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run record as JSON."),
) -> None:
    """Run one job now, holding the warehouse writer lock; the run lands in job_runs.

    Exits 1 when the job failed, 3 when it was skipped because another process holds the writer.
    """
    settings = settings_of(ctx)
    rec = jobs.run_job(name, settings, trigger="manual", progress=is_tty() and not as_json,
                       **_parse_options(option))
    if as_json:
        print(json.dumps(rec.to_dict(), indent=2, default=str))
    else:
        _print_record(rec)
    if rec.status == "failed":
        raise typer.Exit(1)
    if rec.status == "skipped" and "writer" in (rec.message or ""):
        raise typer.Exit(3)


@jobs_app.command("history")
def jobs_history(
    ctx: typer.Context,
    job: Optional[str] = typer.Argument(None, help="Only this job."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Newest N runs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show recent job runs, newest first (status, duration, snapshot, message or error)."""
    if job is not None:
        jobs.get_job(job)
    settings = settings_of(ctx)
    require_data(settings)
    records, source = jobs.job_history(settings, job, limit)
    if as_json:
        print(json.dumps([r.to_dict() for r in records], indent=2, default=str))
        return
    t = Table("run id", "job", "trigger", "status", "started (UTC)", "secs", "snapshot", "message / error")
    for r in records:
        t.add_row(r.run_id, r.job, r.trigger, r.status, f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                  "" if r.seconds is None else f"{r.seconds:.1f}", r.snapshot_id or "",
                  (r.error or r.message or "")[:120])
    console.print(t)
    console.print(f"{len(records)} run(s) from {source}", style="dim", highlight=False)


def _setup_logging(settings) -> None:
    logging.basicConfig(
        level=getattr(logging, settings.log_level), stream=err_console.file,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING if settings.log_level == "INFO" else settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)


@app.command("scheduler")
def scheduler(ctx: typer.Context) -> None:
    """Run the job scheduler in the foreground (APScheduler, job store var/scheduler.sqlite).

    Schedules come from the `schedules` setting: the table schedules.NAME in genrestore.toml, or
    GENRESTORE_SCHEDULES__NAME__INTERVAL_SECONDS / __CRON / __ENABLED / __OPTIONS__KEY.

    One job runs at a time, each holding the warehouse writer lock. SIGTERM or Ctrl-C lets the
    running job finish its current unit, then exits 0. A second scheduler on the same var/ refuses.
    """
    settings = settings_of(ctx)
    _setup_logging(settings)
    code = jobs.run_scheduler(settings)
    raise typer.Exit(code)


@app.command("report")
def report(
    ctx: typer.Context,
    run: Optional[str] = typer.Option(None, "--run", help="Report on the snapshot of this job run id (default: the latest snapshot)."),
) -> None:
    """Write the nightly report: var/reports/<date>/report.html (self-contained) and report.json.

    Compares the latest two snapshots: rows added, new genre tags, crawl health, taxonomy changes,
    label drift, challenger vs champion, per-family metrics, plots and feature drift.
    """
    rec = jobs.run_job("report", settings_of(ctx), trigger="manual", progress=is_tty(), run=run)
    _print_record(rec)
    if rec.status == "failed":
        raise typer.Exit(1)
    if rec.status == "skipped":
        raise typer.Exit(3)


@app.command("demo")
def demo(
    ctx: typer.Context,
    artists: int = typer.Option(1500, "--artists", min=50, help="Synthetic catalog size when MusicOSet is absent."),
    crawl_minutes: float = typer.Option(2.0, "--crawl-minutes", min=0.01, help="Wall time given to the crawl."),
    rate: int = typer.Option(600, "--rate", min=10, help="Emulator rate limit: requests per 30 s window."),
    synthetic: bool = typer.Option(False, "--synthetic", help="Use the synthetic catalog even when MusicOSet exists."),
) -> None:
    """The embedded default (`make demo`): emulator → crawl → snapshot → build → train → report → publish.

    Starts a local Spotify emulator (MusicOSet catalog when the data directory has it, else a
    synthetic one), crawls it under a rate limit, publishes a snapshot, builds features and the
    genre taxonomy, trains and evaluates models, predicts, writes the report, publishes a snapshot
    holding the predictions (what `genrestore sql` reads) and prints a summary.
    Re-running continues the crawl and adds a new snapshot and report.
    """
    settings = settings_of(ctx)
    _setup_logging(settings)
    summary = jobs.run_demo(settings, artists=artists, crawl_minutes=crawl_minutes, rate=rate,
                            synthetic=synthetic, progress=is_tty())
    console.print(summary.text, highlight=False, soft_wrap=True)
    if not summary.ok:
        raise typer.Exit(1)
