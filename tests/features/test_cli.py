"""`genrestore features ...` and `genrestore taxonomy ...` in real subprocesses."""

from __future__ import annotations

import shutil

from warehouse import Writer


def test_features_list_and_show(cli):
    r = cli("features", "list")
    assert r.returncode == 0, r.stderr
    for name in ("artist_audio_profile", "artist_catalog_stats", "artist_popularity"):
        assert name in r.stdout
    r = cli("features", "show", "artist_popularity")
    assert r.returncode == 0, r.stderr
    assert "log10_followers" in r.stdout and "entity artist" in r.stdout
    r = cli("features", "show", "no_such_view")
    assert r.returncode == 2 and "known views" in r.stderr and "Traceback" not in r.stderr


def test_build_show_diff_on_a_synthetic_warehouse(cli, settings, synthetic_warehouse, tmp_path):
    path, _, _ = synthetic_warehouse
    settings.warehouse_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, settings.warehouse_file)
    assert cli("snapshot", "create").returncode == 0
    r = cli("features", "build", "--bootstrap", "2")
    assert r.returncode == 0, r.stderr
    assert "taxonomy version 1 (new)" in r.stdout and "labels: tagged" in r.stdout
    r = cli("taxonomy", "show", "--dendrogram", str(tmp_path / "tree.png"))
    assert r.returncode == 0, r.stderr
    assert "mean bootstrap ARI" in r.stdout and "largest family" in r.stdout
    assert (tmp_path / "tree.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # grow the catalog, publish again, build a second version and compare
    with Writer(settings.warehouse_file) as writer, writer.transaction() as con:
        con.execute("INSERT INTO artists (artist_id, name, genres, source) "
                    "SELECT artist_id || '-twin', name, genres, 'test' FROM artists WHERE genres IS NOT NULL "
                    "AND hash(artist_id) % 10 = 0")
    assert cli("snapshot", "create").returncode == 0
    r = cli("taxonomy", "build", "--bootstrap", "2")
    assert r.returncode == 0, r.stderr
    assert "taxonomy version 2" in r.stdout
    r = cli("taxonomy", "diff", "1", "2")
    assert r.returncode == 0, r.stderr
    assert "kept their family id" in r.stdout
    r = cli("taxonomy", "show", "99")
    assert r.returncode == 2 and "no taxonomy version 99" in r.stderr and "Traceback" not in r.stderr
