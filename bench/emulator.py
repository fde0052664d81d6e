"""Sustained requests/s of the local Spotify emulator for a mix of catalog GETs.

Starts the emulator in a subprocess on a synthetic catalog (or uses --catalog), then drives it with
one httpx async client keeping --concurrency requests in flight for --seconds, cycling through a
mix of GET /artists/{id}, /albums/{id}, /albums/{id}/tracks, /search and /artists?ids=.
Prints requests/s, error share and latency percentiles per endpoint. Target: >= 1,000 req/s.

    python bench/emulator.py [--seconds 20] [--concurrency 32] [--artists 10000] [--catalog DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import polars as pl  # noqa: E402

from ingest.emulator.running import running_emulator, synthetic_catalog  # noqa: E402


def request_mix(catalog: Path, seed: int = 0, n: int = 5000) -> list[tuple[str, str, dict]]:
    """(endpoint name, path, params) tuples in a fixed shuffled order."""
    rng = random.Random(seed)
    artists = pl.read_parquet(catalog / "artists.parquet")["artist_id"].to_list()
    albums = pl.read_parquet(catalog / "albums.parquet")["album_id"].to_list()
    genres = (pl.read_parquet(catalog / "artist_genres.parquet").group_by("genre").len()
              .sort("len", descending=True)["genre"].head(200).to_list())
    words = [w for w in pl.read_parquet(catalog / "artists.parquet")["name"].head(500).str.split(" ").explode()
             .unique().sort().to_list() if len(w) > 2]
    mix = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            mix.append(("/artists/{id}", f"/artists/{rng.choice(artists)}", {}))
        elif kind == 1:
            mix.append(("/albums/{id}", f"/albums/{rng.choice(albums)}", {}))
        elif kind == 2:
            mix.append(("/albums/{id}/tracks", f"/albums/{rng.choice(albums)}/tracks", {"limit": 50}))
        elif kind == 3:
            if rng.random() < 0.5:
                q = f'genre:"{rng.choice(genres)}"'
            else:
                q = rng.choice(words)
            mix.append(("/search", "/search", {"q": q, "type": "artist", "limit": 50,
                                               "offset": rng.choice([0, 0, 50, 100])}))
        else:
            mix.append(("/artists?ids=", "/artists", {"ids": ",".join(rng.sample(artists, 50))}))
    rng.shuffle(mix)
    return mix


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(api_url: str, token: str, mix, seconds: float, concurrency: int, server_pid: int) -> dict:
    # httpcore's pool scans every connection on each request (cost grows with pool size), so the
    # in-flight requests are spread over several small pools: 4 connections per AsyncClient.
    per_pool = 4
    n_pools = max(1, concurrency // per_pool)
    headers = {"Authorization": f"Bearer {token}"}
    urls = [(name, f"{api_url}{path}" + (f"?{urlencode(params)}" if params else "")) for name, path, params in mix]
    lat: dict[str, list[float]] = {}
    status: dict[int, int] = {}
    errors = 0
    done = 0
    cursor = 0
    clients = [httpx.AsyncClient(headers=headers, timeout=10,
                                 limits=httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool))
               for _ in range(n_pools)]
    try:
        # Warm-up: one pass over a slice so first-touch caches do not count against the server.
        await asyncio.gather(*(clients[i % n_pools].get(u) for i, (_, u) in enumerate(urls[:200])))
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        server_cpu0, client_cpu0 = process_cpu(server_pid), time.process_time()

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal errors, done, cursor
            while time.perf_counter() < deadline:
                name, url = urls[cursor % len(urls)]
                cursor += 1
                t0 = time.perf_counter()
                try:
                    r = await client.get(url)
                    status[r.status_code] = status.get(r.status_code, 0) + 1
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                lat.setdefault(name, []).append(time.perf_counter() - t0)
                done += 1

        await asyncio.gather(*(worker(clients[i % n_pools]) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = process_cpu(server_pid) - server_cpu0, time.process_time() - client_cpu0
    finally:
        for c in clients:
            await c.aclose()
    return {"requests": done, "elapsed": elapsed, "rps": done / elapsed, "errors": errors,
            "server_cpu": server_cpu, "client_cpu": client_cpu,
            "error_share": errors / max(1, done), "status": status, "latency": lat}


async def drive_raw(api_url: str, token: str, mix, seconds: float, concurrency: int, server_pid: int) -> dict:
    """Same mix over keep-alive HTTP/1.1 connections with a minimal asyncio client, so the client's
    own cost (httpx ~1.5 ms CPU per request) does not hide the server's capacity."""
    from urllib.parse import urlsplit

    u = urlsplit(api_url)
    head = f"Host: {u.netloc}\r\nAuthorization: Bearer {token}\r\n\r\n"
    reqs = [(name, f"GET {u.path}{path}{'?' + urlencode(params) if params else ''} HTTP/1.1\r\n{head}".encode())
            for name, path, params in mix]
    lat: dict[str, list[float]] = {}
    status: dict[int, int] = {}
    counters = {"done": 0, "errors": 0, "cursor": 0}
    deadline = 0.0

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        try:
            while time.perf_counter() < deadline:
                name, raw = reqs[counters["cursor"] % len(reqs)]
                counters["cursor"] += 1
                t0 = time.perf_counter()
                writer.write(raw)
                header = await reader.readuntil(b"\r\n\r\n")
                code = int(header[9:12])
                length = 0
                for line in header.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                status[code] = status.get(code, 0) + 1
                counters["errors"] += code != 200
                counters["done"] += 1
                lat.setdefault(name, []).append(time.perf_counter() - t0)
        finally:
            writer.close()

    deadline = time.perf_counter() + 1.0  # warm-up second
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    counters.update(done=0, errors=0)
    lat.clear()
    status.clear()
    server_cpu0, client_cpu0 = process_cpu(server_pid), time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    done = counters["done"]
    return {"requests": done, "elapsed": elapsed, "rps": done / elapsed, "errors": counters["errors"],
            "error_share": counters["errors"] / max(1, done), "status": status, "latency": lat,
            "server_cpu": process_cpu(server_pid) - server_cpu0, "client_cpu": time.process_time() - client_cpu0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--artists", type=int, default=10000, help="synthetic catalog size when --catalog is not given")
    ap.add_argument("--catalog", type=Path, default=None)
    ap.add_argument("--client", choices=["httpx", "raw", "both"], default="both",
                    help="httpx AsyncClients (the brief's client), a minimal asyncio HTTP/1.1 client, or both")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        catalog = args.catalog or synthetic_catalog(tmp, artists=args.artists, seed=1)
        built = time.perf_counter() - t0
        mix = request_mix(catalog)
        with running_emulator(catalog) as emu:
            token = httpx.post(emu.token_url, data={"grant_type": "client_credentials"},
                               auth=(emu.client_id, emu.client_secret)).json()["access_token"]
            results = []
            if args.client in ("httpx", "both"):
                results.append(("httpx", asyncio.run(drive(emu.api_url, token, mix, args.seconds, args.concurrency,
                                                           emu.pid))))
            if args.client in ("raw", "both"):
                results.append(("raw asyncio", asyncio.run(drive_raw(emu.api_url, token, mix, args.seconds,
                                                                     args.concurrency, emu.pid))))
            stats = emu.stats()
    print(f"catalog: {catalog if args.catalog else f'synthetic {args.artists} artists'} "
          f"({stats['catalog']['tracks']:,} tracks; built in {built:.1f} s)")
    for label, res in results:
        if label == "httpx":
            print(f"client: httpx.AsyncClient x{max(1, args.concurrency // 4)} (4 connections each), "
                  f"{args.concurrency} requests in flight, {args.seconds:.0f} s")
        else:
            print(f"client: minimal asyncio HTTP/1.1, {args.concurrency} keep-alive connections, {args.seconds:.0f} s")
        report(res)
    print(f"server counted {stats['requests']:,} requests; "
          f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    best = max(res["rps"] for _, res in results)
    print(f"target >= 1,000 req/s: {'meets' if best >= 1000 else 'BELOW'} (best {best:,.0f} req/s)")


def report(res: dict) -> None:
    print(f"  requests: {res['requests']:,} in {res['elapsed']:.1f} s -> {res['rps']:,.0f} req/s; "
          f"errors {res['errors']} ({res['error_share']:.2%}); status {dict(sorted(res['status'].items()))}")
    for name, values in sorted(res["latency"].items()):
        values.sort()
        p50 = statistics.median(values) * 1000
        p99 = values[int(0.99 * (len(values) - 1))] * 1000
        print(f"    {name:22s} n={len(values):6,d}  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    n = max(1, res["requests"])
    print(f"  CPU: server {res['server_cpu']:.1f} s = {1e6 * res['server_cpu'] / n:.0f} us/request "
          f"(~{n / max(res['server_cpu'], 1e-9):,.0f} req/s per free core); "
          f"client {res['client_cpu']:.1f} s = {1e6 * res['client_cpu'] / n:.0f} us/request")


if __name__ == "__main__":
    main()
