"""Registry: train records a model, a worse challenger is refused, a better one is promoted."""

from __future__ import annotations

import duckdb
import joblib
import numpy as np
import pytest

import modeling
from modeling import PromotionRefused
from warehouse import Writer, connect_readonly

from .synth import fill_datasets


@pytest.fixture
def writer(settings):
    with Writer(settings.warehouse_file) as w:
        fill_datasets(w, n_music_genre=1500, n_spotify_songs=0)
        yield w


def status_of(writer, model_id):
    with writer.transaction() as con:
        return con.execute("SELECT status FROM models WHERE model_id = ?", [model_id]).fetchall()[0][0]


def test_train_records_model_metrics_and_artifact(writer, settings):
    rec = modeling.train(writer, settings, "track-genre", dataset="music_genre", estimator="lightgbm",
                         n_boot=50, n_jobs=1, params={"n_estimators": 60})
    assert rec.status == "champion" and rec.headline_metric == "macro_auroc"
    assert rec.ci_low <= rec.headline_value <= rec.ci_high
    assert rec.headline_value > 0.75  # genre shifts the features strongly in the synthetic data
    with writer.transaction() as con:
        row = con.execute("SELECT task, dataset, estimator, split_id, test_set_hash, artifact_path, n_test "
                          "FROM models WHERE model_id = ?", [rec.model_id]).fetchall()[0]
        metrics = dict(con.execute("SELECT metric, value FROM model_metrics WHERE model_id = ? AND label IS NULL",
                                   [rec.model_id]).fetchall())
        per_label = con.execute("SELECT count(DISTINCT label) FROM model_metrics WHERE model_id = ? AND label IS NOT NULL",
                                [rec.model_id]).fetchall()[0][0]
    assert row[:4] == ("track-genre", "music_genre", "lightgbm", "artist-disjoint:seed0")
    assert set(metrics) == {"accuracy", "macro_f1", "macro_auroc"}
    assert metrics["macro_auroc"] == pytest.approx(rec.headline_value)
    assert per_label == 5
    assert row[5] == f"models/{rec.model_id}.joblib"  # relative to var/: a moved or copied var/ finds it
    art = joblib.load(settings.var_dir / row[5])
    assert len(art["test"]["ids"]) == row[6]
    # artist-disjoint: no artist on both sides
    data = modeling.load_task_data(writer, settings, "track-genre", None, dataset="music_genre")
    assert not set(data.groups[data.train]) & set(data.groups[data.test])


def test_worse_challenger_is_refused_and_better_one_promoted(writer, settings):
    champion = modeling.train(writer, settings, "track-genre", dataset="music_genre", estimator="logistic", n_boot=50, n_jobs=1)
    assert champion.status == "champion"
    worse = modeling.train(writer, settings, "track-genre", dataset="music_genre", estimator="prevalence", n_boot=50)
    assert worse.status == "challenger"
    with pytest.raises(PromotionRefused, match="does not beat"):
        modeling.promote(writer, worse.model_id)
    assert status_of(writer, champion.model_id) == "champion"
    assert status_of(writer, worse.model_id) == "challenger"
    with writer.transaction() as con:
        cmp = modeling.compare(con, worse.model_id)
    assert cmp.same_test_set and cmp.diff < 0 and cmp.ci_high < 0

    # A baseline champion is beaten by a real model: promoted, and the old champion retired.
    modeling.promote(writer, worse.model_id, force=True)
    assert status_of(writer, worse.model_id) == "champion"
    assert status_of(writer, champion.model_id) == "retired"
    better = modeling.train(writer, settings, "track-genre", dataset="music_genre", estimator="logistic", n_boot=50, n_jobs=1)
    comparison = modeling.promote(writer, better.model_id)
    assert comparison.challenger_better and comparison.ci_low > 0
    assert status_of(writer, better.model_id) == "champion"
    assert status_of(writer, worse.model_id) == "retired"
    with writer.transaction() as con:
        assert con.execute("SELECT count(*) FROM models WHERE task = 'track-genre' AND status = 'champion'").fetchall()[0][0] == 1


def test_champion_is_rescored_on_a_different_test_set(writer, settings):
    a = modeling.train(writer, settings, "popularity", dataset="music_genre", estimator="prevalence", n_boot=30)
    b = modeling.train(writer, settings, "popularity", dataset="music_genre", estimator="logistic",
                       protocol="random-80-20", n_boot=30, n_jobs=1)
    with writer.transaction() as con:
        cmp = modeling.compare(con, b.model_id)
    assert not cmp.same_test_set and "re-scored" in cmp.note
    assert cmp.metric == "rmse" and cmp.challenger < cmp.champion  # genre explains popularity here
    assert cmp.n_rows == b.n_test
