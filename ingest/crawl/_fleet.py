"""``genrestore crawl --workers N``: N crawl processes on this host sharing one PostgreSQL frontier.

A convenience only: each worker is an ordinary ``genrestore crawl`` process (the same command line
without ``--workers``), exactly what a service manager would start on several hosts. Every worker
gets the seeds (enqueueing is idempotent, and a worker that seeds itself never finds an empty
frontier before the others have seeded it). SIGINT/SIGTERM are passed on to every worker; the
fleet's exit code is the highest of its workers'.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Sequence


def worker_command(argv: Sequence[str]) -> list[str]:
    """The command line of one worker: ``argv`` (this process's arguments) without ``--workers N``."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--workers":
            skip = True
            continue
        if arg.startswith("--workers="):
            continue
        out.append(arg)
    return [sys.executable, "-m", "jobs", *out]


def run_fleet(n: int, argv: Sequence[str]) -> int:
    """Start ``n`` workers, wait for all of them; returns the highest exit code."""
    cmd = worker_command(argv)
    procs = [subprocess.Popen(cmd) for _ in range(n)]

    def forward(signum, _frame):
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return max(p.wait() for p in procs)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
