"""Labels, splits and training data on the synthetic catalog (runs without the real data sets)."""

from __future__ import annotations

import numpy as np

from features import build_all, training_data, unlabeled_data
from warehouse import Writer

from .conftest import SYNTHETIC_ARTISTS, small_taxonomy


def test_build_all_labels_split_and_training_data(synthetic_copy):
    path, _, info = synthetic_copy
    with Writer(path) as writer:
        report = build_all(writer, info, progress=False, taxonomy=small_taxonomy(k_min=12, k_max=24))
        con = writer.con
        truth = dict(con.execute(
            "SELECT CASE WHEN genres IS NULL THEN 'unknown' WHEN len(genres) = 0 THEN 'untagged' ELSE 'tagged' END, "
            "count(*) FROM artists GROUP BY 1").fetchall())
        assert report.label_counts == truth and sum(truth.values()) == SYNTHETIC_ARTISTS
        assert report.n_train + report.n_test == truth["tagged"]
        assert report.max_prevalence_gap <= 2.0
        # every tagged artist has ≥ 1 family; the others have none
        bad = con.execute("SELECT count(*) FROM artist_labels WHERE (state = 'tagged') <> (len(families) > 0 "
                          "AND families IS NOT NULL)").fetchall()[0][0]
        assert bad == 0
        td = training_data(con, info.snapshot_id)
        ud = unlabeled_data(con, info.snapshot_id)
    assert len(set(td.artist_ids)) == len(td.artist_ids) == truth["tagged"]
    assert set(td.artist_ids).isdisjoint(ud.artist_ids)
    assert sorted(set(ud.state)) == ["unknown", "untagged"] and len(ud.artist_ids) == truth["unknown"] + truth["untagged"]
    assert td.Y.shape == (len(td.artist_ids), report.taxonomy.k) and td.Y.sum(axis=1).min() >= 1
    overall = td.Y.mean(axis=0)
    for part in [td.fold == "test"] + [td.cv_fold == f for f in range(5)]:
        assert np.abs(td.Y[part].mean(axis=0) - overall).max() * 100 <= 2.0
    assert ((td.fold == "test") == (td.cv_fold == -1)).all()
    assert td.X.columns == ud.X.columns and "artist_id" not in td.X.columns
    # features carry signal: the audio profile's energy differs between families
    energy = td.X.get_column("energy_mean").to_numpy()
    by_family = [np.nanmean(energy[td.Y[:, j] == 1]) for j in range(td.Y.shape[1])]
    assert np.nanstd(by_family) > 0.05
