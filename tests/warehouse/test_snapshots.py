"""Snapshots: atomic publication, pruning, and readers that are never disturbed."""

import json
import subprocess
import sys
import textwrap
import time

from tests.conftest import REPO, run_cli
from warehouse import Writer, create_snapshot, get_snapshot, list_snapshots, prune_snapshots, upsert


def _fill(writer, start, n):
    with writer.transaction() as con:
        upsert(con, "artists",
               [{"artist_id": f"a{i}", "name": f"n{i}", "source": "t"} for i in range(start, start + n)],
               ["artist_id"])


def test_create_list_prune(tmp_path):
    snaps = tmp_path / "snaps"
    with Writer(tmp_path / "wh.duckdb") as w:
        ids = []
        for k in range(4):
            _fill(w, k * 10, 10)
            ids.append(create_snapshot(w, snaps).snapshot_id)
        assert [s.snapshot_id for s in list_snapshots(snaps)] == ids
        latest = get_snapshot(snaps)
        assert latest.snapshot_id == ids[-1] and latest.row_counts["artists"] == 40
        assert get_snapshot(snaps, ids[0][:19]).row_counts["artists"] == 10
        assert prune_snapshots(snaps, keep=2, writer=w) == ids[:2]
        assert [s.snapshot_id for s in list_snapshots(snaps)] == ids[2:]
        pruned = w.con.execute("SELECT count(*) FROM snapshots WHERE pruned_at IS NOT NULL").fetchone()[0]
        assert pruned == 2
    assert not list(snaps.glob(".tmp-*"))


def test_same_content_same_hash(tmp_path):
    with Writer(tmp_path / "a.duckdb") as w:
        _fill(w, 0, 5)
        h1 = create_snapshot(w, tmp_path / "s").content_hash
        h2 = create_snapshot(w, tmp_path / "s").content_hash
        _fill(w, 5, 1)
        h3 = create_snapshot(w, tmp_path / "s").content_hash
    assert h1 == h2 != h3


WRITER = textwrap.dedent(
    """
    import json, sys, time
    from warehouse import Writer, create_snapshot, prune_snapshots, upsert
    db, snaps, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    end = time.monotonic() + seconds
    i = 0
    manifests = []
    with Writer(db) as w:
        manifests.append(create_snapshot(w, snaps).__dict__)
        print("ready", flush=True)
        while time.monotonic() < end:
            with w.transaction() as con:  # a writer that keeps writing between publishes
                upsert(con, "artists", [{"artist_id": f"a{i}-{j}", "source": "t"} for j in range(50)], ["artist_id"])
                con.execute("INSERT INTO genres VALUES (?, 't', now())", [f"g{i}"])
            i += 1
            if i % 5 == 0:
                manifests.append(create_snapshot(w, snaps).__dict__)
                prune_snapshots(snaps, keep=3, writer=w)
    print(json.dumps(manifests), flush=True)
    """
)


def test_readers_see_exactly_one_published_snapshot_during_writes(tmp_path):
    var = tmp_path / "var"
    snaps = var / "snapshots"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(var / "warehouse.duckdb"), str(snaps), "25"],
        stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert writer.stdout.readline().strip() == "ready"
    reader_loop = textwrap.dedent(
        """
        import json, subprocess, sys, time
        end = time.monotonic() + float(sys.argv[1])
        out = []
        while time.monotonic() < end:
            r = subprocess.run([sys.executable, "-m", "jobs", "sql", "-f", "json",
                                "SELECT (SELECT count(*) FROM artists) AS artists, (SELECT count(*) FROM genres) AS genres, "
                                "(SELECT max(snapshot_id) FROM snapshots) AS snap"],
                               capture_output=True, text=True)
            out.append({"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr[-500:]})
        print(json.dumps(out))
        """
    )
    readers = [
        subprocess.Popen([sys.executable, "-c", reader_loop, "20"], cwd=tmp_path, stdout=subprocess.PIPE, text=True,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
        for _ in range(8)
    ]
    results = [json.loads(r.communicate(timeout=180)[0]) for r in readers]
    published = {m["snapshot_id"]: m for m in json.loads(writer.stdout.readline())}
    assert writer.wait(timeout=120) == 0
    assert len(published) >= 3
    queries = [q for r in results for q in r]
    # Each reader process must have queried at least once (on a loaded 2-core machine that is all
    # a 20 s loop of interpreter start-ups may manage); together they span several publishes.
    assert all(len(r) >= 1 for r in results) and len(queries) >= 8, "readers ran too few queries"
    errors = [q for q in queries if q["rc"] != 0]
    assert not errors, errors[:3]
    for q in queries:
        (row,) = json.loads(q["stdout"])
        # Every published snapshot adds exactly 5 batches: artists = 50 * genres, always.
        assert row["artists"] == 50 * row["genres"], row
        # ... and each snapshot records itself in its own `snapshots` table, so the query names the
        # snapshot it read: its counts must be exactly that manifest's.
        manifest = published[row["snap"]]
        assert row["artists"] == manifest["row_counts"]["artists"], (row, manifest["row_counts"])
        assert row["genres"] == manifest["row_counts"]["genres"], (row, manifest["row_counts"])
    assert len({json.loads(q["stdout"])[0]["snap"] for q in queries}) > 1, "readers never saw a new publish"
