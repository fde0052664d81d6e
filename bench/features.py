"""Benchmark: views + taxonomy + labels + splits on MusicOSet and on synthetic catalogs.

    python bench/features.py [--sizes 10000 100000] [--skip-musicoset] [--bootstrap 30]

Each case runs in a fresh subprocess (so peak RSS is that case's own): build a warehouse (import
or synthetic generation, not timed), publish a snapshot, then time ``features.build_all`` with the
real taxonomy settings, printing the stage times, the peak resident memory of the process, the
taxonomy's figures (families and subfamilies, bootstrap ARI: mean, spread and worst resample, clustered tags, share of tag uses
placed) and, for the synthetic sizes, the 10x scaling ratio. The MusicOSet case imports FMA's
genre tree too, so the fma placement route runs. Targets: MusicOSet < 30 s; 100k artists < 5 min
and < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_case(kind: str, n: int, bootstrap: int, workdir: str) -> dict:
    sys.path.insert(0, str(REPO))
    from features import GenreTaxonomy, build_all, write_synthetic_catalog
    from warehouse import Writer, create_snapshot

    path = Path(workdir) / "warehouse.duckdb"
    with Writer(path, command="bench/features.py") as writer:
        t = time.perf_counter()
        if kind == "musicoset":
            from ingest.datasets import import_musicoset

            data = Path(os.environ.get("GENRESTORE_DATA", REPO.parent / "shared" / "data")) / "musicoset"
            import_musicoset(writer, data, progress=False)
            from ingest.datasets import import_fma_genres

            import_fma_genres(writer, data.parent / "fma_metadata" / "genres.csv.gz", progress=False)
        else:
            write_synthetic_catalog(writer, n, tracks_per_artist=10, seed=0)
        load_s = time.perf_counter() - t
        snap = create_snapshot(writer, Path(workdir) / "snapshots")
        rss_before = _peak_rss_mb()
        t = time.perf_counter()
        report = build_all(writer, snap, progress=False, taxonomy=GenreTaxonomy(n_bootstrap=bootstrap))
        build_s = time.perf_counter() - t
        n_artists = writer.con.execute("SELECT count(*) FROM artists").fetchall()[0][0]
        n_tracks = writer.con.execute("SELECT count(*) FROM tracks").fetchall()[0][0]
    tx = report.taxonomy
    return {"case": kind if kind == "musicoset" else f"synthetic {n:,}", "artists": n_artists, "tracks": n_tracks,
            "load_s": load_s, "build_s": build_s, "views_s": report.seconds["views"],
            "taxonomy_s": report.seconds["taxonomy"], "labels_splits_s": report.seconds["labels_splits"],
            "peak_rss_mb": _peak_rss_mb(), "rss_before_build_mb": rss_before, "k": tx.k,
            "ari": tx.mean_bootstrap_ari, "ari_min": tx.min_bootstrap_ari, "ari_sd": tx.sd_bootstrap_ari,
            "ari_uses": tx.use_weighted_bootstrap_ari,
            "largest": tx.largest_share, "smallest": tx.smallest_share,
            "max_gap": report.max_prevalence_gap, "subfamilies": tx.n_subfamilies,
            "sub_ari": tx.subfamily_bootstrap_ari, "clustered": tx.n_clustered_tags, "placed": tx.placed_use_share}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000], help="synthetic artist counts")
    ap.add_argument("--skip-musicoset", action="store_true", help="do not run the MusicOSet case")
    ap.add_argument("--bootstrap", type=int, default=30, help="taxonomy bootstrap resamples (real setting: 30)")
    ap.add_argument("--case", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)  # child mode
    args = ap.parse_args()
    if args.case:
        with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
            print(json.dumps(run_case(args.case[0], int(args.case[1]), args.bootstrap, tmp)))
        return
    cases = ([] if args.skip_musicoset else [("musicoset", 0)]) + [("synthetic", n) for n in args.sizes]
    results = []
    for kind, n in cases:
        proc = subprocess.run([sys.executable, __file__, "--case", kind, str(n), "--bootstrap", str(args.bootstrap)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        if proc.returncode != 0:
            print(f"{kind} {n}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['case']:>18}: {r['artists']:>7,} artists {r['tracks']:>9,} tracks | build {r['build_s']:6.1f} s "
              f"(views {r['views_s']:.1f}, taxonomy {r['taxonomy_s']:.1f}, labels+splits {r['labels_splits_s']:.1f}) | "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB | {r['k']} families ARI {r['ari']:.3f} (sd {r['ari_sd']:.3f}, min "
              f"{r['ari_min']:.3f}; over tag uses {r['ari_uses']:.3f}), {r['subfamilies']} "
              f"subfamilies ARI {r['sub_ari']:.3f}, {r['clustered']} clustered tags, {r['placed']:.1%} of tag uses "
              f"placed, largest {r['largest']:.1%} smallest {r['smallest']:.1%} max fold gap {r['max_gap']:.2f} pt",
              flush=True)
    syn = {r["artists"]: r for r in results if r["case"].startswith("synthetic")}
    sizes = sorted(syn)
    for small, big in zip(sizes, sizes[1:]):
        a, b = syn[small], syn[big]
        ratio = big / small
        print(f"scaling {small:,} → {big:,} artists (x{ratio:.0f}): build x{b['build_s'] / a['build_s']:.1f}, "
              f"views x{b['views_s'] / a['views_s']:.1f}, taxonomy x{b['taxonomy_s'] / a['taxonomy_s']:.1f}, "
              f"labels+splits x{b['labels_splits_s'] / a['labels_splits_s']:.1f}, "
              f"peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.1f}")
    targets = []
    for r in results:
        if r["case"] == "musicoset":
            targets.append(f"MusicOSet build {r['build_s']:.1f} s (target < 30 s): {'OK' if r['build_s'] < 30 else 'MISSED'}")
        if r["artists"] >= 100_000:
            ok = r["build_s"] < 300 and r["peak_rss_mb"] < 4096
            targets.append(f"100k build {r['build_s']:.1f} s, peak {r['peak_rss_mb']:,.0f} MB (target < 300 s, < 4096 MB): "
                           f"{'OK' if ok else 'MISSED'}")
    for line in targets:
        print(line)


if __name__ == "__main__":
    main()
