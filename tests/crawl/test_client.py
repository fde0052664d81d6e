"""The Spotify client's request pipeline, with a real token server and scripted API answers."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest

from ingest.spotify import (
    AuthError,
    ClientStopped,
    CrawlPaused,
    RateLimiter,
    ServerError,
    SpotifyClient,
    TransportError,
)
from ingest.spotify._client import utcnow

from ._fakes import Scripted, TokenServer, json_response

OK = json_response(200, {"id": "abc", "name": "x"})


@pytest.fixture
def tokens():
    with TokenServer() as server:
        yield server


def make_client(tokens, handler, **kw) -> SpotifyClient:
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.05)
    return SpotifyClient(api_url="http://api.test/v1", token_url=tokens.url, client_id=tokens.client_id,
                         client_secret=tokens.client_secret, transport=handler.transport, **kw)


def run(coro):
    return asyncio.run(coro)


class FakeClock:
    """A monotonic clock that moves only when the limiter sleeps on it: waits take no real time."""

    def __init__(self, start: float = 0.0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let the other tasks run, as a real sleep would

    def limiter(self, budget: int, window: float, **kw) -> RateLimiter:
        return RateLimiter(budget, window, clock=self, sleep=self.sleep, **kw)


async def _get(client, path="/artists/abc"):
    async with client:
        return await client.get(path, expect="id")


def test_ok_response_carries_bearer_token_and_parsed_json(tokens):
    h = Scripted(OK)
    resp = run(_get(make_client(tokens, h)))
    assert resp.ok and resp.data == {"id": "abc", "name": "x"}
    assert h.requests[0].headers["Authorization"] == "Bearer token-1"
    assert str(h.requests[0].url).startswith("http://api.test/v1/artists/abc")


def test_5xx_timeouts_and_malformed_bodies_are_retried(tokens):
    h = Scripted(json_response(503, {"error": {"status": 503, "message": "x"}}),
                 httpx.ReadTimeout("slow"), httpx.Response(200, content=b"{truncated"),
                 json_response(200, {"no_id": 1}), OK)
    client = make_client(tokens, h)
    resp = run(_get(client))
    assert resp.ok
    assert len(h.requests) == 5
    assert client.stats.retries == 4


def test_retries_are_bounded_by_max_attempts(tokens):
    h = Scripted(json_response(500, {"error": {"status": 500, "message": "boom"}}))
    client = make_client(tokens, h, max_attempts=3)
    with pytest.raises(ServerError):
        run(_get(client))
    assert len(h.requests) == 3
    h2 = Scripted(httpx.ConnectError("refused"))
    with pytest.raises(TransportError):
        run(_get(make_client(tokens, h2, max_attempts=2)))
    assert len(h2.requests) == 2


def test_other_4xx_are_returned_not_retried(tokens):
    h = Scripted(json_response(404, {"error": {"status": 404, "message": "Not found"}}), OK)
    resp = run(_get(make_client(tokens, h)))
    assert resp.status == 404 and not resp.ok and resp.error_message() == "Not found"
    assert len(h.requests) == 1


def test_401_refreshes_the_token_once_and_retries(tokens):
    h = Scripted(json_response(401, {"error": {"status": 401, "message": "expired"}}), OK)
    client = make_client(tokens, h)
    assert run(_get(client)).ok
    assert [r.headers["Authorization"] for r in h.requests] == ["Bearer token-1", "Bearer token-2"]
    assert tokens.issued == ["token-1", "token-2"]


def test_401_with_every_token_is_an_auth_error(tokens):
    h = Scripted(json_response(401, {"error": {"status": 401, "message": "bad"}}))
    with pytest.raises(AuthError):
        run(_get(make_client(tokens, h)))
    assert len(h.requests) == 3  # first token + two refreshes, then give up


def test_wrong_secret_is_an_auth_error_without_the_secret(tokens):
    h = Scripted(OK)
    client = SpotifyClient(api_url="http://api.test/v1", token_url=tokens.url, client_id="cid",
                           client_secret="wrong-secret-xyz", transport=h.transport)
    with pytest.raises(AuthError) as info:
        run(_get(client))
    assert "wrong-secret-xyz" not in str(info.value)
    assert h.requests == []


def test_429_pauses_for_retry_after_and_lowers_the_budget(tokens):
    h = Scripted(json_response(429, {"error": {"status": 429, "message": "API rate limit exceeded"}},
                               {"Retry-After": "1"}), OK)
    clock = FakeClock()
    client = make_client(tokens, h, limiter=clock.limiter(20, 2))
    assert run(_get(client)).ok
    assert clock.now >= 1.0  # the retry waited out the Retry-After
    assert client.stats.responses_429 == 1
    assert client.limiter.budget < 20


def test_long_retry_after_raises_crawl_paused_at_once(tokens):
    h = Scripted(json_response(429, {"error": {"status": 429, "message": "x"}}, {"Retry-After": "3600"}))
    clock = FakeClock()
    client = make_client(tokens, h, max_retry_after=60, limiter=clock.limiter(100, 30))
    with pytest.raises(CrawlPaused) as info:
        run(_get(client))
    assert clock.sleeps == []  # raised at once: nobody slept through any of the hour
    assert abs((info.value.until - utcnow()) - timedelta(seconds=3600)) < timedelta(seconds=5)
    assert len(h.requests) == 1


def test_long_retry_after_ends_the_requests_waiting_in_the_limiter_too(tokens):
    # Requests paced one second apart: when the 429 comes back, the other seven wait in the limiter.
    h = Scripted(OK, json_response(429, {"error": {"status": 429, "message": "x"}}, {"Retry-After": "3600"}))
    clock = FakeClock()
    client = make_client(tokens, h, max_retry_after=60, limiter=clock.limiter(10, 10))

    async def go():
        async with client:
            await client.get("/artists/abc", expect="id")
            return await asyncio.gather(*(client.get(f"/artists/a{i}", expect="id") for i in range(8)),
                                        return_exceptions=True)

    results = asyncio.run(asyncio.wait_for(go(), timeout=30))
    assert clock.now < 10  # they gave up at the 429, not after waiting out their turns
    assert all(isinstance(r, CrawlPaused) for r in results), results
    until = utcnow() + timedelta(seconds=3600)  # the moment the server named, for every request
    assert all(abs(r.until - until) < timedelta(seconds=5) for r in results)
    assert len(h.requests) == 2  # the first answer, then nobody else asked a banned server


def test_stop_ends_requests_waiting_out_a_short_pause(tokens):
    # Real time on purpose: what is tested is that stop() wakes a real sleep long before it ends.
    h = Scripted(json_response(429, {"error": {"status": 429, "message": "x"}}, {"Retry-After": "30"}))
    client = make_client(tokens, h, max_retry_after=60)

    async def go():
        async with client:
            waiting = [asyncio.ensure_future(client.get(f"/artists/a{i}", expect="id")) for i in range(4)]
            await asyncio.sleep(1.0)  # all four are waiting out the 30 s pause now
            assert not any(w.done() for w in waiting)
            client.stop("stopping")
            return await asyncio.gather(*waiting, return_exceptions=True)

    t0 = time.monotonic()
    results = asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert time.monotonic() - t0 < 10
    assert all(isinstance(r, ClientStopped) for r in results), results


def test_quota_exceeded_pauses_for_a_day(tokens):
    h = Scripted(json_response(429, {"error": {"status": 429, "message": "Too many requests",
                                               "reason": "QUOTA_EXCEEDED"}}))
    with pytest.raises(CrawlPaused) as info:
        run(_get(make_client(tokens, h)))
    assert info.value.until - utcnow() > timedelta(hours=23)


def test_limiter_never_exceeds_the_rolling_window_budget():
    clock = FakeClock()

    async def go():
        lim = clock.limiter(5, 0.5, margin=0.0)
        stamps = []
        for _ in range(12):
            await lim.acquire()
            lim.release()
            stamps.append(clock.now)
        return stamps

    stamps = run(go())
    for i in range(len(stamps)):
        in_window = [s for s in stamps if stamps[i] <= s < stamps[i] + 0.5]
        assert len(in_window) <= 5
    assert stamps[-1] - stamps[0] >= 1.0  # 12 requests at 5 per 0.5 s need two full windows


def test_limiter_aimd_drops_to_the_observed_level_then_creeps_back():
    now = [0.0]

    async def fake_sleep(seconds):
        now[0] += seconds

    lim = RateLimiter(100, 10, clock=lambda: now[0], margin=0.0, sleep=fake_sleep)

    async def fill(n):
        for _ in range(n):
            await lim.acquire()
            lim.release()

    now[0] = 10.0  # a full window after the limiter started: what it sent is all the server counted
    asyncio.run(fill(40))  # paced: 40 requests 0.1 s apart
    assert now[0] == pytest.approx(13.9)
    lim.on_429(2)
    assert lim.budget == pytest.approx(40 * lim.decrease)  # the level the server refused at, lowered
    assert lim.paused_for == pytest.approx(2)
    dropped = lim.budget
    now[0] = 15.9 + 10 * 3  # three quiet windows after the pause
    lim._grow(now[0])
    assert dropped < lim.budget <= dropped + 3
    now[0] += 10 * 40
    lim._grow(now[0])
    assert lim.budget < 100  # near the failing level growth is four times slower


def test_limiter_paces_requests_and_probes_alone_after_a_429():
    now = [0.0]

    async def fake_sleep(seconds):
        now[0] += seconds
        await asyncio.sleep(0)

    lim = RateLimiter(10, 1.0, clock=lambda: now[0], margin=0.0, sleep=fake_sleep)

    async def go():
        starts = []
        for _ in range(3):
            await lim.acquire()
            lim.release()
            lim.on_success()
            starts.append(now[0])
        assert starts == pytest.approx([0.0, 0.1, 0.2])  # window / budget apart, never a burst
        await lim.acquire()
        lim.release()
        lim.on_429(1.0)
        await lim.acquire()  # the probe, after the pause
        assert now[0] >= 1.3 - 1e-9
        probe_started = now[0]
        waiter = asyncio.ensure_future(lim.acquire())
        await asyncio.sleep(0)
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiter.done()  # nobody follows the probe before it is answered
        lim.release()
        lim.on_success()
        await waiter
        assert now[0] > probe_started

    asyncio.run(go())


def test_limiter_halves_at_most_when_a_429_comes_without_history():
    lim = RateLimiter(100, 10, margin=0.0)
    lim.on_429(1)  # nothing sent yet: the server counted someone else's requests
    assert lim.budget == 50
