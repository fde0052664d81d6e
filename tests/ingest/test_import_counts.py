"""`genrestore import ...` counts what it stores: repeated keys, oversized fields, re-imports.

Hand-made hostile files in tmp dirs, the CLI in real subprocesses, the warehouse read back with SQL.
"""

from __future__ import annotations

import json

import duckdb
import pytest

import warehouse

from . import synthetic

MiB = 1 << 20


def sql(tmp_path, query: str) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "var" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def live_hash(tmp_path) -> str:
    con = duckdb.connect(str(tmp_path / "var" / "warehouse.duckdb"), read_only=True)
    try:
        return warehouse.content_hash(con)
    finally:
        con.close()


def import_json(cli, *args: str) -> dict:
    """Run `genrestore import ... --json`; the report of the one data set imported."""
    r = cli("import", *args, "--json")
    assert r.returncode == 0, r.stderr
    (report,) = json.loads(r.stdout)
    return report


def music_genre_with_repeats(tmp_path, name="mg.csv"):
    """300 rows: line 201 repeats instance_id 10009 (line 11) with another popularity, line 251
    repeats line 21 exactly."""
    rows = synthetic.music_genre_rows(300)
    rows[199] = list(rows[9])
    rows[199][3] = "99.0" if rows[9][3] != "99.0" else "98.0"
    rows[249] = list(rows[19])
    return synthetic.write_text(tmp_path / name, synthetic.music_genre_csv(rows), gz=False), rows


def test_music_genre_repeated_keys_are_reported_and_counts_are_rows_stored(cli, tmp_path):
    file, _ = music_genre_with_repeats(tmp_path)
    r = cli("import", "music-genre", str(file))
    assert r.returncode == 0, r.stderr
    # 300 rows: both rows of the conflicting key rejected, the exact repeat merged, 297 stored
    assert "300 rows read, 2 rejected, 1 merged" in r.stdout
    assert "ds_music_genre │ 297      │ 0       │ 0         │" in r.stdout
    assert (f"rejected {file}:11: duplicate key instance_id=10009 (also at line 201), "
            "conflicting values in popularity") in r.stdout
    assert sql(tmp_path, "SELECT count(*) FROM ds_music_genre") == [(297,)]
    assert sql(tmp_path, "SELECT count(*) FROM ds_music_genre WHERE instance_id = 10009") == [(0,)]
    assert sql(tmp_path, "SELECT line, reason FROM rejects ORDER BY line") == [
        (11, "duplicate key instance_id=10009 (also at line 201), conflicting values in popularity"),
        (201, "duplicate key instance_id=10009 (also at line 11), conflicting values in popularity"),
    ]
    # the same file again: nothing inserted or rewritten, and the report says so
    before = live_hash(tmp_path)
    again = import_json(cli, "music-genre", str(file))
    assert again["tables"] == {"ds_music_genre": {"inserted": 0, "updated": 0, "unchanged": 297, "other_source": 0}}
    assert (again["rejected"], again["merged"], again["rows_read"]) == (2, 1, {str(file): 300})
    assert live_hash(tmp_path) == before


def test_music_genre_reimport_of_changed_file_counts_updates(cli, tmp_path):
    rows = synthetic.music_genre_rows(200)
    file = synthetic.write_text(tmp_path / "mg.csv", synthetic.music_genre_csv(rows), gz=False)
    first = import_json(cli, "music-genre", str(file))
    assert first["tables"]["ds_music_genre"] == {"inserted": 200, "updated": 0, "unchanged": 0, "other_source": 0}
    rows[5][3], rows[6][3] = "1.0", "2.0"          # two popularities changed
    rows.append(synthetic.music_genre_rows(201)[200])  # one new row
    file.write_text(synthetic.music_genre_csv(rows))
    second = import_json(cli, "music-genre", str(file))
    assert second["tables"]["ds_music_genre"] == {"inserted": 1, "updated": 2, "unchanged": 198, "other_source": 0}
    assert sql(tmp_path, "SELECT count(*) FROM ds_music_genre") == [(201,)]
    assert sql(tmp_path, "SELECT popularity FROM ds_music_genre WHERE instance_id IN (10005, 10006) ORDER BY 1") == [
        (1.0,), (2.0,)]


@pytest.mark.parametrize("line_break", [False, True], ids=["by_lines", "csv_module"])
def test_a_30_mib_field_rejects_its_row_with_file_line_and_reason(cli, tmp_path, line_break):
    rows = synthetic.music_genre_rows(300)
    rows[99][2] = "x" * (30 * MiB)                   # track_name of data row 100 → line 101
    if line_break:
        rows[10][2] = '"two\nlines"'                 # a quoted line break: the csv module reads the file
    file = synthetic.write_text(tmp_path / "big.csv", synthetic.music_genre_csv(rows), gz=False)
    line = 102 if line_break else 101
    r = cli("import", "music-genre", str(file))
    assert r.returncode == 0, r.stderr
    reason = f"track_name: field of {30 * MiB:,} bytes, over the limit of 1,048,576 (imports.max_field_bytes)"
    assert f"rejected {file}:{line}: {reason}" in r.stdout
    assert "300 rows read, 1 rejected" in r.stdout
    assert sql(tmp_path, "SELECT count(*), max(length(track_name)) FROM ds_music_genre")[0][0] == 299
    assert sql(tmp_path, "SELECT max(length(track_name)) FROM ds_music_genre")[0][0] < 100
    ((got_line, got_reason, record_len),) = sql(tmp_path, "SELECT line, reason, length(record) FROM rejects")
    assert (got_line, got_reason) == (line, reason)
    assert record_len < 2_000                        # the record is cut, not stored whole


def test_max_field_bytes_option_and_setting(cli, tmp_path):
    rows = synthetic.music_genre_rows(300)
    rows[49][2] = "y" * 2_000                        # line 51: fine by default
    file = synthetic.write_text(tmp_path / "mg.csv.gz", synthetic.music_genre_csv(rows))
    assert import_json(cli, "music-genre", str(file))["rejected"] == 0
    report = import_json(cli, "music-genre", str(file), "--max-field-bytes", "1000")
    assert report["rejected"] == 1
    assert report["first_rejects"] == [{"file": str(file), "line": 51, "reason":
                                        "track_name: field of 2,000 bytes, over the limit of 1,000 "
                                        "(imports.max_field_bytes)"}]
    # the setting (env, toml) is the default of the option
    r = cli("import", "music-genre", str(file), "--json", env={"GENRESTORE_IMPORTS__MAX_FIELD_BYTES": "1500"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["rejected"] == 1
    r = cli("import", "music-genre", str(file), "--max-field-bytes", "0")
    assert r.returncode == 2 and "max-field-bytes" in r.stderr


def test_spotify_songs_memberships_count_honestly_and_conflicts_are_rejected(cli, tmp_path):
    text, rows = synthetic.spotify_songs_csv(tracks=60, playlists=3)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[0]] = counts.get(row[0], 0) + 1
    twice = next(t for t, n in counts.items() if n == 2)          # a track in exactly two playlists
    lines = [i + 2 for i, row in enumerate(rows) if row[0] == twice]
    rows[lines[1] - 2][3] = str(int(rows[lines[0] - 2][3]) + 1)   # its popularity differs in the second
    header = text.splitlines()[0]
    file = synthetic.write_text(tmp_path / "songs.csv",
                                "\n".join([header] + [",".join(r) for r in rows]) + "\n", gz=False)
    report = import_json(cli, "spotify-songs", str(file), "--max-reject-share", "0.05")
    distinct = len(counts)
    assert report["rejected"] == 2 and report["merged"] == 0
    assert report["tables"]["ds_spotify_songs"]["inserted"] == len(rows) - 2
    assert report["tables"]["tracks"]["inserted"] == distinct - 1
    assert report["tables"]["playlist_items"]["inserted"] == len(rows) - 2
    assert sql(tmp_path, "SELECT count(*) FROM ds_spotify_songs") == [(len(rows) - 2,)]
    assert sql(tmp_path, "SELECT count(*) FROM tracks") == [(distinct - 1,)]
    assert sql(tmp_path, "SELECT count(*) FROM playlist_items") == [(len(rows) - 2,)]
    assert sql(tmp_path, "SELECT line, reason FROM rejects ORDER BY line") == [
        (lines[0], f"duplicate key track_id={twice} (also at line {lines[1]}), conflicting values in track_popularity"),
        (lines[1], f"duplicate key track_id={twice} (also at line {lines[0]}), conflicting values in track_popularity"),
    ]


def test_musicoset_exact_repeat_merged_conflicting_repeat_rejected(cli, tmp_path):
    directory = synthetic.musicoset_dir(tmp_path / "mo", gz=False, crlf=False)
    artists = directory / "musicoset_metadata" / "artists.csv"
    artists.write_text(artists.read_text() + artists.read_text().splitlines()[1] + "\n")   # artA again, same
    songs = directory / "musicoset_metadata" / "songs.csv"
    s3 = songs.read_text().splitlines()[3]
    songs.write_text(songs.read_text() + s3.replace("\t10\t", "\t11\t") + "\n")             # s3 again, popularity 11
    report = import_json(cli, "musicoset", str(directory), "--max-reject-share", "0.5")
    assert report["merged"] == 1 and report["rejected"] == 2
    assert report["tables"]["artists"]["inserted"] == 3 == sql(tmp_path, "SELECT count(*) FROM artists")[0][0]
    assert report["tables"]["tracks"]["inserted"] == 2 == sql(tmp_path, "SELECT count(*) FROM tracks")[0][0]
    assert sql(tmp_path, "SELECT file, line, reason FROM rejects ORDER BY line") == [
        (str(songs), 4, "duplicate key song_id=s3 (also at line 5), conflicting values in popularity"),
        (str(songs), 5, "duplicate key song_id=s3 (also at line 4), conflicting values in popularity"),
    ]
    assert sql(tmp_path, "SELECT count(*) FROM track_artists WHERE track_id = 's3'") == [(0,)]


def test_fma_exact_repeat_merged_and_counted(cli, tmp_path):
    text = "genre_id,#tracks,parent,title,top_level\n1,10,0,Rock,1\n2,5,1,Punk,1\n2,5,1,Punk,1\n3,7,0,Jazz,3\n"
    file = synthetic.write_text(tmp_path / "genres.csv.gz", text)
    r = cli("import", "fma-genres", str(file))
    assert r.returncode == 0, r.stderr
    assert "4 rows read, 0 rejected, 1 merged (exact repeats of an earlier row)" in r.stdout
    assert "fma_genres │ 3        │" in r.stdout
    assert sql(tmp_path, "SELECT count(*) FROM fma_genres") == [(3,)]
