"""The catalog directory format: one Parquet file per table plus manifest.json.

Both builders (synthetic, MusicOSet) write through :func:`write_catalog`, so every catalog has the
same tables, column names and types, and the server reads any of them the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import polars as pl

from warehouse.errors import UsageError

from .._errors import IngestError

FORMAT_VERSION = 1

#: table -> {column: dtype}. Nullable everywhere a real source can lack the value.
TABLES: dict[str, dict[str, pl.DataType]] = {
    "artists": {"artist_id": pl.Utf8, "name": pl.Utf8, "followers": pl.Int64, "popularity": pl.Int32,
                "image_url": pl.Utf8},
    "artist_genres": {"artist_id": pl.Utf8, "genre": pl.Utf8, "position": pl.Int32},
    "albums": {"album_id": pl.Utf8, "name": pl.Utf8, "album_type": pl.Utf8, "release_date": pl.Utf8,
               "release_date_precision": pl.Utf8, "total_tracks": pl.Int32, "label": pl.Utf8,
               "popularity": pl.Int32, "upc": pl.Utf8},
    "album_artists": {"album_id": pl.Utf8, "artist_id": pl.Utf8, "position": pl.Int32},
    "tracks": {"track_id": pl.Utf8, "name": pl.Utf8, "album_id": pl.Utf8, "disc_number": pl.Int32,
               "track_number": pl.Int32, "duration_ms": pl.Int32, "explicit": pl.Boolean,
               "popularity": pl.Int32, "isrc": pl.Utf8},
    "track_artists": {"track_id": pl.Utf8, "artist_id": pl.Utf8, "position": pl.Int32},
    "audio_features": {"track_id": pl.Utf8, "acousticness": pl.Float64, "danceability": pl.Float64,
                       "energy": pl.Float64, "instrumentalness": pl.Float64, "key": pl.Int32,
                       "liveness": pl.Float64, "loudness": pl.Float64, "mode": pl.Int32,
                       "speechiness": pl.Float64, "tempo": pl.Float64, "time_signature": pl.Int32,
                       "valence": pl.Float64, "duration_ms": pl.Int32},
    "playlists": {"playlist_id": pl.Utf8, "name": pl.Utf8, "description": pl.Utf8, "owner_id": pl.Utf8,
                  "owner_name": pl.Utf8, "snapshot_id": pl.Utf8, "public": pl.Boolean,
                  "collaborative": pl.Boolean},
    "playlist_items": {"playlist_id": pl.Utf8, "position": pl.Int32, "track_id": pl.Utf8,
                       "added_at": pl.Utf8},
}

#: Optional tables a builder may add (ground truth for evaluation; the server ignores them).
EXTRA_TABLES: dict[str, dict[str, pl.DataType]] = {
    "planted_genre_families": {"genre": pl.Utf8, "family": pl.Int32, "family_name": pl.Utf8},
    "planted_artist_families": {"artist_id": pl.Utf8, "family": pl.Int32},
}


class CatalogError(IngestError):
    """A catalog directory is missing, incomplete or of an unknown format."""

    exit_code = 2


def _conform(name: str, frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ValueError(f"catalog table {name} lacks columns {missing}")
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


def write_catalog(out_dir: str | Path, frames: dict[str, pl.DataFrame], *, source: str,
                  params: dict | None = None) -> dict:
    """Write every table as Parquet and a manifest (counts, source, parameters); return the manifest."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    for name, schema in {**TABLES, **EXTRA_TABLES}.items():
        if name not in frames:
            if name in TABLES:
                raise ValueError(f"catalog table {name} missing")
            continue
        frame = _conform(name, frames[name], schema)
        # Write to a temp name and rename, so a half-written catalog never looks complete.
        tmp = out / f".{name}.parquet.tmp"
        frame.write_parquet(tmp, compression="zstd", statistics=False)
        os.replace(tmp, out / f"{name}.parquet")
        counts[name] = frame.height
        digest.update(name.encode())
        digest.update(str(frame.height).encode())
    manifest = {
        "format_version": FORMAT_VERSION,
        "source": source,
        "params": params or {},
        "counts": counts,
        "tables": sorted(counts),
        "fingerprint": digest.hexdigest()[:16],
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(catalog_dir: str | Path) -> dict:
    path = Path(catalog_dir) / "manifest.json"
    if not path.is_file():
        raise CatalogError(f"{catalog_dir} is not a catalog (no manifest.json); build one with "
                           "`genrestore catalog build`")
    manifest = json.loads(path.read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        raise CatalogError(f"catalog {catalog_dir} has format {manifest.get('format_version')}, "
                           f"this version reads {FORMAT_VERSION}; rebuild it")
    return manifest


def read_table(catalog_dir: str | Path, name: str) -> pl.DataFrame:
    path = Path(catalog_dir) / f"{name}.parquet"
    if not path.is_file():
        raise CatalogError(f"catalog {catalog_dir} lacks {name}.parquet")
    return pl.read_parquet(path)


__all__ = ["TABLES", "EXTRA_TABLES", "CatalogError", "UsageError", "write_catalog", "read_manifest",
           "read_table"]
