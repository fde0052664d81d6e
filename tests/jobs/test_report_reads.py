"""The report reads what features, modeling and the crawler wrote through their public functions only.

A schema change of those packages' tables then breaks in the package that owns them, not in the
report: no report module holds SQL over their tables, and the sections built from a real
retrain agree with what the packages' functions return.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import features
import jobs
import modeling
from warehouse import Writer

REPORT_MODULES = sorted((Path(jobs.__file__).parent).glob("_report*.py"))
# Tables written by features and modeling (migrations 0010, 0011, 0020, 0021) and the crawler.
OWNED = r"(models|model_metrics|predictions|genre_taxonomy\w*|genre_families|artist_labels|splits|feature_\w+|crawl_runs|crawl_queue)"
SQL_OVER_OWNED = re.compile(rf"\b(FROM|JOIN|INTO|UPDATE)\s+\"?{OWNED}\b", re.IGNORECASE)


def test_no_report_module_queries_features_or_modeling_tables():
    assert len(REPORT_MODULES) >= 5  # the glob found the report
    found = [f"{p.name}:{i}: {line.strip()}" for p in REPORT_MODULES
             for i, line in enumerate(p.read_text().splitlines(), 1) if SQL_OVER_OWNED.search(line)]
    assert not found, "use features'/modeling's public functions:\n" + "\n".join(found)


def test_the_pattern_catches_such_sql():
    assert SQL_OVER_OWNED.search('"SELECT * FROM models WHERE model_id = ?"')
    assert SQL_OVER_OWNED.search("SELECT genre FROM genre_taxonomy WHERE version = 1")
    assert not SQL_OVER_OWNED.search("SELECT count(*) FROM job_runs")


def test_model_sections_agree_with_modeling_and_features(settings):
    with Writer(settings.warehouse_file) as writer:
        features.write_synthetic_catalog(writer, 500, tracks_per_artist=3, n_families=5, tags_per_family=6, seed=2)
    for job in ("snapshot", "build", "retrain"):
        rec = jobs.run_job(job, settings)
        assert rec.status == "succeeded", (job, rec.error)
    rec = jobs.run_job("report", settings)
    assert rec.status == "succeeded", rec.error
    report = json.loads(Path(rec.counts["json"]).read_text())
    for section in ("taxonomy", "label_drift", "models", "parameters", "predictions", "per_family"):
        assert report["sections"][section] == "available", (section, report["sections"][section])
    snap = report["snapshot"]["snapshot_id"]
    with Writer(settings.warehouse_file) as writer:
        con = writer.con
        model = modeling.newest_model(con, "artist-families", snap)
        labels = features.label_summary(con, snap)
        summary = modeling.prediction_summary(con, snap)
        version = features.newest_versions(con, 1)[0]
        tags = features.tag_map(con, version)
        per_label = modeling.model_metrics(con, model.model_id, per_label=True)
    m = report["models"]
    assert (m["challenger_id"], m["n_train"], m["n_test"]) == (model.model_id, model.n_train, model.n_test)
    assert m["challenger_value"] == model.headline_value and m["metric"] == model.headline_metric
    assert report["parameters"]["models"]["challenger"] == model.model_id
    assert report["label_drift"]["labelled_artists"] == labels.labelled_artists > 0
    assert {f["family"]: f["current"] for f in report["label_drift"]["families"]} == labels.prevalence
    assert report["predictions"]["artists_with_predictions"] == summary.artists == m["predicted_artists"] > 0
    assert sum(report["predictions"]["confidence_histogram"]["artists"]) == summary.artists
    assert (report["taxonomy"]["version"], report["taxonomy"]["tags"]) == (version, len(tags))
    assert {r["name"] for r in report["per_family"]["families"]} == {r.label for r in per_label}
