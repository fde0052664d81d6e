"""The research bench: each experiment on a small synthetic warehouse, the CLI, the stored runs,
the page, and that nothing is fit on test rows (poisoned test rows leave training-side results
unmoved)."""

from __future__ import annotations

import json

import features
import numpy as np
import pytest

import modeling
import modeling.experiments as ex
from warehouse import UsageError, Writer, connect_readonly, create_snapshot

from .synth import fill_datasets

# Small settings so each experiment takes seconds on the synthetic rows.
SMALL = {
    "multitask-genre-popularity": {"max_iter": 25, "n_boot": 20},
    "text-features": {"n_estimators": 40, "n_boot": 20},
    "lda-projection": {"max_iter": 25, "n_estimators": 40, "n_boot": 20, "max_clusters": 5, "silhouette_rows": 600},
    "tempo-imputation": {"n_estimators": 40, "n_boot": 20, "masked_rows": 100},
    "transfer-new-genre": {"rounds": 40, "warm_rounds": 5, "n_boot": 20, "families_n_estimators": 60, "families_n_bags": 1, "time_repeats": 1},
    "hyperparameter-search": {"n_candidates": 6, "min_resources": 300, "n_estimators": 30, "n_boot": 20},
    "coarse-vs-fine": {"n_estimators": 40, "n_boot": 20},
}
# Figures each experiment must produce, with the range they must fall in.
EXPECTED = {
    "multitask-genre-popularity": {"multitask_genre_accuracy": (0.3, 1), "single_task_genre_accuracy": (0.3, 1),
                                   "multitask_popularity_rmse": (0, 40), "single_task_popularity_rmse": (0, 40)},
    "text-features": {"random_80_20_accuracy": (0.5, 1), "random_80_20_macro_auroc": (0.7, 1),
                      "artist_disjoint_accuracy": (0.3, 1), "artist_disjoint_macro_auroc": (0.6, 1),
                      "spotify_random_80_20_accuracy": (0.3, 1)},
    "lda-projection": {"lda3_net_macro_auroc": (0.6, 1), "lda2_net_macro_auroc": (0.6, 1),
                       "kmeans_best_k": (2, 5), "lda_variance_3": (0, 1.0000001)},
    "tempo-imputation": {"tempo_mae_global_median": (0, 60), "tempo_mae_model": (0, 60), "duration_mae_knn": (0, 200),
                         "lightgbm_artist_median_accuracy": (0.3, 1)},
    "transfer-new-genre": {"accuracy_gap_vs_full_retrain": (-0.2, 0.2), "time_ratio_vs_full_retrain": (0, 2),
                           "families_macro_auprc_gap_vs_full_retrain": (-0.1, 0.1),
                           "families_time_ratio_vs_full_retrain": (0, 1), "families_leakage_checks": (6, 1000),
                           "families_hidden_columns": (1, 2), "families_full_retrain_macro_auprc": (0.3, 1)},
    "hyperparameter-search": {"best_test_accuracy": (0.3, 1), "best_cv_accuracy": (0.3, 1), "n_trials": (6, 20)},
    "coarse-vs-fine": {"spotify_songs_fine_accuracy": (0.1, 1), "spotify_songs_coarse_accuracy": (0.3, 1),
                       "music_genre_coarse_accuracy": (0.3, 1), "spotify_songs_duration_both_r2": (-1, 1)},
}


def _subgenres(con) -> None:
    """Give the synthetic spotify_songs rows four subgenres per genre, as the real set has."""
    con.execute("UPDATE ds_spotify_songs SET playlist_subgenre = playlist_genre || ' sub ' || CAST(row_number % 4 AS VARCHAR)")


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory):
    """The data-set tables, plus a small synthetic catalog with planted genre families, its
    snapshot and its features (what transfer-new-genre's artist-families half reads)."""
    path = tmp_path_factory.mktemp("bench") / "var" / "warehouse.duckdb"
    with Writer(path) as writer:
        fill_datasets(writer, n_music_genre=1200, n_spotify_songs=900)
        _subgenres(writer.con)
        features.write_synthetic_catalog(writer, 400, tracks_per_artist=4, n_families=5, tags_per_family=8)
        features.build_all(writer, create_snapshot(writer, path.parent / "snapshots"), progress=False)
    return path


@pytest.fixture(scope="module")
def bench(bench_db):
    con = connect_readonly(bench_db)
    try:
        ctx = ex.Context(con, seed=0, n_jobs=1, families=ex.families_from(bench_db))
    finally:
        con.close()
    yield ctx
    ctx.close()


def test_registry_names_and_descriptions():
    assert list(ex.EXPERIMENTS) == ["multitask-genre-popularity", "text-features", "lda-projection", "tempo-imputation",
                                    "transfer-new-genre", "hyperparameter-search", "coarse-vs-fine"]
    for e in ex.EXPERIMENTS.values():
        assert e.source and e.protocol and e.datasets and e.defaults
        assert set(SMALL[e.name]) <= set(e.defaults)  # the small settings are real parameters


@pytest.mark.parametrize("name", list(EXPECTED))
def test_experiment_runs_on_synthetic_data(bench, name):
    run = ex.run_experiment(bench, name, SMALL[name])
    assert run.status == "done", run.error
    for figure, (low, high) in EXPECTED[name].items():
        assert figure in run.figures, f"{name} lacks {figure}"
        assert low <= run.figures[figure] <= high, f"{name} {figure} = {run.figures[figure]}"
    assert ex.get(name).headline and set(ex.get(name).headline) <= set(run.figures)
    for key, value in ex.get(name).published.items():
        assert run.figures[f"published_{key}"] == value
    # artifacts survive the JSON round trip of the table, and the page can draw from them
    artifacts = json.loads(json.dumps(ex._store.clean(run.artifacts)))
    plots = ex.get(name).plots(run.figures, artifacts)
    assert plots and all(title for title, _fig in plots)


def test_the_same_seed_gives_the_same_figures(bench):
    a = ex.run_experiment(bench, "transfer-new-genre", SMALL["transfer-new-genre"])
    b = ex.run_experiment(bench, "transfer-new-genre", SMALL["transfer-new-genre"])
    same = {k: v for k, v in a.figures.items() if "seconds" not in k and "time_ratio" not in k and k != "target_met"}
    assert same == {k: b.figures[k] for k in same}


def test_transfer_timing_is_the_median_of_alternating_repeats_and_the_continuation_samples_new_rows(bench):
    params = {**SMALL["transfer-new-genre"], "time_repeats": 3}
    half = ex.run_experiment(bench, "transfer-new-genre", {**params, "warm_new_share": 0.5})
    every = ex.run_experiment(bench, "transfer-new-genre", {**params, "warm_new_share": 1.0})
    for run in (half, every):
        ratios = run.artifacts["cpu_time_ratios"]
        assert run.status == "done" and run.figures["time_repeats"] == 3 and len(ratios) == 3
        assert run.figures["time_ratio_vs_full_retrain"] == pytest.approx(float(np.median(ratios)))
        assert run.figures["time_ratio_max"] == pytest.approx(max(ratios)) and all(r > 0 for r in ratios)
    # the same new booster either way; the continued old boosters saw different rows
    assert half.figures["new_booster_only_accuracy"] == every.figures["new_booster_only_accuracy"]
    assert half.figures["full_retrain_accuracy"] == every.figures["full_retrain_accuracy"]
    assert half.figures["warm_start_macro_auroc"] != every.figures["warm_start_macro_auroc"]


def test_unknown_parameter_and_missing_data_set(bench_db, tmp_path):
    with pytest.raises(UsageError):  # a user mistake: one line
        ex.get("text-features").parameters({"no_such": 1})
    with Writer(tmp_path / "empty.duckdb") as writer:
        ctx = ex.Context(writer.con)
    run = ex.run_experiment(ctx, "lda-projection")
    assert run.status == "skipped" and "music_genre" in run.error and run.figures == {}


def _poison_test_rows(con) -> np.ndarray:
    """Change every feature and name of music_genre's random-80-20 test rows (the split depends on
    the labels only, so it stays the same); returns those rows' ids."""
    td = modeling.dataset_task_data(con, "track-genre", "music_genre", protocol="random-80-20", seed=0)
    test_ids = [int(i) for i in td.ids[td.test]]
    con.execute("CREATE TEMP TABLE poisoned AS SELECT unnest(?::BIGINT[]) AS id", [test_ids])
    con.execute("""UPDATE ds_music_genre SET acousticness = 0.99, danceability = 0.01, energy = 0.5, loudness = 5,
                   tempo = 300, duration_ms = 5000000, popularity = 99, key = 'C', track_name = 'zzz poison ' || instance_id
                   WHERE instance_id IN (SELECT id FROM poisoned)""")
    return td.ids[td.test]


def test_nothing_is_fit_on_test_rows(bench, bench_db, tmp_path):
    """Training-side results (projections, CV trials, out-of-fold scores, loss curves) do not move
    when every test row is rewritten; the test figures do."""
    import shutil

    poisoned_path = tmp_path / "poisoned.duckdb"
    shutil.copy(bench_db, poisoned_path)
    with Writer(poisoned_path) as writer:
        _poison_test_rows(writer.con)
        poisoned = ex.Context(writer.con, seed=0, n_jobs=1)
    runs = {}
    for name in ("lda-projection", "hyperparameter-search", "text-features", "multitask-genre-popularity"):
        runs[name] = (ex.run_experiment(bench, name, SMALL[name]), ex.run_experiment(poisoned, name, SMALL[name]))
    clean, dirty = runs["lda-projection"]
    for key in ("pca_explained_variance_ratio", "lda_loadings", "silhouette_by_k"):
        assert ex._store.clean(clean.artifacts[key]) == ex._store.clean(dirty.artifacts[key]), key
    assert clean.figures["lda3_net_accuracy"] != dirty.figures["lda3_net_accuracy"]  # the poison did reach the test rows
    clean, dirty = runs["hyperparameter-search"]
    assert [t["cv_accuracy"] for t in clean.artifacts["trials"]] == [t["cv_accuracy"] for t in dirty.artifacts["trials"]]
    assert clean.artifacts["best_params"] == dirty.artifacts["best_params"]
    clean, dirty = runs["text-features"]
    assert clean.figures["random_80_20_names_out_of_fold_accuracy"] == dirty.figures["random_80_20_names_out_of_fold_accuracy"]
    clean, dirty = runs["multitask-genre-popularity"]
    assert clean.artifacts["loss_curves"] == dirty.artifacts["loss_curves"]
    poisoned.close()


def test_text_vocabulary_guard_catches_test_names():
    from modeling.experiments._text import assert_vocabulary_from, text_model

    train = np.array([["alpha band", "first song"], ["beta crew", "second song"]] * 4, dtype=object)
    test = np.array([["gamma choir", "requiem in d minor"]], dtype=object)
    y = np.array([0, 1] * 4)
    fitted = text_model(max_char_features=500).fit(train, y)
    assert_vocabulary_from(fitted, train)
    leaky = text_model(max_char_features=500).fit(np.vstack([train, test]), np.r_[y, 0])
    with pytest.raises(modeling.LeakageError, match="not in the training names"):
        assert_vocabulary_from(leaky, train)


@pytest.mark.slow
def test_cli_run_json_stores_runs_and_the_report_links_the_page(cli, tmp_path):
    with Writer(tmp_path / "var" / "warehouse.duckdb") as writer:
        fill_datasets(writer, n_music_genre=900, n_spotify_songs=700)
        _subgenres(writer.con)
    env = {"GENRESTORE_MODELING__JOBS": "1"}
    params = [f"--param={k}={json.dumps(v)}" for k, v in SMALL["transfer-new-genre"].items()]
    out = cli("experiments", "run", "transfer-new-genre", "--json", "--seed", "3", *params, env=env)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert isinstance(got, list) and len(got) == 1
    assert set(got[0]) == {"name", "seed", "status", "figures", "seconds"}
    assert (got[0]["name"], got[0]["seed"], got[0]["status"]) == ("transfer-new-genre", 3, "done")
    assert {"accuracy_gap_vs_full_retrain", "time_ratio_vs_full_retrain"} <= set(got[0]["figures"])
    assert got[0]["seconds"] > 0

    con = connect_readonly(tmp_path / "var" / "warehouse.duckdb")
    stored = con.execute("SELECT name, source, protocol, parameters, figures, artifacts, seconds, seed, status "
                         "FROM experiments").fetchall()
    con.close()
    assert len(stored) == 1
    name, source, protocol, parameters, figures, artifacts, seconds, seed, status = stored[0]
    assert (name, seed, status) == ("transfer-new-genre", 3, "done") and "spotify_songs" in protocol and source
    assert json.loads(parameters)["rounds"] == SMALL["transfer-new-genre"]["rounds"]
    assert json.loads(figures) == got[0]["figures"] and json.loads(artifacts)["new_genre"] == "rock"

    listed = cli("experiments", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert set(rows) == set(ex.EXPERIMENTS)
    assert rows["transfer-new-genre"]["last_run"]["status"] == "done" and rows["text-features"]["last_run"] is None

    report = cli("report")
    assert report.returncode == 0, report.stderr
    day = next((tmp_path / "var" / "reports").iterdir())
    assert 'href="experiments.html"' in (day / "report.html").read_text()
    page = (day / "experiments.html").read_text()
    assert "transfer-new-genre" in page and "data:image/png;base64," in page and "Never run" in page
    assert (day / "runs" / "experiments.html").read_text() == page


def test_cli_usage_errors_are_one_line(cli, tmp_path):
    with Writer(tmp_path / "var" / "warehouse.duckdb") as writer:
        fill_datasets(writer, n_music_genre=300, n_spotify_songs=0)
    for args, needle in ((("experiments", "run"), "one experiment name or --all"),
                         (("experiments", "run", "no-such"), "unknown experiment 'no-such'"),
                         (("experiments", "run", "lda-projection", "--param", "bogus=1"), "has no parameter 'bogus'"),
                         (("experiments", "run", "--all", "--param", "n_boot=1"), "--param applies to one")):
        out = cli(*args)
        assert out.returncode != 0 and needle in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr
    skipped = cli("experiments", "run", "transfer-new-genre", "--json")  # spotify_songs not imported
    assert skipped.returncode == 0, skipped.stderr
    assert json.loads(skipped.stdout)[0]["status"] == "skipped"


@pytest.mark.slow
def test_cli_run_all_json(cli, tmp_path):
    """--all runs every experiment with its default parameters; the synthetic rows keep it short."""
    with Writer(tmp_path / "var" / "warehouse.duckdb") as writer:
        fill_datasets(writer, n_music_genre=900, n_spotify_songs=700)
        _subgenres(writer.con)
    out = cli("experiments", "run", "--all", "--json", env={"GENRESTORE_MODELING__JOBS": "1"}, timeout=600)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert [r["name"] for r in got] == list(ex.EXPERIMENTS)
    assert all(r["status"] == "done" and r["figures"] and r["seed"] == 0 for r in got), [(r["name"], r.get("error")) for r in got]
    assert {"random_80_20_accuracy", "random_80_20_macro_auroc", "artist_disjoint_accuracy",
            "artist_disjoint_macro_auroc"} <= set(got[1]["figures"])


def test_random_split_depends_on_labels_only():
    """The premise of the poisoning test: rewriting test rows' features and names keeps the split."""
    y = np.array([0, 1] * 50)
    a, _ = modeling.split_rows(y, np.array([f"a{i}" for i in range(100)]), "random-80-20", seed=0)
    b, _ = modeling.split_rows(y, np.array([f"b{i % 7}" for i in range(100)]), "random-80-20", seed=0)
    assert np.array_equal(a, b)
    assert a.sum() == 80
