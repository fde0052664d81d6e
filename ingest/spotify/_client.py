"""The async Spotify Web API client: auth, one shared limiter, retries, typed endpoint calls.

Every request goes: concurrency slot → valid token → limiter admission → httpx GET with a timeout.
What happens to the answer:

- 2xx with a JSON body (holding the expected top-level key) → :class:`ApiResponse`.
- 429 → the limiter pauses every request for Retry-After and lowers its budget; the request is
  sent again. A Retry-After above ``crawl.max_retry_after`` (or a QUOTA_EXCEEDED body) raises
  :class:`CrawlPaused` instead of sleeping for hours inside the process, and so does every other
  request of the client at once, those already waiting in the limiter included, until the pause ends.
- 401 → a fresh token (once per refresh, however many requests saw the 401) and the request again.
- 5xx, timeouts, connection errors, malformed bodies → tenacity retries with jittered exponential
  backoff, at most ``crawl.max_attempts`` attempts, then :class:`RequestFailed`.
- any other 4xx → returned as is (``response.ok`` is false): recorded by the caller, never retried.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import httpx
import orjson
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from .._settings import CrawlerSettings
from ._auth import TokenProvider
from ._errors import (
    AuthError,
    ClientStopped,
    CrawlPaused,
    MalformedResponse,
    RequestFailed,
    ServerError,
    TransportError,
)
from ._limiter import RateLimiter
from ._shared_limiter import SharedPause

# A Retry-After this long after a quota message means "come back tomorrow" when none is given.
QUOTA_PAUSE_SECONDS = 24 * 3600.0
MAX_THROTTLES_PER_REQUEST = 30


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class ApiResponse:
    """One answered request: what was asked, the status, the body text and its parsed JSON."""

    method: str
    url: str
    endpoint: str
    status: int
    text: str
    data: Any
    requested_at: datetime

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error_message(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("error"), dict):
            return str(self.data["error"].get("message") or "")
        return self.text[:200]


@dataclass
class ClientStats:
    """Counters for progress displays and benchmarks (HTTP attempts, not logical requests)."""

    requests: int = 0
    responses_429: int = 0
    retries: int = 0
    token_refreshes: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_endpoint: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)


class _Throttled(Exception):
    pass


class _Unauthorized(Exception):
    def __init__(self, token: str):
        self.token = token


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:  # an HTTP date
            from email.utils import parsedate_to_datetime

            when = parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())
        except (TypeError, ValueError):
            return None


def _error_reason(resp: httpx.Response) -> str | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("reason")
    return None


class SpotifyClient:
    """Async client for the Spotify Web API (or any compatible base URL, such as the emulator).

    :param api_url: base URL ending in ``/v1`` (settings.api_url).
    :param token_url: client-credentials token endpoint (settings.resolved_token_url).
    :param client_id, client_secret: the credentials; the secret only reaches spotipy's auth manager.
    :param budget_per_window, window_seconds, budget_ceiling, budget_ramp, max_retry_after, concurrency,
        timeout, max_attempts, market: as in :class:`ingest.CrawlSettings`.
    :param transport: an httpx transport (tests may pass ``httpx.MockTransport``); default: real HTTP.
    :param limiter: share a :class:`RateLimiter` between clients of the same account.
    """

    def __init__(self, *, api_url: str, token_url: str, client_id: str, client_secret: str,
                 budget_per_window: int = 90, window_seconds: float = 30.0, max_retry_after: float = 900.0,
                 budget_ceiling: int | None = None, budget_ramp: bool = False, concurrency: int = 8, timeout: float = 10.0, max_attempts: int = 6,
                 market: str | None = "US", transport: httpx.AsyncBaseTransport | None = None,
                 limiter: RateLimiter | None = None, backoff_initial: float = 0.2, backoff_max: float = 20.0):
        if not client_id or not client_secret:
            raise AuthError(
                "no Spotify credentials: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (or client_id / "
                "client_secret in genrestore.toml)"
            )
        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self.market = market
        self.max_retry_after = max_retry_after
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.tokens = TokenProvider(client_id, client_secret, token_url, timeout=timeout)
        # Without discovery the configured budget is also the most the limiter allows (as before).
        self.limiter = limiter or RateLimiter(
            budget_per_window, window_seconds, ramp=budget_ramp,
            ceiling=max(budget_ceiling or 0, budget_per_window) if budget_ramp else budget_per_window)
        self.stats = ClientStats()
        self._slots = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport,
            headers={"Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls, settings: CrawlerSettings, *, transport: httpx.AsyncBaseTransport | None = None,
                      **overrides: Any) -> "SpotifyClient":
        c = settings.crawl
        kwargs = dict(
            api_url=settings.api_url, token_url=settings.resolved_token_url, client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value() if settings.client_secret else None,
            budget_per_window=c.budget_per_window, window_seconds=c.window_seconds,
            budget_ceiling=c.budget_ceiling, budget_ramp=c.budget_ramp, max_retry_after=c.max_retry_after, concurrency=c.concurrency, timeout=c.timeout,
            max_attempts=c.max_attempts, market=c.market, transport=transport,
        )
        kwargs.update(overrides)
        return cls(**kwargs)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "SpotifyClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def stop(self, reason: str = "the client was stopped") -> None:
        """Send nothing more: every request waiting in the limiter, and every later one, raises
        :class:`ClientStopped` at once (so does any client sharing this limiter). Requests already
        sent are not touched; cancel their tasks to abandon them."""
        self.limiter.refuse(lambda: ClientStopped(reason))

    # ── the request pipeline ──
    def _pause(self, retry_after: float, reason: str | None, received_at: datetime | None = None) -> CrawlPaused:
        """A pause too long to sleep through: every request of the client raises it until it ends."""
        until = (received_at or utcnow()) + timedelta(seconds=retry_after)
        why = {"QUOTA_EXCEEDED": "the request quota is exhausted",
               "SHARED": f"another worker of this client was sent a long Retry-After ({retry_after:,.0f} s left)",
               }.get(reason, f"the API sent a Retry-After of {retry_after:,.0f} s")
        msg = why + f"; crawling is paused until {until:%Y-%m-%d %H:%M:%S} UTC"
        self.limiter.pause(retry_after)
        self.limiter.refuse(lambda: CrawlPaused(until, retry_after, msg), seconds=retry_after)
        return CrawlPaused(until, retry_after, msg)

    async def _attempt(self, url: str, params: dict | None, endpoint: str, expect: str | None) -> ApiResponse:
        async with self._slots:
            token = await self.tokens.token()
            if self.limiter.paused_for > self.max_retry_after:  # a long pause set through limiter.pause()
                raise self._pause(self.limiter.paused_for, None)
            try:
                await self.limiter.acquire()
            except SharedPause as exc:  # another worker of the fleet was sent a long Retry-After
                raise self._pause(exc.seconds, "SHARED") from None
            requested_at = utcnow()
            try:
                resp = await self._http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
                text = resp.text
                received_at = utcnow()  # a Retry-After counts from here
            except httpx.TimeoutException as exc:
                self.limiter.on_error()
                raise TransportError(f"timed out: {endpoint} ({type(exc).__name__})", url=url) from None
            except httpx.TransportError as exc:
                self.limiter.on_error()
                raise TransportError(f"connection failed: {endpoint} ({type(exc).__name__})", url=url) from None
            finally:
                self.limiter.release()
            if resp.status_code != 429:
                self.limiter.on_success()
        self.stats.requests += 1
        self.stats.by_status[resp.status_code] += 1
        self.stats.by_endpoint[endpoint] += 1
        full_url = str(resp.request.url)
        status = resp.status_code
        if status == 429:
            self.stats.responses_429 += 1
            retry_after = _retry_after(resp)
            reason = _error_reason(resp)
            if reason == "QUOTA_EXCEEDED":
                raise self._pause(max(retry_after or 0.0, QUOTA_PAUSE_SECONDS), reason, received_at)
            if retry_after is None:
                retry_after = 5.0  # no header: a short global pause, then the AIMD budget decides
            if retry_after > self.max_retry_after:
                raise self._pause(retry_after, None, received_at)
            self.limiter.on_429(retry_after)
            raise _Throttled()
        if status == 401:
            raise _Unauthorized(token)
        if status >= 500:
            raise ServerError(f"{endpoint} answered {status}", url=full_url, status=status)
        data: Any = None
        if text:
            try:
                # orjson: json.loads of the bodies was the largest CPU cost per request of a crawl
                # worker (1.45 of 8.8 s CPU for 376 requests, profiled; albums with their tracks).
                data = orjson.loads(text)
            except ValueError:  # orjson.JSONDecodeError is one
                if 200 <= status < 300:
                    raise MalformedResponse(f"{endpoint} sent a body that is not JSON", url=full_url,
                                            status=status) from None
        if 200 <= status < 300 and expect is not None and (not isinstance(data, dict) or expect not in data):
            raise MalformedResponse(f"{endpoint} sent JSON without {expect!r}", url=full_url, status=status)
        return ApiResponse("GET", full_url, endpoint, status, text, data, requested_at)

    async def get(self, path: str, params: dict | None = None, *, endpoint: str | None = None,
                  expect: str | None = None) -> ApiResponse:
        """GET ``api_url + path``; see the module docstring for what is retried and what is raised."""
        url = self.api_url + path
        endpoint = endpoint or path
        params = {k: v for k, v in (params or {}).items() if v is not None}
        throttles = refreshes = 0
        while True:
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.max_attempts),
                    wait=wait_exponential_jitter(multiplier=self.backoff_initial, max=self.backoff_max),
                    retry=retry_if_exception_type((TransportError, ServerError, MalformedResponse)),
                    reraise=True,
                    before_sleep=self._count_retry,
                ):
                    with attempt:
                        return await self._attempt(url, params, endpoint, expect)
            except _Throttled:
                throttles += 1
                if throttles > MAX_THROTTLES_PER_REQUEST:
                    raise RequestFailed(f"{endpoint}: still answered 429 after {throttles} waits", url=url,
                                        status=429) from None
            except _Unauthorized as exc:
                refreshes += 1
                if refreshes > 2:
                    raise AuthError(f"{endpoint}: 401 even with a freshly issued token") from None
                self.stats.token_refreshes += 1
                if refreshes == 2:  # spurious 401s on valid tokens pass after a short delay
                    await asyncio.sleep(0.5)
                await self.tokens.token(force=True, stale=exc.token)

    def _count_retry(self, retry_state) -> None:
        self.stats.retries += 1

    # ── endpoints (paths and parameters as in docs/spotify-web-api.md §4) ──
    async def search(self, q: str, type: str, *, limit: int, offset: int = 0) -> ApiResponse:
        return await self.get("/search", {"q": q, "type": type, "limit": limit, "offset": offset,
                                          "market": self.market}, endpoint="/search",
                              expect=None if "," in type else type + "s")

    async def artist(self, artist_id: str) -> ApiResponse:
        return await self.get(f"/artists/{artist_id}", endpoint="/artists/{id}", expect="id")

    async def artists(self, ids: Sequence[str]) -> ApiResponse:
        return await self.get("/artists", {"ids": ",".join(ids)}, endpoint="/artists", expect="artists")

    async def artist_albums(self, artist_id: str, *, limit: int, offset: int = 0,
                            include_groups: str = "album,single,compilation,appears_on") -> ApiResponse:
        return await self.get(f"/artists/{artist_id}/albums",
                              {"include_groups": include_groups, "limit": limit, "offset": offset,
                               "market": self.market}, endpoint="/artists/{id}/albums", expect="items")

    async def album(self, album_id: str) -> ApiResponse:
        return await self.get(f"/albums/{album_id}", {"market": self.market}, endpoint="/albums/{id}", expect="id")

    async def albums(self, ids: Sequence[str]) -> ApiResponse:
        return await self.get("/albums", {"ids": ",".join(ids), "market": self.market}, endpoint="/albums",
                              expect="albums")

    async def album_tracks(self, album_id: str, *, limit: int = 50, offset: int = 0) -> ApiResponse:
        return await self.get(f"/albums/{album_id}/tracks", {"limit": limit, "offset": offset,
                                                             "market": self.market},
                              endpoint="/albums/{id}/tracks", expect="items")

    async def track(self, track_id: str) -> ApiResponse:
        return await self.get(f"/tracks/{track_id}", {"market": self.market}, endpoint="/tracks/{id}", expect="id")

    async def tracks(self, ids: Sequence[str]) -> ApiResponse:
        return await self.get("/tracks", {"ids": ",".join(ids), "market": self.market}, endpoint="/tracks",
                              expect="tracks")

    async def audio_features(self, ids: Sequence[str]) -> ApiResponse:
        return await self.get("/audio-features", {"ids": ",".join(ids)}, endpoint="/audio-features",
                              expect="audio_features")

    async def playlist(self, playlist_id: str) -> ApiResponse:
        return await self.get(f"/playlists/{playlist_id}", {"market": self.market}, endpoint="/playlists/{id}",
                              expect="id")

    async def playlist_items(self, playlist_id: str, *, limit: int = 50, offset: int = 0) -> ApiResponse:
        return await self.get(f"/playlists/{playlist_id}/items", {"limit": limit, "offset": offset,
                                                                  "market": self.market},
                              endpoint="/playlists/{id}/items", expect="items")
