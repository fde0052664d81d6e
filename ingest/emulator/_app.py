"""The Starlette application: token endpoint, catalog endpoints, rate limit, faults, control endpoints.

Everything runs on the event loop (handlers are synchronous dict lookups), so limiter and stats
need no locks, and a hanging fault only parks its own request.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._catalog import Catalog, load_catalog
from ._endpoints import ApiError, CatalogEndpoints
from ._fastpath import FastPath
from ._faults import FaultInjector, parse_faults
from ._limits import ServerRateLimit
from ._objects import ObjectBuilder
from ._options import MODES
from ._search import SearchIndex

JSON = "application/json; charset=utf-8"
TOKEN_MESSAGE = "Missing/invalid/expired access token"  # one message for all 401s since July 2026
PREMIUM_MESSAGE = ("Active premium subscription required for the owner of the app. When the subscription "
                   "status changes, it can take a few hours before requests are allowed again.")  # docs §1




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


class Emulator(CatalogEndpoints):
    """All server state: catalog, object builders, search, limiter, faults, tokens, statistics."""

    # No defaults here: they are create_app's (held to ingest.emulator.SERVE_OPTIONS by the tests).
    def __init__(self, catalog: Catalog, *, mode: str, dev_genres: bool, rate: int | None,
                 daily_quota: int | None, faults, seed: int, client_id: str, client_secret: str,
                 token_ttl: int, offset_cap: int, window_seconds: float, penalty_step: float,
                 premium_lapsed: bool) -> None:
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
        self.premium_lapsed = premium_lapsed
        self.fault_spec = parse_faults(faults)
        self.faults = FaultInjector(self.fault_spec, seed)
        self.limiter = ServerRateLimit(rate, window_seconds=window_seconds, daily_quota=daily_quota,
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
            "premium_lapsed": self.premium_lapsed,
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
        if self.premium_lapsed and not self.extended:
            self.record(endpoint, 403)
            return _error(403, PREMIUM_MESSAGE)
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
        elif kind == "bare429":
            self.record(endpoint, 429)
            self.rate_limited += 1
            return _error(429, "API rate limit exceeded")  # and no Retry-After header
        elif kind == "spurious401":
            self.record(endpoint, 401)
            return _error(401, TOKEN_MESSAGE)
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

def create_app(catalog: Catalog | str | Path, *, mode: str = "extended", dev_genres: bool = False,
               rate: int | None = None, daily_quota: int | None = None, faults=None, seed: int = 0,
               client_id: str = "genrestore-emulator", client_secret: str = "emulator-secret",
               token_ttl: int = 3600, offset_cap: int = 1000, window_seconds: float = 30.0,
               penalty_step: float = 1.0, premium_lapsed: bool = False) -> Starlette:
    """The emulator as an ASGI app. `catalog` is a loaded Catalog or a catalog directory.

    mode: "extended" (every endpoint and field) or "development" (2026 restrictions, docs §6.3);
    dev_genres: keep artist genres in development mode; rate: requests per rolling window
    (window_seconds, default 30) per client, None = unlimited; daily_quota: requests per client per
    UTC day (429 QUOTA_EXCEEDED); faults: spec string (see parse_faults); seed: fault sequence;
    token_ttl: expires_in of tokens; offset_cap: largest search offset; penalty_step: seconds added
    per call made while limited (growing); premium_lapsed: development mode answers every call 403
    with Spotify's Premium message (also switchable at run time: POST /_emulator/premium?lapsed=1).
    """
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog)
    em = Emulator(catalog, mode=mode, dev_genres=dev_genres, rate=rate, daily_quota=daily_quota, faults=faults,
                  seed=seed, client_id=client_id, client_secret=client_secret, token_ttl=token_ttl,
                  offset_cap=offset_cap, window_seconds=window_seconds, penalty_step=penalty_step,
                  premium_lapsed=premium_lapsed)

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

    async def premium(request: Request) -> Response:
        em.premium_lapsed = request.query_params.get("lapsed", "1") not in ("0", "false", "no")
        return Response(orjson.dumps({"premium_lapsed": em.premium_lapsed}), media_type=JSON)

    async def not_found(request: Request, exc) -> Response:
        return _error(404, "Service not found")

    async def method_not_allowed(request: Request, exc) -> Response:
        return _error(405, "Method not allowed")

    endpoints = [
        ("/search", em.h_search),
        ("/artists", em.h_artists),
        ("/artists/{id}", em.h_artist),
        ("/artists/{id}/albums", em.h_artist_albums),
        ("/artists/{id}/top-tracks", em.h_top_tracks),
        ("/artists/{id}/related-artists", em.h_related),
        ("/albums", em.h_albums),
        ("/albums/{id}", em.h_album),
        ("/albums/{id}/tracks", em.h_album_tracks),
        ("/tracks", em.h_tracks),
        ("/tracks/{id}", em.h_track),
        ("/audio-features", em.h_audio_features),
        ("/audio-features/{id}", em.h_audio_feature),
        ("/playlists/{id}", em.h_playlist),
        ("/playlists/{id}/items", em.h_playlist_items),
        ("/playlists/{id}/tracks", em.h_playlist_tracks),
    ]
    fast_routes = {}
    for template, handler in endpoints:
        parts = template[1:].split("/")
        fast_routes[(parts[0], len(parts), parts[2] if len(parts) == 3 else None)] = (template, handler)
    routes = [
        Route("/api/token", em.token, methods=["POST"]),
        # The same endpoints as Starlette routes: reached only when the fast path declines (e.g. HEAD).
        *[api(template, handler) for template, handler in endpoints],
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/ban", ban, methods=["POST"]),
        Route("/_emulator/premium", premium, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: method_not_allowed},
                    middleware=[Middleware(FastPath, emulator=em, routes=fast_routes)])
    app.state.emulator = em
    return app
