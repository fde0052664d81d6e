"""The Starlette application: token endpoint, catalog endpoints, rate limit, faults, control endpoints.

Everything runs on the event loop (handlers are synchronous dict lookups), so limiter and stats
need no locks, and a hanging fault only parks its own request.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._catalog import Catalog, load_catalog
from ._faults import FaultInjector, parse_faults
from ._limits import RateLimiter
from ._objects import ObjectBuilder
from ._search import TYPES, SearchIndex

MODES = ("extended", "development")
_ID = re.compile(r"^[0-9A-Za-z]{22}$")
JSON = "application/json; charset=utf-8"
GROUPS = ("album", "single", "appears_on", "compilation")
OTHER_SEARCH_TYPES = ("show", "episode", "audiobook")
TOKEN_MESSAGE = "Missing/invalid/expired access token"  # one message for all 401s since July 2026


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class TruncatedResponse:
    """Announces the full Content-Length, sends half the body, then drops the connection."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", JSON.encode()), (b"content-length", str(len(self.body)).encode())]})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        # Returning now makes uvicorn close the transport: the client sees a short body.


def _error(status: int, message: str, headers: dict | None = None, reason: str | None = None) -> Response:
    err = {"status": status, "message": message}
    if reason:
        err["reason"] = reason
    return Response(orjson.dumps({"error": err}), status, headers=headers, media_type=JSON)


class Emulator:
    """All server state: catalog, object builders, search, limiter, faults, tokens, statistics."""

    def __init__(self, catalog: Catalog, *, mode: str = "extended", dev_genres: bool = False,
                 rate: int | None = None, daily_quota: int | None = None, faults=None, seed: int = 0,
                 client_id: str = "genrestore-emulator", client_secret: str = "emulator-secret",
                 token_ttl: int = 3600, offset_cap: int = 1000, window_seconds: float = 30.0,
                 penalty_step: float = 1.0) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.catalog = catalog
        self.mode = mode
        self.extended = mode == "extended"
        self.dev_genres = dev_genres
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = int(token_ttl)
        self.offset_cap = offset_cap
        self.fault_spec = parse_faults(faults)
        self.faults = FaultInjector(self.fault_spec, seed)
        self.limiter = RateLimiter(rate, window_seconds=window_seconds, daily_quota=daily_quota,
                                   penalty_step=penalty_step)
        self.search_index = SearchIndex(catalog)
        self.builders: dict[str, ObjectBuilder] = {}
        self.tokens: dict[str, tuple[str, float]] = {}
        self.related_cache: dict[int, list[int]] = {}
        self.reset_stats()

    # ── bookkeeping ──
    def reset_stats(self) -> None:
        self.by_endpoint: dict[str, dict[int, int]] = {}
        self.requests = 0
        self.rate_limited = 0
        self.quota_exceeded = 0
        self.tokens_issued = 0
        self.started = time.time()

    def record(self, endpoint: str, status: int) -> None:
        self.requests += 1
        per = self.by_endpoint.setdefault(endpoint, {})
        per[status] = per.get(status, 0) + 1

    def stats(self) -> dict:
        by_status: dict[str, int] = {}
        for per in self.by_endpoint.values():
            for s, n in per.items():
                by_status[str(s)] = by_status.get(str(s), 0) + n
        return {
            "mode": self.mode,
            "requests": self.requests,
            "by_endpoint": {e: {str(s): n for s, n in sorted(per.items())} for e, per in sorted(self.by_endpoint.items())},
            "by_status": dict(sorted(by_status.items())),
            "rate_limited": self.rate_limited,
            "quota_exceeded": self.quota_exceeded,
            "window": {"seconds": self.limiter.window_seconds, "limit": self.limiter.rate,
                       "count": self.limiter.window_count()},
            "quota": {"limit": self.limiter.daily_quota, "used": self.limiter.quota_used()},
            "ban_remaining": round(self.limiter.ban_remaining(), 3),
            "faults": dict(sorted(self.faults.counts.items())),
            "fault_spec": self.fault_spec.as_dict(),
            "tokens_issued": self.tokens_issued,
            "catalog": self.catalog.counts,
            "uptime_s": round(time.time() - self.started, 3),
        }

    def reset(self) -> None:
        self.reset_stats()
        self.limiter.reset()
        self.faults.reset()

    def builder(self, request: Request) -> ObjectBuilder:
        host = request.headers.get("host") or "127.0.0.1"
        b = self.builders.get(host)
        if b is None:
            b = self.builders[host] = ObjectBuilder(self.catalog, f"http://{host}/v1", extended=self.extended,
                                                    dev_genres=self.dev_genres)
        return b

    # ── token endpoint ──
    async def token(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(body))
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except Exception:
                return self._oauth_error(400, "invalid_client", "Invalid client")
        grant = form.get("grant_type")
        if not grant:
            return self._oauth_error(400, "unsupported_grant_type", "grant_type parameter is missing")
        if grant != "client_credentials":
            return self._oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if not cid:
            return self._oauth_error(400, "invalid_client", "Invalid client")
        if cid != self.client_id:
            return self._oauth_error(400, "invalid_client", "Invalid client")
        if secret != self.client_secret:
            return self._oauth_error(400, "invalid_client", "Invalid client secret")
        tok = secrets.token_urlsafe(32)
        life = self.token_ttl
        if self.fault_spec.token_ttl is not None:
            life = min(life, self.fault_spec.token_ttl)  # expires early, while expires_in says otherwise
        self.tokens[tok] = (cid, time.monotonic() + life)
        self.tokens_issued += 1
        self.record("/api/token", 200)
        return Response(orjson.dumps({"access_token": tok, "token_type": "bearer", "expires_in": self.token_ttl}),
                        200, media_type=JSON)

    def _oauth_error(self, status: int, error: str, description: str) -> Response:
        self.record("/api/token", status)
        return Response(orjson.dumps({"error": error, "error_description": description}), status, media_type=JSON)

    def client_of(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if not auth[:7].lower() == "bearer ":
            return None
        entry = self.tokens.get(auth[7:].strip())
        if entry is None:
            return None
        client, expires = entry
        if time.monotonic() >= expires:
            return None
        return client

    # ── the API request pipeline ──
    async def dispatch(self, request: Request, endpoint: str, handler: Callable) -> Response:
        client = self.client_of(request)
        if client is None:
            self.record(endpoint, 401)
            return _error(401, TOKEN_MESSAGE)
        limited = self.limiter.check(client)
        if limited is not None:
            self.record(endpoint, 429)
            self.rate_limited += 1
            headers = {"Retry-After": str(limited.retry_after)}
            if limited.reason:
                self.quota_exceeded += 1
                return _error(429, "Too many requests", headers, reason=limited.reason)
            return _error(429, "API rate limit exceeded", headers)
        kind, sub = self.faults.decide(f"{request.method} {request.url.path}?{request.url.query}")
        if kind == "latency":
            await asyncio.sleep(self.fault_spec.latency_s)
        elif kind == "hang":
            await asyncio.sleep(self.fault_spec.hang_s)
        elif kind == "5xx":
            status = (500, 502, 503)[min(2, int(sub * 3))]
            self.record(endpoint, status)
            if status == 502:
                return Response(b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>",
                                502, media_type="text/html")
            return _error(status, "Server error" if status == 500 else "Service unavailable")
        b = self.builder(request)
        try:
            result = handler(request, b, kind == "nulls")
        except ApiError as exc:
            self.record(endpoint, exc.status)
            return _error(exc.status, exc.message)
        body = orjson.dumps(result)
        self.record(endpoint, 200)
        if kind == "malformed":
            return Response(b'{"error": <html>upstream sent garbage' + body[:40], 200, media_type=JSON)
        if kind == "truncated":
            return TruncatedResponse(body)  # type: ignore[return-value]
        return Response(body, 200, media_type=JSON)

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

        def url(off: int) -> str:
            q = {k: v for k, v in params.items() if k not in ("offset", "limit")}
            q.update(offset=off, limit=limit)
            return f"{b.base}{path}?{urlencode(q, quote_via=quote)}"

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


def create_app(catalog: Catalog | str | Path, *, mode: str = "extended", dev_genres: bool = False,
               rate: int | None = None, daily_quota: int | None = None, faults=None, seed: int = 0,
               client_id: str = "genrestore-emulator", client_secret: str = "emulator-secret",
               token_ttl: int = 3600, offset_cap: int = 1000, window_seconds: float = 30.0,
               penalty_step: float = 1.0) -> Starlette:
    """The emulator as an ASGI app. `catalog` is a loaded Catalog or a catalog directory."""
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog)
    em = Emulator(catalog, mode=mode, dev_genres=dev_genres, rate=rate, daily_quota=daily_quota, faults=faults,
                  seed=seed, client_id=client_id, client_secret=client_secret, token_ttl=token_ttl,
                  offset_cap=offset_cap, window_seconds=window_seconds, penalty_step=penalty_step)

    def api(template: str, handler: Callable) -> Route:
        async def endpoint(request: Request) -> Response:
            return await em.dispatch(request, template, handler)

        return Route("/v1" + template, endpoint, methods=["GET"])

    async def stats(request: Request) -> Response:
        return Response(orjson.dumps(em.stats()), media_type=JSON)

    async def reset(request: Request) -> Response:
        em.reset()
        return Response(orjson.dumps({"reset": True}), media_type=JSON)

    async def ban(request: Request) -> Response:
        try:
            seconds = float(request.query_params.get("seconds", "3600"))
        except ValueError:
            return _error(400, "seconds must be a number")
        em.limiter.ban(seconds)
        return Response(orjson.dumps({"ban_seconds": seconds}), media_type=JSON)

    async def not_found(request: Request, exc) -> Response:
        return _error(404, "Service not found")

    async def method_not_allowed(request: Request, exc) -> Response:
        return _error(405, "Method not allowed")

    routes = [
        Route("/api/token", em.token, methods=["POST"]),
        api("/search", em.h_search),
        api("/artists", em.h_artists),
        api("/artists/{id}", em.h_artist),
        api("/artists/{id}/albums", em.h_artist_albums),
        api("/artists/{id}/top-tracks", em.h_top_tracks),
        api("/artists/{id}/related-artists", em.h_related),
        api("/albums", em.h_albums),
        api("/albums/{id}", em.h_album),
        api("/albums/{id}/tracks", em.h_album_tracks),
        api("/tracks", em.h_tracks),
        api("/tracks/{id}", em.h_track),
        api("/audio-features", em.h_audio_features),
        api("/audio-features/{id}", em.h_audio_feature),
        api("/playlists/{id}", em.h_playlist),
        api("/playlists/{id}/items", em.h_playlist_items),
        api("/playlists/{id}/tracks", em.h_playlist_tracks),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/ban", ban, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: method_not_allowed})
    app.state.emulator = em
    return app
