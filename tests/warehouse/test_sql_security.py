"""User SQL cannot write or read files: DuckDB enforces it on every connection that runs it.

Each attack runs through `genrestore sql` (a subprocess, on the latest snapshot and on the idle live
file) and through the SQLAlchemy engine, pandas and polars. Every one must be refused in one line,
and every file in the test directory (warehouse, snapshot, manifests, an unrelated DuckDB file,
one's own data files) must be byte-identical afterwards, with no file created or removed.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobs import load_settings
from warehouse import UsageError, Writer, create_snapshot, open_readable, sqlalchemy_engine, upsert

TOML_CANARY = "toml-canary-8f1c2e"  # a secret in genrestore.toml that no query may read
ENV_CANARY = "env-canary-51d7a9"  # a variable of the CLI process (/proc/self/environ)

# (id, SQL). Placeholders: {warehouse} live file, {snapshot} snapshot file, {other} an unrelated
# DuckDB file, {own} a folder of one's own data files, {out} an empty folder.
ATTACKS = [
    ("explain-analyze-copy-over-warehouse", "EXPLAIN ANALYZE COPY (SELECT 'junk') TO '{warehouse}' (FORMAT csv)"),
    ("explain-analyze-copy-over-snapshot", "EXPLAIN ANALYZE COPY (SELECT 'junk') TO '{snapshot}' (FORMAT csv)"),
    ("copy-over-warehouse", "COPY (SELECT 'junk') TO '{warehouse}' (FORMAT csv)"),
    ("copy-table-to-file", "COPY artists TO '{out}/artists.csv'"),
    ("explain-analyze-copy-table", "EXPLAIN ANALYZE COPY artists TO '{out}/artists.csv'"),
    ("copy-query-to-parquet", "COPY (SELECT * FROM artists) TO '{out}/artists.parquet' (FORMAT parquet)"),
    ("export-database", "EXPORT DATABASE '{out}/export'"),
    ("import-database", "IMPORT DATABASE '{own}'"),
    ("attach-other-read-write", "ATTACH '{other}' AS o (READ_WRITE); INSERT INTO o.t VALUES (42)"),
    ("attach-warehouse-read-write", "ATTACH '{warehouse}' AS w2 (READ_WRITE); DELETE FROM w2.artists"),
    ("attach-snapshot-read-write", "ATTACH '{snapshot}' AS s2 (READ_WRITE); DELETE FROM s2.artists"),
    ("attach-new-file", "ATTACH '{out}/new.duckdb' AS n; CREATE TABLE n.t AS SELECT 1"),
    ("install-extension", "INSTALL httpfs"),
    ("explain-analyze-install", "EXPLAIN ANALYZE INSTALL httpfs"),
    ("load-extension", "LOAD httpfs"),
    ("explain-analyze-load", "EXPLAIN ANALYZE LOAD httpfs"),
    ("load-extension-file", "LOAD '{own}/evil.duckdb_extension'"),
    ("set-external-access-on", "SET enable_external_access = true"),
    ("reset-external-access", "RESET enable_external_access"),
    ("unlock-configuration", "SET lock_configuration = false"),
    ("widen-allowed-directories", "SET allowed_directories = ['/']"),
    ("explain-analyze-set", "EXPLAIN ANALYZE SET threads = 1"),
    ("pragma-setting", "PRAGMA threads = 1"),
    ("profiling-output-to-file", "PRAGMA enable_profiling = 'json'; PRAGMA profiling_output = '{out}/profile.json'; SELECT 1"),
    ("log-queries-to-file", "SET log_query_path = '{out}/queries.log'; SELECT 1"),
    ("temp-directory-elsewhere", "SET temp_directory = '{out}/spill'"),
    ("insert", "INSERT INTO artists (artist_id, source) VALUES ('x', 'y')"),
    ("explain-analyze-insert", "EXPLAIN ANALYZE INSERT INTO artists (artist_id, source) VALUES ('x', 'y')"),
    ("update", "UPDATE artists SET name = 'x'"),
    ("delete", "DELETE FROM artists"),
    ("drop-table", "DROP TABLE artists"),
    ("create-table", "CREATE TABLE t (x INT)"),
    ("create-macro", "CREATE MACRO m(x) AS x + 1"),
    ("persistent-secret", "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')"),
    ("read-text-passwd", "SELECT * FROM read_text('/etc/passwd')"),
    ("read-blob-environ", "SELECT * FROM read_blob('/proc/self/environ')"),
    ("read-csv-passwd", "SELECT * FROM read_csv('/etc/passwd')"),
    ("read-config-file", "SELECT * FROM read_text('genrestore.toml')"),
    ("read-json-own", "SELECT * FROM read_json('{own}/data.json')"),
    ("read-parquet-own", "SELECT * FROM read_parquet('{own}/data.parquet')"),
    ("file-as-table", "SELECT * FROM '{own}/data.csv'"),
    ("glob", "SELECT * FROM glob('/etc/*')"),
    ("call-glob", "CALL glob('/etc/*')"),
    ("sniff-csv", "SELECT * FROM sniff_csv('/etc/passwd')"),
    ("read-url", "SELECT * FROM read_text('https://example.com/')"),
    ("multi-statement-copy", "SELECT 1; COPY artists TO '{out}/m.csv'"),
    ("multi-statement-install", "SELECT 1; INSTALL httpfs"),
]

# Harmless statements that may run or be refused, but must leave every file as it was.
NO_OPS = [
    ("checkpoint", "CHECKPOINT"),
    ("force-checkpoint", "FORCE CHECKPOINT"),
    ("vacuum", "VACUUM"),
    ("create-temp-table", "CREATE TEMP TABLE tt AS SELECT * FROM artists; SELECT count(*) FROM tt"),
    ("explain-analyze-create-temp", "EXPLAIN ANALYZE CREATE TEMP TABLE tt AS SELECT 1"),
    ("create-temp-macro", "CREATE TEMP MACRO plus1(x) AS x + 1; SELECT plus1(1)"),
    ("detach", "USE memory; DETACH {db}"),
    ("load-built-in-extension", "LOAD json"),  # statically linked: nothing to load
]

LEGIT = [
    ("select", "SELECT artist_id, name FROM artists ORDER BY artist_id", "Rock Band"),
    ("with", "WITH g AS (SELECT unnest(genres) AS genre FROM artists) SELECT genre FROM g ORDER BY 1", "hard rock"),
    ("describe", "DESCRIBE artists", "artist_id"),
    ("show-tables", "SHOW TABLES", "artists"),
    ("explain-select", "EXPLAIN SELECT count(*) FROM artists", "physical_plan"),
    ("summarize", "SUMMARIZE artists", "artist_id"),
    ("two-statements", "SELECT 1 AS first; SELECT 2 AS last", "last"),
]


def _make_place(root: Path) -> dict:
    """A warehouse with a snapshot, an unrelated DuckDB file, one's own data files, a secret config."""
    var = root / "var"
    with Writer(var / "warehouse.duckdb") as w:
        with w.transaction() as con:
            upsert(con, "artists", [
                {"artist_id": "a1", "name": "Rock Band", "genres": ["rock", "hard rock"], "source": "t"},
                {"artist_id": "a2", "name": "Quiet", "genres": [], "source": "t"},
            ], ["artist_id"])
        create_snapshot(w, var / "snapshots")
    import duckdb

    other = duckdb.connect(str(root / "other.duckdb"))
    other.execute("CREATE TABLE t (x INT)")
    other.close()
    own = root / "own"
    own.mkdir()
    (own / "data.csv").write_text("a,b\n1,own-csv-row\n")
    (own / "data.json").write_text('[{"a": 1, "b": "own-json-row"}]\n')
    pq.write_table(pa.table({"a": [1], "b": ["own-parquet-row"]}), own / "data.parquet")
    (own / "evil.duckdb_extension").write_bytes(b"not an extension")
    (root / "out").mkdir()
    (root / "genrestore.toml").write_text(f'client_secret = "{TOML_CANARY}"\n')
    snapshot = next((var / "snapshots").glob("*.duckdb"))
    return {
        "root": root, "warehouse": var / "warehouse.duckdb", "snapshot": snapshot,
        "other": root / "other.duckdb", "own": own, "out": root / "out",
    }


@pytest.fixture
def place(tmp_path):
    return _make_place(tmp_path)


@pytest.fixture(scope="module")
def shared_place(tmp_path_factory):
    """One place for the in-process tests; each still compares every file before and after."""
    return _make_place(tmp_path_factory.mktemp("sql_security"))


def _fill(sql: str, place: dict, db: str = "") -> str:
    return sql.format(db=db, **{k: str(v) for k, v in place.items() if k != "root"})


def file_hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256): a change, a new or a lost file shows."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _assert_refused_in_one_line(res) -> None:
    err = res.stderr.strip()
    assert res.returncode != 0, f"ran (exit 0): stdout={res.stdout[:300]!r}"
    assert "Traceback" not in res.stderr
    assert err.startswith("error:") and "\n" not in err, err
    assert res.stdout == ""


TARGETS = {"snapshot": [], "live": ["--live"]}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("attack", [a[1] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_cli_refuses_attack(place, cli, target, attack):
    before = file_hashes(place["root"])
    res = cli("sql", *TARGETS[target], _fill(attack, place), env={"SQLSEC_CANARY": ENV_CANARY})
    _assert_refused_in_one_line(res)
    assert TOML_CANARY not in res.stderr and ENV_CANARY not in res.stderr and "root:" not in res.stderr
    assert file_hashes(place["root"]) == before


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("statement", [a[1] for a in NO_OPS], ids=[a[0] for a in NO_OPS])
def test_cli_harmless_statements_touch_no_file(place, cli, target, statement):
    before = file_hashes(place["root"])
    db = place["warehouse"].stem if target == "live" else place["snapshot"].stem
    res = cli("sql", *TARGETS[target], _fill(statement, place, db=f'"{db}"'))
    assert "Traceback" not in res.stderr
    if res.returncode != 0:
        _assert_refused_in_one_line(res)
    assert file_hashes(place["root"]) == before


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("query,expected", [a[1:] for a in LEGIT], ids=[a[0] for a in LEGIT])
def test_cli_legit_queries_still_work(place, cli, target, query, expected):
    before = file_hashes(place["root"])
    res = cli("sql", *TARGETS[target], "-f", "csv", query)
    assert res.returncode == 0, res.stderr
    assert expected in res.stdout
    assert file_hashes(place["root"]) == before


def _run_sqlalchemy(engine, sql):
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(sql)).fetchall()


def _run_pandas(engine, sql):
    import pandas as pd
    from sqlalchemy import text

    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn)


def _run_polars(engine, sql):
    import polars as pl

    with engine.connect() as conn:
        return pl.read_database(sql, conn)


CLIENTS = {"sqlalchemy": _run_sqlalchemy, "pandas": _run_pandas, "polars": _run_polars}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("attack", [a[1] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_engine_refuses_attack(shared_place, monkeypatch, client, attack):
    place = shared_place
    monkeypatch.chdir(place["root"])
    before = file_hashes(place["root"])
    engine = sqlalchemy_engine(place["snapshot"])
    try:
        with pytest.raises(Exception) as info:
            CLIENTS[client](engine, _fill(attack, place))
    finally:
        engine.dispose()
    assert TOML_CANARY not in str(info.value) and "root:" not in str(info.value)
    assert file_hashes(place["root"]) == before


@pytest.mark.parametrize("client", CLIENTS)
def test_engine_reads_the_snapshot(place, client):
    engine = sqlalchemy_engine(place["snapshot"])
    try:
        result = CLIENTS[client](engine, "SELECT artist_id, name FROM artists ORDER BY artist_id")
    finally:
        engine.dispose()
    assert len(result) == 2 and "Rock Band" in str(result)


def test_library_readers_are_locked(place, monkeypatch):
    """open_readable / connect_readonly give the same locked connection the CLI uses."""
    import duckdb

    monkeypatch.chdir(place["root"])
    settings = load_settings(var_dir=place["root"] / "var")
    for live in (False, True):
        con = open_readable(settings, live=live)
        try:
            assert con.execute("SELECT count(*) FROM artists").fetchall() == [(2,)]
            for sql in ("COPY artists TO 'out/x.csv'", "SELECT * FROM read_text('/etc/passwd')",
                        "SET enable_external_access = true", "INSTALL httpfs"):
                with pytest.raises(duckdb.Error):
                    con.execute(sql)
        finally:
            con.close()


def test_allow_files_reads_own_files_only(place, cli):
    before = file_hashes(place["root"])
    res = cli("sql", "--allow-files", "own", "-f", "csv",
              "SELECT b FROM read_csv('own/data.csv') UNION ALL SELECT b FROM read_parquet('own/*.parquet') ORDER BY 1")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ['"b"', '"own-csv-row"', '"own-parquet-row"']
    for attack in ("SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM read_text('genrestore.toml')",
                   "SELECT * FROM read_text('own/../genrestore.toml')",
                   "COPY (SELECT 'junk') TO '{snapshot}' (FORMAT csv)", "SET allowed_directories = ['/']"):
        res = cli("sql", "--allow-files", "own", _fill(attack, place))
        _assert_refused_in_one_line(res)
        assert TOML_CANARY not in res.stderr
    assert file_hashes(place["root"]) == before


@pytest.mark.parametrize("folder", ["var", "var/snapshots", ".", "no-such-dir"])
def test_allow_files_never_opens_the_warehouse_folders(place, cli, folder):
    res = cli("sql", "--allow-files", folder, "SELECT 1")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "--allow-files" in res.stderr and "\n" not in res.stderr.strip()


def test_allow_files_checked_in_the_library(place):
    settings = load_settings(var_dir=place["root"] / "var")
    with pytest.raises(UsageError, match="--allow-files"):
        open_readable(settings, allow_files=[place["root"] / "var"])


LONG_QUERY = ("SELECT count(*) FROM range(100000000) a, range(100000000) b "
              "WHERE a.range + b.range < 0")


def test_timeout_interrupts_a_long_query(place, cli):
    started = time.monotonic()
    res = cli("sql", "--timeout", "1", LONG_QUERY, timeout=120)
    elapsed = time.monotonic() - started
    _assert_refused_in_one_line(res)
    assert res.returncode == 1 and "interrupted after 1 s" in res.stderr
    assert elapsed < 60  # the cross join alone would run for hours


def test_timeout_comes_from_the_settings(place, cli):
    res = cli("sql", LONG_QUERY, env={"GENRESTORE_SQL__TIMEOUT_SECONDS": "1"}, timeout=120)
    _assert_refused_in_one_line(res)
    assert "interrupted after 1 s" in res.stderr and "sql.timeout_seconds" in res.stderr


def test_row_cap(place, cli):
    env = {"GENRESTORE_SQL__MAX_ROWS": "5"}
    res = cli("sql", "-f", "csv", "SELECT * FROM range(5)", env=env)
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 6, res.stderr
    res = cli("sql", "-f", "csv", "SELECT * FROM range(6)", env=env)
    _assert_refused_in_one_line(res)
    assert "more than 5 rows" in res.stderr and "LIMIT" in res.stderr
    res = cli("sql", "-f", "csv", "--max-rows", "10", "SELECT * FROM range(6)", env=env)
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 7, res.stderr
