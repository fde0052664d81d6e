"""Reading a snapshot's silver tables from the modeling package.

Feature groups computed here (name cues, artist type, collaborator genre) read the snapshot
file itself when the ``snapshots`` table knows it, so training and prediction see the same
point in time; without one (tests, or a connection that *is* a snapshot) they read the
connection's own tables.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def snapshot_connection(con, snapshot_id: str | None) -> Iterator:
    """A read-only connection to the snapshot's file, or ``con`` itself when there is none."""
    from warehouse import connect_readonly, database_dir, resolve_recorded

    path = None
    if snapshot_id is not None:
        try:
            rows = con.execute("SELECT path FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchall()
        except Exception:  # no snapshots table on this connection
            rows = []
        if rows:  # recorded relative to the warehouse's directory (var/)
            found = resolve_recorded(rows[0][0], database_dir(con))
            path = found if found.exists() else None
    if path is None:
        yield con
        return

    snap = connect_readonly(path)
    try:
        yield snap
    finally:
        snap.close()


def artist_column(con, snapshot_id: str | None, artist_ids, column: str) -> list:
    """One ``artists`` column for ``artist_ids`` from the snapshot; an artist not found gives None."""
    with snapshot_connection(con, snapshot_id) as source:
        lookup = dict(source.execute(f'SELECT artist_id, "{column}" FROM artists').fetchall())
    return [lookup.get(str(a)) for a in artist_ids]
