"""The peers genrestore is compared with in ``bench/crawl.py``: spotipy crawlers of the same genre
graph (genre search → artists → discographies → albums → tracks → audio features → credited
artists → their discographies), each recording what it stored as an ``ingest.emulator.StoredSet``.

- :class:`CarefulPeer` is written the way a competent engineer would: every batch endpoint (artists
  50, albums 20 with their embedded tracks, tracks 50, audio features 100), batches filled across
  artists, the largest page each endpoint accepts, retries that honour Retry-After (and back off on
  5xx), and the development-mode fallbacks: after 400 ``Invalid limit`` pages of 10, after a 403 on a
  batch endpoint single GETs (artists, albums) or nothing (full tracks: a single GET per track only
  adds an ISRC; audio features: gone). It searches every seed genre first, then walks artists
  breadth first, and never fetches an artist, album or track it already holds.
- :class:`NaivePeer` is what the seed projects did: no batch endpoint, default-sized pages of 10,
  one GET per album, per track and per credited artist, one audio-features call per track (given
  up after the first 403); it also honours Retry-After.

Both stop at the deadline (a sleep on Retry-After is cut short by it).
"""

from __future__ import annotations

import logging
import time
from collections import deque

from spotipy.exceptions import SpotifyException

from ingest.emulator import StoredSet

GROUPS = "album,single,compilation,appears_on"
SEARCH_OFFSET_CAP = 1000


class Deadline(Exception):
    """The peer's time is up."""


class _Peer:
    name = "peer"

    def __init__(self, sp, seconds: float) -> None:
        logging.getLogger("spotipy").setLevel(logging.CRITICAL)  # it logs every error it raises
        self.sp = sp
        self.deadline = time.monotonic() + seconds
        self.requests = 0
        self.r429 = 0
        self.stored = StoredSet()
        self.seen_artists: set[str] = set()   # ids queued or stored (never fetched twice)
        self.seen_albums: set[str] = set()
        self.artist_queue: deque[str] = deque()   # discographies to list

    def call(self, fn, *args, **kwargs):
        """One API call; 429: sleep Retry-After and retry; 5xx: back off and retry; 4xx: raise."""
        backoff = 0.5
        while True:
            if time.monotonic() >= self.deadline:
                raise Deadline
            self.requests += 1
            try:
                return fn(*args, **kwargs)
            except SpotifyException as exc:
                if exc.http_status == 429:
                    self.r429 += 1
                    wait = float((exc.headers or {}).get("Retry-After", 1))
                elif exc.http_status >= 500:
                    wait, backoff = backoff, min(backoff * 2, 8)
                else:
                    raise
            time.sleep(max(0.0, min(wait, self.deadline - time.monotonic())))

    def run(self, genres: list[str]) -> StoredSet:
        try:
            self.crawl(genres)
        except Deadline:
            pass
        return self.stored

    # ── storing what an answer holds ──
    def _artist(self, obj: dict) -> None:
        self.stored.artists.add(obj["id"])
        if obj["id"] not in self.seen_artists:
            self.seen_artists.add(obj["id"])
            self.artist_queue.append(obj["id"])

    def _credited(self, artists: list[dict]) -> list[str]:
        """Artists credited on an album or a track that are neither stored nor queued."""
        new = []
        for a in artists:
            if a and a.get("id") and a["id"] not in self.seen_artists:
                self.seen_artists.add(a["id"])
                new.append(a["id"])
        return new


class CarefulPeer(_Peer):
    name = "careful peer (spotipy)"

    def __init__(self, sp, seconds: float) -> None:
        super().__init__(sp, seconds)
        self.search_limit = 50
        self.page_limit = 50
        self.batch = {"artists": True, "albums": True, "tracks": True, "audio_features": True}
        self.album_buffer: list[str] = []
        self.track_buffer: list[str] = []
        self.feature_buffer: list[str] = []
        self.artist_buffer: list[str] = []

    def _refused(self, exc: SpotifyException, what: str) -> bool:
        """A 403/404 on a batch endpoint: the mode has no such batch (fall back from now on)."""
        if exc.http_status in (403, 404):
            self.batch[what] = False
            return True
        return False

    def crawl(self, genres: list[str]) -> None:
        for genre in genres:
            self.search_genre(genre)
        while self.artist_queue or self.artist_buffer or self.album_buffer:
            if self.artist_queue:
                self.discography(self.artist_queue.popleft())
                self.flush(full_only=True)
            else:
                self.flush(full_only=False)
        self.flush(full_only=False)

    def search_genre(self, genre: str) -> None:
        offset = 0
        while True:
            try:
                res = self.call(self.sp.search, q=f'genre:"{genre}"', type="artist", limit=self.search_limit,
                                offset=offset)
            except SpotifyException as exc:
                if exc.http_status == 400 and self.search_limit > 10:
                    self.search_limit = 10  # development mode: pages of 10
                    continue
                raise
            page = res["artists"]
            hits = self.stored.genre_hits.setdefault(genre, set())
            for item in page["items"]:
                if item:
                    hits.add(item["id"])
                    self._artist(item)
            offset += self.search_limit
            if not page.get("next") or offset + self.search_limit > SEARCH_OFFSET_CAP:
                return

    def discography(self, artist_id: str) -> None:
        offset = 0
        while True:
            try:
                page = self.call(self.sp.artist_albums, artist_id, include_groups=GROUPS, limit=self.page_limit,
                                 offset=offset)
            except SpotifyException as exc:
                if exc.http_status == 400 and self.page_limit > 10:
                    self.page_limit = 10
                    continue
                raise
            for item in page["items"]:
                if item and item["id"] not in self.seen_albums:
                    self.seen_albums.add(item["id"])
                    self.stored.albums.add(item["id"])
                    self.album_buffer.append(item["id"])
            offset += self.page_limit
            if not page.get("next"):
                return

    def flush(self, *, full_only: bool) -> None:
        """Send every full batch (and, unless ``full_only``, the partial ones too)."""
        sizes = {"albums": 20, "tracks": 50, "audio_features": 100, "artists": 50}
        while True:
            sent = False
            for what, buf, fn in (("albums", self.album_buffer, self.fetch_albums),
                                  ("artists", self.artist_buffer, self.fetch_artists),
                                  ("tracks", self.track_buffer, self.fetch_tracks),
                                  ("audio_features", self.feature_buffer, self.fetch_features)):
                size = sizes[what] if self.batch[what] else 1
                if buf and (len(buf) >= size or not full_only):
                    chunk = buf[:size]
                    del buf[:size]
                    fn(chunk)
                    sent = True
            if not sent:
                return

    def fetch_albums(self, ids: list[str]) -> None:
        if self.batch["albums"]:
            try:
                albums = self.call(self.sp.albums, ids)["albums"]
            except SpotifyException as exc:
                if not self._refused(exc, "albums"):
                    raise
                self.album_buffer[:0] = ids  # single GETs from now on
                return
        else:
            albums = [self.call(self.sp.album, ids[0])]
        for album in albums:
            if not album:
                continue
            self.stored.full_albums.add(album["id"])
            self.stored.albums.add(album["id"])
            self.artist_buffer += self._credited(album.get("artists") or [])
            page = album.get("tracks") or {}
            self._tracks(page.get("items") or [])
            offset = len(page.get("items") or [])
            while page.get("next"):
                page = self.call(self.sp.album_tracks, album["id"], limit=50, offset=offset)
                self._tracks(page.get("items") or [])
                offset += 50

    def _tracks(self, items: list[dict]) -> None:
        for t in items:
            if not t or t["id"] in self.stored.tracks:
                continue
            self.stored.tracks.add(t["id"])
            self.artist_buffer += self._credited(t.get("artists") or [])
            if self.batch["tracks"]:
                self.track_buffer.append(t["id"])
            if self.batch["audio_features"]:
                self.feature_buffer.append(t["id"])

    def fetch_artists(self, ids: list[str]) -> None:
        if self.batch["artists"]:
            try:
                artists = self.call(self.sp.artists, ids)["artists"]
            except SpotifyException as exc:
                if not self._refused(exc, "artists"):
                    raise
                self.artist_buffer[:0] = ids
                return
        else:
            artists = [self.call(self.sp.artist, ids[0])]
        for a in artists:
            if a:
                self.stored.artists.add(a["id"])
                self.artist_queue.append(a["id"])

    def fetch_tracks(self, ids: list[str]) -> None:
        try:
            tracks = self.call(self.sp.tracks, ids)["tracks"]
        except SpotifyException as exc:
            if not self._refused(exc, "tracks"):
                raise
            self.track_buffer.clear()  # a GET per track for an ISRC is not worth it
            return
        for t in tracks:
            if t:
                self.stored.full_tracks.add(t["id"])

    def fetch_features(self, ids: list[str]) -> None:
        try:
            rows = self.call(self.sp.audio_features, ids)
        except SpotifyException as exc:
            if not self._refused(exc, "audio_features"):
                raise
            self.feature_buffer.clear()
            return
        for row in rows or []:
            if row:
                self.stored.audio_features.add(row["id"])


class NaivePeer(_Peer):
    name = "naive peer (spotipy)"

    def __init__(self, sp, seconds: float) -> None:
        super().__init__(sp, seconds)
        self.features = True

    def crawl(self, genres: list[str]) -> None:
        for genre in genres:
            offset = 0
            while offset + 10 <= SEARCH_OFFSET_CAP:
                page = self.call(self.sp.search, q=f'genre:"{genre}"', type="artist", limit=10, offset=offset)["artists"]
                for item in page["items"]:
                    if item:
                        self.stored.genre_hits.setdefault(genre, set()).add(item["id"])
                        self._artist(item)
                if not page.get("next"):
                    break
                offset += 10
        while self.artist_queue:
            artist_id = self.artist_queue.popleft()
            offset = 0
            while True:
                page = self.call(self.sp.artist_albums, artist_id, include_groups=GROUPS, limit=10, offset=offset)
                for item in page["items"]:
                    if item and item["id"] not in self.seen_albums:
                        self.seen_albums.add(item["id"])
                        self.album(item["id"])
                if not page.get("next"):
                    break
                offset += 10

    def album(self, album_id: str) -> None:
        album = self.call(self.sp.album, album_id)
        self.stored.albums.add(album_id)
        self.stored.full_albums.add(album_id)
        for t in (album.get("tracks") or {}).get("items") or []:
            if not t or t["id"] in self.stored.tracks:
                continue
            track = self.call(self.sp.track, t["id"])
            self.stored.tracks.add(t["id"])
            self.stored.full_tracks.add(t["id"])
            if self.features:
                try:
                    rows = self.call(self.sp.audio_features, [t["id"]])
                    if rows and rows[0]:
                        self.stored.audio_features.add(t["id"])
                except SpotifyException as exc:
                    if exc.http_status not in (403, 404):
                        raise
                    self.features = False
            for artist_id in self._credited(track.get("artists") or []):
                a = self.call(self.sp.artist, artist_id)
                self.stored.artists.add(a["id"])
                self.artist_queue.append(a["id"])
