"""Catalog builders: MusicOSet counts equal the data; the synthetic generator is deterministic and
has the planted structure (long-tail tags, ~25% untagged, families recoverable from co-occurrence)."""

from __future__ import annotations

import ast
import csv
import gzip
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.metrics import adjusted_rand_score

from ingest.emulator import TABLES, build_musicoset_catalog, build_synthetic_catalog, load_catalog
from ingest.emulator._synthetic import generate_synthetic_frames
from ingest.emulator.running import running_emulator, spotipy_client

# spotipy warns that Spotify deprecated some endpoints; exercising them is the point here.
pytestmark = pytest.mark.filterwarnings("ignore:You're using:DeprecationWarning")


@pytest.fixture(scope="module")
def synthetic5k():
    return generate_synthetic_frames(5000, seed=11)


def test_synthetic_is_deterministic_per_seed(tmp_path):
    a = generate_synthetic_frames(800, seed=3)
    b = generate_synthetic_frames(800, seed=3)
    c = generate_synthetic_frames(800, seed=4)
    for name in TABLES:
        assert_frame_equal(a[name], b[name])
    assert a["artists"]["artist_id"].to_list() != c["artists"]["artist_id"].to_list()
    m1 = build_synthetic_catalog(tmp_path / "one", artists=300, seed=5)
    m2 = build_synthetic_catalog(tmp_path / "two", artists=300, seed=5)
    assert m1["counts"] == m2["counts"] and m1["fingerprint"] == m2["fingerprint"]
    for name in TABLES:
        assert_frame_equal(pl.read_parquet(tmp_path / "one" / f"{name}.parquet"),
                           pl.read_parquet(tmp_path / "two" / f"{name}.parquet"))


def test_synthetic_untagged_share_and_long_tail(synthetic5k):
    artists, tags = synthetic5k["artists"], synthetic5k["artist_genres"]
    untagged = 1 - tags["artist_id"].n_unique() / artists.height
    assert 0.22 <= untagged <= 0.28
    per_tag = tags.group_by("genre").len()["len"].sort(descending=True).to_numpy()
    assert per_tag[0] >= 20 * np.median(per_tag)  # a few big tags ...
    assert (per_tag <= 2).mean() > 0.25  # ... and a long tail of rare ones
    top_decile = per_tag[: max(1, len(per_tag) // 10)].sum() / per_tag.sum()
    assert top_decile > 0.45
    per_artist = tags.group_by("artist_id").len()["len"]
    assert 1 <= per_artist.min() and per_artist.max() <= 28 and 3 <= per_artist.mean() <= 5.5


def test_synthetic_families_recoverable_from_tag_cooccurrence(synthetic5k):
    tags = synthetic5k["artist_genres"]
    planted = synthetic5k["planted_genre_families"]
    common = tags.group_by("genre").len().filter(pl.col("len") >= 10)["genre"].sort().to_list()
    artists = tags["artist_id"].unique().sort().to_list()
    a_pos = {a: i for i, a in enumerate(artists)}
    g_pos = {g: i for i, g in enumerate(common)}
    incidence = np.zeros((len(common), len(artists)), dtype=bool)
    for a, g in tags.filter(pl.col("genre").is_in(common)).select("artist_id", "genre").iter_rows():
        incidence[g_pos[g], a_pos[a]] = True
    tree = linkage(pdist(incidence, metric="jaccard"), method="average")
    truth = dict(planted.select("genre", "family").iter_rows())
    k = len({truth[g] for g in common})
    found = fcluster(tree, t=k, criterion="maxclust")
    ari = adjusted_rand_score([truth[g] for g in common], found)
    print(f"tags {len(common)}, families {k}, ARI {ari:.3f}")
    assert len(common) >= 150 and ari > 0.8, (len(common), ari)


def test_synthetic_audio_features_depend_on_family_with_overlap(synthetic5k):
    fam = synthetic5k["planted_artist_families"]
    feats = (synthetic5k["audio_features"].join(synthetic5k["track_artists"].filter(pl.col("position") == 0),
                                                on="track_id").join(fam, on="artist_id"))
    by_family = feats.group_by("family").agg(pl.col("energy").mean().alias("m"), pl.col("energy").std().alias("s"))
    spread_between = by_family["m"].std()
    spread_within = by_family["s"].mean()
    assert spread_between > 0.1  # families differ ...
    assert spread_within > 0.12  # ... but overlap heavily


def test_synthetic_catalog_relations_hold(synthetic5k):
    f = synthetic5k
    assert f["tracks"]["album_id"].is_in(f["albums"]["album_id"].implode()).all()
    assert f["track_artists"]["artist_id"].is_in(f["artists"]["artist_id"].implode()).all()
    collab_share = f["track_artists"].filter(pl.col("position") > 0).height / f["tracks"].height
    assert 0.05 < collab_share < 0.15
    per_artist = f["album_artists"].group_by("artist_id").len()["len"]
    assert per_artist.min() >= 1 and per_artist.max() >= 10 * per_artist.median()
    followers = f["artists"]["followers"].to_numpy()
    assert followers.max() > 1000 * np.median(followers)  # heavy tail
    assert f["playlist_items"]["track_id"].is_in(f["tracks"]["track_id"].implode()).all()


def _csv_rows(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def mos_data_dir():
    # Same rule as tests/conftest.py's data_dir fixture (which is function-scoped).
    d = Path(os.environ.get("GENRESTORE_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
    if not (d / "musicoset").is_dir():
        pytest.skip(f"real data sets not found at {d} (set GENRESTORE_DATA)")
    return d


@pytest.fixture(scope="module")
def musicoset_catalog(mos_data_dir, tmp_path_factory):
    data_dir = mos_data_dir
    out = tmp_path_factory.mktemp("mos") / "catalog"
    manifest = build_musicoset_catalog(data_dir, out)
    return out, manifest


@pytest.mark.realdata
def test_musicoset_catalog_counts_equal_the_data(musicoset_catalog, mos_data_dir):
    data_dir = mos_data_dir
    out, manifest = musicoset_catalog
    meta = data_dir / "musicoset" / "musicoset_metadata"
    artists = _csv_rows(meta / "artists.csv.gz")
    songs = _csv_rows(meta / "songs.csv.gz")
    tracks = _csv_rows(meta / "tracks.csv.gz")
    releases = _csv_rows(meta / "releases.csv.gz")
    acoustic = _csv_rows(data_dir / "musicoset" / "musicoset_songfeatures" / "acoustic_features.csv.gz")
    counts = manifest["counts"]
    assert counts["artists"] == len(artists) == 11518
    assert counts["artist_genres"] == sum(len(ast.literal_eval(a["genres"])) for a in artists)
    assert counts["tracks"] == len(tracks) == 20405
    assert counts["audio_features"] == len(acoustic) == 20405
    assert counts["albums"] == len({r["album_id"] for r in releases} | {t["album_id"] for t in tracks})
    known = {a["artist_id"] for a in artists}
    credits = sum(1 for s in songs for aid in ast.literal_eval(s["artists"]) if aid in known)
    assert counts["track_artists"] == credits
    assert counts["playlists"] > 20 and counts["playlist_items"] > 1000


@pytest.mark.realdata
def test_musicoset_catalog_served_to_spotipy(musicoset_catalog):
    out, _ = musicoset_catalog
    with running_emulator(out) as emu:
        sp = spotipy_client(emu)
        ariana = sp.artist("66CXWjxzNUsdJxJ2JdwvnR")
        assert ariana["name"] == "Ariana Grande" and ariana["followers"]["total"] == 34554242
        assert ariana["genres"] == ["dance pop", "pop", "post-teen pop"] and ariana["popularity"] == 96
        found = sp.search(q='genre:"dance pop"', type="artist", limit=50)["artists"]
        assert found["total"] == 427 and "66CXWjxzNUsdJxJ2JdwvnR" in [a["id"] for a in found["items"]]
        song = sp.track("3e9HZxeyfWwjeyPAMmWSSQ")
        assert song["name"] == "thank u, next" and song["album"]["id"] == "2fYhqwDWXjbpjaIJPEfKFw"
        feats = sp.audio_features(["3e9HZxeyfWwjeyPAMmWSSQ"])[0]
        assert feats["danceability"] == 0.717 and feats["tempo"] == 106.966
        lists = sp.search(q="rock", type="playlist", limit=10)["playlists"]["items"]
        assert lists, "genre playlists make playlist search work"
        user_list = next(p for p in lists if p["owner"]["id"] != "spotify")
        rows = sp.playlist_items(user_list["id"])["items"]
        assert rows and all(r["item"]["type"] == "track" for r in rows)


def test_load_catalog_rejects_a_non_catalog(tmp_path):
    from ingest.emulator import CatalogError

    with pytest.raises(CatalogError):
        load_catalog(tmp_path)


def test_musicoset_builder_names_the_missing_directory(tmp_path):
    from ingest.emulator import CatalogError

    with pytest.raises(CatalogError, match="musicoset"):
        build_musicoset_catalog(tmp_path / "missing", tmp_path / "out")
