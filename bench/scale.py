"""Benchmark the PostgreSQL backend: crawl workers, upserts, snapshot export.

1. Workers: entities (artists + albums + tracks rows) stored per second by a fleet of 1, 2 and 4
   ``genrestore crawl`` processes sharing one PostgreSQL frontier, against one emulator whose every
   request takes ``--latency`` seconds (the emulator's latency fault at probability 1: as long as
   real requests take) and whose rate limit does not bind. Each fleet gets a fresh database and a
   fresh emulator, the same catalog and seeds, and ``--seconds`` of crawling; the rate is measured
   from the first worker's start to the last one's end as the database recorded them. Each worker
   keeps ``--concurrency`` requests in flight (``crawl.concurrency``), so a worker that is bound by
   the latency alone sends ``concurrency / latency`` requests a second; the bench prints what each
   sent, the CPU the fleet and the emulator used, and the load average, to show what bound it.
2. Upserts: rows per second into ``artists`` through ``warehouse.upsert`` (batches of 10,000, half
   new keys, half changed), DuckDB file vs PostgreSQL.
3. Snapshot export: seconds per million rows for ``create_snapshot`` of a PostgreSQL warehouse.

Needs PostgreSQL's binaries (a private cluster is started and removed). Usage:
python bench/scale.py [--seconds 40] [--workers 1,2,4] [--latency 0.1] [--rows 1000000]

With ``--seconds`` longer than a crawl takes (e.g. ``--artists 1500 --seconds 900``) every fleet
crawls the whole catalog: the same work and the same entities, so the rates compare like for like
(a fixed window lets a bigger fleet go deeper into the frontier, where requests yield fewer
entities). docs/scaling.md has the figures and which setting measures what on a small machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from ingest.emulator.running import running_emulator, synthetic_catalog  # noqa: E402
from warehouse import PgWriter, PrivateCluster, Writer, create_snapshot, upsert  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _new_database(cluster: PrivateCluster, name: str) -> str:
    with psycopg.connect(cluster.url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    return cluster.url.rsplit("/", 1)[0] + "/" + name


def _seeds(catalog: Path, n: int = 3) -> str:
    import polars as pl

    ag = pl.read_parquet(catalog / "artist_genres.parquet")
    top = ag.group_by("genre").len().sort(["len", "genre"], descending=[True, False])["genre"].to_list()[:n]
    return ",".join(f"genre:{g}" for g in top)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux /proc), 0.0 where unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_workers(cluster, catalog, seeds, counts, seconds, latency, work: Path,
                  concurrency: int = 8) -> dict[int, float]:
    rates = {}
    for n in counts:
        url = _new_database(cluster, f"workers_{n}")
        with running_emulator(catalog, rate=1_000_000, faults=f"latency=1,latency_s={latency}") as emu:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
            env.update(PYTHONPATH=str(REPO), GENRESTORE_API_URL=emu.api_url, SPOTIFY_CLIENT_ID=emu.client_id,
                       SPOTIFY_CLIENT_SECRET=emu.client_secret, GENRESTORE_WAREHOUSE__URL=url,
                       GENRESTORE_CRAWL__BUDGET_PER_WINDOW="1000000", GENRESTORE_CRAWL__TIMEOUT="10",
                       GENRESTORE_CRAWL__CONCURRENCY=str(concurrency))
            var = work / f"var-{n}"
            base = [sys.executable, "-m", "jobs", "--var", str(var), "crawl", "--no-progress"]
            # One short run probes the credentials first, so no fleet pays for probing.
            subprocess.run(base, env=env, check=True, capture_output=True)
            load_before, emu_before, fleet_before = os.getloadavg()[0], _cpu_seconds(emu.pid), _children_cpu()
            served_before = emu.stats()["requests"]  # the probing run's
            subprocess.run([*base, "--seeds", seeds, "--workers", str(n), "--max-minutes", str(seconds / 60)],
                           env=env, check=True, capture_output=True)
            fleet_cpu, emu_cpu = _children_cpu() - fleet_before, _cpu_seconds(emu.pid) - emu_before
            load_after = os.getloadavg()[0]
            served = emu.stats()["requests"] - served_before
        with psycopg.connect(url) as con:
            span = con.execute("SELECT extract(epoch FROM max(ended_at) - min(started_at)) FROM crawl_runs "
                               "WHERE seeds IS NOT NULL").fetchone()[0]
            entities = con.execute("SELECT (SELECT count(*) FROM artists) + (SELECT count(*) FROM albums) "
                                   "+ (SELECT count(*) FROM tracks)").fetchone()[0]
        rates[n] = entities / float(span)
        span = float(span)
        print(f"workers {n}: {entities:,} entities in {span:.1f} s = {rates[n]:,.0f}/s "
              f"({served:,} requests served, {served / span:.0f}/s, {served / span / n:.1f}/s per worker where "
              f"{concurrency} in flight at {latency:g} s allow {concurrency / latency:.0f}); CPU: fleet "
              f"{fleet_cpu:.1f} s ({fleet_cpu / max(served, 1) * 1000:.1f} ms per request), emulator {emu_cpu:.1f} s "
              f"({emu_cpu / span:.0%} of a core); load average {load_before:.1f} -> {load_after:.1f} "
              f"on {os.cpu_count()} cores", flush=True)
    return rates


def _batches(total: int, size: int = 10_000):
    """Half new keys, half changed values of keys already stored (after the first batch)."""
    for start in range(0, total, size):
        yield [{"artist_id": f"a{(start // 2 if start else 0) + i}", "name": f"n{start}-{i}",
                "genres": ["rock", "pop"], "popularity": i % 100, "followers": i, "source": "bench"}
               for i in range(size)]


def bench_upserts(cluster, rows: int, work: Path) -> dict[str, float]:
    out = {}
    url = _new_database(cluster, "upserts")
    for name, writer in (("duckdb", Writer(work / "upserts.duckdb")),
                         ("postgresql", PgWriter(url, path=work / "unused.duckdb"))):
        with writer as w:
            t0 = time.perf_counter()
            for batch in _batches(rows):
                w.run(lambda con, batch=batch: upsert(con, "artists", batch, ["artist_id"]))
            out[name] = rows / (time.perf_counter() - t0)
        print(f"upsert {name}: {rows:,} rows at {out[name]:,.0f} rows/s", flush=True)
    return out


def bench_export(cluster, rows: int, work: Path) -> float:
    url = _new_database(cluster, "export")
    with PgWriter(url, path=work / "export" / "warehouse.duckdb") as w:
        w.con.execute("INSERT INTO artists (artist_id, name, genres, popularity, followers, source, first_seen_at, "
                      "updated_at) SELECT 'a' || i, 'name ' || i, ARRAY['rock', 'pop'], i % 100, i, 'bench', "
                      "now(), now() FROM generate_series(1, ?) i", [rows])
        t0 = time.perf_counter()
        info = create_snapshot(w, work / "export" / "snapshots")
        seconds = time.perf_counter() - t0
    per_million = seconds / (rows / 1e6)
    print(f"snapshot export: {info.row_counts['artists']:,} rows in {seconds:.2f} s = {per_million:.2f} s per "
          f"million rows", flush=True)
    return per_million


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=40.0, help="crawl time per fleet")
    ap.add_argument("--workers", default="1,2,4", help="fleet sizes")
    ap.add_argument("--latency", type=float, default=0.1, help="seconds every emulator request takes")
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight per worker (crawl.concurrency)")
    ap.add_argument("--artists", type=int, default=5000, help="synthetic catalog size")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows for the upsert and export benchmarks")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: workers, upserts, export")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    with tempfile.TemporaryDirectory(prefix="genrestore-scale-") as tmp, PrivateCluster() as cluster:
        work = Path(tmp)
        if "workers" not in skip:
            catalog = synthetic_catalog(Path(tempfile.gettempdir()), artists=a.artists, seed=7)
            rates = bench_workers(cluster, catalog, _seeds(catalog), [int(n) for n in a.workers.split(",")],
                                  a.seconds, a.latency, work, a.concurrency)
            first = rates[min(rates)]
            print("speed-up: " + ", ".join(f"{n} workers {r / first:.2f}x" for n, r in rates.items()))
        if "upserts" not in skip:
            up = bench_upserts(cluster, a.rows // 5, work)
            print(f"upserts: PostgreSQL / DuckDB = {up['postgresql'] / up['duckdb']:.2f}")
        if "export" not in skip:
            bench_export(cluster, a.rows, work)


if __name__ == "__main__":
    main()
