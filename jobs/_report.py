"""``write_report``: the nightly report as one self-contained HTML file plus the same content as JSON.

Written to ``var/reports/<date>/report.html`` and ``report.json`` (the day's latest), with every
report also kept as ``var/reports/<date>/runs/<report_id>.{html,json}`` and listed in the ``reports``
table. Images are PNG data URIs and styles are inline, so the file works offline, mailed or copied.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

import modeling
import warehouse
from warehouse import SnapshotInfo, Writer

from . import _report_calibration as calibration
from . import _report_data as data
from . import _report_experiments
from . import _report_figures as figures
from . import _report_morning as morning
from . import _report_models as models
from . import _report_plots as plots
from ._runs import utcnow

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from ._settings import Settings

SECTIONS = (
    "attention", "predictions", "since_last_report", "snapshot_diff", "crawl_health", "job_runs", "taxonomy",
    "label_drift", "models", "protocols", "calibration", "parameters", "per_family", "feature_drift", "trend",
)


@dataclass
class ReportResult:
    report_id: str
    html_path: Path
    json_path: Path
    daily_html: Path
    snapshot_id: str | None
    previous_snapshot_id: str | None
    sections: dict[str, str]
    content: dict[str, Any] = field(repr=False, default_factory=dict)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("genrestore", "duckdb", "lightgbm", "scikit-learn", "polars", "apscheduler"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def _pick_snapshots(settings: Settings, live: duckdb.DuckDBPyConnection,
                    for_run: str | None) -> tuple[SnapshotInfo | None, SnapshotInfo | None]:
    snaps = [s for s in warehouse.list_snapshots(settings.snapshots_path) if Path(s.path).exists()]
    # Snapshots published after a pipeline (the publish job) repeat the data of the snapshot it ran
    # on; reporting on or comparing with them would find no features built for their ids.
    published = _published_snapshot_ids(live)
    if for_run is None:
        snaps = [s for s in snaps if s.snapshot_id not in published] or snaps
    if not snaps:
        return None, None
    cur = snaps[-1]
    if for_run:
        got = live.execute("SELECT snapshot_id FROM job_runs WHERE run_id = ? OR run_id LIKE ?",
                           [for_run, for_run + "%"]).fetchall()
        if len(got) != 1:
            raise warehouse.UsageError(f"--run {for_run!r} matches {len(got)} job runs; give a run id from `genrestore jobs history`")
        if got[0][0] is None:
            raise warehouse.UsageError(f"job run {for_run} worked on no snapshot; pick a snapshot, build, retrain or report run")
        matches = [s for s in snaps if s.snapshot_id == got[0][0]]
        if not matches:
            raise warehouse.SnapshotNotFound(f"snapshot {got[0][0]} of run {for_run} is no longer published (pruned)")
        cur = matches[0]
    i = [s.snapshot_id for s in snaps].index(cur.snapshot_id)
    return cur, (snaps[i - 1] if i > 0 else None)


def _published_snapshot_ids(live: duckdb.DuckDBPyConnection) -> set[str]:
    if "job_runs" not in data.tables_of(live):
        return set()
    got = live.execute("SELECT snapshot_id FROM job_runs WHERE job = 'publish' AND snapshot_id IS NOT NULL").fetchall()
    return {r[0] for r in got}


def _previous_report(live: duckdb.DuckDBPyConnection, before_snapshot: SnapshotInfo | None) -> dict | None:
    if "reports" not in data.tables_of(live):
        return None
    got = live.execute("SELECT json_path FROM reports ORDER BY created_at DESC LIMIT 5").fetchall()
    for (path,) in got:
        try:
            content = json.loads(warehouse.resolve_recorded(path, warehouse.database_dir(live)).read_text())
        except (OSError, json.JSONDecodeError):
            continue
        return content
    return None


def _key_figures(content: dict[str, Any]) -> dict[str, Any]:
    diff = content.get("snapshot_diff") or {}
    artists = diff.get("artists") or {}
    crawl = content.get("crawl_health") or {}
    labels = content.get("label_drift") or {}
    drift = content.get("feature_drift") or {}
    m = content.get("models") or {}
    return {
        "snapshot_id": (content.get("snapshot") or {}).get("snapshot_id"),
        "warehouse_rows": sum(t["current"] for t in diff.get("tables", [])) if diff else None,
        "artists": artists.get("artists"),
        "artists_tagged": artists.get("genres_tagged"),
        "genres": next((t["current"] for t in diff.get("tables", []) if t["table"] == "genres"), None),
        "crawl_requests_in_period": crawl.get("requests"),
        "genre_families": len(labels.get("families", [])) or None,
        "champion_metric": m.get("champion_value"),
        "champion_metric_name": m.get("metric"),
        "artists_with_predictions": (content.get("predictions") or {}).get("artists_with_predictions",
                                                                            m.get("predicted_artists")),
        "prediction_rows": (content.get("predictions") or {}).get("prediction_rows"),
        "drifted_features": drift.get("drifted"),
    }


def _since_last(now: dict[str, Any], previous: dict | None) -> tuple[dict | None, str | None]:
    if previous is None:
        return None, "this is the first report: nothing to compare with"
    before = previous.get("key_figures") or {}
    out = []
    for k, v in now.items():
        b = before.get(k)
        change = None
        if isinstance(v, (int, float)) and isinstance(b, (int, float)) and not isinstance(v, bool):
            change = v - b
        out.append({"figure": k, "previous_report": b, "this_report": v, "change": change})
    return {"previous_report_id": previous.get("report_id"),
            "previous_created_at": previous.get("created_at"), "figures": out}, None


def write_report(settings: Settings, writer: Writer, *, job_run_id: str | None = None,
                 for_run: str | None = None, progress: bool = False) -> ReportResult:
    """Gather every section, draw the plots, write HTML + JSON, record the report; return where."""
    live = writer.con
    now = utcnow()
    report_id = f"{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(2)}"
    cur, prev = _pick_snapshots(settings, live, for_run)
    content: dict[str, Any] = {
        "schema_version": morning.SCHEMA_VERSION,
        "report_id": report_id, "created_at": now.isoformat(timespec="seconds"), "job_run_id": job_run_id,
        "snapshot": None if cur is None else {"snapshot_id": cur.snapshot_id, "created_at": cur.created_at,
                                              "rows": sum(cur.row_counts.values()), "content_hash": cur.content_hash},
        "previous_snapshot": None if prev is None else {"snapshot_id": prev.snapshot_id, "created_at": prev.created_at,
                                                        "rows": sum(prev.row_counts.values())},
        "versions": _versions(),
        "config_hash": hashlib.sha256(json.dumps(settings.masked(), sort_keys=True, default=str).encode()).hexdigest()[:12],
        "api_url": settings.api_url,
    }
    sections: dict[str, str] = {}
    images: dict[str, list[dict[str, str]]] = {s: [] for s in SECTIONS}

    def put(name: str, result: tuple[Any, str | None]) -> Any:
        value, reason = result
        content[name] = data.clean(value) if value is not None else None
        sections[name] = "available" if value is not None else reason
        return value

    def guarded(name: str, fn) -> Any:
        try:
            return put(name, fn())
        except (duckdb.Error, KeyError, ValueError, TypeError, OSError) as exc:  # one broken input (a pruned model file...), not a broken report
            return put(name, (None, f"could not be computed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"))

    if cur is None:
        for s in SECTIONS:
            if s not in ("job_runs", "crawl_health", "attention", "trend"):
                sections[s] = "no snapshot published yet (run the snapshot job)"
                content[s] = None
        since = None
        guarded("crawl_health", lambda: data.crawl_health(live, None, now))
        guarded("job_runs", lambda: data.job_runs_summary(live, None, job_run_id))
    else:
        snaps_con = duckdb.connect(":memory:")
        snaps_con.execute(f"ATTACH '{cur.path}' AS cur (READ_ONLY)")
        prev_attached = False
        if prev is not None:
            try:
                snaps_con.execute(f"ATTACH '{prev.path}' AS prev (READ_ONLY)")
                prev_attached = True
            except duckdb.Error:
                prev_attached = False  # pruned between listing and opening
        since = datetime.fromisoformat(prev.created_at) if prev else None
        until = datetime.fromisoformat(cur.created_at)
        try:
            diff = guarded("snapshot_diff", lambda: data.snapshot_diff(snaps_con, cur, prev, prev_attached))
        finally:
            snaps_con.close()
        if diff:
            tabs = [t for t in diff["tables"] if t["current"]]
            images["snapshot_diff"].append({"title": "Rows per table", "src": plots.paired_bars(
                [t["table"] for t in tabs], [t["current"] for t in tabs],
                [t["previous"] for t in tabs] if prev else None, "Rows per table (log scale)", "rows", log=True)})
        crawl = guarded("crawl_health", lambda: data.crawl_health(live, since, until))
        if crawl and crawl["recent"]:
            images["crawl_health"].append({"title": "Crawl runs", "src": plots.crawl_runs_plot(crawl["recent"])})
        guarded("job_runs", lambda: data.job_runs_summary(live, since, job_run_id))
        tax = guarded("taxonomy", lambda: models.taxonomy_changes(live, cur.snapshot_id))
        if tax and tax.get("groups"):
            tree = _taxonomy_tree(tax)
            if tree:
                images["taxonomy"].append({"title": "Genre families and their subfamilies", "src": tree})
        labels = guarded("label_drift", lambda: data.label_drift(live, cur.snapshot_id, prev.snapshot_id if prev else None))
        if labels:
            fams = labels["families"]
            images["label_drift"].append({"title": "Label prevalence", "src": plots.paired_bars(
                [f["name"] for f in fams], [100 * f["current"] for f in fams],
                [None if f["previous"] is None else 100 * f["previous"] for f in fams] if labels["compared_with"] else None,
                "Share of labelled artists per genre family", "% of artists")})
        model_section = guarded("models", lambda: models.champion_vs_challenger(live, cur.snapshot_id))
        guarded("protocols", lambda: calibration.protocols(live, model_section))
        calib = guarded("calibration", lambda: calibration.calibration(live, model_section))
        if calib:
            images["calibration"].append({"title": "Reliability per family",
                                          "src": calibration.reliability_diagrams(calib)})
        guarded("parameters", lambda: morning.parameters(live, model_section))
        preds = guarded("predictions", lambda: morning.predictions(live, cur.snapshot_id))
        if preds:
            images["predictions"].append({"title": "Top family per artist", "src": plots.paired_bars(
                [r["family"] for r in preds["top_families"]], [r["artists"] for r in preds["top_families"]], None,
                "Artists per predicted top family", "artists")})
            images["predictions"].append({"title": "Confidence", "src": figures.confidence_histogram(
                preds["confidence_histogram"])})
        fam = guarded("per_family", lambda: models.per_family(live, cur.snapshot_id))
        if fam:
            rows_ = [r for r in fam["families"] if r.get("f1") is not None]
            if rows_:
                images["per_family"].append({"title": "Per-family F1", "src": plots.paired_bars(
                    [r["name"] for r in rows_], [r["f1"] for r in rows_],
                    [r.get("champion_f1") for r in rows_] if any(r.get("champion_f1") is not None for r in rows_) else None,
                    "F1 per genre family (challenger vs champion)", "F1")})
        dots = None
        try:  # 25 overlapping PR curves are unreadable: one dot with its interval per family instead
            challenger = modeling.find_model(live, model_section["challenger_id"]) if model_section else None
            if challenger is not None:
                dots = morning.family_intervals(modeling.load_artifact(live, challenger))
        except (duckdb.Error, KeyError, ValueError, TypeError, OSError, IndexError):
            dots = None
        if dots and content.get("per_family"):
            content["per_family"]["auprc_intervals"] = data.clean(dots)
            images["per_family"].append({"title": "Average precision per family with intervals",
                                         "src": figures.family_dots(dots)})
        imp = None
        try:
            imp = models.importance_changes(live, cur.snapshot_id)
        except (duckdb.Error, KeyError, ValueError, TypeError, OSError):  # OSError: a model file gone
            imp = None
        if imp:
            content.setdefault("models_extra", {})["importance"] = data.clean(imp)
            images["models"].append({"title": "Feature importance", "src": plots.paired_bars(
                [r["feature"] for r in imp], [r["current"] for r in imp],
                [r["previous"] for r in imp] if any(r["previous"] is not None for r in imp) else None,
                "Feature importance (share of gain), new model vs previous", "share of gain")})
        drift = guarded("feature_drift", lambda: data.feature_drift(live, cur.snapshot_id, prev.snapshot_id if prev else None))
        if drift:
            images["feature_drift"].append({"title": "Feature drift", "src": plots.psi_plot(drift["features"])})

    content["key_figures"] = _key_figures(content)
    guarded("since_last_report", lambda: _since_last(content["key_figures"], _previous_report(live, cur)))
    trend = guarded("trend", lambda: morning.trend(live, content))
    if trend:
        images["trend"].append({"title": "Trends", "src": figures.trend_multiples(trend["nights"])})
    content["attention"] = data.clean(morning.attention(content))
    sections["attention"] = "available"
    content["sections"] = sections

    day_dir = Path(settings.reports_path).resolve() / now.strftime("%Y-%m-%d")
    runs_dir = day_dir / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    # The research bench's page sits beside both report files, so one relative link serves both.
    try:
        written = _report_experiments.write_page(live, [day_dir / "experiments.html", runs_dir / "experiments.html"])
    except (duckdb.Error, KeyError, ValueError, TypeError, OSError):  # a broken page must not cost the report
        written = False
    content["experiments_page"] = "experiments.html" if written else None
    html = _render(content, sections, images)
    html_path = runs_dir / f"{report_id}.html"
    json_path = runs_dir / f"{report_id}.json"
    text = json.dumps(content, indent=2, default=str)
    for path, body in ((html_path, html), (json_path, text),
                       (day_dir / "report.html", html), (day_dir / "report.json", text)):
        _atomic_write(path, body)
    with writer.transaction() as con:
        con.execute(
            "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [report_id, now, job_run_id, cur.snapshot_id if cur else None, prev.snapshot_id if prev else None,
             *(warehouse.record_path(p, writer.path.parent) for p in (html_path, json_path)), json.dumps(sections)],
        )
    return ReportResult(report_id, html_path, json_path, day_dir / "report.html",
                        cur.snapshot_id if cur else None, prev.snapshot_id if prev else None, sections, content)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v != v:
            return "–"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}".rstrip("0").rstrip(".") if v != int(v) else f"{v:.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, dict) and set(v) == {"value", "low", "high"}:  # an interval
        return "–" if v["low"] is None else f"{_fmt(v['low'])} – {_fmt(v['high'])}"
    if isinstance(v, (list, dict)):
        s = json.dumps(v, default=str)
        return s if len(s) <= 160 else s[:157] + "…"
    return str(v)


def _taxonomy_tree(tax: dict) -> str | None:
    """The two-level tree of the newest taxonomy version as a data URI (None if it cannot be drawn)."""
    try:
        from types import SimpleNamespace

        from features import taxonomy_tree_figure
    except ImportError:
        return None
    groups = [SimpleNamespace(**g) for g in tax["groups"]]
    fig = taxonomy_tree_figure([g for g in groups if g.level == "family"], [g for g in groups if g.level == "subfamily"],
                               f"taxonomy version {tax['version']}: bars = share of tagged artists")
    return plots.to_data_uri(fig)


def _render(content: dict[str, Any], sections: dict[str, str], images: dict[str, list]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("jobs", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    return env.get_template("report.html.j2").render(c=content, sections=sections, images=images,
                                                     order=SECTIONS)
