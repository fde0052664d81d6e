"""The report: sections with and without inputs, differences between two reports, and a real
browser (headless Chromium) loading every image of the self-contained HTML."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import jobs
import modeling
import warehouse
from jobs._runs import utcnow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _add_artists(settings, start: int, n: int, genres_per: int = 2) -> None:
    now = utcnow()
    rows = [
        {"artist_id": f"a{i:05d}", "name": f"Artist {i}", "genres": [f"tag{(i + k) % (start + n) // 3}" for k in range(genres_per)],
         "popularity": i % 100, "followers": None, "source": "test", "first_seen_at": now, "updated_at": now}
        for i in range(start, start + n)
    ]
    tags = sorted({g for r in rows for g in r["genres"]})
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        warehouse.upsert(con, "artists", rows, ["artist_id"])
        warehouse.upsert(con, "genres", [{"genre": g, "source": "test", "first_seen_at": now} for g in tags], ["genre"])
        con.execute(
            "INSERT INTO crawl_runs (run_id, started_at, ended_at, status, requests, responses_429, errors) "
            "VALUES (?, ?, ?, 'completed', ?, ?, 0)", [f"c{start}", now, utcnow(), 10 * n, n // 10],
        )


def test_report_without_any_snapshot_says_so(settings):
    rec = jobs.run_job("report", settings)
    assert rec.status == "succeeded", rec.error
    content = json.loads(Path(rec.counts["json"]).read_text())
    assert content["snapshot"] is None
    assert content["sections"]["snapshot_diff"].startswith("no snapshot published yet")
    html = Path(rec.counts["html"]).read_text()
    assert "Not available: no snapshot published yet" in html


def test_second_report_shows_differences_from_the_first(settings):
    _add_artists(settings, 0, 60)
    jobs.run_job("snapshot", settings)
    first = jobs.run_job("report", settings)
    _add_artists(settings, 60, 40)
    jobs.run_job("snapshot", settings)
    second = jobs.run_job("report", settings)
    a = json.loads(Path(first.counts["json"]).read_text())
    b = json.loads(Path(second.counts["json"]).read_text())
    assert a["previous_snapshot"] is None and b["previous_snapshot"]["snapshot_id"] == a["snapshot"]["snapshot_id"]
    artists = {t["table"]: t for t in b["snapshot_diff"]["tables"]}["artists"]
    assert (artists["previous"], artists["current"], artists["added"]) == (60, 100, 40)
    assert b["snapshot_diff"]["new_artists"] == 40
    assert b["snapshot_diff"]["new_genres"]["count"] > 0
    assert b["crawl_health"]["requests"] == 400 and b["crawl_health"]["responses_429"] == 4
    since = {f["figure"]: f for f in b["since_last_report"]["figures"]}
    assert b["since_last_report"]["previous_report_id"] == a["report_id"]
    assert since["artists"]["previous_report"] == 60 and since["artists"]["this_report"] == 100
    assert since["artists"]["change"] == 40
    # Sections whose inputs do not exist yet say why instead of failing.
    assert b["sections"]["label_drift"] != "available" and "built" in b["sections"]["label_drift"]
    assert b["sections"]["snapshot_diff"] == "available"
    # The day's report.html is the latest; each run is also kept.
    day = Path(second.counts["html"]).parent.parent
    assert (day / "report.html").read_text() == Path(second.counts["html"]).read_text()
    assert Path(first.counts["html"]).exists()
    html = (day / "report.html").read_text()
    assert "src=\"http" not in html and "<link" not in html  # nothing fetched from outside
    assert html.count('src="data:image/png;base64,') >= 2


def test_report_for_a_given_run(settings, cli, tmp_path):
    _add_artists(settings, 0, 30)
    snap1 = jobs.run_job("snapshot", settings)
    _add_artists(settings, 30, 30)
    jobs.run_job("snapshot", settings)
    rec = jobs.run_job("report", settings, run=snap1.run_id)
    content = json.loads(Path(rec.counts["json"]).read_text())
    assert content["snapshot"]["snapshot_id"] == snap1.snapshot_id
    assert content["previous_snapshot"] is None
    r = cli("report", "--run", "nonexistent")
    assert r.returncode == 1 and "matches 0 job runs" in r.stdout + r.stderr


def test_feature_drift_psi_on_feature_tables(settings):
    import numpy as np

    rng = np.random.default_rng(0)
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        con.execute("CREATE TABLE feature_test (snapshot_id VARCHAR, artist_id VARCHAR, stable DOUBLE, shifted DOUBLE)")
        for sid, shift in (("s1", 0.0), ("s2", 1.5)):
            con.executemany("INSERT INTO feature_test VALUES (?, ?, ?, ?)",
                            [[sid, f"a{i}", float(rng.normal()), float(rng.normal() + shift)] for i in range(500)])
        from jobs._report_data import feature_drift

        drift, reason = feature_drift(con, "s2", "s1")
    by = {f["feature"]: f for f in drift["features"]}
    assert by["shifted"]["psi"] > 0.5 and by["stable"]["psi"] < 0.1
    assert abs(by["shifted"]["mean_shift_sd"] - 1.5) < 0.2
    assert drift["drifted"] == 1


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium; CI installs it)")
def test_report_renders_in_headless_chromium_with_every_image(settings, tmp_path):
    _add_artists(settings, 0, 50)
    jobs.run_job("snapshot", settings)
    _add_artists(settings, 50, 50)
    jobs.run_job("snapshot", settings)
    rec = jobs.run_job("report", settings)
    html_path = Path(rec.counts["html"])
    n_img = html_path.read_text().count("<img ")
    assert n_img >= 2
    # A copy with a probe script: after load, count images that actually decoded.
    probe = tmp_path / "probe.html"
    probe.write_text(html_path.read_text().replace(
        "</body>",
        "<script>window.addEventListener('load', () => { const im = [...document.images];"
        " document.body.setAttribute('data-images', im.length + ':' + im.filter(i => i.complete && i.naturalWidth > 0).length); });"
        "</script></body>"))
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'chromium-profile'}"]
    dom = subprocess.run([*base, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    m = re.search(r'data-images="(\d+):(\d+)"', dom.stdout)
    assert m, dom.stderr[-2000:]
    assert int(m.group(1)) == n_img and int(m.group(2)) == n_img  # every <img> loaded
    for section in ("attention", "predictions", "parameters", "trend"):  # the morning sections render
        assert f'id="{section}"' in dom.stdout, section
    assert dom.stdout.index('id="attention"') < dom.stdout.index('id="snapshot_diff"')
    shot = tmp_path / "report.png"
    subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,3000", html_path.as_uri()],
                   capture_output=True, text=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000
    # Keep the screenshot next to the report for a person to look at.
    shutil.copy(shot, html_path.with_suffix(".png"))


def test_needs_attention_is_empty_when_all_is_well_and_lists_problems(settings, monkeypatch):
    _add_artists(settings, 0, 40)  # 400 requests, 4 × 429 (1 %), no errors
    jobs.run_job("snapshot", settings)
    calm = json.loads(Path(jobs.run_job("report", settings).counts["json"]).read_text())
    assert calm["schema_version"] == 2 and calm["attention"] == []
    assert "Nothing needs attention" in Path(jobs.run_job("report", settings).counts["html"]).read_text()
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        con.execute("INSERT INTO crawl_runs (run_id, started_at, ended_at, status, requests, responses_429, errors) "
                    "VALUES ('bad', ?, ?, 'completed', 1000, 300, 391)", [utcnow(), utcnow()])
    jobs.run_job("snapshot", settings)
    monkeypatch.setattr(modeling, "retrain", _broken_retrain)  # retrain fails; the report says so
    assert jobs.run_job("retrain", settings).status == "failed"
    rec = jobs.run_job("report", settings)
    content = json.loads(Path(rec.counts["json"]).read_text())
    kinds = {a["kind"] for a in content["attention"]}
    assert {"crawl_errors", "crawl_429", "job_failed"} <= kinds, content["attention"]
    errors = next(a for a in content["attention"] if a["kind"] == "crawl_errors")
    assert isinstance(errors["share"], float) and errors["share"] > 0.02 and "391 crawl errors" in errors["message"]
    html = Path(rec.counts["html"]).read_text()
    assert html.index('id="attention"') < html.index('id="since_last_report"')  # first section
    assert "391 crawl errors" in html
    # Numbers stay numbers and the two prediction counts have distinct names.
    assert "artists_with_predictions" in content["key_figures"] and "prediction_rows" in content["key_figures"]
    assert "predictions" not in content["key_figures"]


def _broken_retrain(*args, **kwargs):
    raise RuntimeError("retrain broke (test)")


def test_trend_keeps_each_nights_last_report_over_the_last_30_nights(settings):
    """35 earlier nights of reports (two on one night): the trend holds the last 30 nights, this
    report last, one point per night from that night's last report, numbers as numbers."""
    from datetime import timedelta

    _add_artists(settings, 0, 20)
    jobs.run_job("snapshot", settings)
    today = utcnow()
    past = settings.var_dir / "reports" / "past"
    past.mkdir(parents=True)
    rows = []
    for d in range(35, 0, -1):
        for late, metric in ((False, 0.1 + d / 100), (True, 0.9 - d / 100)) if d == 3 else ((True, 0.9 - d / 100),):
            at = (today - timedelta(days=d)).replace(hour=23 if late else 1)
            name = f"r{d}{'b' if late else 'a'}.json"
            (past / name).write_text(json.dumps({"key_figures": {"champion_metric": metric, "crawl_requests_in_period": 100 * d,
                                                                 "artists_with_predictions": d, "drifted_features": 0}}))
            rows.append([f"r{d}{late}", at, f"reports/past/{name}", "reports/past/x.html"])
    with warehouse.Writer(settings.warehouse_file) as w, w.transaction() as con:
        con.executemany("INSERT INTO reports (report_id, created_at, json_path, html_path) VALUES (?, ?, ?, ?)", rows)
    rec = jobs.run_job("report", settings)
    content = json.loads(Path(rec.counts["json"]).read_text())
    nights = content["trend"]["nights"]
    assert len(nights) == 30 and len({n["night"] for n in nights}) == 30
    assert nights[-1]["night"] == str(content["created_at"])[:10]  # this report last
    assert nights[0]["night"] == str((today - timedelta(days=29)).date())
    by_night = {n["night"]: n for n in nights}
    three = by_night[str((today - timedelta(days=3)).date())]
    assert three["champion_metric"] == pytest.approx(0.87) and three["crawl_requests"] == 300  # the night's last report
    assert all(isinstance(n["crawl_requests"], int) for n in nights[:-1])
    html = Path(rec.counts["html"]).read_text()
    assert 'id="trend"' in html and "Trends" in html
