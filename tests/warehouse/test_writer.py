"""The single-writer lock, across real processes."""

import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import REPO
from warehouse import UpsertResult, Writer, WriterLockedError, content_hash, insert_rows, read_holder, upsert

HOLD = textwrap.dedent(
    """
    import sys, time
    from warehouse import Writer
    with Writer(sys.argv[1], command="holder-process --test") as w:
        with w.transaction() as con:
            con.execute("INSERT INTO genres VALUES ('held', 'test', now())")
        print("locked", flush=True)
        time.sleep(60)
    """
)


def _start_holder(path):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_fails_fast_naming_the_holder(tmp_path):
    path = tmp_path / "wh.duckdb"
    holder = _start_holder(path)
    try:
        start = time.monotonic()
        with pytest.raises(WriterLockedError) as info:
            Writer(path).open()
        assert time.monotonic() - start < 2
        assert f"pid {holder.pid}" in str(info.value)
        assert "holder-process --test" in str(info.value)
        assert read_holder(path)["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the lock with the process (even on SIGKILL); the data it committed is intact.
    assert read_holder(path) is None
    with Writer(path) as w:
        assert w.con.execute("SELECT genre FROM genres").fetchall() == [("held",)]


def test_second_writer_via_cli_exits_1_with_one_line(tmp_path, cli):
    path = tmp_path / "var" / "warehouse.duckdb"
    holder = _start_holder(path)
    try:
        res = cli("snapshot", "create")
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode == 1
    assert f"pid {holder.pid}" in res.stderr and "Traceback" not in res.stderr


@pytest.fixture(params=["duckdb", "postgresql"])
def new_writer(request, tmp_path):
    """An unopened writer of a new, empty warehouse: a DuckDB file, or a PostgreSQL database in a
    private cluster (these tests hold for both backends)."""
    if request.param == "postgresql":
        from warehouse import PgWriter

        return lambda: PgWriter(request.getfixturevalue("pg_url"), path=tmp_path / "wh.duckdb")
    return lambda: Writer(tmp_path / "wh.duckdb")


def test_transaction_rolls_back_on_error(new_writer):
    with new_writer() as w:
        with pytest.raises(RuntimeError):
            with w.transaction() as con:
                con.execute("INSERT INTO genres VALUES ('x', 'test', now())")
                raise RuntimeError("boom")
        assert w.con.execute("SELECT count(*) FROM genres").fetchone()[0] == 0
        # Work queued for the writer thread runs in its own transaction too.
        assert w.submit(lambda c: insert_rows(c, "genres", [{"genre": "y", "source": "t"}])).result() == 1
        assert w.con.execute("SELECT genre FROM genres").fetchall() == [("y",)]


def test_upsert_is_idempotent_and_updates_changed_rows(new_writer):
    rows = [
        {"artist_id": "a", "name": "A", "genres": ["rock"], "popularity": 1, "source": "t"},
        {"artist_id": "b", "name": "B", "genres": None, "popularity": None, "source": "t"},
        {"artist_id": "a", "name": "A2", "genres": [], "popularity": 2, "source": "t"},  # last wins
    ]
    with new_writer() as w:
        with w.transaction() as con:
            first = upsert(con, "artists", rows, ["artist_id"])
        before = content_hash(w.con, tables=["artists"])
        with w.transaction() as con:
            again = upsert(con, "artists", rows, ["artist_id"])
        assert content_hash(w.con, tables=["artists"]) == before
        got = w.con.execute("SELECT artist_id, name, genres, popularity FROM artists ORDER BY 1").fetchall()
        assert got == [("a", "A2", [], 2), ("b", "B", None, None)]
    assert first == UpsertResult(inserted=2, duplicates=1) and first.rows == 3
    assert again == UpsertResult(unchanged=2, duplicates=1)


def test_upsert_counts_inserted_updated_unchanged(new_writer):
    def artists(names: dict[str, str]) -> list[dict]:
        return [{"artist_id": k, "name": v, "source": "t"} for k, v in names.items()]

    with new_writer() as w:
        with w.transaction() as con:
            assert upsert(con, "artists", artists({"a": "A", "b": "B", "c": "C"}), ["artist_id"]) == UpsertResult(3)
            result = upsert(con, "artists", artists({"a": "A", "b": "B2", "d": "D", "e": "E"}), ["artist_id"])
        assert result == UpsertResult(inserted=2, updated=1, unchanged=1)
        assert (result.written, result.rows) == (3, 4)
        assert result + UpsertResult(1, 1, 1, 1) == UpsertResult(3, 2, 2, 1)
        assert w.con.execute("SELECT count(*) FROM artists").fetchall() == [(5,)]
        # a table whose only non-key columns are kept (DO NOTHING): inserts and unchanged rows
        with w.transaction() as con:
            tags = [{"genre": g, "source": "t"} for g in ("rock", "pop", "rock")]
            assert upsert(con, "genres", tags, ["genre"], keep_existing=("source", "first_seen_at")) == UpsertResult(
                inserted=2, duplicates=1)
            assert upsert(con, "genres", tags[:2], ["genre"], keep_existing=("source", "first_seen_at")) == UpsertResult(
                unchanged=2)


@pytest.mark.parametrize("mode, expected", [
    ("replace", ("A2", None, None)),   # the incoming row as it is, NULLs included
    ("coalesce", ("A2", 40, "L")),     # an incoming NULL keeps the stored value
    ("fill", ("A", 40, "L")),          # incoming values only fill stored NULLs
])
def test_upsert_modes_decide_how_incoming_values_and_nulls_meet_stored_ones(new_writer, mode, expected):
    stored = {"album_id": "b", "name": "A", "popularity": 40, "label": "L", "release_year": None, "source": "t"}
    incoming = {"album_id": "b", "name": "A2", "popularity": None, "label": None, "release_year": 1999,
                "source": "t"}
    with new_writer() as w:
        with w.transaction() as con:
            upsert(con, "albums", [stored], ["album_id"])
            result = upsert(con, "albums", [incoming], ["album_id"], mode=mode)
            again = upsert(con, "albums", [incoming], ["album_id"], mode=mode)
        got = w.con.execute("SELECT name, popularity, label, release_year FROM albums").fetchall()
    assert got == [(*expected, 1999)]
    assert result == UpsertResult(updated=1)
    # coalesce and fill never turn a stored value into NULL, so the same rows again change nothing
    assert again == UpsertResult(unchanged=1)
    with pytest.raises(ValueError, match="unknown upsert mode"):
        upsert(w.con, "albums", [incoming], ["album_id"], mode="merge")
