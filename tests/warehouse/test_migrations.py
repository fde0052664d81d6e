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
