"""What the nightly report says, gathered as plain data (the JSON half of the report).

Every section is a function returning ``(data, reason)``: data when its inputs exist, otherwise
``None`` and a sentence saying what is missing, so a report written before features or models exist
still renders and says so plainly. Snapshots are read from their published files; tables written
after a snapshot (features, taxonomy, labels, models, predictions are keyed by ``snapshot_id`` in the
live warehouse) are read through the writer's connection, by the public functions of the package
that writes them (``features``, ``modeling``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

import features
from warehouse import SnapshotInfo

# ───────────────────────────── small catalogue helpers ─────────────────────────────


def tables_of(con: duckdb.DuckDBPyConnection, db: str | None = None) -> set[str]:
    db = db or con.execute("SELECT current_database()").fetchall()[0][0]
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
        "UNION SELECT view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        [db, db],
    ).fetchall()}


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        return _jsonable(v.item())
    return v


def clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return _jsonable(obj)


# ───────────────────────────── snapshot diff ─────────────────────────────


def snapshot_diff(snaps_con: duckdb.DuckDBPyConnection, cur: SnapshotInfo, prev: SnapshotInfo | None,
                  prev_attached: bool) -> tuple[dict | None, str | None]:
    tables = []
    for t in sorted(set(cur.row_counts) | set(prev.row_counts if prev else {})):
        now = cur.row_counts.get(t, 0)
        before = prev.row_counts.get(t, 0) if prev else None
        if now == 0 and not before:
            continue
        tables.append({"table": t, "previous": before, "current": now,
                       "added": None if before is None else now - before})
    data: dict[str, Any] = {"tables": tables}
    cur_tables = tables_of(snaps_con, "cur")
    if "artists" in cur_tables:
        nulls = rows(snaps_con, """
            SELECT count(*) AS artists,
                   count(*) FILTER (WHERE genres IS NULL) AS genres_unknown,
                   count(*) FILTER (WHERE genres IS NOT NULL AND len(genres) = 0) AS genres_none,
                   count(*) FILTER (WHERE len(genres) > 0) AS genres_tagged,
                   count(*) FILTER (WHERE popularity IS NULL) AS popularity_null,
                   count(*) FILTER (WHERE followers IS NULL) AS followers_null
            FROM cur.artists""")[0]
        data["artists"] = nulls
    if "genres" in cur_tables:
        if prev is not None and prev_attached:
            new = [r["genre"] for r in rows(snaps_con, """
                SELECT genre FROM cur.genres EXCEPT SELECT genre FROM prev.genres ORDER BY genre""")]
            data["new_genres"] = {"count": len(new), "sample": new[:60]}
            data["new_artists"] = rows(snaps_con, """
                SELECT count(*) AS n FROM cur.artists c ANTI JOIN prev.artists p USING (artist_id)""")[0]["n"]
            data["retagged_artists"] = rows(snaps_con, """
                SELECT count(*) AS n FROM cur.artists c JOIN prev.artists p USING (artist_id)
                WHERE c.genres IS DISTINCT FROM p.genres""")[0]["n"]
        else:
            total = snaps_con.execute("SELECT count(*) FROM cur.genres").fetchall()[0][0]
            data["new_genres"] = {"count": total, "sample": [r["genre"] for r in rows(
                snaps_con, "SELECT genre FROM cur.genres ORDER BY genre LIMIT 60")],
                "note": "first snapshot: every tag is new"}
    return data, None


# ───────────────────────────── crawl health and job runs ─────────────────────────────


def crawl_health(live: duckdb.DuckDBPyConnection, since: datetime | None, until: datetime) -> tuple[dict | None, str | None]:
    if "crawl_runs" not in tables_of(live):
        return None, "no crawl_runs table"
    from ingest import crawl  # the crawler's import cost only when a report is written

    runs = [asdict(r) for r in crawl.crawl_runs_between(live, since, until)]
    if not runs:
        return None, "no crawl ran in this period"
    requests = sum(r["requests"] or 0 for r in runs)
    r429 = sum(r["responses_429"] or 0 for r in runs)
    errors = sum(r["errors"] or 0 for r in runs)
    pauses = [r for r in runs if r["paused_until"] is not None]
    seconds = sum(((r["ended_at"] or until) - r["started_at"]).total_seconds() for r in runs)
    data = {
        "runs": len(runs), "requests": requests, "responses_429": r429, "errors": errors,
        "share_429": (r429 / requests) if requests else None,
        "requests_per_minute": (requests / seconds * 60) if seconds > 0 else None,
        "pauses": len(pauses),
        "paused_until": max((r["paused_until"] for r in pauses), default=None),
        "by_status": {s: sum(1 for r in runs if r["status"] == s) for s in sorted({r["status"] for r in runs})},
        "recent": runs[-15:],
    }
    if "crawl_queue" in tables_of(live):
        data["queue"] = [{"state": state, "units": n} for state, n in crawl.queue_by_state(live).items()]
    return data, None


def job_runs_summary(live: duckdb.DuckDBPyConnection, since: datetime | None,
                     exclude_run: str | None = None) -> tuple[dict | None, str | None]:
    where, params = ("WHERE started_at > ?", [since]) if since else ("WHERE true", [])
    if exclude_run:  # the report's own run, still 'running' while it writes
        where, params = where + " AND run_id <> ?", [*params, exclude_run]
    got = rows(live, f"""
        SELECT job, status, count(*) AS runs, round(sum(epoch(ended_at - started_at)), 1) AS seconds
        FROM job_runs {where} GROUP BY job, status ORDER BY job, status""", params)
    if not got:
        return None, "no job runs recorded in this period"
    failures = rows(live, f"""
        SELECT run_id, job, status, started_at, error FROM job_runs {where} AND
        status IN ('failed', 'missed', 'abandoned') ORDER BY started_at DESC LIMIT 10""", params)
    return {"by_job": got, "problems": failures}, None


# ───────────────────────────── gold tables keyed by snapshot ─────────────────────────────


def label_drift(live: duckdb.DuckDBPyConnection, cur_id: str, prev_id: str | None) -> tuple[dict | None, str | None]:
    """Share of labelled artists in each genre family, this snapshot against the previous one.

    Family ids are kept stable across taxonomy versions, so the two snapshots are compared family by
    family."""
    if "artist_labels" not in tables_of(live):
        return None, "no artist_labels table yet (features not built)"
    names = features.group_names(live)
    cur = features.label_summary(live, cur_id)
    now = cur.prevalence
    if not now:
        return None, f"no labels built for snapshot {cur_id} yet"
    prev = features.label_summary(live, prev_id) if prev_id else None
    before = prev.prevalence if prev else {}
    out = []
    for k in sorted(set(now) | set(before), key=lambda k: -now.get(k, 0)):
        p, q = now.get(k, 0.0), (before.get(k, 0.0) if before else None)
        out.append({"family": k, "name": names.get(k, str(k)), "current": p, "previous": q,
                    "change_pp": None if q is None else 100 * (p - q)})
    return {"families": out, "compared_with": prev_id if before else None, "labelled_artists": cur.labelled_artists,
            "labelled_artists_previous": prev.labelled_artists if before else None,
            "taxonomy_version": cur.taxonomy_version,
            "previous_taxonomy_version": prev.taxonomy_version if prev else None,
            "cardinality": [{"families_per_artist": n, "artists": a} for n, a in cur.cardinality],
            "states": [{"state": st, "artists": a} for st, a in cur.states]}, None


def feature_drift(live: duckdb.DuckDBPyConnection, cur_id: str, prev_id: str | None,
                  max_rows: int = 200_000) -> tuple[dict | None, str | None]:
    """PSI (10 quantile bins of the previous snapshot) and standardized mean shift per numeric
    feature of every feature table keyed by snapshot_id."""
    if prev_id is None:
        return None, "only one snapshot: nothing to compare features with"
    tables = features.feature_tables(live)
    if not tables:
        return None, "no feature_* tables yet (features not built)"
    out = []
    for t, feats in tables.items():
        if not feats:
            continue
        a = features.feature_values(live, t, feats, prev_id, max_rows)
        b = features.feature_values(live, t, feats, cur_id, max_rows)
        if not len(a[feats[0]]) or not len(b[feats[0]]):
            continue
        for c in feats:
            out.append({"table": t, "feature": c, **_drift(a[c], b[c])})
    if not out:
        return None, f"features not built for both snapshots ({prev_id}, {cur_id})"
    out.sort(key=lambda r: -(r["psi"] or 0))
    drifted = sum(1 for r in out if (r["psi"] or 0) >= 0.2)
    return {"features": out, "drifted": drifted, "threshold": 0.2}, None


def _drift(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    xn, yn = x[~np.isnan(x)], y[~np.isnan(y)]
    res: dict[str, Any] = {"null_rate_previous": float(np.isnan(x).mean()) if len(x) else None,
                           "null_rate_current": float(np.isnan(y).mean()) if len(y) else None,
                           "mean_previous": float(xn.mean()) if len(xn) else None,
                           "mean_current": float(yn.mean()) if len(yn) else None, "psi": None, "mean_shift_sd": None}
    if len(xn) < 10 or len(yn) < 10:
        return res
    sd = xn.std()
    res["mean_shift_sd"] = float((yn.mean() - xn.mean()) / sd) if sd > 0 else 0.0
    edges = np.unique(np.quantile(xn, np.linspace(0, 1, 11)))
    if len(edges) < 2:
        res["psi"] = 0.0 if np.all(yn == xn[0]) else 1.0
        return res
    edges[0], edges[-1] = -np.inf, np.inf
    p = np.histogram(xn, edges)[0] / len(xn)
    q = np.histogram(yn, edges)[0] / len(yn)
    p, q = np.clip(p, 1e-4, None), np.clip(q, 1e-4, None)
    res["psi"] = float(np.sum((q - p) * np.log(q / p)))
    return res


def latest_run_counts(live: duckdb.DuckDBPyConnection, job: str, snapshot_id: str | None) -> dict | None:
    """The counts JSON of the newest succeeded run of ``job`` (for this snapshot when given)."""
    where, params = ("AND snapshot_id = ?", [snapshot_id]) if snapshot_id else ("", [])
    got = live.execute(
        f"SELECT counts FROM job_runs WHERE job = ? AND status = 'succeeded' {where} "
        "ORDER BY started_at DESC LIMIT 1", [job, *params]).fetchall()
    got = got[0] if got else None
    if not got or not got[0]:
        return None
    try:
        return json.loads(got[0])
    except json.JSONDecodeError:
        return None
