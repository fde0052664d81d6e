"""Benchmark the crawler against a peer written as the seed projects did it.

Both crawl the same target — the MusicOSet tracks credited to the artists of the three most
common genres — through the emulator in extended mode, under the same rolling-window rate limit
(a fresh emulator each, so neither inherits the other's penalties), for at most the same time:

- genrestore: ``crawl_async`` seeded with the target's ``track:ID``s (50-track batches, 100-id
  audio-feature batches, 50-artist batches, 20-album batches), budget = the emulator's limit;
  it stops when every target track is done. Requests spent on expansion (albums, artists'
  discographies) count against it.
- peer: spotipy, sequential; per track one GET /tracks/{id}, one GET /audio-features/{id} and one
  GET /artists/{id} per artist not seen before; on a 429 it sleeps Retry-After and tries again.

A track counts as done when the warehouse (or the peer) holds its full object and its audio
features. Printed per crawler: requests per done track, done tracks per minute, share of 429s,
and for genrestore the share of the rate budget used in steady state (after the first window);
then the ratios. Usage: python bench/crawl.py [--seconds 90] [--rate 100] [--window 10]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl  # noqa: E402

from ingest.crawl import crawl_async  # noqa: E402
from ingest.emulator import build_musicoset_catalog, build_synthetic_catalog  # noqa: E402
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


def target_tracks(catalog: Path, genres: list[str]) -> list[str]:
    """Tracks credited to the seed genres' artists (what both crawlers go after first)."""
    ag = pl.read_parquet(catalog / "artist_genres.parquet")
    ta = pl.read_parquet(catalog / "track_artists.parquet")
    artists = ag.filter(pl.col("genre").is_in(genres))["artist_id"].unique()
    tracks = ta.filter(pl.col("artist_id").is_in(artists.to_list()))["track_id"].unique().sort().to_list()
    random.Random(7).shuffle(tracks)
    return tracks


def run_genrestore(catalog: Path, tracks: list[str], seconds: float, rate: int, window: float, tmp: Path) -> dict:
    from ingest.spotify._client import SpotifyClient

    events: list[tuple[float, int]] = []
    with running_emulator(catalog, rate=rate, window_seconds=window) as emu:
        settings = load_settings(var_dir=tmp / "var", api_url=emu.api_url, token_url=emu.token_url,
                                 client_id=emu.client_id, client_secret=emu.client_secret,
                                 crawl={"budget_per_window": rate, "window_seconds": window, "concurrency": 8,
                                        "timeout": 10})
        import asyncio

        import httpx

        class Recording(httpx.AsyncHTTPTransport):
            async def handle_async_request(self, request):
                resp = await super().handle_async_request(request)
                events.append((time.monotonic(), resp.status_code))
                return resp

        # Done = full object stored, and audio features stored where the catalog has them (the API
        # answers null for the others, as it does for the peer, which counts them done too).
        with_features = set(pl.read_parquet(catalog / "audio_features.parquet")["track_id"].to_list())
        done_sql = ("SELECT count(*) FROM bench_target b JOIN tracks t USING (track_id) "
                    "LEFT JOIN audio_features f USING (track_id) "
                    "WHERE t.popularity IS NOT NULL AND (f.track_id IS NOT NULL OR NOT b.has_features)")
        with Writer(settings.warehouse_file) as w:
            w.run(lambda con: con.execute(
                "CREATE TABLE bench_target AS SELECT unnest(?::VARCHAR[]) AS track_id, unnest(?::BOOLEAN[]) AS has_features",
                [tracks, [t in with_features for t in tracks]]))
            stop = threading.Event()
            finished: dict[str, float] = {}

            def monitor() -> None:
                # The target is done when every target track has its full object and features.
                while not stop.is_set():
                    time.sleep(0.5)
                    try:
                        n = w.submit(lambda con: con.execute(done_sql).fetchall()[0][0]).result()
                    except Exception:  # the crawl ended and the writer closed
                        return
                    if n >= len(tracks):
                        finished["at"] = time.monotonic()
                        stop.set()

            threading.Thread(target=monitor, daemon=True).start()
            t0 = time.monotonic()
            result = asyncio.run(crawl_async(settings, w, seeds=[f"track:{t}" for t in tracks], stop_event=stop,
                                             max_minutes=seconds / 60, progress=False, transport=Recording()))
            stop.set()
            elapsed = time.monotonic() - t0
            done = w.con.execute(done_sql).fetchall()[0][0]
            tracks_any = w.con.execute("SELECT count(*) FROM tracks").fetchall()[0][0]
        stats = emu.stats()
    api = [(t - t0, s) for t, s in events]
    steady = [(t, s) for t, s in api if t > window]
    span = (steady[-1][0] - window) if steady else 0
    used = (len(steady) / span * window / rate) if span > 0 else 0.0
    return {"name": "genrestore", "requests": result.requests, "done": done, "tracks_seen": tracks_any,
            "seconds": elapsed, "r429": sum(1 for _, s in api if s == 429),
            "steady_429": sum(1 for _, s in steady if s == 429) / max(1, len(steady)),
            "budget_used": used, "server_requests": stats["requests"]}


def run_peer(catalog: Path, tracks: list[str], seconds: float, rate: int, window: float) -> dict:
    import logging

    from spotipy.exceptions import SpotifyException

    logging.getLogger("spotipy").setLevel(logging.CRITICAL)  # it logs every 429 it raises
    requests = r429 = done = 0
    with running_emulator(catalog, rate=rate, window_seconds=window) as emu:
        sp = spotipy_client(emu, raw_errors=True)
        seen_artists: set[str] = set()

        def call(fn, *args):
            nonlocal requests, r429
            while True:
                requests += 1
                try:
                    return fn(*args)
                except SpotifyException as exc:
                    if exc.http_status != 429:
                        raise
                    r429 += 1
                    wait = float((exc.headers or {}).get("Retry-After", 1))
                    time.sleep(wait)

        t0 = time.monotonic()
        for track_id in tracks:
            if time.monotonic() - t0 >= seconds:
                break
            track = call(sp.track, track_id)
            call(sp.audio_features, [track_id])
            for artist in track["artists"]:
                if time.monotonic() - t0 >= seconds:
                    break
                if artist["id"] not in seen_artists:
                    seen_artists.add(artist["id"])
                    call(sp.artist, artist["id"])
            done += 1
        elapsed = time.monotonic() - t0
    return {"name": "peer (spotipy, sequential)", "requests": requests, "done": done, "seconds": elapsed,
            "r429": r429, "steady_429": None, "budget_used": None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=90.0, help="wall time per crawler")
    ap.add_argument("--rate", type=int, default=100, help="emulator limit: requests per window")
    ap.add_argument("--window", type=float, default=10.0, help="emulator rolling window (seconds)")
    ap.add_argument("--cache", type=Path, default=REPO / "var" / "bench", help="where the catalog is built once")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    catalog, label = catalog_dir(args.cache)
    genres = seed_genres(catalog)
    tracks = target_tracks(catalog, genres)
    print(f"catalog: {label}; seeds {genres}; {len(tracks):,} target tracks; limit {args.rate} requests per "
          f"{args.window:g} s; {args.seconds:g} s per crawler; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_genrestore(catalog, tracks, args.seconds, args.rate, args.window, Path(tmp))
    peer = run_peer(catalog, tracks, args.seconds, args.rate, args.window)
    rows = []
    for r in (ours, peer):
        rpt = r["requests"] / max(1, r["done"])
        tpm = r["done"] / r["seconds"] * 60
        share = r["r429"] / max(1, r["requests"])
        r.update(rpt=rpt, tpm=tpm, share=share)
        extra = ""
        if r["budget_used"] is not None:
            extra = (f"; steady state: {r['budget_used']:.1%} of the rate budget used, "
                     f"{r['steady_429']:.2%} answered 429")
        rows.append(f"{r['name']:28s} {r['requests']:6,} requests, {r['done']:6,} done tracks in {r['seconds']:.0f} s: "
                    f"{rpt:.3f} requests/track, {tpm:,.0f} tracks/min, {share:.2%} 429s{extra}")
    print("\n".join(rows))
    print(f"ratios (genrestore vs peer): {peer['rpt'] / max(ours['rpt'], 1e-9):.1f}x fewer requests per track, "
          f"{ours['tpm'] / max(peer['tpm'], 1e-9):.1f}x more tracks per minute")


if __name__ == "__main__":
    main()
