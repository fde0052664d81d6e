"""Fidelity: spotipy 2.26, unchanged, against the emulator in extended mode (docs §2-§4)."""

from __future__ import annotations

import httpx
import polars as pl
import pytest
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from ingest.emulator.running import spotipy_client

# spotipy warns that Spotify deprecated some endpoints; exercising them is the point here.
pytestmark = pytest.mark.filterwarnings("ignore:You're using:DeprecationWarning")

UNKNOWN_ID = "0000000000000000000000"


def _page_to_end(sp, first: dict) -> list[dict]:
    items, page = [], first
    while page is not None:
        items.extend(page["items"])
        page = sp.next(page) if page["next"] else None
        if page is not None and "items" not in page:  # search pages come wrapped: {"artists": {...}}
            (page,) = page.values()
    return items


def _most_common_genre(tables) -> tuple[str, set[str]]:
    counts = tables["artist_genres"].group_by("genre").len().sort(["len", "genre"], descending=[True, False])
    genre = counts["genre"][0]
    ids = set(tables["artist_genres"].filter(pl.col("genre") == genre)["artist_id"])
    return genre, ids


def test_token_endpoint_errors_follow_oauth_shape(extended_emu):
    bad = spotipy_client(extended_emu, client_secret="wrong-secret")
    with pytest.raises(SpotifyOauthError) as err:
        bad.artist("0" * 22)
    assert err.value.error == "invalid_client"
    assert err.value.error_description == "Invalid client secret"
    r = httpx.post(extended_emu.token_url, data={"grant_type": "client_credentials"}, auth=("nobody", "x"))
    assert (r.status_code, r.json()) == (400, {"error": "invalid_client", "error_description": "Invalid client"})
    r = httpx.post(extended_emu.token_url, data={}, auth=(extended_emu.client_id, extended_emu.client_secret))
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    # Credentials in the form body work too.
    r = httpx.post(extended_emu.token_url, data={"grant_type": "client_credentials", "client_id": extended_emu.client_id,
                                                 "client_secret": extended_emu.client_secret})
    body = r.json()
    assert r.status_code == 200 and body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert extended_emu.client_secret not in r.text


def test_missing_or_garbage_token_is_401(extended_emu):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        r = httpx.get(extended_emu.api_url + "/artists/" + UNKNOWN_ID, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["status"] == 401 and r.json()["error"]["message"]


def test_search_genre_filter_pages_every_artist_once(sp, tables):
    genre, expected = _most_common_genre(tables)
    first = sp.search(q=f'genre:"{genre}"', type="artist", limit=50)["artists"]
    assert first["total"] == len(expected) > 50
    items = _page_to_end(sp, first)
    ids = [a["id"] for a in items]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert all(genre in a["genres"] for a in items)
    pops = [a["popularity"] for a in items]
    assert pops == sorted(pops, reverse=True)  # ranked by popularity
    assert first["href"].startswith("http://127.0.0.1:") and "offset=0" in first["href"]
    assert first["previous"] is None and "offset=50" in first["next"]


def test_search_free_text_year_and_multiple_types(sp, tables):
    name = tables["artists"].sort("popularity", descending=True)["name"][0]
    word = name.split()[-1]
    res = sp.search(q=word, type="artist,track,album", limit=5)
    assert set(res) == {"artists", "tracks", "albums"}
    assert all(word.lower() in a["name"].lower() for a in res["artists"]["items"])
    year = int(tables["albums"]["release_date"].str.slice(0, 4).cast(pl.Int32).mode()[0])
    albums = sp.search(q=f"year:{year}", type="album", limit=50)["albums"]
    expected = tables["albums"].filter(pl.col("release_date").str.slice(0, 4) == str(year)).height
    assert albums["total"] == expected
    assert all(a["release_date"].startswith(str(year)) for a in albums["items"])


def test_search_limit_and_offset_caps(sp):
    with pytest.raises(SpotifyException) as err:
        sp.search(q="a", type="artist", limit=51)
    assert err.value.http_status == 400 and "Invalid limit" in err.value.msg
    with pytest.raises(SpotifyException) as err:
        sp.search(q="a", type="artist", offset=1001)
    assert err.value.http_status == 400
    assert sp.search(q="a", type="artist", offset=1000, limit=50)["artists"]["offset"] == 1000
    with pytest.raises(SpotifyException) as err:
        sp.search(q="", type="artist")
    assert err.value.http_status == 400


def test_artist_matches_catalog(sp, tables):
    row = tables["artists"].sort("followers", descending=True).row(0, named=True)
    a = sp.artist(row["artist_id"])
    genres = tables["artist_genres"].filter(pl.col("artist_id") == row["artist_id"]).sort("position")["genre"].to_list()
    assert (a["id"], a["name"], a["popularity"], a["followers"]["total"]) == (
        row["artist_id"], row["name"], row["popularity"], row["followers"])
    assert a["genres"] == genres and a["type"] == "artist" and a["uri"] == f"spotify:artist:{row['artist_id']}"
    with pytest.raises(SpotifyException) as err:
        sp.artist(UNKNOWN_ID)
    assert err.value.http_status == 404
    # spotipy refuses malformed ids itself, so ask over plain HTTP with spotipy's token.
    headers = {"Authorization": f"Bearer {sp.auth_manager.get_access_token(as_dict=False)}"}
    r = httpx.get(sp.prefix + "artists/not-an-id", headers=headers)
    assert (r.status_code, r.json()) == (400, {"error": {"status": 400, "message": "invalid id"}})


def test_artists_batch_nulls_unknown_and_caps(sp, tables):
    ids = tables["artists"]["artist_id"].head(49).to_list()
    res = sp.artists(ids + [UNKNOWN_ID])["artists"]
    assert [a["id"] for a in res[:49]] == ids and res[49] is None
    with pytest.raises(SpotifyException) as err:
        sp.artists(tables["artists"]["artist_id"].head(51).to_list())
    assert err.value.http_status == 400


def test_artist_albums_paged_to_the_end_once_each(sp, tables):
    counts = tables["album_artists"].group_by("artist_id").len().sort(["len", "artist_id"], descending=[True, False])
    artist_id = counts["artist_id"][0]
    own = set(tables["album_artists"].filter(pl.col("artist_id") == artist_id)["album_id"])
    credited = set(tables["track_artists"].filter(pl.col("artist_id") == artist_id)
                   .join(tables["tracks"], on="track_id")["album_id"])
    expected = own | credited
    assert len(expected) > 7
    first = sp.artist_albums(artist_id, limit=7)
    items = _page_to_end(sp, first)
    ids = [a["id"] for a in items]
    assert first["total"] == len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    groups = [a["album_group"] for a in items]
    assert {a["id"] for a in items if a["album_group"] == "appears_on"} == expected - own
    order = ["album", "single", "compilation", "appears_on"]
    assert [order.index(g) for g in groups] == sorted(order.index(g) for g in groups)
    only_singles = sp.artist_albums(artist_id, include_groups="single", limit=50)
    assert all(a["album_type"] == "single" for a in only_singles["items"])


def test_album_and_album_tracks(sp, tables):
    album_id = tables["albums"].sort(["total_tracks", "album_id"], descending=[True, False])["album_id"][0]
    expected = (tables["tracks"].filter(pl.col("album_id") == album_id)
                .sort(["disc_number", "track_number"])["track_id"].to_list())
    album = sp.album(album_id)
    assert album["id"] == album_id and album["genres"] == [] and album["tracks"]["total"] == len(expected)
    assert "label" in album and "popularity" in album and album["external_ids"]["upc"]
    first = sp.album_tracks(album_id, limit=5)
    tracks = _page_to_end(sp, first)
    assert [t["id"] for t in tracks] == expected
    assert all("popularity" not in t and "album" not in t for t in tracks)  # simplified tracks


def test_tracks_single_and_batch(sp, tables):
    row = tables["tracks"].row(3, named=True)
    t = sp.track(row["track_id"])
    assert (t["name"], t["album"]["id"], t["duration_ms"], t["external_ids"]["isrc"], t["popularity"]) == (
        row["name"], row["album_id"], row["duration_ms"], row["isrc"], row["popularity"])
    credited = tables["track_artists"].filter(pl.col("track_id") == row["track_id"]).sort("position")["artist_id"]
    assert [a["id"] for a in t["artists"]] == credited.to_list()
    ids = tables["tracks"]["track_id"].head(10).to_list()
    res = sp.tracks(ids + [UNKNOWN_ID])["tracks"]
    assert [x["id"] for x in res[:10]] == ids and res[10] is None


def test_audio_features(sp, tables):
    ids = tables["audio_features"]["track_id"].head(20).to_list()
    res = sp.audio_features(ids + [UNKNOWN_ID])
    assert res[-1] is None
    expected = tables["audio_features"].head(20).to_dicts()
    for got, want in zip(res, expected):
        assert got["id"] == want["track_id"] and got["type"] == "audio_features"
        assert got["danceability"] == want["danceability"] and got["tempo"] == want["tempo"]
    with pytest.raises(SpotifyException) as err:
        sp.audio_features(tables["audio_features"]["track_id"].head(101).to_list())
    assert err.value.http_status == 400


def test_playlist_items_paged(sp, tables):
    pid = tables["playlists"].filter(pl.col("owner_id") != "spotify")["playlist_id"][0]
    expected = tables["playlist_items"].filter(pl.col("playlist_id") == pid).sort("position")["track_id"].to_list()
    first = sp.playlist_items(pid, limit=25)
    rows = _page_to_end(sp, first)
    assert [r["item"]["id"] for r in rows] == expected
    assert all(r["track"] == r["item"] for r in rows)  # extended mode keeps the old name too
    pl_obj = sp.playlist(pid)
    assert pl_obj["items"]["total"] == len(expected) and pl_obj["owner"]["id"]
    found = sp.search(q=pl_obj["name"], type="playlist", limit=10)["playlists"]["items"]
    assert pid in [p["id"] for p in found if p]


def test_top_tracks_and_related_in_extended_mode(sp, tables):
    artist_id = tables["artist_genres"]["artist_id"][0]
    top = sp.artist_top_tracks(artist_id)["tracks"]
    assert 0 < len(top) <= 10
    assert all(artist_id in [a["id"] for a in t["artists"]] for t in top)
    related = sp.artist_related_artists(artist_id)["artists"]
    assert 0 < len(related) <= 20 and artist_id not in [a["id"] for a in related]


def test_unknown_path_is_json_404(extended_emu):
    r = httpx.get(extended_emu.api_url + "/recommendations")
    assert r.status_code == 404 and r.json()["error"]["status"] == 404
