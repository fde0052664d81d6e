import duckdb

from warehouse import Writer, available_migrations, migrate
from warehouse._migrations import Migration


def test_fresh_file_gets_every_migration_once(tmp_path):
    path = tmp_path / "wh.duckdb"
    with Writer(path):
        pass
    with Writer(path) as w:  # reopening applies nothing twice
        versions = [r[0] for r in w.con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [m.version for m in available_migrations()]


def test_old_file_upgrades_in_place_keeping_data(tmp_path):
    path = tmp_path / "old.duckdb"
    shipped = available_migrations()
    con = duckdb.connect(str(path))
    migrate(con, shipped[:1])  # a file from the first release
    con.execute("INSERT INTO artists (artist_id, name, genres, source) VALUES ('a1', 'Old', ['rock'], 'test')")
    con.close()
    extra = Migration(9999, "test_add_column", "ALTER TABLE artists ADD COLUMN test_note VARCHAR;")
    con = duckdb.connect(str(path))
    applied = migrate(con, shipped + [extra])
    assert [m.version for m in applied] == [m.version for m in shipped[1:]] + [9999]
    assert con.execute("SELECT name, genres, test_note FROM artists").fetchall() == [("Old", ["rock"], None)]
    assert migrate(con, shipped + [extra]) == []
    con.close()


def test_failed_migration_leaves_file_as_it_was(tmp_path):
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    migrate(con)
    broken = Migration(9998, "broken", "CREATE TABLE half_done (x INT); SELECT * FROM no_such_table;")
    try:
        migrate(con, available_migrations() + [broken])
    except duckdb.Error:
        pass
    else:
        raise AssertionError("a broken migration must raise")
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "half_done" not in tables
    assert 9998 not in {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}


def test_edited_applied_migration_is_refused(tmp_path):
    """A migration edited after a file applied it is an error, never silently skipped."""
    from warehouse import MigrationMismatch

    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    shipped = available_migrations()
    migrate(con, shipped)
    first = shipped[0]
    edited = Migration(first.version, first.name, first.sql + "\n-- edited later\n")
    try:
        migrate(con, [edited] + shipped[1:])
    except MigrationMismatch as err:
        assert f"{first.version:04d}_{first.name}.sql" in str(err)
    else:
        raise AssertionError("an edited, applied migration must be refused")
    assert migrate(con, shipped) == []  # the unedited set still opens
    con.close()


def test_cli_reports_edited_migration_in_one_line(tmp_path):
    """Opening a warehouse whose recorded checksum disagrees: one line, exit 1, no traceback."""
    from tests.conftest import run_cli

    path = tmp_path / "var" / "warehouse.duckdb"
    path.parent.mkdir()
    with Writer(path):
        pass
    con = duckdb.connect(str(path))
    con.execute("UPDATE schema_migrations SET checksum = 'not-the-same' WHERE version = 1")
    con.close()
    result = run_cli("--var", str(tmp_path / "var"), "snapshot", "create", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "edited after this warehouse applied it" in result.stderr
    assert "Traceback" not in result.stderr
