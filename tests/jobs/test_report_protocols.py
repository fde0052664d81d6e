"""The report's issue-16 sections on a small synthetic warehouse: figures per protocol (with
intervals and the effective sample size) beside the champion, and calibration per family with
reliability diagrams; the registry keeps the development-mode figures of every model."""

from __future__ import annotations

import json
from pathlib import Path

import features
import numpy as np

import jobs
import modeling
from warehouse import Writer, create_snapshot


def test_report_shows_protocols_and_calibration_beside_the_champion(settings, cli):
    with Writer(settings.warehouse_file) as writer:
        features.write_synthetic_catalog(writer, 500, tracks_per_artist=4, n_families=5, tags_per_family=8)
        snap = create_snapshot(writer, settings.snapshots_path)
        features.build_all(writer, snap, progress=False)
        kw = dict(estimator="lightgbm-calibrated", n_boot=20, n_jobs=1)
        first = modeling.train(writer, settings, "artist-families", snap.snapshot_id,
                               params={"n_estimators": 40, "n_bags": 1, "target_precision": 0.6}, **kw)
        second = modeling.train(writer, settings, "artist-families", snap.snapshot_id,
                                params={"n_estimators": 60, "n_bags": 1, "target_precision": 0.6}, **kw)
    assert first.status == "champion" and second.status == "challenger"
    # The registry: development-mode figures with intervals, for every model.
    for rec in (first, second):
        m = rec.metrics
        assert 0.5 < m["development_mode_macro_auroc"] <= 1
        assert 0 < m["development_mode_n_features"] < len(m) + 1000
        low, high = rec.intervals["development_mode_macro_auroc"]
        assert low <= m["development_mode_macro_auroc"] <= high
        assert rec.intervals["untagged_like_macro_auroc"][0] <= m["untagged_like_macro_auroc"]
    shown = cli("models", "show", second.model_id, cwd=settings.var_dir.parent)
    assert shown.returncode == 0, shown.stderr
    dev_line = next(line for line in shown.stdout.splitlines() if "development_mode_macro_auroc" in line)
    assert ".." in dev_line  # printed with its interval

    rec = jobs.run_job("report", settings)
    assert rec.status == "succeeded", rec.error
    content = json.loads(Path(rec.counts["json"]).read_text())
    assert content["sections"]["protocols"] == "available", content["sections"]["protocols"]
    assert content["sections"]["calibration"] == "available", content["sections"]["calibration"]
    pr = content["protocols"]
    assert (pr["challenger_id"], pr["champion_id"]) == (second.model_id, first.model_id)
    assert [p for p in modeling.PROTOCOL_ORDER if any(r["protocol"] == p for r in pr["rows"])] == list(modeling.PROTOCOL_ORDER)
    rows = {(r["protocol"], r["metric"]): r for r in pr["rows"]}
    dev = rows[("development-mode", "macro AUROC")]
    assert abs(dev["challenger"] - second.metrics["development_mode_macro_auroc"]) < 1e-9
    assert abs(dev["champion"] - first.metrics["development_mode_macro_auroc"]) < 1e-9
    assert abs(dev["difference"] - (dev["challenger"] - dev["champion"])) < 1e-12
    head = rows[("untagged-like", "macro AUPRC")]
    assert head["challenger_95ci"]["low"] <= head["challenger"] <= head["challenger_95ci"]["high"]
    assert abs(pr["effective_sample_size"] - second.metrics["untagged_like_ess"]) < 1e-9
    assert 1 <= pr["effective_sample_size"] <= second.n_test
    assert pr["target_precision"] == 0.6

    ca = content["calibration"]
    assert abs(ca["macro_ece"] - second.metrics["macro_ece"]) < 1e-9
    assert abs(ca["macro_ece_untagged_like"] - second.metrics["untagged_like_macro_ece"]) < 1e-9
    assert ca["champion_macro_ece"] is not None
    fam = ca["families"][0]
    # The bins account for every test artist, and the ECE is their share-weighted gap.
    assert sum(b["n"] for b in fam["bins"]) == ca["n_test"]
    total = sum(b["weight"] for b in fam["bins"])
    ece = sum(b["weight"] / total * abs(b["observed_rate"] - b["mean_probability"]) for b in fam["bins"])
    assert np.isclose(ece, fam["ece"])
    html = Path(rec.counts["html"]).read_text()
    assert 'id="protocols"' in html and 'id="calibration"' in html
    assert "effective sample size" in html
    assert 'alt="Reliability per family"' in html
