"""Paths do not depend on the working directory: cron and systemd start commands anywhere.

A var/ directory created with a relative --var is readable from any directory, moved or copied
(a copy reads its own snapshots); the data directory is resolved once; read-only commands run
where there is no warehouse say so instead of creating one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO
from jobs import load_settings
from warehouse import Writer, database_dir, record_path, resolve_recorded, upsert


def _artists(var, names: dict[str, str]) -> None:
    with Writer(var / "warehouse.duckdb") as w:
        with w.transaction() as con:
            upsert(con, "artists", [{"artist_id": k, "name": v, "genres": ["rock"], "source": "t"}
                                    for k, v in names.items()], ["artist_id"])


def _names(res) -> list[str]:
    assert res.returncode == 0, res.stderr
    return [row["name"] for row in json.loads(res.stdout)]


def test_relative_var_is_readable_from_anywhere_moved_or_copied(cli, tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    b.mkdir()
    _artists(a / "relative" / "var", {"a1": "First"})
    made = cli("--var", "relative/var", "snapshot", "create", cwd=a)
    assert made.returncode == 0, made.stderr
    original = a / "relative" / "var"
    query = ("sql", "-f", "json", "SELECT name FROM artists ORDER BY name")

    # Another working directory, absolute --var (before: "... no longer exists (pruned?)").
    assert _names(cli("--var", str(original), *query, cwd=b)) == ["First"]
    manifest = next((original / "snapshots").glob("*.json"))
    assert json.loads(manifest.read_text())["path"] == manifest.stem + ".duckdb"
    recorded = cli("--var", str(original), "sql", "-f", "json", "--live", "SELECT path FROM snapshots", cwd=b)
    assert json.loads(recorded.stdout) == [{"path": f"snapshots/{manifest.stem}.duckdb"}]

    # A copy reads its own snapshot, not the original's: change the original's and compare.
    copy = tmp_path / "C" / "var-copy"
    shutil.copytree(original, copy)
    con = duckdb.connect(str(original / "snapshots" / f"{manifest.stem}.duckdb"))
    con.execute("UPDATE artists SET name = 'Changed in the original'")
    con.close()
    assert _names(cli("--var", str(copy), *query, cwd=b)) == ["First"]
    assert _names(cli("--var", "relative/var", *query, cwd=a)) == ["Changed in the original"]

    # A manifest written before this fix (path as given on the command line, relative to A) still
    # resolves, inside the copy.
    old_style = json.loads((copy / "snapshots" / manifest.name).read_text())
    old_style["path"] = f"relative/var/snapshots/{manifest.stem}.duckdb"
    (copy / "snapshots" / manifest.name).write_text(json.dumps(old_style))
    assert _names(cli("--var", str(copy), *query, cwd=a)) == ["First"]
    old_style["path"] = str(original / "snapshots" / f"{manifest.stem}.duckdb")  # absolute, the original's
    (copy / "snapshots" / manifest.name).write_text(json.dumps(old_style))
    assert _names(cli("--var", str(copy), *query, cwd=a)) == ["First"]

    # A moved var/ works where it landed.
    moved = tmp_path / "D" / "moved-var"
    moved.parent.mkdir()
    shutil.move(str(original), moved)
    assert _names(cli("--var", str(moved), *query, cwd=b)) == ["Changed in the original"]
    listed = cli("--var", str(moved), "snapshot", "list", "--json", cwd=b)
    assert json.loads(listed.stdout)[0]["path"] == str(moved / "snapshots" / f"{manifest.stem}.duckdb")


def test_recorded_paths_resolve_inside_the_var_being_read(tmp_path):
    original, copy = tmp_path / "orig" / "var", tmp_path / "copy" / "var"
    for var, content in ((original, b"original"), (copy, b"copy")):
        (var / "models").mkdir(parents=True)
        (var / "models" / "m1.joblib").write_bytes(content)
    con = duckdb.connect(str(copy / "warehouse.duckdb"))
    try:
        assert database_dir(con) == copy
    finally:
        con.close()
    assert record_path(original / "models" / "m1.joblib", original) == "models/m1.joblib"
    assert record_path(tmp_path / "elsewhere.joblib", original) == str(tmp_path / "elsewhere.joblib")
    # New (relative) and old (absolute, pointing into the original) rows both find the copy's file.
    for recorded in ("models/m1.joblib", str(original / "models" / "m1.joblib")):
        assert resolve_recorded(recorded, copy).read_bytes() == b"copy"
    # From inside snapshots/ (a snapshot file reads its own `snapshots` rows) the name still resolves.
    (copy / "snapshots").mkdir()
    (copy / "snapshots" / "s1.duckdb").write_bytes(b"s")
    assert resolve_recorded("snapshots/s1.duckdb", copy / "snapshots") == copy / "snapshots" / "s1.duckdb"
    # An absolute path outside any var/ that is still there is used as it stands.
    outside = tmp_path / "shared-models" / "m2.joblib"
    outside.parent.mkdir()
    outside.write_bytes(b"outside")
    assert resolve_recorded(str(outside), copy) == outside


def _clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(("GENRESTORE_", "SPOTIFY_")):
            monkeypatch.delenv(key, raising=False)


def test_data_dir_is_resolved_once_and_absolute(tmp_path, monkeypatch):
    _clean_env(monkeypatch)
    default = REPO.parent / "shared" / "data"  # absolute, links kept as written
    for cwd in (tmp_path, REPO):
        monkeypatch.chdir(cwd)
        assert load_settings().data_dir == default  # beside the checkout, wherever the command runs

    conf = tmp_path / "etc" / "genrestore.toml"
    conf.parent.mkdir()
    conf.write_text('data_dir = "datasets"\nvar_dir = "state/var"\n')
    monkeypatch.setenv("GENRESTORE_CONFIG", str(conf))
    monkeypatch.chdir(REPO)
    s = load_settings()
    assert s.data_dir == tmp_path / "etc" / "datasets"  # relative to the settings file
    assert s.warehouse_file == tmp_path / "etc" / "state" / "var" / "warehouse.duckdb"

    monkeypatch.delenv("GENRESTORE_CONFIG")
    monkeypatch.setenv("GENRESTORE_DATA", "given/data")
    monkeypatch.chdir(tmp_path)
    assert load_settings().data_dir == tmp_path / "given" / "data"  # from the shell: its directory


def test_config_show_prints_the_absolute_data_dir_from_any_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    env["PYTHONPATH"] = str(REPO)
    (tmp_path / "x").mkdir()
    shown = []
    for cwd in (tmp_path, tmp_path / "x"):
        res = subprocess.run([sys.executable, "-m", "jobs", "config", "show", "--json"], cwd=cwd, env=env,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        assert f"note: no warehouse at {cwd / 'var' / 'warehouse.duckdb'} yet" in res.stderr
        shown.append(json.loads(res.stdout)["data_dir"])
    assert shown[0] == shown[1] == str(REPO.parent / "shared" / "data")
    assert not (tmp_path / "var").exists() and not (tmp_path / "x" / "var").exists()


READ_ONLY = [
    ("sql", "SELECT 1"), ("sql", "--live", "SELECT 1"), ("schema",), ("crawl", "status"), ("jobs", "history"),
    ("taxonomy", "show"), ("models", "list"), ("models", "show", "m1"), ("snapshot", "list"),
    ("snapshot", "create"), ("snapshot", "prune"), ("train", "--task", "popularity"), ("predict",),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_commands_never_create_a_warehouse_where_there_is_none(cli, tmp_path, args):
    res = cli(*args)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert f"no warehouse at {tmp_path / 'var' / 'warehouse.duckdb'}" in lines[0]
    assert "genrestore import all" in lines[0]
    assert not (tmp_path / "var" / "warehouse.duckdb").exists()


def test_feature_groups_read_the_snapshot_file_of_a_moved_var(tmp_path):
    """modeling's snapshot reader finds the file from the `snapshots` row (before: fell back to live tables)."""
    from features import artist_column
    from warehouse import create_snapshot

    original = tmp_path / "before" / "var"
    _artists(original, {"a1": "In the snapshot"})
    with Writer(original / "warehouse.duckdb") as w:
        info = create_snapshot(w, original / "snapshots")
    moved = tmp_path / "after" / "var"
    moved.parent.mkdir()
    shutil.move(str(original), moved)
    _artists(moved, {"a1": "Changed live after the snapshot"})
    with Writer(moved / "warehouse.duckdb") as w:
        assert artist_column(w.con, info.snapshot_id, ["a1"], "name") == ["In the snapshot"]
