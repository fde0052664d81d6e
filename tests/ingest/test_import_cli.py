"""`genrestore import ...` in real subprocesses: counts printed, one-line failures, warehouse unchanged."""

from __future__ import annotations

import gzip

import duckdb
import pytest

import warehouse
from ingest.datasets import import_fma_genres

from . import synthetic


def live_hash(tmp_path) -> str:
    con = duckdb.connect(str(tmp_path / "var" / "warehouse.duckdb"), read_only=True)
    try:
        return warehouse.content_hash(con)
    finally:
        con.close()


def live_hash_of_empty(tmp_path) -> str:
    with warehouse.Writer(tmp_path / "empty.duckdb") as w:
        return warehouse.content_hash(w.con)


@pytest.fixture
def data_root(tmp_path):
    """A synthetic data directory in the shared-data layout."""
    root = tmp_path / "data"
    synthetic.musicoset_dir(root / "musicoset")
    synthetic.write_text(root / "music_genre" / "music_genre.csv.gz",
                         synthetic.music_genre_csv(synthetic.music_genre_rows(120)))
    synthetic.write_text(root / "fma_metadata" / "genres.csv.gz",
                         "genre_id,#tracks,parent,title,top_level\n1,10,0,Rock,1\n2,5,1,Punk,1\n3,7,0,Jazz,3\n")
    return root


def test_import_all_then_default_path_reimport(cli, tmp_path, data_root):
    r = cli("--data", str(data_root), "import", "all")
    assert r.returncode == 0, r.stderr
    for name in ("musicoset", "music_genre", "fma", "artists", "ds_music_genre", "fma_genres"):
        assert name in r.stdout
    assert "120 rows read, 0 rejected" in r.stdout
    assert "spotify_songs" not in r.stdout   # not present under the data directory: skipped
    first = live_hash(tmp_path)
    r = cli("--data", str(data_root), "import", "music-genre")   # default path under --data
    assert r.returncode == 0, r.stderr
    assert "ds_music_genre │ 0        │ 0       │ 120       │" in r.stdout   # inserted, updated, unchanged
    assert live_hash(tmp_path) == first


def _corrupt(tmp_path, kind):
    rows = synthetic.music_genre_rows(150)
    bad = tmp_path / f"{kind}.csv.gz"
    if kind == "truncated":
        data = gzip.compress(synthetic.music_genre_csv(rows).encode())
        bad.write_bytes(data[:-40])
    elif kind == "missing_column":
        i = synthetic.MUSIC_GENRE_COLUMNS.index("tempo")
        cols = synthetic.MUSIC_GENRE_COLUMNS[:i] + synthetic.MUSIC_GENRE_COLUMNS[i + 1:]
        synthetic.write_text(bad, synthetic.music_genre_csv([r[:i] + r[i + 1:] for r in rows], cols))
    elif kind == "non_numeric":
        for row in rows:
            row[5] = "n/a"
        synthetic.write_text(bad, synthetic.music_genre_csv(rows))
    return bad


def test_corrupt_inputs_exit_1_one_line_warehouse_unchanged(cli, tmp_path, data_root):
    # something in the warehouse first (in-process: one subprocess fewer)
    with warehouse.Writer(tmp_path / "var" / "warehouse.duckdb") as w:
        import_fma_genres(w, data_root / "fma_metadata" / "genres.csv.gz", progress=False)
    before = live_hash(tmp_path)
    assert before != live_hash_of_empty(tmp_path)
    cases = [
        ("truncated", "truncated gzip"),
        ("missing_column", "missing column(s) tempo"),
        ("non_numeric", "danceability: not a number"),
        ("missing_file", "no such file"),
    ]
    for kind, message in cases:
        path = tmp_path / "nope.csv" if kind == "missing_file" else _corrupt(tmp_path, kind)
        r = cli("import", "music-genre", str(path))
        assert r.returncode == 1, (kind, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), (kind, r.stderr)
        assert message in lines[0] and str(path) in lines[0], (kind, lines[0])
        assert live_hash(tmp_path) == before, kind
