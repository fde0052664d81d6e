"""Training time per task on MusicOSet and both data sets (target: all under 5 minutes).

    python bench/train.py [--var DIR] [--estimators lightgbm,logistic] [--jobs N]

Imports the real data sets from ../shared/data (or GENRESTORE_DATA) into a fresh warehouse under
a temporary directory (or --var), publishes a snapshot, builds the features when the features
package provides ``build_all``, then trains every task and prints wall-clock seconds per task
(fit + evaluation + registry; wall and CPU, since a shared machine stretches wall time) and
the total. Import and feature build are timed separately and
are not part of the training total.

The artist families are also trained with the retrain job's estimator
(``modeling.RETRAIN_ESTIMATOR``: calibrated, augmented) beside a plain LightGBM peer in the same
run, and the ratio of their times is printed (whole ``train`` call, and the fit alone).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import warehouse  # noqa: E402

# Passive OpenMP waiting, as `genrestore` sets it (see jobs.cli.main), before LightGBM loads.
warehouse.prepare_process()

import jobs  # noqa: E402
import modeling  # noqa: E402

RUNS = [
    ("artist-families", None),
    ("track-genre", "music_genre"),
    ("track-genre", "spotify_songs"),
    ("popularity", "music_genre"),
    ("popularity", "spotify_songs"),
    ("duration", "music_genre"),
    ("duration", "spotify_songs"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--var", type=Path, help="var directory to use (default: a fresh temporary one)")
    ap.add_argument("--estimators", default="lightgbm", help="comma-separated estimators to time (default lightgbm)")
    ap.add_argument("--jobs", type=int, default=None, help="threads per model (default: the modeling.jobs setting)")
    args = ap.parse_args()
    data_dir = Path(os.environ.get("GENRESTORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not (data_dir / "music_genre").is_dir():
        print(f"real data sets not found at {data_dir}; set GENRESTORE_DATA")
        return 2
    tmp = None if args.var else tempfile.TemporaryDirectory(prefix="genrestore-bench-")
    var = args.var or Path(tmp.name)
    settings = jobs.load_settings(var_dir=var, data_dir=data_dir)
    n_jobs = args.jobs or settings.modeling.jobs
    print(f"cpu cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, model threads {n_jobs}")
    with warehouse.Writer(settings.warehouse_file, command="bench/train.py") as writer:
        with writer.transaction() as con:
            have = con.execute("SELECT count(*) FROM ds_music_genre").fetchall()[0][0]
        if not have:
            from ingest.datasets import import_all

            t = time.perf_counter()
            import_all(writer, data_dir, progress=False)
            print(f"import of all data sets: {time.perf_counter() - t:.1f} s")
        snap = warehouse.create_snapshot(writer, settings.snapshots_path)
        import features

        built = False
        if hasattr(features, "build_all"):
            t = time.perf_counter()
            features.build_all(writer, snap)
            built = True
            print(f"features build: {time.perf_counter() - t:.1f} s")
        total = total_cpu = 0.0
        rows = []
        peers: dict[str, tuple[float, float]] = {}  # artist families: estimator -> (train call s, fit s)
        for estimator in args.estimators.split(","):
            for task, dataset in RUNS:
                if task == "artist-families" and not (built and hasattr(features, "training_data")):
                    rows.append((task, "musicoset", estimator, None, None, "skipped: features package has no training_data yet"))
                    continue
                t = time.perf_counter()
                c = time.process_time()
                rec = modeling.train(writer, settings, task, snap.snapshot_id, dataset=dataset, estimator=estimator,
                                     n_jobs=n_jobs)
                seconds = time.perf_counter() - t
                cpu = time.process_time() - c
                total += seconds
                total_cpu += cpu
                rows.append((task, dataset or "musicoset", estimator, seconds, cpu,
                             f"{rec.headline_metric}={rec.headline_value:.4f} (n_train {rec.n_train}, n_test {rec.n_test})"))
                print(f"  {task:16} {dataset or 'musicoset':14} {estimator:14} {seconds:7.1f} s wall {cpu:7.1f} s cpu", flush=True)
                if task == "artist-families":
                    peers[estimator] = (seconds, rec.train_seconds)
        if built and hasattr(features, "training_data"):
            for estimator in ("lightgbm", modeling.RETRAIN_ESTIMATOR):
                if estimator in peers:
                    continue
                t = time.perf_counter()
                rec = modeling.train(writer, settings, "artist-families", snap.snapshot_id, estimator=estimator,
                                     n_jobs=n_jobs)
                peers[estimator] = (time.perf_counter() - t, rec.train_seconds)
                print(f"  artist-families  musicoset      {estimator:14} {peers[estimator][0]:7.1f} s wall "
                      f"(peer comparison, not in the total)", flush=True)
    print()
    print(f"{'task':16} {'data':14} {'estimator':14} {'wall s':>8} {'cpu s':>8}  result")
    for task, dataset, estimator, seconds, cpu, note in rows:
        s = "-" if seconds is None else f"{seconds:8.1f}"
        f = "-" if cpu is None else f"{cpu:8.1f}"
        print(f"{task:16} {dataset:14} {estimator:14} {s:>8} {f:>8}  {note}")
    if "lightgbm" in peers and modeling.RETRAIN_ESTIMATOR in peers:
        (a, fa), (b, fb) = peers[modeling.RETRAIN_ESTIMATOR], peers["lightgbm"]
        print(f"\nartist families, same run: {modeling.RETRAIN_ESTIMATOR} {a:.1f} s vs plain lightgbm {b:.1f} s "
              f"(train call, incl. the development-mode refit): ratio {a / b:.2f}; fit alone {fa:.1f} s vs "
              f"{fb:.1f} s: ratio {fa / fb:.2f}")
    verdict = "under" if total < 300 else "OVER"
    print(f"\ntotal training time {total:.1f} s wall, {total_cpu:.1f} s cpu ({verdict} the 5-minute target); "
          f"load average now {os.getloadavg()[0]:.1f}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if total < 300 else 1


if __name__ == "__main__":
    raise SystemExit(main())
