"""The jobs themselves: crawl, refresh, snapshot, build, retrain, report, prune and cycle.

Each job is a function of a :class:`JobContext` (settings, the open writer, its options, a stop
event) returning a :class:`JobOutcome`. :func:`jobs.run_job` opens the writer, records the run and
calls it; the CLI and the scheduler both go through ``run_job``. The packages a job orchestrates
are imported when it runs, so a missing one fails that job with a clear message, not the CLI.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import warehouse
from warehouse import Settings, UsageError, Writer

from ._runs import utcnow


@dataclass
class JobContext:
    settings: Settings
    writer: Writer
    options: dict[str, Any]
    run_id: str
    trigger: str = "manual"
    progress: bool = False
    stop_event: threading.Event = field(default_factory=threading.Event)


@dataclass
class JobOutcome:
    status: str = "succeeded"
    counts: dict[str, Any] = field(default_factory=dict)
    snapshot_id: str | None = None
    message: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class JobOption:
    name: str
    type: type
    help: str
    default: Any = None


@dataclass(frozen=True)
class JobSpec:
    name: str
    help: str
    fn: Callable[[JobContext], JobOutcome]
    options: tuple[JobOption, ...] = ()
    default_grace_seconds: float = 3600.0  # how late a missed scheduled run may still start

    def parse_options(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Options with their defaults, coerced from strings (env, command line) to their types."""
        known = {o.name: o for o in self.options}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise UsageError(f"job {self.name} has no option {unknown[0]!r} (options: {allowed})")
        out = {}
        for name, opt in known.items():
            value = raw.get(name, opt.default)
            if value is None:
                out[name] = None
                continue
            try:
                out[name] = _coerce(value, opt.type)
            except (TypeError, ValueError):
                raise UsageError(f"job {self.name} option {name}: {value!r} is not a valid {opt.type.__name__}") from None
            except UsageError as exc:  # the option's own parser said what is wrong (e.g. a bad seed)
                raise UsageError(f"job {self.name} option {name}: {exc}") from None
        return out


def _coerce(value: Any, typ: type) -> Any:
    if typ is list:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return list(value)
    if typ is bool and isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(value)
    return typ(value)


def plain(obj: Any) -> Any:
    """A result object (dataclass, pydantic model, mapping) as JSON-ready data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    elif hasattr(obj, "model_dump"):
        obj = obj.model_dump()
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, (datetime, timedelta)):
        return str(obj)
    if hasattr(obj, "item"):  # numpy scalars
        try:
            return obj.item()
        except (TypeError, ValueError):
            pass
    return str(obj)


def _summarize(data: Any, limit: int = 40) -> dict[str, Any]:
    """Keep a result's scalar and small fields for job_runs.counts (not megabytes of tables)."""
    data = plain(data)
    if not isinstance(data, dict):
        return {"result": data}
    out = {}
    for k, v in data.items():
        if isinstance(v, (dict, list)) and len(json.dumps(v, default=str)) > 4000:
            out[k] = f"<{type(v).__name__} of {len(v)}>"
        else:
            out[k] = v
        if len(out) >= limit:
            break
    return out


def seed_list(value: Any) -> list[str]:
    """The ``seeds`` option: parsed as ``genrestore crawl --seeds`` parses it (quotes, ids, links),
    kept as canonical seed strings that parse back to the same seeds."""
    parse_seeds = _need("ingest.crawl", "parse_seeds", "crawling")
    return [str(seed) for seed in parse_seeds(value)]


def _need(module: str, attr: str, what: str):
    """``module.attr``, or a one-line error saying which part of the system is not there yet."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == module or module.startswith(exc.name + ".")):
            raise warehouse.GenrestoreError(f"{what} is not available: package {module} is not installed") from None
        raise
    fn = getattr(mod, attr, None)
    if fn is None:
        raise warehouse.GenrestoreError(f"{what} is not available: {module}.{attr} does not exist in this install")
    return fn


# ───────────────────────────── crawl and refresh ─────────────────────────────

def paused_until(con) -> datetime | None:
    """The end of the latest Retry-After pause still in force, if any."""
    row = con.execute(
        "SELECT max(paused_until) FROM crawl_runs WHERE paused_until > ?", [utcnow()]
    ).fetchall()  # fetchall, not fetchone: an unfinished result blocks the connection (DuckDB 2)
    return row[0][0] if row and row[0][0] else None


_CRAWL_STATUS = {"completed": "succeeded", "done": "succeeded", "succeeded": "succeeded", "ok": "succeeded",
                 "stopped": "stopped", "paused": "paused", "failed": "failed"}


def _crawl(ctx: JobContext, refresh_older_than: timedelta | None = None) -> JobOutcome:
    until = paused_until(ctx.writer.con)
    if until is not None:
        # Respect the ban: not one request before it ends.
        return JobOutcome(
            status="paused", counts={"paused_until": until.isoformat(timespec="seconds")},
            message=f"crawl paused until {until:%Y-%m-%d %H:%M:%S} UTC (long Retry-After); no request sent",
        )
    run_crawl = _need("ingest.crawl", "run_crawl", "crawling")
    opts = ctx.options
    try:
        result = run_crawl(
            ctx.settings, ctx.writer, seeds=opts.get("seeds"), max_requests=opts.get("max_requests"),
            max_minutes=opts.get("max_minutes"), refresh_older_than=refresh_older_than,
            progress=ctx.progress, stop_event=ctx.stop_event,
        )
    except warehouse.GenrestoreError as exc:
        if "pause" in type(exc).__name__.lower() or "paused until" in str(exc):
            until = getattr(exc, "until", None)  # a pause recorded after the check above
            return JobOutcome(status="paused", message=str(exc),
                              counts={"paused_until": until.isoformat(timespec="seconds")} if until else {})
        raise
    counts = _summarize(result)
    if getattr(result, "paused_until", None) is not None:  # same form as a refused run's
        counts["paused_until"] = result.paused_until.isoformat(timespec="seconds")
    raw_status = str(counts.get("status", "completed")).lower()
    status = _CRAWL_STATUS.get(raw_status, "succeeded")
    if status == "stopped" and not ctx.stop_event.is_set():
        status = "succeeded"  # it reached max_requests / max_minutes: the bounded crawl did its job
    elif ctx.stop_event.is_set() and status == "succeeded":
        status = "stopped"
    how = {"stopped": "stopped by signal" if ctx.stop_event.is_set() else "reached its request/time limit"}
    stored = {k: sum((counts.get(k) or {}).values()) for k in ("inserted", "updated")}
    msg = (f"{counts.get('requests', '?')} requests, {counts.get('responses_429', 0)} answered 429, "
           f"{counts.get('units_done', '?')} units done, {counts.get('pending', '?')} pending, "
           f"{stored['inserted']:,} rows inserted, {stored['updated']:,} updated; "
           f"crawl {how.get(raw_status, raw_status)}")
    if counts.get("paused_until"):
        msg += f", paused until {counts['paused_until']}"
    return JobOutcome(status=status, counts=counts, message=msg)


def crawl_job(ctx: JobContext) -> JobOutcome:
    return _crawl(ctx)


def refresh_job(ctx: JobContext) -> JobOutcome:
    days = ctx.options.get("older_than_days") or 30.0
    return _crawl(ctx, refresh_older_than=timedelta(days=days))


# ───────────────────────────── snapshot, build, retrain, prune ─────────────────────────────

def _leftover_counts(ctx: JobContext) -> tuple[dict, str]:
    """Remove temp files of interrupted snapshot publications; counts and a message suffix."""
    left = warehouse.remove_leftovers(ctx.settings.snapshots_path)
    if not left.files:
        return {}, ""
    return {"leftovers_removed": len(left.files), "leftover_bytes_freed": left.bytes}, f"; {left.describe()}"


def snapshot_job(ctx: JobContext) -> JobOutcome:
    left_counts, left_msg = _leftover_counts(ctx)
    info = warehouse.create_snapshot(ctx.writer, ctx.settings.snapshots_path)
    total = sum(info.row_counts.values())
    return JobOutcome(
        counts={"rows": total, "tables": len(info.row_counts), "content_hash": info.content_hash[:16], **left_counts},
        snapshot_id=info.snapshot_id, message=f"published snapshot {info.snapshot_id} ({total:,} rows){left_msg}",
    )


def publish_job(ctx: JobContext) -> JobOutcome:
    """The snapshot job at the end of a pipeline: its snapshot holds the night's models, predictions
    and report, so `genrestore sql` (which reads the latest snapshot) sees them. The report leaves
    these snapshots out when it picks the snapshot to report on and the one to compare with."""
    out = snapshot_job(ctx)
    out.message = out.message.replace("published snapshot", "published snapshot (models, predictions, report)", 1)
    return out


def _snapshot_for(ctx: JobContext) -> warehouse.SnapshotInfo | None:
    try:
        return warehouse.get_snapshot(ctx.settings.snapshots_path, ctx.options.get("snapshot"))
    except warehouse.SnapshotNotFound:
        if ctx.options.get("snapshot"):
            raise
        return None


def build_job(ctx: JobContext) -> JobOutcome:
    snap = _snapshot_for(ctx)
    if snap is None:
        return JobOutcome(status="skipped", message="no snapshot published yet; nothing to build on")
    build_all = _need("features", "build_all", "feature building")
    report = build_all(ctx.writer, snap, progress=ctx.progress)
    counts = _summarize(report)
    msg = f"built features, taxonomy, labels and splits for {snap.snapshot_id}"
    tax = getattr(report, "taxonomy", None)
    if tax is not None and getattr(tax, "k", None) is not None:
        msg += (f": taxonomy v{tax.version} with {tax.k} families"
                f" (bootstrap ARI {getattr(tax, 'mean_bootstrap_ari', float('nan')):.2f})")
    if getattr(report, "n_train", None):
        msg += f", split {report.n_train} train / {report.n_test} test artists"
    return JobOutcome(counts=counts, snapshot_id=snap.snapshot_id, message=msg)


def retrain_job(ctx: JobContext) -> JobOutcome:
    snap = _snapshot_for(ctx)
    if snap is None:
        return JobOutcome(status="skipped", message="no snapshot published yet; nothing to train on")
    retrain = _need("modeling", "retrain", "retraining")
    result = retrain(ctx.writer, ctx.settings, snap.snapshot_id)
    challenger = getattr(result, "challenger", None)
    comparison = getattr(result, "comparison", None)
    counts = {
        "challenger_id": getattr(challenger, "model_id", None),
        "champion_id": getattr(result, "champion_id", None),
        "promoted": getattr(result, "promoted", None),
        "decision": getattr(result, "decision", None),
        "metric": getattr(challenger, "headline_metric", None),
        "challenger_value": getattr(challenger, "headline_value", None),
        "ci_low": getattr(challenger, "ci_low", None),
        "ci_high": getattr(challenger, "ci_high", None),
        "comparison": plain(comparison) if comparison is not None else None,
        "predictions": getattr(result, "predictions", None),
    }
    counts = {k: plain(v) for k, v in counts.items()}
    if counts["challenger_id"] is None:  # an unexpected result shape: keep what it has
        counts = _summarize(result)
    promoted = counts.get("promoted")
    msg = f"retrained on {snap.snapshot_id}"
    if promoted is not None:
        msg += ": challenger promoted" if promoted else ": champion kept"
    if isinstance(counts.get("challenger_value"), float):
        msg += f" ({counts.get('metric')} {counts['challenger_value']:.3f})"
    return JobOutcome(counts=counts, snapshot_id=snap.snapshot_id, message=msg)


def prune_job(ctx: JobContext) -> JobOutcome:
    keep = ctx.options.get("keep") or ctx.settings.snapshot_keep
    left_counts, left_msg = _leftover_counts(ctx)
    removed = warehouse.prune_snapshots(ctx.settings.snapshots_path, keep, ctx.writer)
    return JobOutcome(counts={"removed": len(removed), "kept": keep, "removed_ids": removed, **left_counts},
                      message=f"removed {len(removed)} snapshot(s), kept the newest {keep}{left_msg}")


def report_job(ctx: JobContext) -> JobOutcome:
    from ._report import write_report

    result = write_report(ctx.settings, ctx.writer, job_run_id=ctx.run_id,
                          for_run=ctx.options.get("run"), progress=ctx.progress)
    available = sum(1 for v in result.sections.values() if v == "available")
    return JobOutcome(
        counts={"html": str(result.html_path), "json": str(result.json_path),
                "sections_available": available, "sections": len(result.sections)},
        snapshot_id=result.snapshot_id,
        message=f"report written to {result.html_path} ({available}/{len(result.sections)} sections with data)",
    )


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
