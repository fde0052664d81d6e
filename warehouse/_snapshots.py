"""Published, immutable, read-only copies of the live warehouse.

Publishing (in the writer process): CHECKPOINT, copy the live database into
``snapshots/.tmp-<pid>-<id>.duckdb`` with ``COPY FROM DATABASE``, fsync, rename to ``<id>.duckdb``,
then write ``<id>.json`` (the manifest) the same way. A snapshot exists for readers only once its
manifest does, so a reader never sees a half-written file; publishing or pruning never touches a
file a reader already opened (pruning unlinks, and an open file lives on until closed).

Manifests record the file name only and readers resolve it in the snapshots directory they were
given; the ``snapshots`` table records it relative to the warehouse's directory (``var/``). So a
var/ directory can be moved or copied and reads its own snapshots. A killed publisher leaves its
``.tmp-<pid>-*`` files behind; :func:`remove_leftovers` deletes those whose pid is gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ._pg_upsert import is_pg
from ._pg_snapshot import export_to_duckdb, pg_table_fingerprints
from ._paths import record_path
from ._writer import Writer
from .errors import SnapshotNotFound, disk_full

# Tables left out of the content hash: the hash is about data, not about when it was published.
_UNHASHED = {"snapshots"}

_TMP = ".tmp-"
_TMP_WITH_PID = re.compile(r"^\.tmp-(\d+)-")
# Temp files named before pids were part of the name: removed once nobody has written them this long.
_UNNAMED_TMP_AGE = 3600.0


@dataclass(frozen=True)
class SnapshotInfo:
    """A published snapshot. ``path`` is absolute, resolved in the snapshots directory it was read from."""

    snapshot_id: str
    created_at: str
    path: str
    row_counts: dict[str, int]
    content_hash: str

    def to_json(self) -> str:
        """The manifest: the file is named relative to the manifest's own directory."""
        return json.dumps({**asdict(self), "path": Path(self.path).name}, indent=2, sort_keys=True)


@dataclass(frozen=True)
class Leftovers:
    """Temp files of interrupted snapshot publications that were removed."""

    files: list[str]
    bytes: int

    def describe(self) -> str:
        return f"removed {len(self.files)} leftover temp file(s) of interrupted snapshots, {self.bytes:,} bytes freed"


def snapshot_file(snapshots_dir: str | Path, recorded: str | Path) -> Path:
    """Where a snapshot file recorded as ``recorded`` lives in ``snapshots_dir``.

    New manifests hold a file name; older ones hold the path as it was written (maybe relative to
    another working directory, or inside another copy of var/). Either way the file is looked up by
    name in the snapshots directory in use: a snapshot's file always sits beside its manifest, and
    reading one from another var/ directory would mix two warehouses.
    """
    return Path(os.path.abspath(Path(snapshots_dir) / Path(recorded).name))


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def base_tables(con: duckdb.DuckDBPyConnection, database: str | None = None) -> list[str]:
    db = database or con.execute("SELECT current_database()").fetchall()[0][0]
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary ORDER BY table_name",
        [db],
    ).fetchall()]


def table_fingerprints(con: duckdb.DuckDBPyConnection, database: str | None = None,
                       tables: list[str] | None = None) -> dict[str, tuple[int, int]]:
    """(row count, order-independent sum of row hashes) per table.

    On PostgreSQL (the live warehouse ``con``) the row hash is PostgreSQL's own (md5 of the row's
    text): comparable between PostgreSQL databases, not with DuckDB's; compare a snapshot instead."""
    if is_pg(con):
        return pg_table_fingerprints(con, tables)
    db = database or con.execute("SELECT current_database()").fetchall()[0][0]
    out = {}
    for t in tables if tables is not None else base_tables(con, db):
        n, h = con.execute(
            f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "{db}".main."{t}" t'
        ).fetchall()[0]
        out[t] = (int(n), int(h))
    return out


def content_hash(con: duckdb.DuckDBPyConnection, database: str | None = None,
                 tables: list[str] | None = None) -> str:
    """sha256 over every table's name, row count and row-hash sum (row order does not matter)."""
    prints = table_fingerprints(con, database, tables)
    digest = hashlib.sha256()
    for name in sorted(prints):
        if name in _UNHASHED:
            continue
        n, h = prints[name]
        digest.update(f"{name}:{n}:{h};".encode())
    return digest.hexdigest()


def new_snapshot_id(now: datetime | None = None) -> str:
    now = now or _now()
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-" + secrets.token_hex(2)


def create_snapshot(writer: Writer, snapshots_dir: str | Path) -> SnapshotInfo:
    """Publish a consistent copy of the live warehouse; return its manifest."""
    out_dir = Path(os.path.abspath(snapshots_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    snap_id = new_snapshot_id()
    # The pid in the name tells a later run whether the writer of a leftover is still alive.
    tmp = out_dir / f"{_TMP}{os.getpid()}-{snap_id}.duckdb"
    final = out_dir / f"{snap_id}.duckdb"
    recorded = record_path(final, Path(os.path.abspath(writer.path)).parent)  # snapshots/<id>.duckdb
    con = writer.con
    if is_pg(con):
        # One REPEATABLE READ transaction on its own connection: workers keep writing meanwhile.
        info, created = _export_postgres(writer.url, tmp, snap_id, final, recorded)
        _publish(tmp, final, out_dir, snap_id, info)
        with writer.transaction() as wcon:
            wcon.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, NULL)",
                         [snap_id, created, recorded, json.dumps(info.row_counts, sort_keys=True),
                          info.content_hash])
        return info
    with writer._mutex:  # no write may interleave with the copy
        try:
            con.execute("CHECKPOINT")
        except duckdb.Error as exc:  # the WAL still holds every commit; the file is as it was
            raise disk_full(exc, str(writer.path)) or exc from None
        live = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f"ATTACH '{tmp}' AS _snap")
        try:
            con.execute(f'COPY FROM DATABASE "{live}" TO _snap')
            prints = table_fingerprints(con, "_snap")
            counts = {t: n for t, (n, _) in prints.items() if t not in _UNHASHED}
            chash = content_hash(con, "_snap")
            created = _now()
            info = SnapshotInfo(snap_id, created.isoformat(timespec="milliseconds"), str(final), counts, chash)
            con.execute(
                "INSERT INTO _snap.snapshots VALUES (?, ?, ?, ?, ?, NULL)",
                [snap_id, created, recorded, json.dumps(counts, sort_keys=True), chash],
            )
            con.execute("DETACH _snap")
        except BaseException:
            try:
                con.execute("DETACH _snap")
            except duckdb.Error:
                pass
            _discard_unfinished(tmp, final)
            raise
        _publish(tmp, final, out_dir, snap_id, info)
        with writer.transaction() as wcon:
            wcon.execute(
                "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, NULL)",
                [snap_id, created, recorded, json.dumps(counts, sort_keys=True), chash],
            )
    return info


def _publish(tmp: Path, final: Path, out_dir: Path, snap_id: str, info: SnapshotInfo) -> None:
    """Move the finished file into place, then its manifest (which is what makes it published)."""
    manifest_tmp = out_dir / f"{_TMP}{os.getpid()}-{snap_id}.json"
    try:
        _fsync_file(tmp)
        os.replace(tmp, final)
        _fsync_dir(out_dir)
        manifest_tmp.write_text(info.to_json())
        _fsync_file(manifest_tmp)
        os.replace(manifest_tmp, out_dir / f"{snap_id}.json")
        _fsync_dir(out_dir)
    except OSError as exc:  # a snapshot without its manifest is not published: remove both
        for leftover in (tmp, final, manifest_tmp):
            leftover.unlink(missing_ok=True)
        raise disk_full(exc, str(final)) or exc from None


def _export_postgres(url: str, tmp: Path, snap_id: str, final: Path, recorded: str) -> tuple[SnapshotInfo, datetime]:
    """The PostgreSQL warehouse at ``url`` copied into the DuckDB file ``tmp``, with its manifest."""
    try:
        export_to_duckdb(url, tmp)
        con = duckdb.connect(str(tmp))
        try:
            prints = table_fingerprints(con)
            counts = {t: n for t, (n, _) in prints.items() if t not in _UNHASHED}
            chash = content_hash(con)
            created = _now()
            info = SnapshotInfo(snap_id, created.isoformat(timespec="milliseconds"), str(final), counts, chash)
            con.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, NULL)",
                        [snap_id, created, recorded, json.dumps(counts, sort_keys=True), chash])
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except BaseException:
        _discard_unfinished(tmp, final)
        raise
    return info, created


def _discard_unfinished(tmp: Path, final: Path) -> None:
    """Called while an export fails: remove its unfinished file, and raise DiskFull instead when the
    cause was a full disk (the caller re-raises the original error otherwise)."""
    tmp.unlink(missing_ok=True)
    Path(f"{tmp}.wal").unlink(missing_ok=True)
    full = disk_full(sys.exc_info()[1], str(final))
    if full is not None:
        raise full from None


def list_snapshots(snapshots_dir: str | Path) -> list[SnapshotInfo]:
    """Published snapshots, oldest first (ids sort by time)."""
    out_dir = Path(snapshots_dir)
    if not out_dir.is_dir():
        return []
    infos = []
    for manifest in sorted(out_dir.glob("*.json")):
        if manifest.name.startswith(_TMP):
            continue
        try:
            data = json.loads(manifest.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # pruned or being pruned under us
        data["path"] = str(snapshot_file(out_dir, data.get("path") or f"{manifest.stem}.duckdb"))
        infos.append(SnapshotInfo(**data))
    return sorted(infos, key=lambda i: i.snapshot_id)


def get_snapshot(snapshots_dir: str | Path, snapshot_id: str | None = None) -> SnapshotInfo:
    """The snapshot with this id (a unique prefix will do), or the latest when None."""
    snaps = list_snapshots(snapshots_dir)
    if not snaps:
        raise SnapshotNotFound(
            f"no snapshot published in {snapshots_dir} yet; run `genrestore snapshot create`"
        )
    if snapshot_id is None or snapshot_id == "latest":
        return snaps[-1]
    matches = [s for s in snaps if s.snapshot_id.startswith(snapshot_id)]
    if len(matches) != 1:
        what = "no" if not matches else "more than one"
        raise SnapshotNotFound(f"{what} snapshot matches {snapshot_id!r} in {snapshots_dir}")
    return matches[0]


def prune_snapshots(snapshots_dir: str | Path, keep: int, writer: Writer | None = None) -> list[str]:
    """Remove all but the newest ``keep`` snapshots; return the removed ids."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    out_dir = Path(snapshots_dir)
    snaps = list_snapshots(out_dir)
    removed = []
    for info in snaps[:-keep]:
        # Manifest first: from then on no new reader picks this snapshot.
        (out_dir / f"{info.snapshot_id}.json").unlink(missing_ok=True)
        (out_dir / f"{info.snapshot_id}.duckdb").unlink(missing_ok=True)
        removed.append(info.snapshot_id)
    if writer is not None and removed:
        with writer.transaction() as con:
            con.executemany(
                "UPDATE snapshots SET pruned_at = ? WHERE snapshot_id = ?",
                [[_now(), sid] for sid in removed],
            )
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def remove_leftovers(snapshots_dir: str | Path) -> Leftovers:
    """Delete temp files (``.tmp-<pid>-*``: copy, its WAL, manifest) whose writer process is gone.

    A temp file of a live process is a publication in progress and is never touched. Temp files
    without a pid (named by older versions) go once nobody has written them for an hour.
    """
    out_dir = Path(snapshots_dir)
    if not out_dir.is_dir():
        return Leftovers([], 0)
    removed, freed = [], 0
    for path in sorted(out_dir.glob(f"{_TMP}*")):
        match = _TMP_WITH_PID.match(path.name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if match is not None:
            if _pid_alive(int(match.group(1))):
                continue
        elif time.time() - stat.st_mtime < _UNNAMED_TMP_AGE:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path.name)
        freed += stat.st_size
    return Leftovers(removed, freed)
