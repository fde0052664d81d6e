"""Development mode (docs §6.3): removed endpoints fail with the reported codes, removed fields are absent."""

from __future__ import annotations

import httpx
import polars as pl
import pytest
from spotipy.exceptions import SpotifyException

from ingest.emulator.running import running_emulator, spotipy_client

# spotipy warns that Spotify deprecated some endpoints; exercising them is the point here.
pytestmark = pytest.mark.filterwarnings("ignore:You're using:DeprecationWarning")


def _status(call) -> int:
    with pytest.raises(SpotifyException) as err:
        call()
    return err.value.http_status


def test_removed_endpoints_answer_403(sp_dev, tables):
    artist_ids = tables["artists"]["artist_id"].head(3).to_list()
    track_ids = tables["tracks"]["track_id"].head(3).to_list()
    album_ids = tables["albums"]["album_id"].head(3).to_list()
    user_playlist = tables["playlists"].filter(pl.col("owner_id") != "spotify")["playlist_id"][0]
    assert _status(lambda: sp_dev.artists(artist_ids)) == 403
    assert _status(lambda: sp_dev.tracks(track_ids)) == 403
    assert _status(lambda: sp_dev.albums(album_ids)) == 403
    assert _status(lambda: sp_dev.artist_top_tracks(artist_ids[0])) == 403
    assert _status(lambda: sp_dev.artist_related_artists(artist_ids[0])) == 403
    assert _status(lambda: sp_dev.audio_features(track_ids)) == 403
    assert _status(lambda: sp_dev.playlist_items(user_playlist)) == 403  # not the owner
    assert _status(lambda: sp_dev._get(f"playlists/{user_playlist}/tracks")) == 403


def test_removed_fields_are_absent(sp_dev, tables):
    artist_id = tables["artist_genres"]["artist_id"][0]
    artist = sp_dev.artist(artist_id)
    assert artist["id"] == artist_id and artist["name"]
    assert not {"followers", "popularity", "genres"} & set(artist)
    track = sp_dev.track(tables["tracks"]["track_id"][0])
    assert not {"popularity", "available_markets", "linked_from"} & set(track)
    assert track["external_ids"]["isrc"]  # restored in March 2026
    album = sp_dev.album(tables["albums"]["album_id"][0])
    assert not {"label", "popularity", "available_markets"} & set(album)
    assert album["external_ids"]["upc"] and album["tracks"]["items"]


def test_page_size_caps(sp_dev, dev_emu, tables):
    assert _status(lambda: sp_dev.search(q="a", type="artist", limit=11)) == 400
    assert len(sp_dev.search(q="a", type="artist", limit=10)["artists"]["items"]) == 10
    artist_id = tables["album_artists"].group_by("artist_id").len().sort("len", descending=True)["artist_id"][0]
    # spotipy 2.26 asks artist albums with limit=20 by default: a 400 in development mode.
    assert _status(lambda: sp_dev.artist_albums(artist_id)) == 400
    page = sp_dev.artist_albums(artist_id, limit=10)
    assert 0 < len(page["items"]) <= 10 and all("album_group" not in a for a in page["items"])
    token = sp_dev.auth_manager.get_access_token(as_dict=False)
    r = httpx.get(dev_emu.api_url + "/search", params={"q": "a", "type": "artist"},
                  headers={"Authorization": f"Bearer {token}"})
    assert r.json()["artists"]["limit"] == 5 and len(r.json()["artists"]["items"]) == 5


def test_playlists_metadata_only_and_spotify_owned_gone(sp_dev, tables):
    user_playlist = tables["playlists"].filter(pl.col("owner_id") != "spotify")["playlist_id"][0]
    meta = sp_dev.playlist(user_playlist)
    assert meta["id"] == user_playlist and "items" not in meta["items"] and "tracks" not in meta
    editorial = tables["playlists"].filter(pl.col("owner_id") == "spotify")["playlist_id"][0]
    assert _status(lambda: sp_dev.playlist(editorial)) == 404


def test_genre_search_still_works_and_dev_genres_switch(sp_dev, catalog_dir, tables):
    genre = tables["artist_genres"]["genre"].mode().sort()[0]
    hits = sp_dev.search(q=f'genre:"{genre}"', type="artist", limit=10)["artists"]
    assert hits["total"] > 0 and all("genres" not in a for a in hits["items"])
    with running_emulator(catalog_dir, mode="development", dev_genres=True) as emu:
        sp = spotipy_client(emu)
        artist = sp.artist(hits["items"][0]["id"])
        assert genre in artist["genres"] and "popularity" not in artist


def test_premium_lapse_switch_answers_403_with_spotify_message(dev_emu, sp_dev, tables):
    artist_id = tables["artists"]["artist_id"][0]
    try:
        dev_emu.premium_lapsed(True)
        with pytest.raises(SpotifyException) as err:
            sp_dev.artist(artist_id)
        assert err.value.http_status == 403 and "Active premium subscription required" in err.value.msg
    finally:
        dev_emu.premium_lapsed(False)
    assert sp_dev.artist(artist_id)["id"] == artist_id
