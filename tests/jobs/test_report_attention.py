"""Every check of the report's "needs attention" list fires when its condition is built on a small
warehouse, and stays quiet on the same warehouse when all is well."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import jobs
import warehouse
from jobs._runs import utcnow

KINDS = {"job_failed", "job_paused", "crawl_errors", "crawl_429", "crawl_paused", "feature_drift",
         "promotion_refused", "calibration_worse"}


def _artists(settings, start: int, n: int) -> None:
    now = utcnow()
    rows = [{"artist_id": f"a{i:05d}", "name": f"Artist {i}", "genres": [f"tag{i % 7}"], "popularity": i % 100,
             "followers": None, "source": "test", "first_seen_at": now, "updated_at": now} for i in range(start, start + n)]
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        warehouse.upsert(con, "artists", rows, ["artist_id"])


def _model(con, model_id: str, snapshot_id: str, created, *, promoted: bool, ece: float) -> None:
    con.execute("""INSERT INTO models (model_id, task, dataset, estimator, snapshot_id, params, artifact_path, status,
                   headline_metric, headline_value, test_set_hash, n_train, n_test, train_seconds, created_at,
                   promoted_at, source)
                   VALUES (?, 'artist-families', 'warehouse', 'lightgbm', ?, '{}', 'models/none.joblib', ?,
                   'untagged_like_macro_auprc', 0.5, 'h', 100, 25, 1.0, ?, ?, 'test')""",
                [model_id, snapshot_id, "champion" if promoted else "challenger", created, created if promoted else None])
    con.executemany("INSERT INTO model_metrics (model_id, metric, value, ci_low, ci_high, source) VALUES (?, ?, ?, ?, ?, 'test')",
                    [[model_id, "untagged_like_macro_auprc", 0.5, 0.45, 0.55], [model_id, "macro_ece", ece, None, None]])


def _night(settings, case: str) -> list[dict]:
    """Two snapshots with a crawl, jobs, features and a retrain between them; returns the report's
    attention list. ``case``: "calm", "promoted" (worse calibration) or "refused"."""
    bad = case != "calm"
    _artists(settings, 0, 60)
    s1 = jobs.run_job("snapshot", settings).snapshot_id
    now = utcnow()
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        # 1,000 requests: errors 5 vs 60 (threshold 2 %), 429s 10 vs 120 (threshold 5 %)
        con.execute("INSERT INTO crawl_runs (run_id, started_at, ended_at, status, requests, responses_429, errors, "
                    "paused_until) VALUES ('c1', ?, ?, 'completed', 1000, ?, ?, ?)",
                    [now, now, 120 if bad else 10, 60 if bad else 5, now + timedelta(hours=6) if bad else None])
        for job, status in (("crawl", "paused" if bad else "succeeded"), ("prune", "failed" if bad else "succeeded")):
            con.execute("INSERT INTO job_runs (run_id, job, started_at, ended_at, status, error, trigger) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'test')", [f"r-{job}", job, now, now, status,
                                                              "disk full (test)" if status == "failed" else None])
    _artists(settings, 60, 40)
    s2 = jobs.run_job("snapshot", settings).snapshot_id
    rng = np.random.default_rng(0)
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        con.execute("CREATE TABLE feature_test (snapshot_id VARCHAR, artist_id VARCHAR, x DOUBLE)")
        for sid, shift in ((s1, 0.0), (s2, 1.5 if bad else 0.0)):
            con.executemany("INSERT INTO feature_test VALUES (?, ?, ?)",
                            [[sid, f"a{i}", float(rng.normal() + shift)] for i in range(400)])
        promoted = case != "refused"
        _model(con, "m-old", s1, now - timedelta(days=1), promoted=True, ece=0.030)
        _model(con, "m-new", s2, now, promoted=promoted, ece=0.090 if case == "promoted" else 0.031)
        counts = {"challenger_id": "m-new", "promoted": promoted, "comparison": {"champion_id": "m-old"},
                  "decision": "promoted: better" if promoted else "kept the champion: the difference is within noise"}
        con.execute("INSERT INTO job_runs (run_id, job, started_at, ended_at, status, counts, snapshot_id, trigger) "
                    "VALUES ('r-retrain', 'retrain', ?, ?, 'succeeded', ?, ?, 'test')", [now, now, json.dumps(counts), s2])
    rec = jobs.run_job("report", settings)
    assert rec.status == "succeeded", rec.error
    content = json.loads(Path(rec.counts["json"]).read_text())
    assert content["snapshot"]["snapshot_id"] == s2 and content["previous_snapshot"]["snapshot_id"] == s1
    return content["attention"]


def test_all_is_well_lists_nothing(settings):
    """The same kinds of inputs as below, each on the good side of its threshold."""
    assert _night(settings, "calm") == []


def test_each_check_fires_on_its_condition(settings):
    items = _night(settings, "promoted")
    by_kind = {a["kind"]: a for a in items}
    assert set(by_kind) == KINDS - {"promotion_refused"}, items
    assert by_kind["crawl_errors"]["share"] == pytest.approx(0.06) and by_kind["crawl_429"]["share"] == pytest.approx(0.12)
    assert by_kind["job_failed"]["job"] == "prune" and "disk full" in by_kind["job_failed"]["message"]
    assert by_kind["job_paused"]["job"] == "crawl"
    assert by_kind["feature_drift"]["drifted"] == 1 and "x" in by_kind["feature_drift"]["message"]
    assert by_kind["calibration_worse"]["metric"] == "macro_ece" and "0.0300 → 0.0900" in by_kind["calibration_worse"]["message"]
    assert [a["kind"] for a in items][0] == "job_failed"  # most serious first


def test_a_refused_promotion_is_listed_and_calibration_then_not(settings):
    """Calibration is compared only when tonight's model changed: a kept champion is last night's."""
    kinds = {a["kind"]: a for a in _night(settings, "refused")}
    assert "promotion_refused" in kinds and "calibration_worse" not in kinds
    assert kinds["promotion_refused"]["model_id"] == "m-new" and "within noise" in kinds["promotion_refused"]["message"]
