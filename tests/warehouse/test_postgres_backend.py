"""The PostgreSQL backend: same migrations and schema as DuckDB, the backend setting, snapshots.

Runs against a private cluster (tests/conftest.py ``pg_cluster``); skips when PostgreSQL is absent.
The upsert and transaction tests in test_writer.py run on both backends.
"""

from __future__ import annotations

import threading
from datetime import datetime

import duckdb
import psycopg
import pytest

import warehouse
from jobs import load_settings
from warehouse import (
    ConfigError,
    MigrationMismatch,
    PgWriter,
    Writer,
    available_migrations,
    connect_readonly,
    create_snapshot,
    list_snapshots,
    upsert,
    writer_for,
)
from warehouse._migrations import Migration
from warehouse._pg_connection import PgConnection
from warehouse._pg_migrations import migrate as pg_migrate


def _pg_columns(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as con:
        rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, list[str]] = {}
    for t, c in rows:
        out.setdefault(t, []).append(c)
    return out


def test_postgres_gets_every_migration_once_with_the_duckdb_schema(pg_url, tmp_path):
    with PgWriter(pg_url, path=tmp_path / "wh.duckdb"):
        pass
    with PgWriter(pg_url, path=tmp_path / "wh.duckdb") as w:  # reopening applies nothing twice
        recorded = w.con.execute("SELECT version, checksum FROM schema_migrations ORDER BY 1").fetchall()
    assert recorded == [(m.version, m.checksum) for m in available_migrations()]
    with Writer(tmp_path / "wh.duckdb") as w:
        duck = {}
        for t, c in w.con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = "
                                  "current_database() ORDER BY table_name, column_index").fetchall():
            duck.setdefault(t, []).append(c)
    assert _pg_columns(pg_url) == duck  # same tables, views and columns, in the same order


def test_edited_or_failed_migration_on_postgres(pg_url):
    con = PgConnection(pg_url)
    try:
        shipped = available_migrations()
        pg_migrate(con, shipped)
        first = shipped[0]
        with pytest.raises(MigrationMismatch, match=f"{first.version:04d}_{first.name}.sql"):
            pg_migrate(con, [Migration(first.version, first.name, first.sql + "\n-- edited\n")] + shipped[1:])
        broken = Migration(9998, "broken", "CREATE TABLE half_done (x INT); SELECT * FROM no_such_table;")
        with pytest.raises(psycopg.Error):
            pg_migrate(con, shipped + [broken])
        assert con.execute("SELECT to_regclass('half_done')").fetchall() == [(None,)]
        assert pg_migrate(con, shipped) == []
    finally:
        con.close()


def test_backend_setting_selects_the_writer_and_never_shows_the_password(pg_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(writer_for(load_settings(var_dir=tmp_path / "var")), Writer)
    monkeypatch.setenv("GENRESTORE_WAREHOUSE__URL", pg_url)
    settings = load_settings(var_dir=tmp_path / "var")
    assert settings.warehouse.url == pg_url
    assert isinstance(writer_for(settings), PgWriter)
    secret = load_settings(var_dir=tmp_path, warehouse={"url": "postgresql://u:hunter2@db:5432/w"})
    assert "hunter2" not in str(secret.masked()) and "u:****@db" in secret.masked()["warehouse"]["url"]
    monkeypatch.delenv("GENRESTORE_WAREHOUSE__URL")
    with pytest.raises(ConfigError, match="warehouse.url"):
        load_settings(warehouse={"url": "mysql://x:pw@h/d"})
    bad = PgWriter("postgresql://u:hunter2@127.0.0.1:1/none", path=tmp_path / "x.duckdb")
    with pytest.raises(warehouse.WarehouseError) as info:
        bad.open()
    assert "hunter2" not in str(info.value) and "u:****@127.0.0.1:1" in str(info.value)
    with pytest.raises(warehouse.WarehouseNotFound):
        PgWriter(pg_url, path=tmp_path / "x.duckdb", create=False).open()


def test_snapshot_of_postgres_is_a_duckdb_file_readers_use_unchanged(pg_url, tmp_path):
    artists = [{"artist_id": f"a{i}", "name": f"A{i}", "genres": ["rock", "pop"] if i % 2 else None,
                "popularity": i, "source": "t"} for i in range(500)]
    with PgWriter(pg_url, path=tmp_path / "var" / "warehouse.duckdb") as w:
        w.run(lambda con: upsert(con, "artists", artists, ["artist_id"]))
        info = create_snapshot(w, tmp_path / "var" / "snapshots")
        recorded = w.con.execute("SELECT snapshot_id, content_hash FROM snapshots").fetchall()
    assert recorded == [(info.snapshot_id, info.content_hash)]
    assert [s.snapshot_id for s in list_snapshots(tmp_path / "var" / "snapshots")] == [info.snapshot_id]
    assert info.row_counts["artists"] == 500
    con = connect_readonly(info.path)
    try:
        assert con.execute("SELECT count(*), count(genres), sum(popularity) FROM artists").fetchall() == [
            (500, 250, sum(range(500)))]
        assert con.execute("SELECT genres FROM artists WHERE artist_id = 'a1'").fetchall() == [(["rock", "pop"],)]
        assert warehouse.content_hash(con) == info.content_hash
        assert [d.name for d in warehouse.describe(con, "artists")] == ["artists"]
    finally:
        con.close()
    # the same rows in a DuckDB warehouse give the same table fingerprint
    with Writer(tmp_path / "duck.duckdb") as w:
        w.run(lambda con: upsert(con, "artists", artists, ["artist_id"]))
        duck_prints = warehouse.table_fingerprints(w.con, tables=["artists"])
    snap = duckdb.connect(info.path, read_only=True)
    try:
        assert warehouse.table_fingerprints(snap, tables=["artists"])["artists"][0] == duck_prints["artists"][0]
    finally:
        snap.close()


def test_snapshot_sees_one_instant_while_a_writer_commits(pg_url, tmp_path):
    """Every commit adds one genre and one artist; a snapshot taken meanwhile holds equal counts."""
    var = tmp_path / "var"
    stop = threading.Event()

    def keep_writing():
        with PgWriter(pg_url, path=var / "warehouse.duckdb") as w:
            i = 0
            while not stop.is_set():
                def step(con, i=i):
                    upsert(con, "genres", [{"genre": f"g{i}", "source": "t"}], ["genre"])
                    upsert(con, "artists", [{"artist_id": f"a{i}", "source": "t"}], ["artist_id"])
                w.run(step)
                i += 1

    with PgWriter(pg_url, path=var / "warehouse.duckdb") as w:
        thread = threading.Thread(target=keep_writing)
        thread.start()
        try:
            infos = [create_snapshot(w, var / "snapshots") for _ in range(3)]
        finally:
            stop.set()
            thread.join()
    assert infos[-1].row_counts["artists"] > 0
    for info in infos:
        assert info.row_counts["genres"] == info.row_counts["artists"]


def test_migrate_moves_a_duckdb_warehouse_into_postgres_all_of_it(pg_url, tmp_path, cli):
    var = tmp_path / "var"
    artists = [{"artist_id": f"a{i}", "name": f"A{i}", "genres": ["rock"] if i % 3 else [], "popularity": i,
                "followers": 10 * i, "source": "t"} for i in range(2000)]
    with Writer(var / "warehouse.duckdb") as w:
        def fill(con):
            upsert(con, "artists", artists, ["artist_id"])
            warehouse.insert_rows(con, "raw_responses", [
                {"requested_at": datetime(2026, 1, 1, 0, 0, i), "method": "GET", "url": f"/v1/x/{i}", "status": 200,
                 "body": "{}", "source": "t"} for i in range(30)])
            con.execute("INSERT INTO crawl_queue (kind, key, params, state, enqueued_at) "
                        "VALUES ('artist', 'a1', '{\"offset\": 50}', 'pending', now())")
        w.run(fill)
        duck = warehouse.table_fingerprints(w.con)
    res = cli("--var", str(var), "warehouse", "migrate", "--to", pg_url)
    assert res.returncode == 0, res.stderr
    assert "copied 2,031 rows" in res.stdout
    # the copy, exported back to DuckDB, is the same content table by table
    env = {"GENRESTORE_WAREHOUSE__URL": pg_url}
    snap = cli("--var", str(var), "snapshot", "create", env=env)
    assert snap.returncode == 0, snap.stderr
    con = duckdb.connect(list_snapshots(var / "snapshots")[-1].path, read_only=True)
    try:
        copied = warehouse.table_fingerprints(con)
    finally:
        con.close()
    for table in set(duck) - {"schema_migrations", "snapshots"}:
        assert copied[table] == duck[table], table
    with psycopg.connect(pg_url) as pcon:  # ids go on after the copied ones
        pcon.execute("INSERT INTO raw_responses (requested_at, method, url, source) VALUES (now(), 'GET', '/n', 't')")
        assert pcon.execute("SELECT max(response_id) FROM raw_responses").fetchone()[0] == 31
    again = cli("--var", str(var), "warehouse", "migrate", "--to", pg_url)
    assert again.returncode == 2 and "already holds rows" in again.stderr and "Traceback" not in again.stderr
    bad = cli("--var", str(var), "warehouse", "migrate", "--to", "mysql://u:pw@h/d")
    assert bad.returncode == 2 and "postgresql://" in bad.stderr and "pw@" not in bad.stderr


def test_a_worker_gives_back_only_its_own_leases_and_others_can_then_claim_them(pg_url, tmp_path):
    """release_units (the crawl's re-planning drops picked batches): the units are pending for every
    worker again; another worker's lease on a unit named is left alone."""
    from warehouse import claim_units, release_units

    units = [("artist", f"a{i}") for i in range(3)]
    with PgWriter(pg_url, path=tmp_path / "a.duckdb") as a, PgWriter(pg_url, path=tmp_path / "b.duckdb") as b:
        a.run(lambda con: con.executemany("INSERT INTO crawl_queue (kind, key, enqueued_at) VALUES (?, ?, ?)",
                                          [[k, key, datetime(2026, 1, 1)] for k, key in units]))
        assert a.run(lambda con: claim_units(con, units)) == set(units)
        assert b.run(lambda con: claim_units(con, units)) == set()  # leased to a
        assert a.run(lambda con: release_units(con, units[:2])) == 2
        assert b.run(lambda con: claim_units(con, units)) == set(units[:2])
        assert a.run(lambda con: release_units(con, units)) == 1  # a0, a1 are b's now: only a2 given back
        holders = dict(a.run(lambda con: con.execute(
            "SELECT key, claimed_by FROM crawl_queue ORDER BY key").fetchall()))
    assert holders == {"a0": b.worker_id, "a1": b.worker_id, "a2": None}
    with Writer(tmp_path / "wh.duckdb") as w:  # one DuckDB writer: its claims are in memory only
        assert w.run(lambda con: release_units(con, units)) == 0
