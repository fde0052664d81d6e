"""Exclusive process locks: an advisory ``flock`` on a lock file that names its holder.

The kernel releases an flock when its process dies, even by SIGKILL, so a crashed holder never
leaves a stale lock behind. The holder writes its pid and command line into the file so the
process that is refused can say who is in the way. The warehouse's single writer uses
:class:`WriterLock`; the scheduler uses :class:`ProcessLock` directly.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from .errors import GenrestoreError, WriterLockedError


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _command_line() -> str:
    program = "genrestore" if sys.argv[0].endswith("__main__.py") else Path(sys.argv[0]).name
    return " ".join([program, *sys.argv[1:]])


def _read(fh) -> dict:
    fh.seek(0)
    try:
        return json.loads(fh.read() or "{}")
    except json.JSONDecodeError:
        return {}


def read_lock_holder(lock_path: Path) -> dict | None:
    """Who holds the lock on ``lock_path`` (pid, command, since), or None when nobody does."""
    if not Path(lock_path).exists():
        return None
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fh)
        fcntl.flock(fh, fcntl.LOCK_UN)
        return None


def read_holder(db_path: Path) -> dict | None:
    """Who holds the writer lock of a warehouse file, or None."""
    return read_lock_holder(lock_path_for(Path(db_path)))


def describe_holder(holder: dict) -> str:
    return (f"pid {holder.get('pid', '?')} ({holder.get('command', 'unknown command')}, "
            f"since {holder.get('since', '?')})")


class ProcessLock:
    """Hold an exclusive lock on ``lock_path``; fail at once (never wait) if another process has it.

    :param lock_path: the lock file (created if missing).
    :param command: how to name this holder in other processes' messages (default: the command line).
    :param refused: builds the exception raised when the lock is taken, from the holder's record.
    """

    def __init__(self, lock_path: Path, command: str | None = None, refused=None):
        self.lock_path = Path(lock_path)
        self.command = command or _command_line()
        self._refused = refused or (
            lambda holder: GenrestoreError(f"{self.lock_path} is locked by {describe_holder(holder)}")
        )
        self._fh = None

    def acquire(self) -> "ProcessLock":
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.lock_path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fh)
            fh.close()
            raise self._refused(holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({
            "pid": os.getpid(),
            "command": self.command,
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }))
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

    def __enter__(self) -> "ProcessLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


class WriterLock(ProcessLock):
    """The single-writer lock of one warehouse file (``<file>.lock``)."""

    def __init__(self, db_path: Path, command: str | None = None):
        self.db_path = Path(db_path)
        super().__init__(
            lock_path_for(self.db_path), command,
            refused=lambda holder: WriterLockedError(
                f"warehouse {self.db_path} is being written by {describe_holder(holder)}; "
                "only one writer at a time"
            ),
        )
