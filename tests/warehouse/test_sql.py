"""`genrestore sql` and the library's read-only access (attacks on it: test_sql_security.py)."""

import json

import pyarrow.parquet as pq
import pytest

from warehouse import Writer, create_snapshot, sqlalchemy_engine, upsert


@pytest.fixture
def published(tmp_path):
    var = tmp_path / "var"
    with Writer(var / "warehouse.duckdb") as w:
        with w.transaction() as con:
            upsert(con, "artists", [
                {"artist_id": "a1", "name": "Rock Band", "genres": ["rock", "hard rock"], "source": "t"},
                {"artist_id": "a2", "name": "Quiet", "genres": [], "source": "t"},
                {"artist_id": "a3", "name": "Unknown", "genres": None, "source": "t"},
            ], ["artist_id"])
        return create_snapshot(w, var / "snapshots")


def test_formats_and_stdin(published, cli, tmp_path):
    q = "SELECT artist_id, genres FROM artists ORDER BY artist_id"
    res = cli("sql", "--format", "json", q)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [
        {"artist_id": "a1", "genres": ["rock", "hard rock"]},
        {"artist_id": "a2", "genres": []},
        {"artist_id": "a3", "genres": None},
    ]
    res = cli("sql", "-f", "csv", input="SELECT genre FROM artist_genres ORDER BY genre")
    assert res.stdout.splitlines() == ['"genre"', '"hard rock"', '"rock"']
    res = cli("sql", "-f", "parquet", "-o", str(tmp_path / "out.parquet"), q)
    assert res.returncode == 0, res.stderr
    assert pq.read_table(tmp_path / "out.parquet").num_rows == 3
    res = cli("sql", "SELECT count(*) AS n FROM artists")
    assert res.returncode == 0 and "3" in res.stdout
    res = cli("sql", "-f", "json", "SELECT 1 AS first; SELECT 2 AS last")  # the last statement's result
    assert json.loads(res.stdout) == [{"last": 2}], res.stderr


def test_refusal_and_sql_errors_exit_1_without_traceback(published, cli):
    res = cli("sql", "DELETE FROM artists")
    assert res.returncode == 1 and "read-only" in res.stderr and "Traceback" not in res.stderr
    res = cli("sql", "SELECT * FROM no_such_table")
    assert res.returncode == 1 and "no_such_table" in res.stderr and "Traceback" not in res.stderr
    res = cli("sql", "--snapshot", "nope", "SELECT 1")
    assert res.returncode == 1 and "nope" in res.stderr


def test_live_needs_the_writer_free(published, cli, tmp_path):
    assert cli("sql", "--live", "SELECT count(*) FROM artists").returncode == 0
    with Writer(tmp_path / "var" / "warehouse.duckdb"):
        res = cli("sql", "--live", "SELECT 1")
    assert res.returncode == 1 and "writing it" in res.stderr


def test_sqlalchemy_engine_reads_a_snapshot(published):
    from sqlalchemy import text

    engine = sqlalchemy_engine(published.path)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM artists WHERE genres IS NULL")).scalar() == 1
    engine.dispose()


def test_no_snapshot_yet_says_what_to_do(cli, tmp_path):
    with Writer(tmp_path / "var" / "warehouse.duckdb"):
        pass
    res = cli("sql", "SELECT 1")
    assert res.returncode == 1 and "snapshot create" in res.stderr
