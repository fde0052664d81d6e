"""A full disk: the write that fails says so in one line and the warehouse keeps what it had.

Two ways to fill a disk: a file-size limit on the CLI process (RLIMIT_FSIZE at the live file's
size, SIGXFSZ ignored: every write that would grow a file fails with EFBIG, as ENOSPC would), which
needs no privileges; and a real 2.6 MB tmpfs (ENOSPC), which needs root and skips without it.
A limit *below* an existing file's size is not a full disk and is not tested: DuckDB cannot
checkpoint into a file it may not rewrite.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_cli
from tests.ingest.synthetic import music_genre_csv, music_genre_rows, write_text

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE semantics are Linux's")


def _limited(limit_bytes: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG from write(), not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def cli_on_a_full_disk(limit_bytes: int, *args: str, cwd) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "jobs", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=_limited(limit_bytes))


def count_rows(var, cwd) -> str:
    out = run_cli("--var", str(var), "sql", "--live", "-f", "csv",
                  "SELECT count(*) AS n FROM ds_music_genre", cwd=cwd)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def small_warehouse(tmp_path):
    small = write_text(tmp_path / "small.csv", music_genre_csv(music_genre_rows(200, seed=1)), gz=False)
    var = tmp_path / "var"
    done = run_cli("--var", str(var), "import", "music-genre", str(small), "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return var


def test_an_import_that_fills_the_disk_stores_nothing_and_says_so(small_warehouse, tmp_path):
    var = small_warehouse
    big = write_text(tmp_path / "big.csv", music_genre_csv(music_genre_rows(60_000, seed=2)), gz=False)
    before = count_rows(var, tmp_path)
    size = (var / "warehouse.duckdb").stat().st_size

    full = cli_on_a_full_disk(size, "--var", str(var), "import", "music-genre", str(big), "-q", cwd=tmp_path)

    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    lines = [line for line in full.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no space left writing" in lines[0], full.stderr
    assert count_rows(var, tmp_path) == before  # the failed transaction left nothing behind
    again = run_cli("--var", str(var), "import", "music-genre", str(big), "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # and the warehouse still takes the import later
    assert count_rows(var, tmp_path) != before


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 2.6 MB file system (tmpfs): room for a small warehouse, not for it and a snapshot."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2600k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root and mount rights): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_snapshot_that_fills_the_disk_leaves_no_partial_file(tiny_disk, tmp_path):
    """Real ENOSPC: the live file fits, its snapshot does not."""
    small = write_text(tmp_path / "small.csv", music_genre_csv(music_genre_rows(200, seed=1)), gz=False)
    var = tiny_disk / "var"
    done = run_cli("--var", str(var), "import", "music-genre", str(small), "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    before = count_rows(var, tmp_path)

    full = run_cli("--var", str(var), "snapshot", "create", cwd=tmp_path)

    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr and "no space left writing" in full.stderr, full.stderr
    assert "No space left on device" in full.stderr  # the OS's reason, not DuckDB's wrapper line
    assert list((var / "snapshots").iterdir()) == []  # no temp file, no half snapshot
    assert count_rows(var, tmp_path) == before
    moved = tmp_path / "var"
    subprocess.run(["cp", "-a", str(var), str(moved)], check=True)  # on a disk with room it works
    again = run_cli("--var", str(moved), "snapshot", "create", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
