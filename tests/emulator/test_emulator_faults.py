"""Seeded fault injection: each kind happens, at about its rate, and the same requests see the same faults."""

from __future__ import annotations

import time

import httpx
import pytest

from ingest.emulator import parse_faults
from ingest.emulator._faults import FaultInjector
from ingest.emulator.running import running_emulator
from warehouse.errors import UsageError


def test_parse_faults_spec_and_errors():
    spec = parse_faults("5xx=0.05,hang=0.02,malformed=0.01,truncated=0.01,latency=0.005,token_ttl=120")
    assert (spec.p_5xx, spec.hang, spec.malformed, spec.truncated, spec.latency, spec.token_ttl) == (
        0.05, 0.02, 0.01, 0.01, 0.005, 120)
    for bad in ("explode=0.1", "5xx=2", "5xx=abc", "5xx=0.6,hang=0.6"):
        with pytest.raises(UsageError):
            parse_faults(bad)


def test_fault_decisions_are_seeded_and_at_their_rates():
    spec = parse_faults("5xx=0.1,hang=0.02,malformed=0.03,truncated=0.04,latency=0.05,spurious401=0.02,bare429=0.03")
    keys = [f"GET /v1/artists/{i}?" for i in range(20000)]
    a = [FaultInjector(spec, seed=1).decide(k)[0] for k in keys[:2000]]
    inj = FaultInjector(spec, seed=1)
    b = [inj.decide(k)[0] for k in keys]
    c = [FaultInjector(spec, seed=2).decide(k)[0] for k in keys[:2000]]
    assert a == b[:2000] and a != c
    for kind, p in (("5xx", 0.1), ("hang", 0.02), ("malformed", 0.03), ("truncated", 0.04), ("latency", 0.05),
                    ("spurious401", 0.02), ("bare429", 0.03)):
        share = b.count(kind) / len(b)
        assert abs(share - p) < 4 * (p * (1 - p) / len(b)) ** 0.5 + 1e-3, (kind, share)
    # The n-th repeat of the same URL gets its own (but reproducible) draw.
    again = FaultInjector(spec, seed=1)
    assert [again.decide("GET /x?")[0] for _ in range(50)] == [inj.decide("GET /x?")[0] for _ in range(50)]


def _classify(client: httpx.Client, emu, url: str, token: list) -> str:
    refreshed = False
    for _ in range(2):
        if not token:
            r = client.post(emu.token_url, data={"grant_type": "client_credentials"},
                            auth=(emu.client_id, emu.client_secret))
            token.append(r.json()["access_token"])
        started = time.monotonic()
        try:
            r = client.get(url, headers={"Authorization": f"Bearer {token[-1]}"})
        except httpx.ReadTimeout:
            return "timeout"
        except httpx.RemoteProtocolError:
            return "truncated"
        if r.status_code == 401:  # expired early or spurious: refresh once and retry, as a client should
            token.clear()
            refreshed = True
            continue
        if r.status_code >= 500:
            return f"http{r.status_code}"
        if r.status_code == 429:
            return "http429" if "retry-after" in r.headers else "http429-bare"
        try:
            r.json()
        except ValueError:
            return "malformed"
        if refreshed:
            return "ok-after-401"
        return "slow" if time.monotonic() - started > 0.15 else "ok"
    return "unauthorized"


def test_faults_over_http_are_reproducible(catalog_dir, tables):
    faults = ("5xx=0.25,hang=0.06,malformed=0.1,truncated=0.1,latency=0.1,spurious401=0.1,bare429=0.08,"
              "hang_s=2,latency_s=0.2,token_ttl=1")
    ids = tables["artists"]["artist_id"].head(32).to_list()
    with running_emulator(catalog_dir, faults=faults, seed=16) as emu:
        runs = []
        for _ in range(2):
            emu.reset()
            token: list = []
            with httpx.Client(timeout=httpx.Timeout(0.4, connect=5.0)) as client:
                runs.append([_classify(client, emu, f"{emu.api_url}/artists/{i}", token) for i in ids])
        first, second = runs
        assert first == second
        seen = set(first)
        assert {"ok", "http500", "http502", "http503", "malformed", "truncated", "timeout", "slow",
                "ok-after-401", "http429-bare"} <= seen, seen
        stats = emu.stats()
        assert stats["faults"]["5xx"] == sum(first.count(k) for k in ("http500", "http502", "http503"))
        # Early expiry: the token says 3600 s but stops working after token_ttl=1 s.
        r = httpx.post(emu.token_url, data={"grant_type": "client_credentials"}, auth=(emu.client_id, emu.client_secret))
        assert r.json()["expires_in"] == 3600
        time.sleep(1.1)
        r = httpx.get(f"{emu.api_url}/artists/{ids[0]}", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert r.status_code == 401


def test_nulls_fault_puts_null_entries_into_playlist_search_pages(catalog_dir):
    import asyncio

    from ingest.emulator import create_app

    app = create_app(catalog_dir, faults="nulls=1")

    async def search(kind: str) -> list:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9") as client:
            tok = (await client.post("/api/token", data={"grant_type": "client_credentials"},
                                     auth=("genrestore-emulator", "emulator-secret"))).json()["access_token"]
            r = await client.get("/v1/search", params={"q": "a", "type": kind, "limit": 10},
                                 headers={"Authorization": f"Bearer {tok}"})
            return r.json()[kind + "s"]["items"]

    playlists = asyncio.run(search("playlist"))
    assert None in playlists and any(p is not None for p in playlists)
    artists = asyncio.run(search("artist"))
    assert artists and None not in artists
