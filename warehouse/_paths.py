"""Paths the warehouse records about files under var/ (snapshots, model artifacts, reports).

They are stored relative to the directory of the warehouse file (var/ in the standard layout) and
resolved against the directory of the warehouse being read, so a var/ directory can be moved or
copied and still finds, and only finds, its own files. Rows written before this stored absolute
paths; those are looked up by their trailing components inside the current directory first.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb


def database_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The directory of the file ``con``'s current database lives in (None for an in-memory one)."""
    try:
        rows = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
    except duckdb.Error:
        return None
    path = rows[0][0] if rows else None
    return Path(os.path.abspath(path)).parent if path else None


def record_path(path: str | Path, base_dir: str | Path) -> str:
    """``path`` as the warehouse should store it: relative to ``base_dir`` when inside it, else absolute."""
    path, base = Path(os.path.abspath(path)), Path(os.path.abspath(base_dir))
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def resolve_recorded(recorded: str | Path, base_dir: str | Path | None) -> Path:
    """Where a recorded path is now, seen from the warehouse in ``base_dir``.

    A relative path is taken relative to ``base_dir``. When that file is not there (an old absolute
    path, or ``base_dir`` is the snapshots directory of a snapshot being read) the shortest trailing
    part of the path that exists inside ``base_dir`` wins, so a copied var/ reads its own files;
    only then an absolute path is used as it stands. When nothing exists, the expected place is
    returned (for the error message).
    """
    path = Path(recorded)
    if base_dir is None:
        return path
    base = Path(base_dir)
    if not path.is_absolute() and (base / path).exists():
        return base / path
    parts = path.parts[1:] if path.is_absolute() else path.parts
    for k in range(1, len(parts) + 1):
        candidate = base.joinpath(*parts[-k:])
        if candidate.exists():
            return candidate
    return path if path.is_absolute() else base / path
