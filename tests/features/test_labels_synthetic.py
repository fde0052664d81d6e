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


def test_labels_come_from_genre_search_hits_too_at_both_levels(synthetic_copy, tmp_path):
    """artist_genre_hits (what development-mode crawls still get) label artists whose genres are unknown."""
    from warehouse import create_snapshot

    path, _, _ = synthetic_copy
    with Writer(path) as writer:
        con = writer.con
        unknown = [r[0] for r in con.execute(
            "SELECT artist_id FROM artists WHERE genres IS NULL ORDER BY artist_id LIMIT 5").fetchall()]
        tagged = con.execute("SELECT artist_id, genres[1] FROM artists WHERE len(genres) > 0 "
                             "ORDER BY artist_id LIMIT 1").fetchall()[0]
        with writer.transaction() as tx:
            tx.executemany("INSERT INTO artist_genre_hits (genre, artist_id, rank, source) VALUES (?, ?, 0, 'test')",
                           [("rock", a) for a in unknown] + [("deep jazz", tagged[0])])
        snap = create_snapshot(writer, tmp_path / "snaps")
        report = build_all(writer, snap, progress=False, taxonomy=small_taxonomy())
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT artist_id, state, label_source, families, subfamilies FROM artist_labels "
            "WHERE snapshot_id = ? AND taxonomy_version = ?", [snap.snapshot_id, report.taxonomy.version]).fetchall()}
        fam = dict(con.execute("SELECT genre, family_id FROM genre_taxonomy WHERE version = ?",
                               [report.taxonomy.version]).fetchall())
        sub = dict(con.execute("SELECT genre, subfamily_id FROM genre_taxonomy WHERE version = ?",
                               [report.taxonomy.version]).fetchall())
    for a in unknown:
        state, source, families, subfamilies = rows[a]
        assert (state, source) == ("tagged", "hits") and families == [fam["rock"]] and subfamilies == [sub["rock"]]
    state, source, families, _ = rows[tagged[0]]
    assert state == "tagged" and source == "genres+hits" and fam["deep jazz"] in families
    assert report.label_counts["tagged"] == sum(1 for r in rows.values() if r[0] == "tagged")
