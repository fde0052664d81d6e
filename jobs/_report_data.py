"""What the nightly report says, gathered as plain data (the JSON half of the report).

Every section is a function returning ``(data, reason)``: data when its inputs exist, otherwise
``None`` and a sentence saying what is missing, so a report written before features or models exist
still renders and says so plainly. Snapshots are read from their published files; tables written
after a snapshot (features, taxonomy, labels, models, predictions are keyed by ``snapshot_id`` in the
live warehouse) are read through the writer's connection.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from warehouse import SnapshotInfo

# ───────────────────────────── small catalogue helpers ─────────────────────────────


def tables_of(con: duckdb.DuckDBPyConnection, db: str | None = None) -> set[str]:
    db = db or con.execute("SELECT current_database()").fetchall()[0][0]
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
        "UNION SELECT view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        [db, db],
    ).fetchall()}


def columns_of(con: duckdb.DuckDBPyConnection, table: str, db: str | None = None) -> dict[str, str]:
    db = db or con.execute("SELECT current_database()").fetchall()[0][0]
    return {r[0]: r[1] for r in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND table_name = ? "
        "ORDER BY column_index", [db, table],
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
    where, params = ("WHERE started_at > ? AND started_at <= ?", [since, until]) if since else ("WHERE started_at <= ?", [until])
    runs = rows(live, f"""
        SELECT run_id, started_at, ended_at, status, mode, requests, responses_429, errors, paused_until, message
        FROM crawl_runs {where} ORDER BY started_at""", params)
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
        data["queue"] = rows(live, """
            SELECT state, count(*) AS units FROM crawl_queue GROUP BY state ORDER BY state""")
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


def _find_column(cols: dict[str, str], *candidates: str) -> str | None:
    for c in candidates:
        if c in cols:
            return c
    return None


def label_drift(live: duckdb.DuckDBPyConnection, cur_id: str, prev_id: str | None) -> tuple[dict | None, str | None]:
    """Share of labelled artists in each genre family, this snapshot against the previous one.

    ``artist_labels`` holds one row per artist with its families as an array; family ids are kept
    stable across taxonomy versions, so the two snapshots are compared family by family."""
    if "artist_labels" not in tables_of(live):
        return None, "no artist_labels table yet (features not built)"
    cols = columns_of(live, "artist_labels")
    if not {"snapshot_id", "families", "artist_id"} <= set(cols):
        return None, f"artist_labels lacks snapshot_id/artist_id/families (has {', '.join(cols)})"
    names = _family_names(live)
    ver = "taxonomy_version" if "taxonomy_version" in cols else None

    def prevalence(sid: str) -> tuple[dict[Any, float], int, Any]:
        version = None
        where = "snapshot_id = ?"
        params: list[Any] = [sid]
        if ver:
            got = live.execute(f"SELECT max({ver}) FROM artist_labels WHERE snapshot_id = ?", [sid]).fetchall()
            version = got[0][0]
            if version is None:
                return {}, 0, None
            where += f" AND {ver} = ?"
            params.append(version)
        total = live.execute(
            f"SELECT count(*) FROM artist_labels WHERE {where} AND len(families) > 0", params).fetchall()[0][0]
        if not total:
            return {}, 0, version
        got = live.execute(
            f"SELECT f, count(*) FROM (SELECT unnest(families) AS f FROM artist_labels WHERE {where}) GROUP BY f",
            params).fetchall()
        return {k: n / total for k, n in got}, total, version

    now, n_now, v_now = prevalence(cur_id)
    if not now:
        return None, f"no labels built for snapshot {cur_id} yet"
    before, n_before, v_before = prevalence(prev_id) if prev_id else ({}, 0, None)
    out = []
    for k in sorted(set(now) | set(before), key=lambda k: -now.get(k, 0)):
        p, q = now.get(k, 0.0), (before.get(k, 0.0) if before else None)
        out.append({"family": k, "name": names.get(k, str(k)), "current": p, "previous": q,
                    "change_pp": None if q is None else 100 * (p - q)})
    cardinality = rows(live, f"""
        SELECT len(families) AS families_per_artist, count(*) AS artists FROM artist_labels
        WHERE snapshot_id = ? {'AND ' + ver + ' = ?' if ver else ''} GROUP BY 1 ORDER BY 1""",
        [cur_id, v_now] if ver else [cur_id])
    states = rows(live, f"""
        SELECT state, count(*) AS artists FROM artist_labels WHERE snapshot_id = ?
        {'AND ' + ver + ' = ?' if ver else ''} GROUP BY 1 ORDER BY 1""",
        [cur_id, v_now] if ver else [cur_id]) if "state" in cols else []
    return {"families": out, "compared_with": prev_id if before else None, "labelled_artists": n_now,
            "labelled_artists_previous": n_before if before else None, "taxonomy_version": v_now,
            "previous_taxonomy_version": v_before, "cardinality": cardinality, "states": states}, None


def _family_names(live: duckdb.DuckDBPyConnection) -> dict[Any, str]:
    if "genre_families" not in tables_of(live):
        return {}
    cols = columns_of(live, "genre_families")
    key = _find_column(cols, "family_id", "family")
    name = _find_column(cols, "name", "family_name", "label")
    if key is None or name is None:
        return {}
    order = "ORDER BY version" if "version" in cols else ""
    return {k: n for k, n in live.execute(f"SELECT {key}, {name} FROM genre_families {order}").fetchall()}


def feature_drift(live: duckdb.DuckDBPyConnection, cur_id: str, prev_id: str | None,
                  max_rows: int = 200_000) -> tuple[dict | None, str | None]:
    """PSI (10 quantile bins of the previous snapshot) and standardized mean shift per numeric
    feature of every feature table keyed by snapshot_id."""
    if prev_id is None:
        return None, "only one snapshot: nothing to compare features with"
    feature_tables = sorted(t for t in tables_of(live) if t.startswith("feature_")
                            and {"snapshot_id", "artist_id"} <= set(columns_of(live, t)))
    if not feature_tables:
        return None, "no feature_* tables yet (features not built)"
    numeric = ("DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL", "DECIMAL")
    out = []
    for t in feature_tables:
        cols = columns_of(live, t)
        if "snapshot_id" not in cols:
            continue
        feats = [c for c, typ in cols.items() if typ.split("(")[0].upper() in numeric and not c.endswith("_id")]
        if not feats:
            continue
        sel = ", ".join(f'"{c}"::DOUBLE' for c in feats)
        a = live.execute(f'SELECT {sel} FROM "{t}" WHERE snapshot_id = ? LIMIT {max_rows}', [prev_id]).fetchnumpy()
        b = live.execute(f'SELECT {sel} FROM "{t}" WHERE snapshot_id = ? LIMIT {max_rows}', [cur_id]).fetchnumpy()
        if not len(next(iter(a.values()))) or not len(next(iter(b.values()))):
            continue
        for i, c in enumerate(feats):
            key = list(a)[i]
            x = np.asarray(a[key], dtype=float)
            y = np.asarray(b[key], dtype=float)
            out.append({"table": t, "feature": c, **_drift(x, y)})
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
