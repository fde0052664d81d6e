"""The report's taxonomy section on two built versions: levels, routes, the id match and the tree picture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jobs
from features import build_all, build_taxonomy
from warehouse import Writer, create_snapshot

from .conftest import small_taxonomy


def test_report_shows_both_levels_the_routes_the_id_match_and_the_tree(settings, synthetic_warehouse):
    path, _, _ = synthetic_warehouse
    settings.warehouse_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, settings.warehouse_file)
    with Writer(settings.warehouse_file) as writer:
        snap = create_snapshot(writer, settings.snapshots_path)
        build_all(writer, snap, progress=False, taxonomy=small_taxonomy(k_min=8, k_max=16))
        later = type(snap)(snap.snapshot_id + "-b", snap.created_at, snap.path, snap.row_counts, snap.content_hash)
        second, _ = build_taxonomy(writer, later, taxonomy=small_taxonomy(k_min=8, k_max=16, random_state=5))
    rec = jobs.run_job("report", settings)
    assert rec.status == "succeeded", rec.error
    content = json.loads(Path(rec.counts["json"]).read_text())
    assert content["sections"]["taxonomy"] == "available"
    t = content["taxonomy"]
    assert t["version"] == second.version and t["previous_version"] == second.version - 1
    levels = {g["level"] for g in t["groups"]}
    assert levels == {"family", "subfamily"} and t["figures"]["n_subfamilies"] >= 20
    assert {r["route"] for r in t["routes"]} >= {"clustered"}
    assert t["route_accuracy"] and t["route_accuracy"][0]["route"] == "head-word"
    matched = [m for m in t["id_match"] if m["level"] == "family"]
    assert len(matched) == t["families"] and all(m["previous_id"] is not None for m in matched)
    assert t["stability"] >= 0.9  # same data, another seed: ids matched, almost nothing moves
    html = Path(rec.counts["html"]).read_text()
    section = html[html.index('id="taxonomy"'):html.index('id="label_drift"')]
    assert "Genre families and their subfamilies" in section and 'src="data:image/png;base64,' in section
    assert "Ids matched to the previous version" in section and "How tags were placed" in section
