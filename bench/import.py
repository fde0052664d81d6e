"""Benchmark the importers and the set-based silver upsert.

1. MusicOSet import into a fresh warehouse (skipped when the data set is absent), and a second
   import of the same files (a no-op by design).
2. Silver upsert throughput: N synthetic track rows loaded into the ``tracks`` table of a fresh
   warehouse file with ``warehouse.upsert`` (one set-based statement), against a row-by-row
   ``executemany`` INSERT ... ON CONFLICT DO UPDATE peer, each in one transaction. The peer runs
   at well under 1,000 rows/s here, so 200,000 rows would take most of an hour: it loads the first
   ``--peer-rows`` of the same rows, and the set-based upsert loads exactly those rows too (fresh
   files), so there is an exact like-for-like ratio next to the full-size one. Each pair of
   results is checked identical (content hash of ``tracks``) before a ratio is printed.

Usage: python bench/import.py [--rows 200000] [--peer-rows 2000] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa  # noqa: E402

import warehouse  # noqa: E402
from ingest.datasets import import_musicoset  # noqa: E402

COLUMNS = ["track_id", "name", "album_id", "disc_number", "track_number", "duration_ms", "explicit",
           "popularity", "isrc", "source", "updated_at"]


def synthetic_tracks(n: int, seed: int = 7) -> pa.Table:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits
    ids = set()
    while len(ids) < n:
        ids.add("".join(rng.choices(alphabet, k=22)))
    ids = sorted(ids)
    stamp = datetime(2025, 1, 1)
    return pa.table({
        "track_id": ids,
        "name": [f"Track {i}" for i in range(n)],
        "album_id": ["".join(rng.choices(alphabet, k=22)) for _ in range(n)],
        "disc_number": pa.array([1] * n, pa.int32()),
        "track_number": pa.array([rng.randint(1, 20) for _ in range(n)], pa.int32()),
        "duration_ms": pa.array([rng.randint(60_000, 400_000) for _ in range(n)], pa.int32()),
        "explicit": [rng.random() < 0.1 for _ in range(n)],
        "popularity": pa.array([rng.randint(0, 100) for _ in range(n)], pa.int32()),
        "isrc": [f"US{rng.randint(0, 10**10):010d}" for _ in range(n)],
        "source": ["bench"] * n,
        "updated_at": [stamp] * n,
    })


def bench_upsert(rows: pa.Table, workdir: Path) -> tuple[float, str]:
    workdir.mkdir(parents=True, exist_ok=True)
    with warehouse.Writer(workdir / "set_based.duckdb") as w:
        t0 = time.perf_counter()
        with w.transaction() as con:
            warehouse.upsert(con, "tracks", rows, ["track_id"])
        seconds = time.perf_counter() - t0
        return seconds, warehouse.content_hash(w.con, tables=["tracks"])


def bench_executemany(rows: pa.Table, workdir: Path) -> tuple[float, str]:
    workdir.mkdir(parents=True, exist_ok=True)
    cols = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "track_id")
    sql = f"INSERT INTO tracks ({cols}) VALUES ({marks}) ON CONFLICT (track_id) DO UPDATE SET {sets}"
    values = [list(r.values()) for r in rows.to_pylist()]
    with warehouse.Writer(workdir / "row_by_row.duckdb") as w:
        t0 = time.perf_counter()
        with w.transaction() as con:
            con.executemany(sql, values)
        seconds = time.perf_counter() - t0
        return seconds, warehouse.content_hash(w.con, tables=["tracks"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="synthetic track rows (default 200,000)")
    parser.add_argument("--peer-rows", type=int, default=2_000,
                        help="rows the row-by-row peer loads (the first of the same rows; default 2,000)")
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("GENRESTORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")),
                        help="data directory holding musicoset/ (default ../shared/data or GENRESTORE_DATA)")
    args = parser.parse_args()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at start (wall times stretch with load)")
    with tempfile.TemporaryDirectory(prefix="genrestore-bench-") as tmp:
        workdir = Path(tmp)
        musicoset = args.data / "musicoset"
        if musicoset.is_dir():
            with warehouse.Writer(workdir / "musicoset.duckdb") as w:
                cpu = time.process_time()
                first = import_musicoset(w, musicoset, progress=False)
                cpu_first = time.process_time() - cpu
                cpu = time.process_time()
                second = import_musicoset(w, musicoset, progress=False)
                cpu_second = time.process_time() - cpu
            rows = sum(c.inserted for c in first.tables.values())
            unchanged = sum(c.unchanged for c in second.tables.values())
            print(f"musicoset import (fresh warehouse): {first.seconds:.2f} s wall, {cpu_first:.2f} s CPU, "
                  f"{rows:,} rows inserted into {len(first.tables)} tables ({rows / first.seconds:,.0f} rows/s)")
            print(f"musicoset re-import (no changes):   {second.seconds:.2f} s wall, {cpu_second:.2f} s CPU, "
                  f"{unchanged:,} rows unchanged")
        else:
            print(f"musicoset import: skipped ({musicoset} not found)")

        rows = synthetic_tracks(args.rows)
        peer_n = min(args.peer_rows, args.rows)
        same = rows.slice(0, peer_n)
        full_s, _ = bench_upsert(rows, workdir / "full")
        set_s, set_hash = bench_upsert(same, workdir / "same")
        peer_s, peer_hash = bench_executemany(same, workdir / "same")
        if set_hash != peer_hash:
            raise SystemExit("the two loads produced different tracks tables; the comparison is void")
        full_rate, set_rate, peer_rate = args.rows / full_s, peer_n / set_s, peer_n / peer_s
        print("silver upsert into the tracks table of a fresh file:")
        lines = [
            (f"warehouse.upsert, {args.rows:,} rows", full_s, full_rate),
            (f"warehouse.upsert, first {peer_n:,} rows", set_s, set_rate),
            (f"executemany INSERT ... ON CONFLICT, same {peer_n:,} rows", peer_s, peer_rate),
        ]
        for label, secs, rate in lines:
            print(f"  {label:<52} {secs:9.2f} s {rate:12,.0f} rows/s")
        print(f"  ratio, {args.rows:,}-row upsert rate / peer rate: {full_rate / peer_rate:,.0f}x")
        print(f"  ratio on the same {peer_n:,} rows (identical tables): {set_rate / peer_rate:,.0f}x (target >= 20x)")

if __name__ == "__main__":
    main()
