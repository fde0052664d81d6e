"""Importers: real-file counts, sentinels, rejects, corrupt inputs, idempotence, source ownership."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

import warehouse
from ingest.datasets import (
    TableCounts,
    import_fma_genres,
    import_music_genre,
    import_musicoset,
    import_spotify_songs,
)
from ingest.datasets import ImportFailed
from warehouse import Writer

from . import synthetic


def hash_of(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return warehouse.content_hash(con)
    finally:
        con.close()


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def one(path: Path, sql: str):
    return query(path, sql)[0][0]


@pytest.fixture
def wh(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def musicoset_copy(musicoset_warehouse, tmp_path) -> Path:
    """A private copy of the session's MusicOSet warehouse, free to modify."""
    dst = tmp_path / "musicoset.duckdb"
    shutil.copyfile(musicoset_warehouse, dst)
    return dst


# ───────────────────────────── real files ─────────────────────────────

@pytest.mark.realdata
def test_musicoset_real_counts(musicoset_warehouse):
    p = musicoset_warehouse
    assert one(p, "SELECT count(*) FROM artists") == 11_518
    assert one(p, "SELECT count(*) FROM tracks") == 20_405
    assert one(p, "SELECT count(*) FROM audio_features") == 20_405
    assert one(p, "SELECT count(*) FROM albums") == 26_522
    assert one(p, "SELECT count(*) FROM genres") == 1_560
    assert one(p, "SELECT count(DISTINCT genre) FROM artist_genres") == 1_560
    # known-empty genre lists stay [] (not NULL); followers 'None' → NULL; artist_type '-' → NULL
    assert one(p, "SELECT count(*) FROM artists WHERE len(genres) = 0") == 3_148
    assert one(p, "SELECT count(*) FROM artists WHERE genres IS NULL") == 0
    assert one(p, "SELECT count(*) FROM artists WHERE followers IS NULL") == 2
    assert one(p, "SELECT count(*) FROM artists WHERE artist_type IS NULL") == 4_466
    assert one(p, "SELECT count(*) FROM artists WHERE artist_type LIKE '%''%'") == 0
    assert query(p, "SELECT genre, count(*) FROM artist_genres GROUP BY 1 ORDER BY 2 DESC LIMIT 3") == [
        ("rock", 548), ("pop", 468), ("dance pop", 427)]
    assert one(p, "SELECT count(*) FROM tracks WHERE duration_ms IS NULL OR explicit IS NULL") == 0
    # every song has its artists in dict order, the first at position 0
    assert one(p, "SELECT count(DISTINCT track_id) FROM track_artists WHERE position = 0") == 20_405
    assert query(p, "SELECT artist_id, position FROM track_artists WHERE track_id = '3e9HZxeyfWwjeyPAMmWSSQ'") == [
        ("66CXWjxzNUsdJxJ2JdwvnR", 0)]
    # yearly popularity as observations on Dec 31, plus one current observation per artist
    assert one(p, "SELECT count(*) FROM artist_observations WHERE year_end_score IS NOT NULL") == 36_997
    assert one(p, "SELECT count(*) FROM album_observations") == 39_469
    assert one(p, "SELECT count(*) FROM track_observations WHERE year_end_score IS NOT NULL") == 25_193
    assert one(p, "SELECT count(*) FROM artist_observations WHERE year_end_score IS NOT NULL "
                  "AND (month(observed_at) <> 12 OR day(observed_at) <> 31)") == 0
    assert one(p, "SELECT count(DISTINCT artist_id) FROM artist_observations WHERE popularity IS NOT NULL") == 11_518
    assert one(p, "SELECT count(*) FROM rejects") == 0
    assert query(p, "SELECT DISTINCT source FROM artists UNION SELECT DISTINCT source FROM tracks") == [("musicoset",)]


@pytest.mark.realdata
@pytest.mark.slow
def test_musicoset_reimport_changes_nothing(musicoset_copy, data_dir):
    before = hash_of(musicoset_copy)
    with Writer(musicoset_copy) as w:
        report = import_musicoset(w, data_dir / "musicoset", progress=False)
    assert report.rejected == 0 and report.merged == 0
    # nothing inserted or rewritten: every row is counted as unchanged
    assert report.tables["artists"] == TableCounts(unchanged=11_518)
    assert all(c.inserted == c.updated == c.other_source == 0 for c in report.tables.values())
    assert report.tables["tracks"].unchanged == 20_405
    assert hash_of(musicoset_copy) == before


@pytest.mark.realdata
def test_music_genre_real(data_dir, wh):
    with Writer(wh) as w:
        report = import_music_genre(w, data_dir / "music_genre" / "music_genre.csv.gz", progress=False)
    assert report.tables == {"ds_music_genre": TableCounts(inserted=50_000)}
    assert report.rejected == 5 and report.merged == 0
    assert one(wh, "SELECT count(*) FROM ds_music_genre") == 50_000
    # sentinels → NULL (counts from the data README)
    assert one(wh, "SELECT count(*) FROM ds_music_genre WHERE tempo IS NULL") == 4_980
    assert one(wh, "SELECT count(*) FROM ds_music_genre WHERE duration_ms IS NULL") == 4_939
    assert one(wh, "SELECT count(*) FROM ds_music_genre WHERE artist_name IS NULL") == 2_489
    assert query(wh, "SELECT music_genre, count(*) FROM ds_music_genre GROUP BY 1 HAVING count(*) <> 5000") == []
    rejects = query(wh, "SELECT source, file, line, reason FROM rejects ORDER BY line")
    assert [(r[0], Path(r[1]).name, r[2], r[3]) for r in rejects] == [
        ("music_genre", "music_genre.csv.gz", line, "empty row") for line in range(10_002, 10_007)]


@pytest.mark.realdata
def test_spotify_songs_real_fresh_and_idempotent(data_dir, wh):
    file = data_dir / "tidytuesday_spotify_songs" / "spotify_songs.csv.gz"
    with Writer(wh) as w:
        report = import_spotify_songs(w, file, progress=False)
        first = warehouse.content_hash(w.con)
        again = import_spotify_songs(w, file, progress=False)
        assert warehouse.content_hash(w.con) == first
    assert report.tables["ds_spotify_songs"] == TableCounts(inserted=32_833)
    assert report.tables["tracks"] == TableCounts(inserted=28_356)
    assert report.tables["playlist_items"] == TableCounts(inserted=32_833)
    assert report.rejected == 0 and report.merged == 0
    # the second import writes nothing and says so, table by table
    assert {t: c.unchanged for t, c in again.tables.items()} == {t: c.inserted for t, c in report.tables.items()}
    assert all(c.inserted == c.updated == 0 for c in again.tables.values())
    assert one(wh, "SELECT count(*) FROM tracks") == 28_356
    assert one(wh, "SELECT count(*) FROM audio_features") == 28_356
    assert one(wh, "SELECT count(*) FROM playlist_items") == 32_833
    assert one(wh, "SELECT count(*) FROM playlists") == one(wh, "SELECT count(DISTINCT playlist_id) FROM ds_spotify_songs")
    assert one(wh, "SELECT count(*) FROM ds_spotify_songs WHERE track_name IS NULL") == 5
    # positions are 0..n-1 within each playlist, in file order
    assert one(wh, "SELECT count(*) FROM (SELECT playlist_id, max(position) + 1 AS n, count(*) AS c "
                   "FROM playlist_items GROUP BY 1) WHERE n <> c") == 0
    assert query(wh, "SELECT position, track_id FROM playlist_items WHERE playlist_id = '37i9dQZF1DXcZDD7cfEKhW' "
                     "AND position < 2 ORDER BY position") == [(0, "6f807x0ima9a1j3VPbc7VN"), (1, "0r7CVbZTWZgbTCYdfa2P31")]


@pytest.mark.realdata
def test_spotify_songs_never_overwrites_musicoset(musicoset_copy, data_dir):
    musicoset_tracks = "SELECT count(*), sum(hash(t)) FROM tracks t WHERE source = 'musicoset'"
    before = query(musicoset_copy, musicoset_tracks)
    with Writer(musicoset_copy) as w:
        report = import_spotify_songs(w, data_dir / "tidytuesday_spotify_songs" / "spotify_songs.csv.gz",
                                      progress=False)
    assert query(musicoset_copy, musicoset_tracks) == before
    assert report.tables["tracks"] == TableCounts(inserted=28_356 - 1_914, other_source=1_914)
    assert one(musicoset_copy, "SELECT count(*) FROM tracks") == 20_405 + 28_356 - 1_914
    assert one(musicoset_copy, "SELECT count(*) FROM audio_features WHERE source = 'musicoset'") == 20_405
    assert one(musicoset_copy, "SELECT count(*) FROM playlist_items") == 32_833


@pytest.mark.realdata
def test_fma_genres_real(data_dir, wh):
    with Writer(wh) as w:
        import_fma_genres(w, data_dir / "fma_metadata" / "genres.csv.gz", progress=False)
    assert one(wh, "SELECT count(*) FROM fma_genres") == 163
    assert one(wh, "SELECT count(*) FROM fma_genres WHERE parent_id IS NULL") == 16
    assert one(wh, "SELECT count(*) FROM fma_genres WHERE parent_id IS NULL AND top_level_id <> genre_id") == 0
    assert one(wh, "SELECT count(*) FROM fma_genres WHERE parent_id = 0") == 0


# ───────────────────────────── synthetic files (no real data needed) ─────────────────────────────

def test_synthetic_musicoset_semantics(tmp_path, wh):
    directory = synthetic.musicoset_dir(tmp_path / "mo")
    with Writer(wh) as w:
        report = import_musicoset(w, directory, progress=False)
    assert report.rejected == 0
    assert query(wh, "SELECT artist_id, name, followers, artist_type, genres FROM artists ORDER BY 1") == [
        ("artA", "Ann", 1000, "singer", ["dance pop", "pop"]),
        ("artB", "Bob's \"Band\"", None, "band", ["rock 'n' roll", "rock"]),
        ("artC", "Cy", 7, None, []),
    ]
    assert query(wh, "SELECT genre FROM genres ORDER BY 1") == [("dance pop",), ("pop",), ("rock",), ("rock 'n' roll",)]
    assert query(wh, "SELECT track_id, artist_id, position FROM track_artists ORDER BY 1, 3") == [
        ("s1", "artA", 0), ("s2", "artB", 0), ("s2", "artA", 1), ("s3", "artC", 0)]
    assert query(wh, "SELECT track_id, album_id, track_number, duration_ms, explicit, popularity FROM tracks ORDER BY 1") == [
        ("s1", "alb1", 1, 200000, True, 70), ("s2", "alb1", 2, 200001, False, 50), ("s3", "alb2", 5, 200002, False, 10)]
    assert query(wh, "SELECT album_id, release_year, release_date_precision FROM albums ORDER BY 1") == [
        ("alb1", 2018, "day"), ("alb2", 1999, "year"), ("alb3", 2001, "month")]
    assert query(wh, "SELECT album_id, artist_id, position FROM album_artists ORDER BY 1") == [
        ("alb1", "artA", 0), ("alb2", "artC", 0), ("alb3", "artB", 0)]
    assert query(wh, "SELECT strftime(observed_at, '%Y-%m-%d'), year_end_score FROM artist_observations "
                     "WHERE artist_id = 'artA' AND year_end_score IS NOT NULL ORDER BY 1") == [
        ("2017-12-31", 100.0), ("2018-12-31", 150.0)]
    assert one(wh, "SELECT count(*) FROM artist_observations WHERE year_end_score IS NULL") == 3
    assert one(wh, "SELECT tempo FROM audio_features WHERE track_id = 's1'") == 120.5


def test_synthetic_musicoset_plain_lf_files(tmp_path, wh):
    directory = synthetic.musicoset_dir(tmp_path / "mo", gz=False, crlf=False)
    with Writer(wh) as w:
        report = import_musicoset(w, directory, progress=False)
    assert report.tables["artists"] == report.tables["tracks"] == TableCounts(inserted=3)


def test_bad_python_repr_is_rejected_not_evaluated(tmp_path, wh):
    directory = synthetic.musicoset_dir(tmp_path / "mo")
    artists = directory / "musicoset_metadata" / "artists.csv.gz"
    text = gzip.decompress(artists.read_bytes()).decode()
    # a call expression: eval would run it, literal_eval refuses it
    text = text.replace("['dance pop', 'pop']", "__import__('os').system('touch pwned')")
    synthetic.write_text(artists, text)
    with Writer(wh) as w:
        report = import_musicoset(w, directory, progress=False, max_reject_share=0.5)
    assert report.rejected == 1
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    file, line, reason = query(wh, "SELECT file, line, reason FROM rejects")[0]
    assert (Path(file).name, line) == ("artists.csv.gz", 2)
    assert reason == "genres: not a Python list literal"
    assert query(wh, "SELECT artist_id FROM artists ORDER BY 1") == [("artB",), ("artC",)]


def test_single_bad_row_goes_to_rejects_rest_imported(tmp_path, wh):
    rows = synthetic.music_genre_rows(300)
    rows[41][3] = "lots"                       # popularity not a number → line 43 (header is line 1)
    rows[99] = rows[99] + ["extra"]            # a ragged row → line 101
    file = synthetic.write_text(tmp_path / "music_genre.csv.gz", synthetic.music_genre_csv(rows))
    with Writer(wh) as w:
        report = import_music_genre(w, file, progress=False)
        h = warehouse.content_hash(w.con)
        again = import_music_genre(w, file, progress=False)
        assert warehouse.content_hash(w.con) == h   # rejects are recorded once, too
    assert report.rejected == again.rejected == 2
    assert report.tables == {"ds_music_genre": TableCounts(inserted=298)}
    assert again.tables == {"ds_music_genre": TableCounts(unchanged=298)}
    assert query(wh, "SELECT source, file, line, reason FROM rejects ORDER BY line") == [
        ("music_genre", str(file), 43, "popularity: not a number (lots)"),
        ("music_genre", str(file), 101, "has 19 fields, expected 18"),
    ]
    assert one(wh, "SELECT record FROM rejects WHERE line = 43").startswith("10041.0,")
    # sentinels of the synthetic rows (every 10th row from 3/4/5) are NULL
    assert one(wh, "SELECT count(*) FROM ds_music_genre WHERE tempo IS NULL") == 30
    assert one(wh, "SELECT count(*) FROM ds_music_genre WHERE artist_name IS NULL") == 30
    assert one(wh, "SELECT count(*) FROM ds_music_genre WHERE duration_ms IS NULL") == 30


def _good_warehouse(tmp_path, wh) -> str:
    """A warehouse with something in it, and its content hash."""
    with Writer(wh) as w:
        import_musicoset(w, synthetic.musicoset_dir(tmp_path / "mo"), progress=False)
        return warehouse.content_hash(w.con)


def _corrupt_music_genre(tmp_path: Path, kind: str) -> Path:
    rows = synthetic.music_genre_rows(200)
    file = tmp_path / f"{kind}.csv.gz"
    if kind == "truncated":
        data = gzip.compress(synthetic.music_genre_csv(rows).encode())
        file.write_bytes(data[: len(data) // 2])
    elif kind == "missing_column":
        cols = [c for c in synthetic.MUSIC_GENRE_COLUMNS if c != "tempo"]
        idx = synthetic.MUSIC_GENRE_COLUMNS.index("tempo")
        synthetic.write_text(file, synthetic.music_genre_csv([r[:idx] + r[idx + 1:] for r in rows], cols))
    elif kind == "non_numeric":
        for r in rows:
            r[5] = "high"   # danceability
        synthetic.write_text(file, synthetic.music_genre_csv(rows))
    elif kind == "not_utf8":
        file.write_bytes(gzip.compress(b"instance_id,\xff\xfe\n1,2\n"))
    elif kind == "empty":
        file.write_bytes(b"")
    return file


@pytest.mark.parametrize("kind, message", [
    ("truncated", "truncated gzip"),
    ("missing_column", "missing column(s) tempo"),
    ("non_numeric", "danceability: not a number"),
    ("not_utf8", "not UTF-8"),
    ("empty", "empty file"),
])
def test_corrupt_file_fails_and_changes_nothing(tmp_path, wh, kind, message):
    before = _good_warehouse(tmp_path, wh)
    file = _corrupt_music_genre(tmp_path, kind)
    with Writer(wh) as w:
        with pytest.raises(ImportFailed) as exc:
            import_music_genre(w, file, progress=False)
        assert warehouse.content_hash(w.con) == before
    text = str(exc.value)
    assert message in text and str(file) in text and "\n" not in text


def test_corrupt_later_file_of_musicoset_writes_nothing(tmp_path, wh):
    directory = synthetic.musicoset_dir(tmp_path / "mo")
    features = directory / "musicoset_songfeatures" / "acoustic_features.csv.gz"
    features.write_bytes(features.read_bytes()[:-12])
    with Writer(wh) as w:
        empty = warehouse.content_hash(w.con)
        with pytest.raises(ImportFailed, match="acoustic_features.csv.gz: truncated gzip"):
            import_musicoset(w, directory, progress=False)
        assert warehouse.content_hash(w.con) == empty
        assert w.con.execute("SELECT count(*) FROM artists").fetchone()[0] == 0


def test_missing_musicoset_file_is_named(tmp_path, wh):
    directory = synthetic.musicoset_dir(tmp_path / "mo")
    (directory / "musicoset_metadata" / "songs.csv.gz").unlink()
    with Writer(wh) as w, pytest.raises(ImportFailed, match="musicoset_metadata/songs.csv"):
        import_musicoset(w, directory, progress=False)


def test_spotify_songs_keeps_rows_of_other_sources(tmp_path, wh):
    text, rows = synthetic.spotify_songs_csv()
    file = synthetic.write_text(tmp_path / "spotify_songs.csv", text, gz=False)
    crawled = rows[0][0]
    with Writer(wh) as w:
        with w.transaction() as con:
            con.execute("INSERT INTO tracks (track_id, name, popularity, source) VALUES (?, 'From API', 99, 'spotify:extended')",
                        [crawled])
        report = import_spotify_songs(w, file, progress=False)
    distinct = len({r[0] for r in rows})
    assert report.tables["ds_spotify_songs"] == TableCounts(inserted=len(rows))
    assert report.tables["tracks"] == TableCounts(inserted=distinct - 1, other_source=1)
    assert query(wh, f"SELECT name, popularity, source FROM tracks WHERE track_id = '{crawled}'") == [
        ("From API", 99, "spotify:extended")]
    assert one(wh, "SELECT count(*) FROM tracks") == distinct
    assert one(wh, "SELECT count(*) FROM playlist_items") == len(rows)
    # playlist order: position k is the k-th row of that playlist in the file
    p0 = [r[0] for r in rows if r[8] == "playlist000000000000000"]
    got = [t for (t,) in query(wh, "SELECT track_id FROM playlist_items WHERE playlist_id = "
                                   "'playlist000000000000000' ORDER BY position")]
    assert got == p0
    assert query(wh, "SELECT DISTINCT release_date_precision FROM albums ORDER BY 1") == [("day",), ("year",)]


def test_quoted_fields_and_line_breaks_keep_true_line_numbers(tmp_path, wh):
    rows = synthetic.music_genre_rows(300)
    rows[10][2] = '"Hello, ""World"""'          # quoted comma and quotes: fast path
    lines_fast = synthetic.music_genre_csv(rows)
    rows[20][2] = '"Two\nlines"'                # a quoted line break: the csv-module path
    rows[30][3] = "x"                           # bad row after it: data row 31 sits on line 33
    file = synthetic.write_text(tmp_path / "mg.csv", synthetic.music_genre_csv(rows), gz=False)
    with Writer(wh) as w:
        report = import_music_genre(w, file, progress=False)
    assert report.rejected == 1 and report.tables == {"ds_music_genre": TableCounts(inserted=299)}
    assert query(wh, "SELECT line, reason FROM rejects") == [(33, "popularity: not a number (x)")]
    assert one(wh, "SELECT track_name FROM ds_music_genre WHERE instance_id = 10010") == 'Hello, "World"'
    assert one(wh, "SELECT track_name FROM ds_music_genre WHERE instance_id = 10020") == "Two\nlines"
    # the same file without the line break takes the vectorised path and reads the same values
    wh2 = tmp_path / "w2.duckdb"
    file2 = synthetic.write_text(tmp_path / "mg2.csv", lines_fast, gz=False)
    with Writer(wh2) as w:
        import_music_genre(w, file2, progress=False)
    assert one(wh2, "SELECT track_name FROM ds_music_genre WHERE instance_id = 10010") == 'Hello, "World"'


@pytest.mark.realdata
def test_musicoset_snapshot_fixture(musicoset_snapshot):
    assert musicoset_snapshot.row_counts["artists"] == 11_518
    assert musicoset_snapshot.row_counts["tracks"] == 20_405
    con = warehouse.connect_readonly(musicoset_snapshot.path)
    try:
        assert warehouse.content_hash(con) == musicoset_snapshot.content_hash
        assert con.execute("SELECT count(*) FROM genres").fetchone()[0] == 1_560
    finally:
        con.close()
