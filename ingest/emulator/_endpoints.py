"""The catalog endpoints: parameter checks, paging objects and one handler per endpoint.

Handlers are synchronous (dict lookups and list slices), take (request, builder, nulls) and return
the JSON-ready body or raise ApiError; the request pipeline in _app.py does auth, limits and faults.
Mode rules follow docs/spotify-web-api.md §4.1 and §6.3.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from starlette.requests import Request  # or the fast path's LightRequest: same attributes

from ._objects import ObjectBuilder
from ._search import TYPES

_ID = re.compile(r"^[0-9A-Za-z]{22}$")
GROUPS = ("album", "single", "appears_on", "compilation")
OTHER_SEARCH_TYPES = ("show", "episode", "audiobook")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class CatalogEndpoints:
    """Mixed into the Emulator, which provides catalog, extended, offset_cap, search_index, related_cache."""

    # ── parameter helpers ──
    @staticmethod
    def _int(request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"Invalid {name}") from None

    def _limit(self, request: Request, default: int, maximum: int) -> int:
        limit = self._int(request, "limit", default)
        if not 1 <= limit <= maximum:
            raise ApiError(400, "Invalid limit")
        return limit

    def _offset(self, request: Request, cap: int | None = None) -> int:
        offset = self._int(request, "offset", 0)
        if offset < 0:
            raise ApiError(400, "Invalid offset")
        if cap is not None and offset > cap:
            raise ApiError(400, "Bad request.")
        return offset

    @staticmethod
    def _valid_id(value: str) -> str:
        if not _ID.match(value):
            raise ApiError(400, "invalid id")
        return value

    def _ids(self, request: Request, cap: int) -> list[str]:
        raw = request.query_params.get("ids")
        if not raw:
            raise ApiError(400, "invalid id")
        ids = [x.strip() for x in raw.split(",")]
        if len(ids) > cap:
            raise ApiError(400, "Too many ids requested")
        return [self._valid_id(x) for x in ids]

    def _forbid_in_dev(self) -> None:
        if not self.extended:
            raise ApiError(403, "Forbidden")

    @staticmethod
    def _lookup(index: dict[str, int], value: str) -> int:
        if not _ID.match(value):
            raise ApiError(400, "invalid id")
        i = index.get(value)
        if i is None:
            raise ApiError(404, "Resource not found")
        return i

    @staticmethod
    def page(b: ObjectBuilder, path: str, params: dict, offset: int, limit: int, total: int, items: list) -> dict:
        """An offset paging object with absolute href/next/previous that keep the original query."""

        rest = {k: v for k, v in params.items() if k not in ("offset", "limit")}
        prefix = f"{b.base}{path}?{urlencode(rest, quote_via=quote)}&" if rest else f"{b.base}{path}?"

        def url(off: int) -> str:
            return f"{prefix}offset={off}&limit={limit}"

        return {"href": url(offset), "items": items, "limit": limit,
                "next": url(offset + limit) if offset + limit < total else None,
                "offset": offset, "previous": url(max(0, offset - limit)) if offset > 0 else None,
                "total": total}

    # ── endpoints (synchronous: lookups and slices only) ──
    def h_search(self, request: Request, b: ObjectBuilder, nulls: bool) -> dict:
        qp = request.query_params
        q = qp.get("q")
        if not q or not q.strip():
            raise ApiError(400, "No search query")
        types_raw = qp.get("type")
        if not types_raw:
            raise ApiError(400, "Missing parameter type")
        types = [t.strip() for t in types_raw.split(",") if t.strip()]
        if not types or any(t not in TYPES + OTHER_SEARCH_TYPES for t in types):
            raise ApiError(400, "Bad search type field")
        limit = self._limit(request, 20 if self.extended else 5, 50 if self.extended else 10)
        offset = self._offset(request, self.offset_cap)
        params = dict(qp.multi_items())
        out = {}
        for t in types:
            hits = self.search_index.search(q, t) if t in TYPES else []
            window = hits[offset: offset + limit]
            if t == "artist":
                items = [b.artist(i) for i in window]
            elif t == "track":
                items = [b.track(i) for i in window]
            elif t == "album":
                items = [b.simple_album(i) for i in window]
            elif t == "playlist":
                items = [b.simple_playlist(i) for i in window]
                if nulls and items:
                    items[len(items) // 2] = None  # Spotify puts null entries into playlist search pages
            else:
                items = []
            out[t + "s"] = self.page(b, "/search", params, offset, limit, len(hits), items)
        return out

    def h_artist(self, request, b, nulls) -> dict:
        return b.artist(self._lookup(self.catalog.artist_index, request.path_params["id"]))

    def h_artists(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        idx = self.catalog.artist_index
        return {"artists": [b.artist(idx[x]) if x in idx else None for x in self._ids(request, 50)]}

    def h_artist_albums(self, request, b, nulls) -> dict:
        a = self._lookup(self.catalog.artist_index, request.path_params["id"])
        groups_raw = request.query_params.get("include_groups")
        groups = set(GROUPS)
        if groups_raw:
            groups = {g.strip() for g in groups_raw.split(",") if g.strip()}
            if not groups <= set(GROUPS):
                raise ApiError(400, "Invalid include_groups")
        limit = self._limit(request, 20 if self.extended else 5, 50 if self.extended else 10)
        offset = self._offset(request)
        entries = [e for e in self.catalog.artist_albums[a] if e[1] in groups]
        items = [b.simple_album(al, group) for al, group in entries[offset: offset + limit]]
        return self.page(b, f"/artists/{self.catalog.artist_id[a]}/albums", dict(request.query_params.multi_items()),
                         offset, limit, len(entries), items)

    def h_top_tracks(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        a = self._lookup(self.catalog.artist_index, request.path_params["id"])
        return {"tracks": [b.track(t) for t in self.catalog.artist_tracks[a][:10]]}

    def h_related(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        a = self._lookup(self.catalog.artist_index, request.path_params["id"])
        related = self.related_cache.get(a)
        if related is None:
            related = self.related_cache[a] = self._related(a)
        return {"artists": [b.artist(x) for x in related]}

    def _related(self, a: int) -> list[int]:
        """Up to 20 artists sharing the most genre tags (then collaborators), most popular first."""
        c = self.catalog
        score: dict[int, int] = {}
        for tag in c.artist_genres[a]:
            for other in self.search_index._genre_artists(tag):
                if other != a:
                    score[other] = score.get(other, 0) + 2
        for t in c.artist_tracks[a]:
            for other in c.track_artists[t]:
                if other != a:
                    score[other] = score.get(other, 0) + 1
        pop = c.artist_popularity
        return sorted(score, key=lambda x: (-score[x], -(pop[x] or 0), c.artist_id[x]))[:20]

    def _album_tracks_page(self, b, al: int, offset: int, limit: int, params: dict) -> dict:
        tracks = self.catalog.album_tracks[al]
        return self.page(b, f"/albums/{self.catalog.album_id[al]}/tracks", params, offset, limit, len(tracks),
                         [b.simple_track(t) for t in tracks[offset: offset + limit]])

    def h_album(self, request, b, nulls) -> dict:
        al = self._lookup(self.catalog.album_index, request.path_params["id"])
        return b.album(al, self._album_tracks_page(b, al, 0, 50, {}))

    def h_albums(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        idx = self.catalog.album_index
        out = []
        for x in self._ids(request, 20):
            al = idx.get(x)
            out.append(None if al is None else b.album(al, self._album_tracks_page(b, al, 0, 50, {})))
        return {"albums": out}

    def h_album_tracks(self, request, b, nulls) -> dict:
        al = self._lookup(self.catalog.album_index, request.path_params["id"])
        limit = self._limit(request, 20, 50)
        offset = self._offset(request)
        return self._album_tracks_page(b, al, offset, limit, dict(request.query_params.multi_items()))

    def h_track(self, request, b, nulls) -> dict:
        return b.track(self._lookup(self.catalog.track_index, request.path_params["id"]))

    def h_tracks(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        idx = self.catalog.track_index
        return {"tracks": [b.track(idx[x]) if x in idx else None for x in self._ids(request, 50)]}

    def h_audio_feature(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        t = self._lookup(self.catalog.track_index, request.path_params["id"])
        obj = b.audio_features(t)
        if obj is None:
            raise ApiError(404, "Resource not found")
        return obj

    def h_audio_features(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        idx = self.catalog.track_index
        return {"audio_features": [b.audio_features(idx[x]) if x in idx else None for x in self._ids(request, 100)]}

    def _playlist(self, request) -> int:
        p = self._lookup(self.catalog.playlist_index, request.path_params["id"])
        if not self.extended and self.catalog.playlist_owner_id[p] == "spotify":
            raise ApiError(404, "Resource not found")  # Spotify-owned playlists are gone for dev apps
        return p

    def _items_page(self, b, p: int, offset: int, limit: int, params: dict, path_tail: str, *, new: bool, old: bool) -> dict:
        items = self.catalog.playlist_items[p]
        rows = [b.playlist_item(p, i, new_names=new, old_names=old) for i in range(offset, min(len(items), offset + limit))]
        return self.page(b, f"/playlists/{self.catalog.playlist_id[p]}/{path_tail}", params, offset, limit, len(items), rows)

    def h_playlist(self, request, b, nulls) -> dict:
        p = self._playlist(request)
        if not self.extended:
            return b.playlist(p, None, None)  # metadata only: client credentials never own a playlist
        page = self._items_page(b, p, 0, 100, {}, "items", new=True, old=True)
        return b.playlist(p, page, page)

    def _playlist_rows(self, request, b, tail: str, *, new: bool, old: bool) -> dict:
        p = self._playlist(request)
        self._forbid_in_dev()  # 403 unless owner/collaborator, which client credentials never are
        limit = self._limit(request, 20, 50)
        offset = self._offset(request)
        return self._items_page(b, p, offset, limit, dict(request.query_params.multi_items()), tail, new=new, old=old)

    def h_playlist_items(self, request, b, nulls) -> dict:
        return self._playlist_rows(request, b, "items", new=True, old=True)

    def h_playlist_tracks(self, request, b, nulls) -> dict:
        self._forbid_in_dev()
        return self._playlist_rows(request, b, "tracks", new=False, old=True)
