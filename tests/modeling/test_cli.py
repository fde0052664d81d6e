"""The modeling commands in real subprocesses on a synthetic warehouse.

Each subprocess pays the import of LightGBM/scikit-learn, so models that only need to exist are
trained in-process and the subprocesses exercise the commands themselves.
"""

from __future__ import annotations

import json

import pytest

import modeling
from jobs import load_settings
from warehouse import Writer

from .synth import fill_datasets


@pytest.fixture
def warehouse_dir(tmp_path):
    with Writer(tmp_path / "var" / "warehouse.duckdb") as writer:
        fill_datasets(writer, n_music_genre=1000, n_spotify_songs=500)
    return tmp_path


@pytest.mark.slow
def test_train_list_promote_show_predict(cli, warehouse_dir):
    settings = load_settings(var_dir=warehouse_dir / "var")
    with Writer(settings.warehouse_file) as writer:
        champion = modeling.train(writer, settings, "track-genre", dataset="music_genre", estimator="logistic",
                                  n_boot=50, n_jobs=1)
    assert champion.status == "champion"

    trained = cli("train", "--task", "track-genre", "--estimator", "prevalence", "--json",
                  env={"GENRESTORE_MODELING__JOBS": "1"})
    assert trained.returncode == 0, trained.stderr
    worse = json.loads(trained.stdout)
    assert worse["status"] == "challenger" and worse["metrics"]["macro_auroc"] == pytest.approx(0.5)

    refused = cli("models", "promote", worse["model_id"])
    assert refused.returncode == 1
    assert "does not beat" in refused.stderr and "Traceback" not in refused.stderr

    listed = json.loads(cli("models", "list", "--json").stdout)
    assert [(m["model_id"], m["status"]) for m in listed] == [(champion.model_id, "champion"),
                                                              (worse["model_id"], "challenger")]
    shown = json.loads(cli("models", "show", worse["model_id"][:-2], "--json").stdout)  # a unique prefix works
    assert shown["status"] == "challenger" and "not promoted" in shown["decision"]
    assert shown["params"]["n_jobs"] == 1  # the modeling.jobs setting reached the model
    assert {m["metric"] for m in shown["metrics"]} == {"accuracy", "macro_f1", "macro_auroc"}
    assert len({m["label"] for m in shown["per_label"]}) == 5


@pytest.mark.slow
def test_reproduce_json_has_the_promised_keys(cli, warehouse_dir):
    out = cli("reproduce", "--json", "--dataset", "spotify_songs", env={"GENRESTORE_MODELING__JOBS": "1"})
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows and all({"dataset", "task", "protocol", "metric", "published", "ours"} <= set(r) for r in rows)
    protocols = {r["protocol"] for r in rows}
    assert {"random-80-20 audio-only", "random-80-20 with-popularity-year", "dedup random-80-20 with-popularity-year",
            "artist-disjoint with-popularity-year"} <= protocols
    published = [r for r in rows if r["published"] is not None]
    assert published and all(r["published"] == 0.544 and r["metric"] == "accuracy" for r in published)
    assert all(0 <= r["ours"] <= 1 for r in rows if r["metric"] == "accuracy")


def test_help_and_usage_errors(cli, tmp_path):
    train_help = cli("train", "--help")
    assert "--task" in train_help.stdout and "--snapshot" in train_help.stdout and "artist-families" in train_help.stdout
    no_warehouse = cli("predict")  # no warehouse here: one line, exit code 1, none created
    assert no_warehouse.returncode == 1 and "no warehouse at" in no_warehouse.stderr
    with Writer(tmp_path / "var" / "warehouse.duckdb"):
        pass
    no_snapshot = cli("predict")  # nothing published: one line, exit code 2, no traceback
    assert no_snapshot.returncode == 2 and "snapshot" in no_snapshot.stderr.lower()
    assert "Traceback" not in no_snapshot.stderr


def test_the_command_sets_passive_openmp_waiting_before_lightgbm_loads(tmp_path):
    """OpenMP reads OMP_WAIT_POLICY once, when it loads. The command sets it at start, which is in
    time only while loading the command loads neither scikit-learn nor LightGBM; the library
    itself leaves the environment alone."""
    import subprocess
    import sys

    from tests.conftest import REPO

    code = ("import os, sys, jobs.cli; loaded = sorted({'lightgbm', 'sklearn'} & set(sys.modules)); "
            "import modeling; untouched = os.environ.get('OMP_WAIT_POLICY'); jobs.cli.main(['--help']); "
            "print(loaded, untouched, os.environ.get('OMP_WAIT_POLICY'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(REPO)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "[] None PASSIVE"
