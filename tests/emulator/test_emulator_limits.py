"""Rate limit (rolling 30-s window, growing penalty), daily quota and forced bans."""

from __future__ import annotations

import httpx
import pytest
from spotipy.exceptions import SpotifyException

from ingest.emulator import ServerRateLimit
from ingest.emulator.running import running_emulator, spotipy_client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rolling_window_retry_after_is_computed_from_the_window():
    clock = FakeClock()
    lim = ServerRateLimit(rate=3, window_seconds=30, clock=clock)
    for t in (0, 5, 10):
        clock.now = 1000 + t
        assert lim.check("c") is None
    clock.now = 1012
    assert lim.check("c").retry_after == 18  # the oldest request (t=0) leaves the window at t=30
    clock.now = 1030.5  # penalty over and the t=0 request has left the window
    assert lim.check("c") is None
    assert lim.check("c").retry_after == 5  # t=5 leaves at t=35
    assert lim.check("other") is None  # per client


def test_calling_while_limited_grows_the_penalty():
    clock = FakeClock()
    lim = ServerRateLimit(rate=1, window_seconds=30, clock=clock, penalty_step=2)
    assert lim.check("c") is None
    waits = [lim.check("c").retry_after for _ in range(5)]
    assert waits == [30, 32, 36, 42, 50]  # +2, +4, +6, +8: each call while limited costs more
    clock.now += waits[-1]  # a client that waits it out is let back in
    assert lim.check("c") is None


def test_daily_quota_has_its_reason():
    clock = FakeClock()
    lim = ServerRateLimit(daily_quota=2, clock=clock, wall_clock=lambda: 86400 * 100 + 3600)
    assert lim.check("c") is None and lim.check("c") is None
    refused = lim.check("c")
    assert refused.reason == "QUOTA_EXCEEDED" and refused.retry_after == 86400 - 3600


def test_burst_over_the_limit_gets_429_with_retry_after(catalog_dir, tables):
    artist_id = tables["artists"]["artist_id"][0]
    with running_emulator(catalog_dir, rate=20) as emu:
        sp = spotipy_client(emu, raw_errors=True)
        statuses, retry_after = [], []
        for _ in range(30):
            try:
                sp.artist(artist_id)
                statuses.append(200)
            except SpotifyException as exc:
                statuses.append(exc.http_status)
                retry_after.append(exc.headers["Retry-After"])
        assert statuses[:20] == [200] * 20 and statuses[20:] == [429] * 10
        assert all(v.isdigit() and 1 <= int(v) for v in retry_after)
        # Each call while limited lengthens the wait (penalty), so later answers ask for longer.
        assert int(retry_after[-1]) > int(retry_after[0])
        stats = emu.stats()
        assert stats["rate_limited"] == 10 and stats["window"]["count"] == 20
        assert stats["by_endpoint"]["/artists/{id}"] == {"200": 20, "429": 10}
        emu.reset()
        assert sp.artist(artist_id)["id"] == artist_id


def test_daily_quota_and_ban_over_http(catalog_dir, tables):
    artist_id = tables["artists"]["artist_id"][0]
    with running_emulator(catalog_dir, daily_quota=3) as emu:
        sp = spotipy_client(emu, raw_errors=True)
        for _ in range(3):
            sp.artist(artist_id)
        with pytest.raises(SpotifyException) as err:
            sp.artist(artist_id)
        assert err.value.http_status == 429 and err.value.reason == "QUOTA_EXCEEDED"
        emu.reset()
        emu.ban(3600)
        token = sp.auth_manager.get_access_token(as_dict=False)
        r = httpx.get(f"{emu.api_url}/artists/{artist_id}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 429 and 3590 <= int(r.headers["Retry-After"]) <= 3600
        assert r.json()["error"]["status"] == 429
        emu.ban(0)
        assert sp.artist(artist_id)["id"] == artist_id
