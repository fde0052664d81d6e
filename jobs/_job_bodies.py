"""The jobs themselves: crawl, refresh, snapshot, publish, build, retrain, report and prune.

Each calls one public function of the package it drives and reads its typed result. ingest.crawl,
features, modeling and the report are imported inside the job that uses them, not at the top:
``genrestore`` starts in ~1 s instead of ~5 s (scikit-learn, LightGBM, matplotlib), and LightGBM
must not load before ``jobs.cli.main`` has set ``OMP_WAIT_POLICY``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import warehouse

from ._job_spec import JobContext, JobOutcome
from ._serialization import plain, summarize

# ───────────────────────────── crawl and refresh ─────────────────────────────


def seed_list(value: Any) -> list[str]:
    """The ``seeds`` option: parsed as ``genrestore crawl --seeds`` parses it (quotes, ids, links),
    kept as canonical seed strings that parse back to the same seeds."""
    from ingest.crawl import parse_seeds

    return [str(seed) for seed in parse_seeds(value)]


# CrawlResult.status → job status ("failed" is raised, not returned; listed for completeness).
_CRAWL_STATUS = {"completed": "succeeded", "stopped": "stopped", "paused": "paused", "failed": "failed"}


def _crawl(ctx: JobContext, refresh_older_than: timedelta | None = None) -> JobOutcome:
    from ingest.crawl import paused_until, run_crawl
    from ingest.spotify import CrawlPaused

    pause = paused_until(ctx.writer.con)
    if pause is not None:
        until = pause[0]
        # Respect the ban: not one request before it ends.
        return JobOutcome(
            status="paused", counts={"paused_until": until.isoformat(timespec="seconds")},
            message=f"crawl paused until {until:%Y-%m-%d %H:%M:%S} UTC (long Retry-After); no request sent",
        )
    opts = ctx.options
    try:
        result = run_crawl(
            ctx.settings, ctx.writer, seeds=opts.get("seeds"), max_requests=opts.get("max_requests"),
            max_minutes=opts.get("max_minutes"), refresh_older_than=refresh_older_than,
            progress=ctx.progress, stop_event=ctx.stop_event,
        )
    except CrawlPaused as exc:  # a pause recorded after the check above
        return JobOutcome(status="paused", message=str(exc),
                          counts={"paused_until": exc.until.isoformat(timespec="seconds")})
    counts = summarize(result)
    if result.paused_until is not None:  # same form as a refused run's
        counts["paused_until"] = result.paused_until.isoformat(timespec="seconds")
    status = _CRAWL_STATUS[result.status]
    if status == "stopped" and not ctx.stop_event.is_set():
        status = "succeeded"  # it reached max_requests / max_minutes: the bounded crawl did its job
    elif ctx.stop_event.is_set() and status == "succeeded":
        status = "stopped"
    how = {"stopped": "stopped by signal" if ctx.stop_event.is_set() else "reached its request/time limit"}
    msg = (f"{result.requests} requests, {result.responses_429} answered 429, "
           f"{result.units_done} units done, {result.pending} pending, "
           f"{sum(result.inserted.values()):,} rows inserted, {sum(result.updated.values()):,} updated; "
           f"crawl {how.get(result.status, result.status)}")
    if counts.get("paused_until"):
        msg += f", paused until {counts['paused_until']}"
    return JobOutcome(status=status, counts=counts, message=msg)


def crawl_job(ctx: JobContext) -> JobOutcome:
    return _crawl(ctx)


def refresh_job(ctx: JobContext) -> JobOutcome:
    days = ctx.options.get("older_than_days") or 30.0
    return _crawl(ctx, refresh_older_than=timedelta(days=days))


# ───────────────────────────── snapshot, publish, prune ─────────────────────────────

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


def prune_job(ctx: JobContext) -> JobOutcome:
    keep = ctx.options.get("keep") or ctx.settings.snapshot_keep
    left_counts, left_msg = _leftover_counts(ctx)
    removed = warehouse.prune_snapshots(ctx.settings.snapshots_path, keep, ctx.writer)
    return JobOutcome(counts={"removed": len(removed), "kept": keep, "removed_ids": removed, **left_counts},
                      message=f"removed {len(removed)} snapshot(s), kept the newest {keep}{left_msg}")


# ───────────────────────────── build, retrain, report ─────────────────────────────

def _snapshot_for(ctx: JobContext) -> warehouse.SnapshotInfo | None:
    try:
        return warehouse.get_snapshot(ctx.settings.snapshots_path, ctx.options.get("snapshot"))
    except warehouse.SnapshotNotFound:
        if ctx.options.get("snapshot"):
            raise
        return None


def build_job(ctx: JobContext) -> JobOutcome:
    from features import build_all

    snap = _snapshot_for(ctx)
    if snap is None:
        return JobOutcome(status="skipped", message="no snapshot published yet; nothing to build on")
    report = build_all(ctx.writer, snap, progress=ctx.progress)
    msg = f"built features, taxonomy, labels and splits for {snap.snapshot_id}"
    if report.taxonomy is not None:
        tax = report.taxonomy
        msg += (f": taxonomy v{tax.version} with {tax.k} families"
                f" (bootstrap ARI {tax.mean_bootstrap_ari:.2f})")
    if report.n_train:
        msg += f", split {report.n_train} train / {report.n_test} test artists"
    return JobOutcome(counts=summarize(report), snapshot_id=snap.snapshot_id, message=msg)


def retrain_job(ctx: JobContext) -> JobOutcome:
    from modeling import retrain

    snap = _snapshot_for(ctx)
    if snap is None:
        return JobOutcome(status="skipped", message="no snapshot published yet; nothing to train on")
    result = retrain(ctx.writer, ctx.settings, snap.snapshot_id)
    challenger = result.challenger
    counts = plain({
        "challenger_id": challenger.model_id,
        "champion_id": result.champion_id,
        "promoted": result.promoted,
        "decision": result.decision,
        "metric": challenger.headline_metric,
        "challenger_value": challenger.headline_value,
        "ci_low": challenger.ci_low,
        "ci_high": challenger.ci_high,
        "comparison": result.comparison,
        "predictions": result.predictions,
    })
    msg = f"retrained on {snap.snapshot_id}: " + ("challenger promoted" if result.promoted else "champion kept")
    if isinstance(counts["challenger_value"], float):
        msg += f" ({counts['metric']} {counts['challenger_value']:.3f})"
    return JobOutcome(counts=counts, snapshot_id=snap.snapshot_id, message=msg)


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
