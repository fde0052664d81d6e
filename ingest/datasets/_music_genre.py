"""Kaggle "Prediction of music genre" (music_genre.csv) → ``ds_music_genre``.

Sentinels become NULL: tempo ``?``, duration_ms ``-1``, artist_name ``empty_field``. The file's
five all-empty rows are rejected. ``instance_id`` is the key: an identical repeat is merged, a
conflicting one rejects every row holding it.
"""

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

SOURCE = "music_genre"
SPEC = [
    Col("instance_id", "int", required=True), Col("artist_name", nulls=("empty_field",)), Col("track_name"),
    Col("popularity", "float"), Col("acousticness", "float"), Col("danceability", "float"),
    Col("duration_ms", "float", nulls=("-1", "-1.0")), Col("energy", "float"), Col("instrumentalness", "float"),
    Col("key"), Col("liveness", "float"), Col("loudness", "float"), Col("mode"), Col("speechiness", "float"),
    Col("tempo", "float", nulls=("?",)), Col("obtained_date"), Col("valence", "float"), Col("music_genre"),
]

UNIQUE = [Unique(("instance_id",))]


def _build(loaded: Loaded, stamp: datetime) -> TableRows:
    rows = loaded.rows.select(*(c.out for c in SPEC), pl.lit(SOURCE).alias("source"))
    return {"ds_music_genre": (rows, ["instance_id"])}


def import_music_genre(writer: Writer, file: str | Path, *, progress: bool = True,
                       max_reject_share: float = 0.01, max_field_bytes: int = MAX_FIELD_BYTES) -> ImportReport:
    """Import music_genre.csv (plain or gzip) into ``ds_music_genre`` in one transaction."""
    return import_file(writer, file, source=SOURCE, spec=SPEC, build=_build, progress=progress,
                       max_reject_share=max_reject_share, max_field_bytes=max_field_bytes, unique=UNIQUE)
