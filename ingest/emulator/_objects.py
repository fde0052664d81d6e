"""Spotify JSON object shapes built from catalog rows, per API mode (docs/spotify-web-api.md §4.3, §6.3).

Objects are plain dicts, cached per entity (the catalog never changes while serving); callers must
not mutate them. Development mode drops the fields the Feb-2026 changes removed.
"""

from __future__ import annotations

from ._catalog import Catalog

MARKETS = ["CA", "DE", "GB", "US"]
OPEN = "https://open.spotify.com"


class ObjectBuilder:
    """Builds (and caches) artist, album, track, playlist and audio-features objects."""

    def __init__(self, catalog: Catalog, api_base: str, *, extended: bool, dev_genres: bool) -> None:
        self.c = catalog
        self.base = api_base.rstrip("/")  # http://127.0.0.1:PORT/v1
        self.extended = extended
        self.genres = extended or dev_genres
        self._cache: dict[tuple[str, int], dict] = {}

    # ── artists ──
    def simple_artist(self, i: int) -> dict:
        key = ("sa", i)
        obj = self._cache.get(key)
        if obj is None:
            aid = self.c.artist_id[i]
            obj = {"external_urls": {"spotify": f"{OPEN}/artist/{aid}"}, "href": f"{self.base}/artists/{aid}",
                   "id": aid, "name": self.c.artist_name[i], "type": "artist", "uri": f"spotify:artist:{aid}"}
            self._cache[key] = obj
        return obj

    def artist(self, i: int) -> dict:
        key = ("a", i)
        obj = self._cache.get(key)
        if obj is None:
            c = self.c
            aid = c.artist_id[i]
            obj = {"external_urls": {"spotify": f"{OPEN}/artist/{aid}"}}
            if self.extended:
                obj["followers"] = {"href": None, "total": c.artist_followers[i]}
            if self.genres:
                obj["genres"] = list(c.artist_genres[i])
            obj["href"] = f"{self.base}/artists/{aid}"
            obj["id"] = aid
            img = c.artist_image[i]
            obj["images"] = ([{"url": img, "height": 640, "width": 640}, {"url": img + "?s=320", "height": 320,
                                                                           "width": 320}] if img else [])
            obj["name"] = c.artist_name[i]
            if self.extended:
                obj["popularity"] = c.artist_popularity[i]
            obj["type"] = "artist"
            obj["uri"] = f"spotify:artist:{aid}"
            self._cache[key] = obj
        return obj

    # ── albums ──
    def _album_base(self, a: int) -> dict:
        c = self.c
        alid = c.album_id[a]
        obj = {"album_type": c.album_type[a], "total_tracks": c.album_total_tracks[a]}
        if self.extended:
            obj["available_markets"] = MARKETS
        obj.update({
            "external_urls": {"spotify": f"{OPEN}/album/{alid}"}, "href": f"{self.base}/albums/{alid}",
            "id": alid, "images": [{"url": f"https://i.scdn.co/image/alb{alid}", "height": 640, "width": 640}],
            "name": c.album_name[a], "release_date": c.album_release_date[a],
            "release_date_precision": c.album_precision[a], "type": "album", "uri": f"spotify:album:{alid}",
            "artists": [self.simple_artist(x) for x in c.album_artists[a]],
        })
        return obj

    def simple_album(self, a: int, group: str | None = None) -> dict:
        key = ("sal", a) if group is None else ("sal:" + group, a)
        obj = self._cache.get(key)
        if obj is None:
            obj = self._album_base(a)
            if group is not None and self.extended:
                obj["album_group"] = group
            self._cache[key] = obj
        return obj

    def album(self, a: int, tracks_page: dict) -> dict:
        c = self.c
        obj = self._album_base(a)
        year = c.album_year[a]
        label = c.album_label[a]
        obj["tracks"] = tracks_page
        obj["copyrights"] = [{"text": f"© {year or ''} {label or ''}".strip(), "type": "C"},
                             {"text": f"℗ {year or ''} {label or ''}".strip(), "type": "P"}]
        obj["external_ids"] = {"upc": c.album_upc[a]} if c.album_upc[a] else {}
        obj["genres"] = []  # always empty in every mode (spec)
        if self.extended:
            obj["label"] = label
            obj["popularity"] = c.album_popularity[a]
        return obj

    # ── tracks ──
    def simple_track(self, t: int) -> dict:
        key = ("st", t)
        obj = self._cache.get(key)
        if obj is None:
            c = self.c
            tid = c.track_id[t]
            obj = {"artists": [self.simple_artist(x) for x in c.track_artists[t]]}
            if self.extended:
                obj["available_markets"] = MARKETS
            obj.update({
                "disc_number": c.track_disc[t], "duration_ms": c.track_duration[t],
                "explicit": c.track_explicit[t], "external_urls": {"spotify": f"{OPEN}/track/{tid}"},
                "href": f"{self.base}/tracks/{tid}", "id": tid, "is_local": False, "name": c.track_name[t],
                "preview_url": None, "track_number": c.track_number[t], "type": "track",
                "uri": f"spotify:track:{tid}",
            })
            self._cache[key] = obj
        return obj

    def track(self, t: int) -> dict:
        key = ("t", t)
        obj = self._cache.get(key)
        if obj is None:
            c = self.c
            obj = dict(self.simple_track(t))
            al = c.track_album[t]
            obj["album"] = self.simple_album(al) if al >= 0 else None
            obj["external_ids"] = {"isrc": c.track_isrc[t]} if c.track_isrc[t] else {}
            if self.extended:
                obj["popularity"] = c.track_popularity[t]
            self._cache[key] = obj
        return obj

    def audio_features(self, t: int) -> dict | None:
        row = self.c.audio_features.get(t)
        if row is None:
            return None
        tid = self.c.track_id[t]
        return {**row, "id": tid, "uri": f"spotify:track:{tid}", "track_href": f"{self.base}/tracks/{tid}",
                "analysis_url": f"{self.base}/audio-analysis/{tid}", "type": "audio_features"}

    # ── playlists ──
    def owner(self, p: int) -> dict:
        oid = self.c.playlist_owner_id[p]
        return {"display_name": self.c.playlist_owner_name[p], "external_urls": {"spotify": f"{OPEN}/user/{oid}"},
                "href": f"{self.base}/users/{oid}", "id": oid, "type": "user", "uri": f"spotify:user:{oid}"}

    def simple_playlist(self, p: int) -> dict:
        key = ("sp", p)
        obj = self._cache.get(key)
        if obj is None:
            obj = self._playlist_base(p)
            ref = {"href": f"{self.base}/playlists/{self.c.playlist_id[p]}/items",
                   "total": len(self.c.playlist_items[p])}
            obj["items"] = ref
            if self.extended:
                obj["tracks"] = {"href": f"{self.base}/playlists/{self.c.playlist_id[p]}/tracks",
                                 "total": ref["total"]}
            self._cache[key] = obj
        return obj

    def _playlist_base(self, p: int) -> dict:
        c = self.c
        pid = c.playlist_id[p]
        return {"collaborative": c.playlist_collaborative[p], "description": c.playlist_description[p],
                "external_urls": {"spotify": f"{OPEN}/playlist/{pid}"}, "href": f"{self.base}/playlists/{pid}",
                "id": pid, "images": [{"url": f"https://mosaic.scdn.co/640/{pid}", "height": None, "width": None}],
                "name": c.playlist_name[p], "owner": self.owner(p), "public": c.playlist_public[p],
                "snapshot_id": c.playlist_snapshot[p], "type": "playlist", "uri": f"spotify:playlist:{pid}"}

    def playlist(self, p: int, page: dict | None, old_page: dict | None) -> dict:
        obj = self._playlist_base(p)
        if page is not None:
            obj["items"] = page
        else:  # development mode without ownership: metadata only
            obj["items"] = {"href": f"{self.base}/playlists/{self.c.playlist_id[p]}/items"}
        if old_page is not None:
            obj["tracks"] = old_page
        return obj

    def playlist_item(self, p: int, pos: int, *, new_names: bool, old_names: bool) -> dict:
        t, added_at = self.c.playlist_items[p][pos]
        track = self.track(t) if t is not None else None
        oid = self.c.playlist_owner_id[p]
        obj = {"added_at": added_at,
               "added_by": {"external_urls": {"spotify": f"{OPEN}/user/{oid}"}, "href": f"{self.base}/users/{oid}",
                            "id": oid, "type": "user", "uri": f"spotify:user:{oid}"},
               "is_local": False}
        if new_names:
            obj["item"] = track
        if old_names:
            obj["track"] = track
        return obj
