"""Published, immutable, read-only copies of the live warehouse.

Publishing (in the writer process): CHECKPOINT, copy the live database into
``snapshots/.tmp-<id>.duckdb`` with ``COPY FROM DATABASE``, fsync, rename to ``<id>.duckdb``, then
write ``<id>.json`` (the manifest) the same way. A snapshot exists for readers only once its
manifest does, so a reader never sees a half-written file; publishing or pruning never touches a
file a reader already opened (pruning unlinks, and an open file lives on until closed).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ._writer import Writer
from .errors import SnapshotNotFound

# Tables left out of the content hash: the hash is about data, not about when it was published.
_UNHASHED = {"snapshots"}


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    created_at: str
    path: str
    row_counts: dict[str, int]
    content_hash: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


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
    """(row count, order-independent sum of row hashes) per table."""
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
    out_dir = Path(snapshots_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    snap_id = new_snapshot_id()
    tmp = out_dir / f".tmp-{snap_id}.duckdb"
    final = out_dir / f"{snap_id}.duckdb"
    con = writer.con
    with writer._mutex:  # no write may interleave with the copy
        con.execute("CHECKPOINT")
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
                [snap_id, created, str(final), json.dumps(counts, sort_keys=True), chash],
            )
            con.execute("DETACH _snap")
        except BaseException:
            try:
                con.execute("DETACH _snap")
            except duckdb.Error:
                pass
            tmp.unlink(missing_ok=True)
            raise
        _fsync_file(tmp)
        os.replace(tmp, final)
        _fsync_dir(out_dir)
        manifest_tmp = out_dir / f".tmp-{snap_id}.json"
        manifest_tmp.write_text(info.to_json())
        _fsync_file(manifest_tmp)
        os.replace(manifest_tmp, out_dir / f"{snap_id}.json")
        _fsync_dir(out_dir)
        with writer.transaction() as wcon:
            wcon.execute(
                "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, NULL)",
                [snap_id, created, str(final), json.dumps(counts, sort_keys=True), chash],
            )
    return info


def list_snapshots(snapshots_dir: str | Path) -> list[SnapshotInfo]:
    """Published snapshots, oldest first (ids sort by time)."""
    out_dir = Path(snapshots_dir)
    if not out_dir.is_dir():
        return []
    infos = []
    for manifest in sorted(out_dir.glob("*.json")):
        if manifest.name.startswith(".tmp-"):
            continue
        try:
            data = json.loads(manifest.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # pruned or being pruned under us
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
