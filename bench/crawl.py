"""Benchmark the crawler against an honest peer, a naive peer and the request lower bound.

Every crawler walks the same genre graph (the three most common genres of the catalog as seeds:
genre search → artists → discographies → albums → tracks → audio features → credited artists →
their discographies) through the emulator, once per API mode, each against a FRESH emulator (no
one inherits another's penalties) with the same rolling-window limit, for the same wall time:

- genrestore: ``crawl_async`` seeded with ``genre:G``; its limiter is told the emulator's limit
  (``budget_per_window`` = rate) so the comparison is about requests, not about finding the limit;
- careful peer and naive peer: ``bench/crawl_peers.py`` (spotipy).

Requests are counted by the emulator (every API call, 429s included; the capability probe too).
Entities = artists + albums + tracks + audio-feature rows stored. The lower bound is
``ingest.emulator.request_lower_bound`` for exactly the entity set each crawler stored, in its mode.

``--ramp`` measures budget discovery instead: genrestore with the default crawl settings against a
limit it is not told (300 per 30 s, or scaled by ``--ramp-scale``: the limit, the window and the
settings' budget, ceiling and window all divided by it, so windows are shorter while every budget ÷
limit ratio stays the same), for
``--ramp-windows`` windows, then a second run on the same warehouse to show it starts from the
learned budget.

Usage: python bench/crawl.py [--seconds 60] [--rate 100] [--window 10] [--modes extended,development]
       python bench/crawl.py --ramp [--ramp-scale 5] [--ramp-windows 12]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
import polars as pl  # noqa: E402

from crawl_peers import CarefulPeer, NaivePeer  # noqa: E402
from ingest.crawl import crawl_async  # noqa: E402
from ingest.emulator import (  # noqa: E402
    CatalogGraph,
    StoredSet,
    build_musicoset_catalog,
    build_synthetic_catalog,
    load_catalog,
    request_lower_bound,
)
from ingest.emulator.running import running_emulator, spotipy_client  # noqa: E402
from jobs import load_settings  # noqa: E402
from warehouse import Writer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def catalog_dir(cache: Path) -> tuple[Path, str]:
    data = Path(os.environ.get("GENRESTORE_DATA", REPO.parent / "shared" / "data"))
    if (data / "musicoset").is_dir():
        out = cache / "musicoset-catalog"
        if not (out / "manifest.json").is_file():
            build_musicoset_catalog(data, out)
        return out, "MusicOSet"
    out = cache / "synthetic-5000"
    if not (out / "manifest.json").is_file():
        build_synthetic_catalog(out, artists=5000, seed=7)
    return out, "synthetic (MusicOSet not found)"


def seed_genres(catalog: Path, n: int = 3) -> list[str]:
    ag = pl.read_parquet(catalog / "artist_genres.parquet")
    counts = ag.group_by("genre").len().sort(["len", "genre"], descending=[True, False])
    return counts["genre"].to_list()[:n]


class Recording(httpx.AsyncHTTPTransport):
    """Every API answer's time and status (the token endpoint excluded)."""

    def __init__(self, events: list) -> None:
        super().__init__()
        self.events = events

    async def handle_async_request(self, request):
        resp = await super().handle_async_request(request)
        if "/v1/" in str(request.url):
            self.events.append((time.monotonic(), resp.status_code))
        return resp


def stored_in_warehouse(con) -> StoredSet:
    """What a genrestore crawl stored, as the lower bound reads it."""
    def ids(sql: str) -> set[str]:
        return {r[0] for r in con.execute(sql).fetchall()}

    hits: dict[str, set[str]] = {}
    for genre, artist in con.execute("SELECT genre, artist_id FROM artist_genre_hits").fetchall():
        hits.setdefault(genre, set()).add(artist)
    return StoredSet(
        genre_hits=hits,
        artists=ids("SELECT artist_id FROM artists WHERE source LIKE 'spotify:%'"),
        albums=ids("SELECT album_id FROM albums"),
        full_albums=ids("SELECT key FROM crawl_queue WHERE kind = 'album' AND state = 'done'"),
        tracks=ids("SELECT track_id FROM tracks"),
        full_tracks=ids("SELECT track_id FROM tracks WHERE popularity IS NOT NULL OR isrc IS NOT NULL"),
        audio_features=ids("SELECT track_id FROM audio_features"),
    )


def run_genrestore(catalog: Path, mode: str, genres: list[str], seconds: float, rate: int, window: float,
                   tmp: Path, *, crawl: dict | None = None, events: list | None = None,
                   var: Path | None = None, emu=None) -> dict:
    events = events if events is not None else []
    own = running_emulator(catalog, mode=mode, rate=rate, window_seconds=window) if emu is None else None
    with (own or contextlib.nullcontext(emu)) as emu:
        crawl_opts = crawl if crawl is not None else {"budget_per_window": rate, "window_seconds": window,
                                                      "budget_ramp": False}
        settings = load_settings(var_dir=var or tmp / "var", api_url=emu.api_url, token_url=emu.token_url,
                                 client_id=emu.client_id, client_secret=emu.client_secret,
                                 crawl={"concurrency": 8, "timeout": 10, **crawl_opts})
        with Writer(settings.warehouse_file) as w:
            t0 = time.monotonic()
            result = asyncio.run(crawl_async(settings, w, seeds=[f"genre:{g}" for g in genres],
                                             stop_event=threading.Event(), max_minutes=seconds / 60,
                                             progress=False, transport=Recording(events)))
            elapsed = time.monotonic() - t0
            stored = w.run(stored_in_warehouse)
        stats = emu.stats()
    return {"name": "genrestore", "requests": stats["requests"], "r429": stats["rate_limited"], "stats": stats,
            "stored": stored, "seconds": elapsed, "t0": t0, "result": result}


def run_peer(peer_cls, catalog: Path, mode: str, genres: list[str], seconds: float, rate: int,
             window: float) -> dict:
    with running_emulator(catalog, mode=mode, rate=rate, window_seconds=window) as emu:
        t0 = time.monotonic()
        peer = peer_cls(spotipy_client(emu, raw_errors=True), seconds)
        stored = peer.run(genres)
        elapsed = time.monotonic() - t0
        stats = emu.stats()
    return {"name": peer.name, "requests": stats["requests"], "r429": stats["rate_limited"], "stored": stored,
            "stats": stats,
            "seconds": elapsed}


def compare(args, catalog: Path, genres: list[str]) -> None:
    graph = CatalogGraph.from_catalog(load_catalog(catalog))
    header = (f"{'mode':11s} {'crawler':24s} {'requests':>8s} {'429s':>5s} {'entities':>8s} {'ent/req':>7s} "
              f"{'lower bound':>11s} {'req/bound':>9s}")
    print(header)
    for mode in args.modes:
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(run_genrestore(catalog, mode, genres, args.seconds, args.rate, args.window, Path(tmp)))
        for cls in (CarefulPeer, NaivePeer):
            rows.append(run_peer(cls, catalog, mode, genres, args.seconds, args.rate, args.window))
        for r in rows:
            bound = request_lower_bound(graph, r["stored"], mode)
            r["epr"] = r["stored"].entities / max(1, r["requests"])
            print(f"{mode:11s} {r['name']:24s} {r['requests']:8,} {r['r429']:5,} {r['stored'].entities:8,} "
                  f"{r['epr']:7.2f} {bound.requests:11,} {r['requests'] / max(1, bound.requests):9.3f}")
            if args.verbose:
                sent = {e: sum(n.values()) for e, n in r["stats"]["by_endpoint"].items()}
                print(f"{'':12s} bound steps: {bound.steps}; {r['seconds']:.0f} s\n{'':12s} requests: {sent}")
        ours, careful, naive = rows
        print(f"{mode:11s} entities/request: genrestore {ours['epr'] / max(careful['epr'], 1e-9):.2f}x the "
              f"careful peer, {ours['epr'] / max(naive['epr'], 1e-9):.2f}x the naive peer")


def windows_of(events: list, t0: float, window: float) -> list[tuple[int, int]]:
    """(answered, 429) per window since t0."""
    out: dict[int, list[int]] = {}
    for t, status in events:
        k = int((t - t0) // window)
        row = out.setdefault(k, [0, 0])
        row[0 if status != 429 else 1] += 1
    return [tuple(out.get(k, [0, 0])) for k in range(max(out) + 1)] if out else []


def ramp(args, catalog: Path, genres: list[str]) -> None:
    from ingest import CrawlSettings

    default = CrawlSettings()
    scale = args.ramp_scale
    limit, window = round(300 / scale), 30.0 / scale
    # The default settings, with the window scaled like the limit's: budget and ceiling per window too.
    crawl = {"window_seconds": default.window_seconds / scale, "budget_per_window": round(default.budget_per_window / scale),
             "budget_ceiling": round(default.budget_ceiling / scale), "budget_ramp": default.budget_ramp}
    seconds = window * args.ramp_windows
    print(f"ramp: unknown limit {limit} per {window:g} s (300 per 30 s scaled by 1/{scale:g}); default settings "
          f"(budget {default.budget_per_window}, ceiling {default.budget_ceiling} per {default.window_seconds:g} s) "
          f"scaled alike: {crawl['budget_per_window']}, {crawl['budget_ceiling']} per {window:g} s; "
          f"{args.ramp_windows} windows per run")
    with tempfile.TemporaryDirectory() as tmp, \
            running_emulator(catalog, mode="extended", rate=limit, window_seconds=window) as emu:
        # One emulator for both runs (the learned budget is kept per API URL), reset in between.
        for run in (1, 2):
            emu.reset()
            events: list = []
            r = run_genrestore(catalog, "extended", genres, seconds, limit, window, Path(tmp), crawl=crawl,
                               events=events, var=Path(tmp) / "var", emu=emu)
            per = windows_of(events, r["t0"], window)[:args.ramp_windows]
            used = [a / limit for a, _ in per]
            first90 = next((i + 1 for i, u in enumerate(used) if u >= 0.9), None)
            later = used[4:]
            total = sum(a + b for a, b in per)
            r429 = sum(b for _, b in per)
            print(f"run {run}: start budget {r['result'].budget_start}, learned {r['result'].budget_learned}; "
                  f"per window in use: {' '.join(f'{u:.0%}' for u in used)}")
            print(f"run {run}: first window >= 90 % in use: {first90}; mean in use over windows 5-{len(used)}: "
                  f"{sum(later) / max(1, len(later)):.1%}; {r429} of {total} answered 429 ({r429 / max(1, total):.2%})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="wall time per crawler and mode")
    ap.add_argument("--rate", type=int, default=100, help="emulator limit: requests per window")
    ap.add_argument("--window", type=float, default=10.0, help="emulator rolling window (seconds)")
    ap.add_argument("--modes", type=lambda s: s.split(","), default=["extended", "development"])
    ap.add_argument("--ramp", action="store_true", help="measure budget discovery against an unknown limit")
    ap.add_argument("--ramp-scale", type=float, default=5.0, help="divide the 300/30 s limit and windows by this")
    ap.add_argument("--ramp-windows", type=int, default=12, help="windows per ramp run")
    ap.add_argument("--verbose", action="store_true", help="print the lower bound's steps")
    ap.add_argument("--cache", type=Path, default=REPO / "var" / "bench", help="where the catalog is built once")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    catalog, label = catalog_dir(args.cache)
    genres = seed_genres(catalog)
    print(f"catalog: {label}; seeds {genres}; load average {os.getloadavg()[0]:.1f}")
    if args.ramp:
        ramp(args, catalog, genres)
        return
    print(f"limit {args.rate} requests per {args.window:g} s; {args.seconds:g} s per crawler and mode; "
          f"fresh emulator per crawler")
    compare(args, catalog, genres)


if __name__ == "__main__":
    main()
