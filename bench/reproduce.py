"""Published protocols on the imported data sets, our figures beside the published ones.

    python bench/reproduce.py [--var DIR] [--json] [--dataset music_genre ...]

Same as `genrestore reproduce`, but self-contained: imports the real data sets into a temporary
warehouse (or uses --var), builds features when the features package can, and prints the table
(or JSON: a list of objects with keys dataset, task, protocol, metric, published, ours, ...).
"""

from __future__ import annotations

import argparse
import json
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--var", type=Path)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dataset", action="append", choices=["music_genre", "spotify_songs", "musicoset"])
    args = ap.parse_args()
    data_dir = Path(os.environ.get("GENRESTORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not (data_dir / "music_genre").is_dir():
        print(f"real data sets not found at {data_dir}; set GENRESTORE_DATA")
        return 2
    tmp = None if args.var else tempfile.TemporaryDirectory(prefix="genrestore-repro-")
    settings = jobs.load_settings(var_dir=args.var or Path(tmp.name), data_dir=data_dir)
    started = time.perf_counter()
    chosen = tuple(args.dataset or ("music_genre", "spotify_songs", "musicoset"))
    tables = {"music_genre": "ds_music_genre", "spotify_songs": "ds_spotify_songs", "musicoset": "artists"}
    with warehouse.Writer(settings.warehouse_file, command="bench/reproduce.py") as writer:
        with writer.transaction() as con:
            missing = [d for d in chosen if not con.execute(f"SELECT count(*) FROM {tables[d]}").fetchall()[0][0]]
        if missing:  # importing is idempotent: what is already there stays unchanged
            from ingest.datasets import import_all

            import_all(writer, data_dir, progress=False)
        import features

        snap_id = None
        if "musicoset" in chosen:  # only the artist families need a snapshot with built features
            snap = warehouse.create_snapshot(writer, settings.snapshots_path)
            features.build_all(writer, snap)
            snap_id = snap.snapshot_id
        with writer.transaction() as con:
            rows = modeling.reproduce(con, datasets=chosen, snapshot_id=snap_id, n_jobs=settings.modeling.jobs,
                                      progress=lambda m: print(f"... {m}", file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        width = max((len(r["protocol"]) for r in rows), default=8)  # the breakdown protocols are long
        print(f"{'dataset':14} {'task':16} {'protocol':{width}} {'model':14} {'metric':12} {'published':>9} {'ours':>8}  target")
        for r in rows:
            pub = "-" if r["published"] is None else f"{r['published']:.3f}"
            ours = r.get("note") or ("-" if r["ours"] is None else f"{r['ours']:.4f}")
            tgt = (r.get("target") or "") + ("" if "target_met" not in r else (" met" if r["target_met"] else " MISSED"))
            print(f"{r['dataset']:14} {r['task']:16} {r['protocol']:{width}} {str(r.get('model')):14} {r['metric']:12} {pub:>9} {ours:>8}  {tgt}")
        print(f"\n{time.perf_counter() - started:.0f} s")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
