"""`genrestore features ...` and `genrestore taxonomy ...` in real subprocesses."""

from __future__ import annotations

import json
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
    r = cli("taxonomy", "show", "--dendrogram", str(tmp_path / "tree.png"), "--plot", str(tmp_path / "levels.png"))
    assert r.returncode == 0, r.stderr
    assert "mean bootstrap ARI" in r.stdout and "largest family" in r.stdout and "subfamilies" in r.stdout
    for png in ("tree.png", "levels.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = cli("taxonomy", "show", "1", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)  # nothing but the JSON on stdout
    assert set(doc) == {"version", "levels", "families", "tags"} and doc["version"] == 1
    assert doc["levels"] == ["family", "subfamily"]
    assert all(set(g) == {"id", "name", "level", "parent_id", "artists", "share", "top_tags"} for g in doc["families"])
    fams = {g["id"] for g in doc["families"] if g["level"] == "family"}
    subs = {g["id"]: g["parent_id"] for g in doc["families"] if g["level"] == "subfamily"}
    assert fams and subs and set(subs.values()) <= fams and not fams & set(subs)
    assert all(g["parent_id"] is None for g in doc["families"] if g["level"] == "family")
    assert all(set(t) == {"genre", "family_id", "subfamily_id", "placement"} for t in doc["tags"])
    for t in doc["tags"]:
        assert t["placement"] in ("clustered", "head-word", "fma", "co-occurrence", "unplaced")
        assert (t["family_id"] is None) == (t["placement"] == "unplaced")
        assert t["family_id"] is None or subs[t["subfamily_id"]] == t["family_id"]
    assert any(t["placement"] == "clustered" for t in doc["tags"])
    # grow the catalog, publish again, build a second version and compare
    with Writer(settings.warehouse_file) as writer, writer.transaction() as con:
        con.execute("INSERT INTO artists (artist_id, name, genres, source) "
                    "SELECT artist_id || '-twin', name, genres, 'test' FROM artists WHERE genres IS NOT NULL "
                    "AND hash(artist_id) % 10 = 0")
    assert cli("snapshot", "create").returncode == 0
    r = cli("taxonomy", "build", "--bootstrap", "2", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert "taxonomy version 2" in r.stdout and "of tag uses kept their family id from version 1" in r.stdout
    r = cli("taxonomy", "diff", "1", "2")
    assert r.returncode == 0, r.stderr
    assert "kept their family id" in r.stdout and "family ids matched" in r.stdout
    assert "subfamily ids matched" in r.stdout
    r = cli("taxonomy", "build", "--k-min", "9", "--k-max", "4")
    assert r.returncode == 2 and "--k-max" in r.stderr and "Traceback" not in r.stderr
    r = cli("taxonomy", "build", "--fma", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    r = cli("taxonomy", "show", "99")
    assert r.returncode == 2 and "no taxonomy version 99" in r.stderr and "Traceback" not in r.stderr
