"""A thin ASGI layer that answers `GET /v1/...` without Starlette's request/routing machinery.

Profiling showed routing, Request construction and query parsing cost more than the catalog work
itself; this layer parses the scope directly and hands the emulator's handlers a minimal request
object with the same attributes they use (method, url.path, url.query, headers, path_params,
query_params). Everything else (token endpoint, control endpoints, 404s) falls through to Starlette.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send


class _Query(dict):
    """query_params: last value wins for .get(), every pair kept in order for multi_items()."""

    __slots__ = ("pairs",)

    def multi_items(self) -> list[tuple[str, str]]:
        return self.pairs


class _Url:
    __slots__ = ("path", "query")

    def __init__(self, path: str, query: str) -> None:
        self.path = path
        self.query = query


class LightRequest:
    __slots__ = ("method", "url", "headers", "path_params", "query_params")

    def __init__(self, scope: Scope, path_params: dict) -> None:
        raw_query = scope.get("query_string", b"").decode("latin-1")
        self.method = scope["method"]
        self.url = _Url(scope["path"], raw_query)
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.path_params = path_params
        pairs = parse_qsl(raw_query, keep_blank_values=True) if raw_query else []
        q = _Query(pairs)
        q.pairs = pairs
        self.query_params = q


class FastPath:
    """Starlette middleware: serve the catalog endpoints directly, pass everything else on."""

    def __init__(self, app: ASGIApp, emulator, routes: dict) -> None:
        self.app = app
        self.em = emulator
        # (first segment, number of segments, last segment or None) -> (endpoint template, handler)
        self.routes = routes

    def match(self, path: str):
        parts = path[4:].split("/")  # after "/v1/"
        n = len(parts)
        if n == 1:
            hit = self.routes.get((parts[0], 1, None))
            return (hit, {}) if hit else (None, None)
        if n == 2:
            hit = self.routes.get((parts[0], 2, None))
            return (hit, {"id": parts[1]}) if hit else (None, None)
        if n == 3:
            hit = self.routes.get((parts[0], 3, parts[2]))
            return (hit, {"id": parts[1]}) if hit else (None, None)
        return None, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith("/v1/"):
            hit, params = self.match(scope["path"])
            if hit is not None and all(params.values()):
                template, handler = hit
                response = await self.em.dispatch(LightRequest(scope, params), template, handler)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
