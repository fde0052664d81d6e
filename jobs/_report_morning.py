"""The report's sections for the person who reads it each morning: what needs attention, the
predictions themselves, trends over the last nights, and the models' parameters.

Kept apart from the other sections (``_report_data``, ``_report_models``) and fed by their results,
the model registry and predictions (through ``modeling``'s public functions) and past reports, so
each can change without the other.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import numpy as np

import modeling
from warehouse import database_dir, resolve_recorded

from ._report_data import rows, tables_of

SCHEMA_VERSION = 2
TREND_NIGHTS = 30
# Thresholds of the attention list; a share is of the period's crawl requests.
ERROR_SHARE = 0.02
SHARE_429 = 0.05
DRIFTED_FEATURES = 1  # features with PSI >= 0.2
# Calibration metrics the models record (lower is better). A promoted model whose value is worse
# than last night's champion's by more than CALIBRATION_TOLERANCE (half a point of ECE) is listed,
# so a tiny move does not raise an item every night.
CALIBRATION_METRICS = ("macro_ece", "untagged_like_macro_ece")
CALIBRATION_TOLERANCE = 0.005


def interval(value: Any, low: Any, high: Any) -> dict[str, Any] | None:
    """An estimate with its interval, numbers as numbers (JSON: {"value", "low", "high"})."""
    if value is None and low is None:
        return None
    return {"value": value, "low": low, "high": high}


def attention(content: dict[str, Any]) -> list[dict[str, Any]]:
    """What a person should look at today, most serious first; empty when all is well."""
    out: list[dict[str, Any]] = []

    def add(kind: str, message: str, **figures: Any) -> None:
        out.append({"kind": kind, "message": message, **figures})

    jobs = content.get("job_runs") or {}
    for p in jobs.get("problems") or []:
        add("job_failed", f"job {p['job']} {p.get('status', 'failed')} at {str(p['started_at'])[:16]}: "
            f"{(p.get('error') or 'no error recorded')[:200]}", job=p["job"], run_id=p["run_id"])
    paused = [r for r in jobs.get("by_job") or [] if r["status"] == "paused"]
    for r in paused:
        add("job_paused", f"job {r['job']} paused {r['runs']} time(s) (a long Retry-After)", job=r["job"])
    crawl = content.get("crawl_health") or {}
    requests = crawl.get("requests") or 0
    if requests:
        errors, r429 = crawl.get("errors") or 0, crawl.get("responses_429") or 0
        if errors / requests > ERROR_SHARE:
            add("crawl_errors", f"{errors:,} crawl errors in {requests:,} requests ({errors / requests:.1%}, "
                f"threshold {ERROR_SHARE:.0%})", share=errors / requests, threshold=ERROR_SHARE)
        if r429 / requests > SHARE_429:
            add("crawl_429", f"{r429:,} rate-limited responses (429) in {requests:,} requests ({r429 / requests:.1%}, "
                f"threshold {SHARE_429:.0%})", share=r429 / requests, threshold=SHARE_429)
    if crawl.get("paused_until"):
        add("crawl_paused", f"crawling is paused until {crawl['paused_until']}")
    models = content.get("models") or {}
    if models and models.get("decision") == "keep champion" and models.get("champion_id"):
        add("promotion_refused", f"challenger {models['challenger_id']} was not promoted: "
            f"{(models.get('reason') or 'no reason recorded')[:200]}", model_id=models["challenger_id"])
    drift = content.get("feature_drift") or {}
    if (drift.get("drifted") or 0) >= DRIFTED_FEATURES:
        names = [f["feature"] for f in drift.get("features", []) if (f.get("psi") or 0) >= 0.2][:5]
        add("feature_drift", f"{drift['drifted']} feature(s) drifted (PSI ≥ 0.2): {', '.join(names)}",
            drifted=drift["drifted"])
    for row in models.get("comparison") or []:
        if row["metric"] in CALIBRATION_METRICS and isinstance(row.get("difference"), (int, float)) \
                and row["difference"] > CALIBRATION_TOLERANCE and models.get("decision") == "promote":
            add("calibration_worse", f"{row['metric']} worse than last night's champion "
                f"({row['champion']:.4f} → {row['challenger']:.4f})", metric=row["metric"])
    return out


def predictions(live: duckdb.DuckDBPyConnection, snapshot_id: str, examples: int = 12) -> tuple[dict | None, str | None]:
    """How many artists got families, which, how confident, and some of them by name."""
    if "predictions" not in tables_of(live):
        return None, "no predictions table yet (no model trained)"
    got = modeling.prediction_summary(live, snapshot_id, examples)
    if got is None:
        return None, f"no predictions for snapshot {snapshot_id} (retrain has not predicted on it)"
    hist, edges = np.histogram(got.confidences, bins=10, range=(0.0, 1.0))
    return {
        "artists_with_predictions": got.artists,
        "artists_given_a_family": got.artists_given_a_family,
        "prediction_rows": got.rows,
        "top_families": [{"family": t.family, "artists": t.artists, "mean_confidence": t.mean_confidence}
                         for t in got.top_families],
        "confidence_histogram": {"edges": [float(e) for e in edges], "artists": [int(h) for h in hist]},
        "examples": [{"artist_id": e.artist_id, "name": e.name, "families": e.families, "confidence": e.confidence}
                     for e in got.examples],
    }, None


def family_intervals(art: modeling.ModelArtifact, n_boot: int = 200, seed: int = 0) -> list[dict[str, Any]] | None:
    """Average precision per family on the challenger's test scores, with a 95 % bootstrap interval."""
    from sklearn.metrics import average_precision_score

    y = np.asarray(art.test.y)
    s = np.asarray(art.test.scores)
    if y.ndim != 2 or s.shape != y.shape or len(y) < 5:
        return None
    names = art.label_names or [str(i) for i in art.label_ids]
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(y), len(y)) for _ in range(n_boot)]
    out = []
    for j, name in enumerate(names):
        yj, sj = y[:, j], s[:, j]
        if not 0 < yj.sum() < len(yj):
            continue
        boots = [average_precision_score(yj[d], sj[d]) for d in draws if 0 < yj[d].sum() < len(d)]
        low, high = (np.percentile(boots, [2.5, 97.5]) if boots else (None, None))
        out.append({"family": str(name), "support": int(yj.sum()), "prevalence": float(yj.mean()),
                    "auprc": interval(float(average_precision_score(yj, sj)),
                                      None if low is None else float(low), None if high is None else float(high))})
    return sorted(out, key=lambda r: -r["auprc"]["value"]) or None


def trend(live: duckdb.DuckDBPyConnection, current: dict[str, Any], nights: int = TREND_NIGHTS) -> tuple[dict | None, str | None]:
    """One point per night (the night's last report) over the last ``nights``, this report last:
    headline metric, crawl requests, artists with predictions, drifted features."""
    points: dict[str, dict[str, Any]] = {}
    if "reports" in tables_of(live):
        for r in rows(live, f"""
                SELECT created_at, json_path FROM (
                    SELECT *, row_number() OVER (PARTITION BY CAST(created_at AS DATE) ORDER BY created_at DESC) AS k
                    FROM reports) WHERE k = 1 ORDER BY created_at DESC LIMIT {int(nights)}"""):
            try:
                past = json.loads(resolve_recorded(r["json_path"], database_dir(live)).read_text())
            except (OSError, ValueError):
                continue
            points[str(r["created_at"])[:10]] = _trend_point(past.get("key_figures") or {})
    points[str(current.get("created_at", ""))[:10]] = _trend_point(current.get("key_figures") or {})
    nights_ = sorted(points)[-nights:]
    if len(nights_) < 2:
        return None, "fewer than two nights reported yet: no trend"
    return {"nights": [{"night": n, **points[n]} for n in nights_],
            "columns": ["night", "champion_metric", "crawl_requests", "artists_with_predictions", "drifted_features"]}, None


def _trend_point(k: dict[str, Any]) -> dict[str, Any]:
    return {"champion_metric": k.get("champion_metric"), "crawl_requests": k.get("crawl_requests_in_period"),
            "artists_with_predictions": k.get("artists_with_predictions", k.get("predictions")),
            "drifted_features": k.get("drifted_features")}


def parameters(live: duckdb.DuckDBPyConnection, models_section: dict | None) -> tuple[dict | None, str | None]:
    """Champion and challenger side by side: estimator, training data and every hyper-parameter."""
    if not models_section:
        return None, "no model to describe"
    ids = {"challenger": models_section.get("challenger_id"), "champion": models_section.get("champion_id")}
    found = {role: modeling.find_model(live, mid) for role, mid in ids.items() if mid}
    found = {role: got for role, got in found.items() if got}
    if not found:
        return None, "the models are no longer in the registry"
    params = {}
    for role, m in found.items():
        p = m.params
        flat = {"estimator": m.estimator, "dataset": m.dataset, "taxonomy_version": m.taxonomy_version,
                "n_train": m.n_train, "n_test": m.n_test, "train_seconds": m.train_seconds}
        flat.update({k: v if isinstance(v, (int, float, str, bool)) or v is None else json.dumps(v, default=str)
                     for k, v in (p.items() if isinstance(p, dict) else [("params", p)])})
        params[role] = flat
    keys = list(dict.fromkeys(k for flat in params.values() for k in flat))
    table = [{"parameter": k, "champion": params.get("champion", {}).get(k),
              "challenger": params.get("challenger", {}).get(k),
              "changed": "champion" in params and "challenger" in params
              and params["champion"].get(k) != params["challenger"].get(k)} for k in keys]
    return {"models": {r: found[r].model_id for r in found}, "parameters": table,
            "columns": ["parameter", "champion", "challenger", "changed"]}, None
