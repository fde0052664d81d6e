"""Temp files of an interrupted `snapshot create`: removed once their writer is gone, never before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from warehouse import Writer, list_snapshots, upsert


def _warehouse(var, filler_rows: int = 0) -> None:
    with Writer(var / "warehouse.duckdb") as w:
        with w.transaction() as con:
            upsert(con, "artists", [{"artist_id": "a1", "name": "One", "genres": ["rock"], "source": "t"}],
                   ["artist_id"])
        if filler_rows:  # makes the copy take long enough to be killed in the middle of it
            w.con.execute(f"CREATE TABLE filler AS SELECT i, md5(i::VARCHAR) AS h FROM range({filler_rows}) t(i)")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _leftovers(snapshots):
    return sorted(p for p in snapshots.iterdir() if p.name.startswith(".tmp-"))


def test_leftovers_of_dead_writers_go_live_ones_stay(cli, tmp_path):
    var = tmp_path / "var"
    _warehouse(var)
    snapshots = var / "snapshots"
    snapshots.mkdir(parents=True)
    dead = _dead_pid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        gone = {
            f".tmp-{dead}-20250101T000000000Z-dead.duckdb": 3000,
            f".tmp-{dead}-20250101T000000000Z-dead.duckdb.wal": 700,
            ".tmp-20240101T000000000Z-0old.duckdb": 500,  # named before pids were, untouched for 2 h
        }
        kept = {
            f".tmp-{sleeper.pid}-20250101T000000000Z-live.duckdb": 1000,  # a publication in progress
            ".tmp-20240101T000000000Z-0new.duckdb": 100,  # unnamed, but written just now
        }
        for name, size in {**gone, **kept}.items():
            (snapshots / name).write_bytes(b"x" * size)
        two_hours_ago = time.time() - 7200
        os.utime(snapshots / ".tmp-20240101T000000000Z-0old.duckdb", (two_hours_ago, two_hours_ago))

        res = cli("snapshot", "prune")
        assert res.returncode == 0, res.stderr
        assert "removed 3 leftover temp file(s) of interrupted snapshots, 4,200 bytes freed" in res.stdout
        assert [p.name for p in _leftovers(snapshots)] == sorted(kept)

        sleeper.kill()
        sleeper.wait()
        res = cli("snapshot", "create")
        assert res.returncode == 0, res.stderr
        assert "removed 1 leftover temp file(s) of interrupted snapshots, 1,000 bytes freed" in res.stdout
        assert [p.name for p in _leftovers(snapshots)] == [".tmp-20240101T000000000Z-0new.duckdb"]
        assert len(list_snapshots(snapshots)) == 1
    finally:
        sleeper.kill()
        sleeper.wait()


def _temp_bytes(snapshots, pid: int) -> int:
    total = 0
    for p in snapshots.glob(f".tmp-{pid}-*") if snapshots.is_dir() else ():
        try:
            total += p.stat().st_size
        except FileNotFoundError:
            pass
    return total


def _kill_mid_copy(tmp_path, var) -> list:
    """Start `genrestore snapshot create`, SIGKILL it once its temp copy exists; return the leftovers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENRESTORE_", "SPOTIFY_"))}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen([sys.executable, "-m", "jobs", "--var", str(var), "snapshot", "create"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    snapshots = var / "snapshots"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _temp_bytes(snapshots, proc.pid) >= 1_000_000:  # the copy is under way
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    if proc.returncode != -signal.SIGKILL:
        return []  # finished before we caught it mid-copy
    return _leftovers(snapshots)


@pytest.mark.slow
def test_snapshot_create_killed_mid_copy_is_cleaned_by_the_next_create(cli, tmp_path):
    var = tmp_path / "var"
    _warehouse(var, filler_rows=4_000_000)
    for _ in range(3):  # on a fast machine the copy may finish before the kill lands: try again
        leftovers = _kill_mid_copy(tmp_path, var)
        if leftovers:
            break
        for info in list_snapshots(var / "snapshots"):  # a snapshot that did complete is not a leftover
            (var / "snapshots" / f"{info.snapshot_id}.json").unlink()
            (var / "snapshots" / f"{info.snapshot_id}.duckdb").unlink()
    else:
        pytest.fail("never caught `snapshot create` in the middle of its copy")
    assert list_snapshots(var / "snapshots") == []  # killed before publishing: readers never saw it
    freed = sum(p.stat().st_size for p in leftovers)
    assert freed > 0

    res = cli("snapshot", "create")
    assert res.returncode == 0, res.stderr
    assert (f"removed {len(leftovers)} leftover temp file(s) of interrupted snapshots, {freed:,} bytes freed"
            in res.stdout), res.stdout
    assert _leftovers(var / "snapshots") == []
    assert len(list_snapshots(var / "snapshots")) == 1
