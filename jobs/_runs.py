"""Run history: one :class:`JobRunRecord` per job run, kept in the warehouse table ``job_runs``.

A run that could not open the warehouse (another process held the writer lock) or that the
scheduler missed cannot be written there at that moment, so it goes to a small journal file,
``var/jobs/pending-runs.jsonl``, and moves into ``job_runs`` the next time any job holds the writer.
History readers merge the two, so no run is ever invisible.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

import warehouse

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from ._settings import Settings

STATUSES = ("running", "succeeded", "failed", "skipped", "paused", "stopped", "missed", "abandoned")
_COLUMNS = (
    "run_id", "job", "started_at", "ended_at", "status", "counts", "snapshot_id", "error",
    "trigger", "pid", "options", "message", "parent_run_id",
)


def utcnow() -> datetime:
    """Naive UTC, the convention of every TIMESTAMP column in the warehouse."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_run_id(job: str, now: datetime | None = None) -> str:
    now = now or utcnow()
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{job}-{secrets.token_hex(2)}"


@dataclass
class JobRunRecord:
    """What one run of a job did: the row it leaves in ``job_runs``."""

    run_id: str
    job: str
    started_at: datetime
    status: str = "running"
    ended_at: datetime | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    snapshot_id: str | None = None
    error: str | None = None
    trigger: str = "manual"
    pid: int = field(default_factory=os.getpid)
    options: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    parent_run_id: str | None = None

    @property
    def ok(self) -> bool:
        """True unless the run failed (skipped, paused and stopped runs are not failures)."""
        return self.status not in ("failed", "abandoned")

    @property
    def seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def to_row(self) -> list[Any]:
        return [
            self.run_id, self.job, self.started_at, self.ended_at, self.status,
            json.dumps(self.counts, sort_keys=True, default=str), self.snapshot_id, self.error,
            self.trigger, self.pid, json.dumps(self.options, sort_keys=True, default=str),
            self.message, self.parent_run_id,
        ]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat(timespec="seconds")
        data["ended_at"] = self.ended_at.isoformat(timespec="seconds") if self.ended_at else None
        data["seconds"] = None if self.seconds is None else round(self.seconds, 3)
        return data

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "JobRunRecord":
        def parse_json(value):
            if value in (None, ""):
                return {}
            return json.loads(value) if isinstance(value, str) else value

        def parse_time(value):
            if value is None or isinstance(value, datetime):
                return value
            return datetime.fromisoformat(value)

        return cls(
            run_id=row["run_id"], job=row["job"], started_at=parse_time(row["started_at"]),
            status=row["status"], ended_at=parse_time(row.get("ended_at")),
            counts=parse_json(row.get("counts")), snapshot_id=row.get("snapshot_id"),
            error=row.get("error"), trigger=row.get("trigger") or "manual",
            pid=row.get("pid") or 0, options=parse_json(row.get("options")),
            message=row.get("message"), parent_run_id=row.get("parent_run_id"),
        )


# ───────────────────────────── in the warehouse ─────────────────────────────

def insert_run(con: duckdb.DuckDBPyConnection, record: JobRunRecord) -> None:
    placeholders = ", ".join("?" for _ in _COLUMNS)
    # ON CONFLICT rather than INSERT OR REPLACE: the same statement on DuckDB and PostgreSQL.
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "run_id")
    con.execute(
        f"INSERT INTO job_runs ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (run_id) DO UPDATE SET {updates}",
        record.to_row(),
    )


def mark_abandoned(con: duckdb.DuckDBPyConnection) -> int:
    """Runs left 'running' by a process that died: whoever holds the writer now knows they ended.
    With several writers (PostgreSQL) a running row may be another live process's: left alone."""
    if warehouse.several_writers(con):
        return 0
    rows = con.execute(
        "UPDATE job_runs SET status = 'abandoned', ended_at = coalesce(ended_at, ?), "
        "error = coalesce(error, 'the process running it ended without recording an outcome') "
        "WHERE status = 'running' AND coalesce(pid, -1) <> ? RETURNING run_id",
        [utcnow(), os.getpid()],
    ).fetchall()
    return len(rows)


def read_runs(con: duckdb.DuckDBPyConnection, job: str | None = None, limit: int = 50) -> list[JobRunRecord]:
    """Newest runs first, from a DuckDB file or snapshot or a PostgreSQL warehouse alike: ``SELECT *``
    and the cursor's column names, so an old snapshot without the later columns reads too."""
    where, params = ("WHERE job = ?", [job]) if job else ("", [])
    cur = con.execute(
        f"SELECT * FROM job_runs {where} ORDER BY started_at DESC, run_id DESC LIMIT ?",
        [*params, limit],
    )
    cols = [d[0] for d in cur.description]
    return [JobRunRecord.from_row(dict(zip(cols, row))) for row in cur.fetchall()]


# ───────────────────────────── the journal of runs not yet in the warehouse ─────────────────────────────

def pending_path(settings: Settings) -> Path:
    return Path(settings.var_dir) / "jobs" / "pending-runs.jsonl"


def append_pending(settings: Settings, record: JobRunRecord) -> None:
    path = pending_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(json.dumps(record.to_dict(), default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
        fcntl.flock(fh, fcntl.LOCK_UN)


def read_pending(settings: Settings) -> list[JobRunRecord]:
    path = pending_path(settings)
    if not path.exists():
        return []
    out = []
    with open(path) as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        for line in fh:
            line = line.strip()
            if line:
                try:
                    out.append(JobRunRecord.from_row(json.loads(line)))
                except (ValueError, KeyError):
                    continue  # a torn last line from a crash; nothing else to recover from it
        fcntl.flock(fh, fcntl.LOCK_UN)
    return out


def flush_pending(settings: Settings, con: duckdb.DuckDBPyConnection) -> int:
    """Move journaled runs into ``job_runs`` (called by a run that holds the writer)."""
    path = pending_path(settings)
    if not path.exists():
        return 0
    with open(path, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        records = []
        for line in fh:
            line = line.strip()
            if line:
                try:
                    records.append(JobRunRecord.from_row(json.loads(line)))
                except (ValueError, KeyError):
                    continue
        for record in records:
            insert_run(con, record)
        fh.seek(0)
        fh.truncate()
        fcntl.flock(fh, fcntl.LOCK_UN)
    return len(records)


def job_history(settings: Settings, job: str | None = None, limit: int = 50) -> tuple[list[JobRunRecord], str]:
    """Recent runs, newest first, and where they were read from.

    With ``warehouse.url`` set, the PostgreSQL warehouse, where the jobs that run there record their
    runs (any number of processes write it, so it is always readable). Otherwise the live DuckDB file
    when no writer holds it, else the latest snapshot (a writer blocks every other process from the
    live file). Journaled runs are always added.
    """
    if settings.warehouse.url:
        records, source = _postgres_runs(settings, job, limit)
    else:
        records, source = _duckdb_runs(settings, job, limit)
    seen = {r.run_id for r in records}
    for rec in read_pending(settings):
        if rec.run_id not in seen and (job is None or rec.job == job):
            records.append(rec)
    records.sort(key=lambda r: (r.started_at, r.run_id), reverse=True)
    return records[:limit], source


def _postgres_runs(settings: Settings, job: str | None, limit: int) -> tuple[list[JobRunRecord], str]:
    where = f"PostgreSQL warehouse {warehouse.redact_url(settings.warehouse.url)}"
    try:
        with warehouse.writer_for(settings, command="genrestore jobs history", create=False) as writer:
            return read_runs(writer.con, job, limit), where
    except warehouse.WarehouseNotFound:
        return [], f"nothing recorded yet (no warehouse in {where})"


def _duckdb_runs(settings: Settings, job: str | None, limit: int) -> tuple[list[JobRunRecord], str]:
    records: list[JobRunRecord] = []
    source = "nothing recorded yet"
    live = Path(settings.warehouse_file)
    holder = warehouse.read_holder(live)
    path = None
    if live.exists() and holder is None:
        path, source = live, f"live warehouse {live}"
    else:
        try:
            snap = warehouse.get_snapshot(settings.snapshots_path)
            path = Path(snap.path)
            who = f"pid {holder.get('pid', '?')} ({holder.get('command', '?')})" if holder else "nobody"
            source = f"snapshot {snap.snapshot_id} (live warehouse busy: {who})"
        except warehouse.SnapshotNotFound:
            if holder:
                source = f"journal only (live warehouse busy: pid {holder.get('pid', '?')})"
    if path is not None:
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            con = None  # taken between our check and the open; the journal still answers
        if con is not None:
            try:
                records = read_runs(con, job, limit)
            except duckdb.Error:
                records = []
            finally:
                con.close()
    return records, source
