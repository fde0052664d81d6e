"""Free Music Archive genres.csv → ``fma_genres`` (163 genres; parent 0 means top level → NULL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from warehouse import Writer

from .._settings import MAX_FIELD_BYTES
from ._duplicates import Unique
from ._validated_input import Loaded
from ._report import ImportReport
from ._file_importer import TableRows, import_file
from ._validate import Col

SOURCE = "fma"
SPEC = [
    Col("genre_id", "int", required=True), Col("#tracks", "int", rename="track_count"),
    Col("parent", "int", rename="parent_id"), Col("title", "id"), Col("top_level", "int", rename="top_level_id"),
]

UNIQUE = [Unique(("genre_id",))]


def _build(loaded: Loaded, stamp: datetime) -> TableRows:
    rows = loaded.rows.select(
        pl.col("genre_id").cast(pl.Int32), "title",
        pl.when(pl.col("parent_id") == 0).then(None).otherwise(pl.col("parent_id")).cast(pl.Int32).alias("parent_id"),
        pl.col("top_level_id").cast(pl.Int32), pl.col("track_count").cast(pl.Int32),
        pl.lit(SOURCE).alias("source"),
    )
    return {"fma_genres": (rows, ["genre_id"])}


def import_fma_genres(writer: Writer, file: str | Path, *, progress: bool = True,
                      max_reject_share: float = 0.01, max_field_bytes: int = MAX_FIELD_BYTES) -> ImportReport:
    """Import FMA's genres.csv (plain or gzip) into ``fma_genres`` in one transaction."""
    return import_file(writer, file, source=SOURCE, spec=SPEC, build=_build, progress=progress,
                       max_reject_share=max_reject_share, max_field_bytes=max_field_bytes, unique=UNIQUE)
