"""`genrestore demo` as a user runs it: a real subprocess, emulator included, twice in a row."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_fresh_checkout_demo_twice_then_sql_from_another_directory_with_default_settings(tmp_path):
    """Issue 18's show: `make demo` in a fresh checkout, then `genrestore sql "SELECT count(*) FROM
    predictions"` from another directory, no --var, --config or GENRESTORE_* set, prints a positive
    number (the default var/ is found beside the checkout; warehouse.settings.default_var_dir).
    The demo runs twice, as a user re-running it does: the second run crawls on from the frontier
    and its report compares with the first. (One test, so the suite pays for two demos, not four.)"""
    checkout = tmp_path / "clone"
    checkout.mkdir()
    shutil.copy(REPO / "pyproject.toml", checkout)
    for package in ("warehouse", "ingest", "features", "modeling", "jobs"):
        shutil.copytree(REPO / package, checkout / package, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    env["PYTHONPATH"] = str(checkout)

    def genrestore(*args: str, cwd) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "jobs", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=600)

    # 0.3 min: under a 1-minute load of ~18 on 2 cores a 0.05-min crawl gave a report without
    # per-family intervals (they need 5+ test artists with positives)
    args = ("demo", "--synthetic", "--artists", "200", "--crawl-minutes", "0.3")
    first = genrestore(*args, cwd=checkout)
    out = first.stdout
    assert "genrestore demo" in out and "synthetic (200 artists)" in out, first.stderr[-2000:]
    assert "query it:  genrestore sql" in out and "report" in out
    assert first.returncode == 0, out + first.stderr[-2000:]
    var = checkout / "var"
    assert (var / "warehouse.duckdb").is_file()
    second = genrestore(*args, cwd=checkout)
    assert second.returncode == 0, second.stdout + second.stderr[-2000:]
    con = duckdb.connect(str(var / "warehouse.duckdb"), read_only=True)
    try:
        runs = con.execute("SELECT job, status FROM job_runs WHERE trigger = 'demo' ORDER BY started_at").fetchall()
        crawls = con.execute("SELECT requests FROM crawl_runs ORDER BY started_at").fetchall()
        artists = con.execute("SELECT count(*) FROM artists").fetchall()[0][0]
        reports = con.execute("SELECT json_path FROM reports ORDER BY created_at").fetchall()
        live_predictions = con.execute("SELECT count(*) FROM predictions").fetchall()[0][0]
    finally:
        con.close()
    jobs_run = [j for j, _ in runs]
    assert jobs_run == ["crawl", "snapshot", "build", "retrain", "report", "publish"] * 2
    assert {s for j, s in runs if j in ("crawl", "snapshot", "report", "publish")} == {"succeeded"}
    assert len(crawls) == 2 and all(r[0] > 0 for r in crawls)  # the re-run crawled on from the frontier
    assert artists > 0
    second_report = json.loads((var / reports[-1][0]).read_text())  # recorded relative to var/
    assert second_report["previous_snapshot"] is not None  # the re-run compared with the first run
    # The main product can be queried right after the demo, from any directory, with no settings.
    elsewhere = tmp_path / "home" / "somewhere"
    elsewhere.mkdir(parents=True)
    res = genrestore("sql", "-f", "csv", "SELECT count(*) AS n FROM predictions", cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    # The published snapshot holds every prediction, and the demo predicted some.
    assert int(res.stdout.splitlines()[1]) == live_predictions > 0, res.stdout
    assert f"note: using {var}" in res.stderr  # it says which var/ it read
    assert not (elsewhere / "var").exists()
    # The report speaks about the product: predictions, per-family intervals, parameters.
    assert second_report["schema_version"] == 2 and isinstance(second_report["attention"], list)
    preds = second_report["predictions"] or {"artists_with_predictions": 0, "prediction_rows": 0,
                                             "confidence_histogram": {"artists": []}}
    assert preds["artists_with_predictions"] >= 0 and preds["prediction_rows"] >= preds["artists_with_predictions"]
    assert sum(preds["confidence_histogram"]["artists"]) == preds["artists_with_predictions"]
    assert (second_report["key_figures"]["artists_with_predictions"] or 0) == preds["artists_with_predictions"]
    dots = second_report["per_family"]["auprc_intervals"]
    assert dots and all(isinstance(d["auprc"]["value"], float) and d["auprc"]["low"] <= d["auprc"]["high"] for d in dots)
    assert any(r["parameter"] == "estimator" for r in second_report["parameters"]["parameters"])
    for row in second_report["models"]["comparison"]:
        assert row["challenger_95ci"] is None or isinstance(row["challenger_95ci"]["low"], float)
    # A directory with its own var/ keeps it: the checkout's is only the fallback.
    (elsewhere / "var").mkdir()
    own = genrestore("sql", "SELECT 1", cwd=elsewhere)
    assert own.returncode == 1 and f"no warehouse at {elsewhere / 'var' / 'warehouse.duckdb'}" in own.stderr
