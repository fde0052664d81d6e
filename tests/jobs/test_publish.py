"""The cycle ends with a published snapshot: `genrestore sql` sees what the night produced, from
any directory, and the next report still compares the snapshots the pipeline built on."""

from __future__ import annotations

import json
from pathlib import Path

import jobs
from tests.conftest import run_cli
from tests.jobs.test_report import _add_artists


def test_cycle_publishes_a_snapshot_that_sql_reads_from_another_directory(settings, tmp_path):
    _add_artists(settings, 0, 40)
    first = jobs.run_job("cycle", settings, steps="snapshot,report,publish")
    assert first.status == "succeeded", first.error
    assert first.counts["steps"] == {"snapshot": "succeeded", "report": "succeeded", "publish": "succeeded"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    var = str(Path(settings.var_dir).resolve())
    res = run_cli("--var", var, "sql", "-f", "json",
                  "SELECT (SELECT count(*) FROM reports) AS reports, "
                  "(SELECT count(*) FROM job_runs WHERE job = 'report' AND status = 'succeeded') AS report_runs",
                  cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [{"reports": 1, "report_runs": 1}]  # the report is in the snapshot
    assert "note:" not in res.stderr  # the publication's own bookkeeping is not "newer data"
    # The next night's report compares the snapshot its pipeline built on with last night's,
    # not with the publication (which repeats last night's data).
    _add_artists(settings, 40, 10)
    second = jobs.run_job("cycle", settings, steps="snapshot,report,publish")
    assert second.status == "succeeded", second.error
    report = json.loads(Path(jobs.run_job("report", settings).counts["json"]).read_text())
    b = json.loads(Path(_report_json(settings, second)).read_text())
    a_snapshot = _step_snapshot(settings, first, "snapshot")
    assert b["snapshot"]["snapshot_id"] == _step_snapshot(settings, second, "snapshot")
    assert b["previous_snapshot"]["snapshot_id"] == a_snapshot
    assert report["snapshot"]["snapshot_id"] == b["snapshot"]["snapshot_id"]  # a later report too


def _step_snapshot(settings, cycle, job: str) -> str:
    import duckdb

    con = duckdb.connect(str(settings.warehouse_file), read_only=True)
    try:
        return con.execute("SELECT snapshot_id FROM job_runs WHERE parent_run_id = ? AND job = ?",
                           [cycle.run_id, job]).fetchall()[0][0]
    finally:
        con.close()


def _report_json(settings, cycle) -> Path:
    import duckdb

    con = duckdb.connect(str(settings.warehouse_file), read_only=True)
    try:
        counts = con.execute("SELECT counts FROM job_runs WHERE parent_run_id = ? AND job = 'report'",
                             [cycle.run_id]).fetchall()[0][0]
    finally:
        con.close()
    return Path(json.loads(counts)["json"])
