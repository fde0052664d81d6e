"""``genrestore demo`` (what ``make demo`` runs): the whole system on this machine, no credentials.

Start the local Spotify emulator on a catalog (MusicOSet when the data directory has it, else a
synthetic one), crawl it under its rate limit, publish a snapshot, build features and the genre
taxonomy, train and evaluate models, predict, write the report, publish a snapshot holding the
predictions and models (what ``genrestore sql`` reads), and print a summary. Every step is
an ordinary job run (trigger ``demo``) recorded in ``job_runs``. Re-running continues the crawl
from the stored frontier and adds a snapshot and a report.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from warehouse import GenrestoreError, WarehouseError, read_holder

from ._runner import run_job
from ._runs import JobRunRecord

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from ._settings import Settings

DEMO_SEED_GENRES = 8
# Warehouse artists sampled to check a catalog against what the warehouse already holds.
_MATCH_SAMPLE = 2000


@dataclass
class DemoSummary:
    ok: bool
    text: str
    figures: dict[str, Any] = field(default_factory=dict)
    records: list[JobRunRecord] = field(default_factory=list)


def _catalog(settings: Settings, artists: int, synthetic: bool, notes: list[str]) -> tuple[Path, str]:
    from ingest import emulator

    demo_dir = Path(settings.var_dir) / "demo"
    musicoset = Path(settings.data_dir) / "musicoset"
    if not synthetic and musicoset.is_dir():
        out = demo_dir / "catalog-musicoset"
        if not (out / "manifest.json").exists():
            try:
                emulator.build_musicoset_catalog(settings.data_dir, out)
            except (NotImplementedError, GenrestoreError, OSError, ValueError) as exc:
                notes.append(f"MusicOSet catalog could not be built ({type(exc).__name__}: {exc}); using a synthetic one")
            else:
                return out, "MusicOSet"
        else:
            return out, "MusicOSet"
    out = demo_dir / f"catalog-synthetic-{artists}"
    if not (out / "manifest.json").exists():
        emulator.build_synthetic_catalog(out, artists, 0)
    return out, f"synthetic ({artists:,} artists)"


def _check_catalog_matches(settings: Settings, catalog: Path, catalog_name: str, asked_synthetic: bool = False) -> None:
    """Refuse to crawl ``catalog`` into a warehouse that holds artists from somewhere else.

    A demo re-run continues its own crawl; crawling a synthetic catalog on top of a MusicOSet crawl
    (or the reverse, or on top of imports or a real crawl) would mix two worlds in one warehouse.
    The warehouse's artists are sampled and looked up in the catalog: most must be there.
    """
    import duckdb

    live = Path(settings.warehouse_file)
    if not live.exists() or read_holder(live) is not None:
        return  # nothing to mix with, or a writer holds it and the crawl job will say so
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{live}' AS wh (READ_ONLY)")
        total = con.execute("SELECT count(*) FROM wh.artists").fetchall()[0][0]
        if not total:
            return
        sampled, found = con.execute(
            f"""WITH s AS (SELECT artist_id FROM wh.artists ORDER BY hash(artist_id) LIMIT {_MATCH_SAMPLE})
                SELECT count(*), count(*) FILTER (WHERE artist_id IN
                    (SELECT artist_id FROM read_parquet('{catalog / "artists.parquet"}'))) FROM s"""
        ).fetchall()[0]
    except duckdb.Error:
        return  # an unreadable warehouse fails in the crawl job with its own message
    finally:
        con.close()
    if found * 2 < sampled:
        musicoset = Path(settings.data_dir) / "musicoset"
        if catalog_name == "MusicOSet":
            hint = " (pass --synthetic if it holds a synthetic demo crawl)"
        elif asked_synthetic:
            hint = ""
        else:  # fell back to a synthetic catalog
            hint = f" (no MusicOSet data at {musicoset}: pass --data DIR if it holds a MusicOSet crawl)"
        raise WarehouseError(
            f"refusing to crawl the {catalog_name} catalog into {live}: it holds {total:,} artists and only "
            f"{found:,} of {sampled:,} checked are in that catalog (another crawl or import){hint}; "
            f"use another --var for this catalog"
        )


def _seed_genres(catalog: Path, n: int) -> list[str]:
    """The catalog's most common genre tags: a crawl seeded with them reaches most of it."""
    import duckdb

    path = catalog / "artist_genres.parquet"
    if not path.exists():
        return []
    con = duckdb.connect()
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
        col = "genre" if "genre" in cols else cols[-1]
        return [r[0] for r in con.execute(
            f"SELECT {col} FROM read_parquet('{path}') GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT {n}"
        ).fetchall()]
    finally:
        con.close()


def _fmt_counts(counts: dict[str, Any], keys: tuple[str, ...]) -> str:
    parts = []
    for k in keys:
        v = counts.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{k.replace('_', ' ')} {v:,.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else f"{k.replace('_', ' ')} {v:,}")
        elif v is not None and not isinstance(v, (dict, list)):
            parts.append(f"{k.replace('_', ' ')} {v}")
    return ", ".join(parts)


def run_demo(settings: Settings, *, artists: int = 1500, crawl_minutes: float = 2.0, rate: int = 600,
             synthetic: bool = False, progress: bool = False) -> DemoSummary:
    from ingest.emulator.running import running_emulator

    t0 = time.monotonic()
    notes: list[str] = []
    catalog, catalog_name = _catalog(settings, artists, synthetic, notes)
    _check_catalog_matches(settings, catalog, catalog_name, synthetic)
    seeds = [f"genre:{g}" for g in _seed_genres(catalog, DEMO_SEED_GENRES)]
    records: list[JobRunRecord] = []
    timings: dict[str, float] = {"catalog": time.monotonic() - t0}
    with running_emulator(catalog, rate=rate) as emu:
        crawl_cfg = settings.crawl.model_copy(update={
            # Plan against the emulator's real window; stay a little under it (the limit is known:
            # the ceiling keeps budget discovery from probing past it).
            "budget_per_window": max(1, int(rate * 0.9)), "budget_ceiling": max(1, int(rate * 0.9)),
            "window_seconds": 30.0,
        })
        run_settings = settings.model_copy(update={
            "api_url": emu.api_url, "token_url": emu.token_url, "client_id": emu.client_id,
            "client_secret": SecretStr(emu.client_secret), "crawl": crawl_cfg,
        })
        steps: list[tuple[str, dict[str, Any]]] = [
            ("crawl", {"seeds": ",".join(seeds) or None, "max_minutes": crawl_minutes}),
            ("snapshot", {}), ("build", {}), ("retrain", {}), ("report", {}), ("publish", {}),
        ]
        for name, opts in steps:
            s0 = time.monotonic()
            rec = run_job(name, run_settings, trigger="demo", progress=progress, **opts)
            timings[name] = time.monotonic() - s0
            records.append(rec)
            if rec.status == "failed" and name in ("crawl", "snapshot"):
                break  # nothing downstream can work without data
        emulator_stats = _safe_stats(emu)
    timings["total"] = time.monotonic() - t0
    return _summarize(settings, records, timings, catalog_name, emulator_stats, notes, rate)


def _safe_stats(emu) -> dict[str, Any]:
    try:
        return emu.stats()
    except OSError:
        return {}


def _summarize(settings: Settings, records: list[JobRunRecord], timings: dict[str, float], catalog_name: str,
               stats: dict[str, Any], notes: list[str], rate: int) -> DemoSummary:
    by = {r.job: r for r in records}
    lines = [f"[bold]genrestore demo[/] — emulator on the {catalog_name} catalog, rate limit {rate} requests / 30 s"]
    for r in records:
        mark = {"succeeded": "[green]ok[/]", "failed": "[red]FAILED[/]"}.get(r.status, f"[yellow]{r.status}[/]")
        detail = r.error or r.message or ""
        lines.append(f"  {r.job:<9} {mark:<22} {timings.get(r.job, 0):6.1f}s  {detail}")
    figures: dict[str, Any] = {"seconds": round(timings["total"], 1)}
    crawl = by.get("crawl")
    if crawl and crawl.counts:
        c = crawl.counts
        figures["crawl"] = {k: c.get(k) for k in ("requests", "responses_429", "errors", "inserted", "updated", "pending")}
        lines.append(f"  crawl: {_fmt_counts(c, ('requests', 'responses_429', 'errors', 'units_done', 'pending'))}")
        for key in ("inserted", "updated"):
            if isinstance(c.get(key), dict) and c[key]:
                lines.append(f"         rows {key}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(c[key].items())))
    snap = by.get("snapshot")
    if snap and snap.snapshot_id:
        figures["snapshot_id"] = snap.snapshot_id
        figures["snapshot_rows"] = snap.counts.get("rows")
    for job in ("build", "retrain"):
        rec = by.get(job)
        if rec and rec.counts:
            scalars = {k: v for k, v in rec.counts.items() if isinstance(v, (int, float, str, bool)) and len(str(v)) < 60}
            figures[job] = scalars
            keep = {"build": ("n_train", "n_test"),
                    "retrain": ("promoted", "metric", "challenger_value", "ci_low", "ci_high", "predictions")}[job]
            scalars = {k: scalars[k] for k in keep if k in scalars}
            if scalars:
                lines.append(f"  {job}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                    for k, v in list(scalars.items())[:10]))
    report = by.get("report")
    html = report.counts.get("html") if report and report.counts else None
    if report and report.counts.get("json"):
        try:
            key = json.loads(Path(report.counts["json"]).read_text()).get("key_figures") or {}
        except (OSError, ValueError):
            key = {}
        figures["key_figures"] = key
        shown = [(label, key.get(k)) for label, k in (
            ("artists", "artists"), ("with genre tags", "artists_tagged"), ("genre tags", "genres"),
            ("genre families", "genre_families"), ("untagged artists with predictions", "artists_with_predictions"))]
        text = ", ".join(f"{label} {v:,}" for label, v in shown if isinstance(v, int))
        if text:
            lines.append(f"  warehouse now: {text}")
        if isinstance(key.get("champion_metric"), (int, float)):
            lines.append(f"  champion model: {key.get('champion_metric_name')} {key['champion_metric']:.3f} on the test split")
    if stats:
        figures["emulator"] = {k: stats.get(k) for k in ("requests", "rate_limited") if k in stats}
    lines += [f"  note: {n}" for n in notes]
    lines.append("")
    lines.append(f"  warehouse  {settings.warehouse_file}")
    lines.append(f"  snapshots  {settings.snapshots_path}")
    lines.append(f"  models     {settings.models_path}")
    if html:
        lines.append(f"  report     {Path(html).parent.parent / 'report.html'}  (this run: {html})")
    lines.append("")
    lines.append("  query it:  genrestore sql \"SELECT genre, count(*) AS artists FROM artist_genres GROUP BY 1 ORDER BY 2 DESC LIMIT 10\"")
    lines.append("             genrestore sql \"SELECT count(*) FROM predictions\"   (the published snapshot holds them)")
    lines.append("             genrestore schema            (tables and columns)   genrestore jobs history")
    lines.append(f"  wall time {timings['total']:.0f}s")
    ok = all(r.status in ("succeeded", "skipped") for r in records) and len(records) == 6
    figures["statuses"] = {r.job: r.status for r in records}
    return DemoSummary(ok=ok, text="\n".join(lines), figures=json.loads(json.dumps(figures, default=str)), records=records)
