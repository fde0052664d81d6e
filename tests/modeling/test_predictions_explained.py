"""The predictions table of a calibrated model says how sure it is and what it was made from;
`genrestore predict --explain ARTIST_ID` prints why (issue 16)."""

from __future__ import annotations

import features
import numpy as np

import modeling
from warehouse import Writer, create_snapshot


def test_calibrated_predictions_rank_flag_groups_and_explain(settings, cli):
    with Writer(settings.warehouse_file) as writer:
        features.write_synthetic_catalog(writer, 600, tracks_per_artist=4, n_families=6, tags_per_family=8)
        snap = create_snapshot(writer, settings.snapshots_path)
        features.build_all(writer, snap, progress=False)
        with writer.transaction() as con:
            state = dict(con.execute(
                "SELECT artist_id, CASE WHEN genres IS NULL THEN 'unknown' WHEN len(genres) = 0 THEN 'untagged' "
                "ELSE 'tagged' END FROM artists").fetchall())
        rec = modeling.train(writer, settings, "artist-families", snap.snapshot_id, estimator="lightgbm-calibrated",
                             n_boot=20, n_jobs=1, params={"n_estimators": 60})
        modeling.predict(writer, settings, snap.snapshot_id)
    assert rec.headline_metric == "untagged_like_macro_auprc"
    assert 0 <= rec.metrics["macro_ece"] <= 0.2 and 0 <= rec.metrics["coverage"] <= 1
    with Writer(settings.warehouse_file) as writer, writer.transaction() as con:
        rows = con.execute(
            "SELECT artist_id, list(family_rank ORDER BY family_rank), bool_or(predicted), bool_and(low_confidence), "
            "bool_or(low_confidence), min(feature_groups), max(feature_groups), min(protocol), max(probability) "
            "FROM predictions WHERE snapshot_id = ? GROUP BY artist_id", [snap.snapshot_id]).fetchall()
        k = con.execute("SELECT count(DISTINCT family_id) FROM predictions").fetchall()[0][0]
    assert len(rows) == sum(s != "tagged" for s in state.values())
    for _aid, ranks, any_predicted, all_low, any_low, g_min, g_max, protocol, _pmax in rows:
        assert ranks == list(range(1, k + 1))
        assert all_low == any_low == (not any_predicted)  # low-confidence exactly when nothing is assigned
        assert g_min == g_max and g_min  # one list of groups per artist, never empty
        assert protocol == "untagged-like"
    assert any("audio" in r[5].split(",") for r in rows)
    assert all(r[2] for r in rows) or any(r[3] for r in rows)

    artist = rows[0][0]
    out = cli("predict", "--explain", artist, cwd=settings.var_dir.parent)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert artist in lines[0] and "untagged-like" in lines[0]
    assert lines[1].startswith("feature groups present:")
    assert sum(line[:3] in ("1. ", "2. ", "3. ") for line in lines) == 3
    assert "log-odds" in out.stdout  # per-group contributions of the LightGBM score
    bad = cli("predict", "--explain", "no-such-artist", cwd=settings.var_dir.parent)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert len((bad.stderr + bad.stdout).strip().splitlines()) == 1
    assert np.isfinite(rec.metrics["untagged_like_macro_auroc"])
