"""The single-writer lock: an advisory ``flock`` on ``<warehouse>.lock``.

The kernel releases an flock when its process dies, even by SIGKILL, so a crashed writer never
leaves a stale lock behind. The holder writes its pid and command line into the file so a second
writer can say who is in the way.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from .errors import WriterLockedError


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def read_holder(db_path: Path) -> dict | None:
    """Who holds the writer lock, or None when nobody does."""
    path = lock_path_for(db_path)
    if not path.exists():
        return None
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            try:
                return json.loads(fh.read() or "{}")
            except json.JSONDecodeError:
                return {}
        fcntl.flock(fh, fcntl.LOCK_UN)
        return None


class WriterLock:
    """Hold the exclusive writer lock of one warehouse file; fail at once if taken."""

    def __init__(self, db_path: Path, command: str | None = None):
        self.db_path = Path(db_path)
        self.command = command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
        self._fh = None

    def acquire(self) -> "WriterLock":
        path = lock_path_for(self.db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            try:
                holder = json.loads(fh.read() or "{}")
            except json.JSONDecodeError:
                holder = {}
            fh.close()
            raise WriterLockedError(
                f"warehouse {self.db_path} is being written by pid {holder.get('pid', '?')} "
                f"({holder.get('command', 'unknown command')}, since {holder.get('since', '?')}); "
                "only one writer at a time"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "command": self.command,
                    "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                }
            )
        )
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
