"""SQL from other tools: nested columns in CSV/JSON, the documented read-only recipe for pandas,
polars and SQLAlchemy run from another directory, and the engine beside `open_readable`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import jobs
import warehouse
from tests.conftest import REPO
from warehouse import Writer, create_snapshot, upsert


@pytest.fixture
def var(tmp_path):
    var = tmp_path / "var"
    with Writer(var / "warehouse.duckdb") as w:
        with w.transaction() as con:
            upsert(con, "artists", [
                {"artist_id": "a1", "name": "Rock, \"Band\"", "genres": ["rock", "hard rock"], "source": "t"},
                {"artist_id": "a2", "name": "Quiet", "genres": [], "source": "t"},
                {"artist_id": "a3", "name": "Unknown", "genres": None, "source": "t"},
            ], ["artist_id"])
        create_snapshot(w, var / "snapshots")
    return var


def test_csv_and_json_export_list_struct_and_map_columns(var, cli):
    import csv
    import io

    q = ("SELECT artist_id, name, genres, {'n': len(genres), 'first': genres[1]} AS summary, "
         "MAP {'k': 1} AS m FROM artists ORDER BY artist_id")
    res = cli("--var", str(var), "sql", "-f", "csv", q)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [json.loads(r["genres"]) if r["genres"] else None for r in rows] == [["rock", "hard rock"], [], None]
    assert json.loads(rows[0]["summary"]) == {"n": 2, "first": "rock"}
    assert rows[0]["name"] == 'Rock, "Band"'
    res = cli("--var", str(var), "sql", "-f", "json", q)
    got = json.loads(res.stdout)
    assert got[0]["genres"] == ["rock", "hard rock"] and got[0]["summary"] == {"n": 2, "first": "rock"}
    assert got[2]["genres"] is None and got[1]["genres"] == []


# The recipe of docs/warehouse.md ("From pandas, polars and SQLAlchemy"), one client at a time.
RECIPES = {
    "pandas": "import pandas as pd\nn = int(pd.read_sql('SELECT count(*) AS n FROM artists', engine)['n'][0])",
    "polars": ("import polars as pl\nwith engine.connect() as conn:\n"
               "    n = pl.read_database('SELECT count(*) AS n FROM artists', conn)['n'][0]"),
    "sqlalchemy": ("from sqlalchemy import text\nwith engine.connect() as conn:\n"
                   "    n = conn.execute(text('SELECT count(*) FROM artists')).scalar()"),
}


@pytest.mark.parametrize("client", RECIPES)
def test_documented_recipe_works_from_another_directory(var, tmp_path, client):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = textwrap.dedent(f"""
        import jobs
        import warehouse
        settings = jobs.load_settings(var_dir={str(var)!r})
        engine = warehouse.sqlalchemy_engine(settings)
    """) + RECIPES[client] + "\nprint(n)\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENRESTORE_")}
    env["PYTHONPATH"] = str(REPO)
    res = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "3"


def test_engine_and_open_readable_in_one_process(var, monkeypatch, tmp_path):
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    settings = jobs.load_settings(var_dir=var)
    for live in (False, True):
        con = warehouse.open_readable(settings, live=live)
        engine = warehouse.sqlalchemy_engine(settings, live=live)
        try:
            assert pd.read_sql("SELECT count(*) AS n FROM artists", engine)["n"][0] == 3
            assert con.execute("SELECT count(*) FROM artists").fetchall() == [(3,)]
            other = warehouse.open_readable(settings, live=live)  # and another after the engine
            assert warehouse.run_query(other, "SELECT count(*) FROM artists").rows == [(3,)]
            assert pd.read_sql("SELECT count(*) AS n FROM artists", engine)["n"][0] == 3
        finally:
            con.close()
            engine.dispose()


def test_sql_notes_when_the_live_warehouse_is_newer(var, cli):
    res = cli("--var", str(var), "sql", "SELECT count(*) FROM artists")
    assert res.returncode == 0 and "note:" not in res.stderr, res.stderr
    live = var / "warehouse.duckdb"
    later = live.stat().st_mtime + 3600
    os.utime(live, (later, later))  # as if a crawl wrote an hour after the snapshot
    res = cli("--var", str(var), "sql", "SELECT count(*) FROM artists")
    assert res.returncode == 0, res.stderr
    notes = [line for line in res.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "live warehouse changed since" in notes[0] and "snapshot create" in notes[0]
    res = cli("--var", str(var), "sql", "--live", "SELECT count(*) FROM artists")
    assert "note:" not in res.stderr
