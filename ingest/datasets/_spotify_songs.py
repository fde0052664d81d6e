"""TidyTuesday spotify_songs.csv → ``ds_spotify_songs`` plus silver tracks, albums, audio
features, playlists and playlist items.

One file row is one playlist membership (a track repeats once per playlist). The literal ``NA``
is NULL. Silver rows another source already wrote (1,914 track ids overlap MusicOSet) are left
alone: only missing ones are inserted. A track whose values differ between its rows is rejected
in every row (see ``UNIQUE``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from warehouse import Writer

from .._settings import MAX_FIELD_BYTES
from ._duplicates import Unique
from ._validated_input import Loaded
from ._reading import ROW
from ._report import ImportReport
from ._file_importer import TableRows, import_file
from ._validate import Col

SOURCE = "spotify_songs"
NA = ("NA",)
SPEC = [
    Col("track_id", "id", nulls=NA), Col("track_name", nulls=NA), Col("track_artist", nulls=NA),
    Col("track_popularity", "int", nulls=NA), Col("track_album_id", nulls=NA), Col("track_album_name", nulls=NA),
    Col("track_album_release_date", nulls=NA), Col("playlist_name", nulls=NA), Col("playlist_id", "id", nulls=NA),
    Col("playlist_genre", nulls=NA), Col("playlist_subgenre", nulls=NA), Col("danceability", "float", nulls=NA),
    Col("energy", "float", nulls=NA), Col("key", "int", nulls=NA), Col("loudness", "float", nulls=NA),
    Col("mode", "int", nulls=NA), Col("speechiness", "float", nulls=NA), Col("acousticness", "float", nulls=NA),
    Col("instrumentalness", "float", nulls=NA), Col("liveness", "float", nulls=NA),
    Col("valence", "float", nulls=NA), Col("tempo", "float", nulls=NA), Col("duration_ms", "int", nulls=NA),
]
AUDIO = ("danceability", "energy", "loudness", "speechiness", "acousticness", "instrumentalness", "liveness",
         "valence", "tempo")
# A track, album or playlist repeats once per membership; the values its silver row is built from
# must agree in every row, or all its rows are rejected (identical repeats are all kept: each row is
# a membership). playlist_genre/subgenre may differ: the authors collected some playlists under
# several subgenres.
UNIQUE = [
    Unique(("track_id",), ("track_name", "track_artist", "track_popularity", "track_album_id", "duration_ms",
                           *AUDIO, "key", "mode"), merge_identical=False),
    Unique(("track_album_id",), ("track_album_name", "track_album_release_date"), merge_identical=False),
    Unique(("playlist_id",), ("playlist_name",), merge_identical=False),
]


def _build(loaded: Loaded, stamp: datetime) -> TableRows:
    src = pl.lit(SOURCE).alias("source")
    ts = pl.lit(stamp, pl.Datetime("us")).alias("updated_at")
    rows = loaded.rows
    ds = rows.select(
        pl.col(ROW).cast(pl.Int32).alias("row_number"),
        *(pl.col(c.out).cast(pl.Int32) if c.kind == "int" else pl.col(c.out) for c in SPEC),
        src,
    )
    # A track repeats once per playlist with the same values (UNIQUE): the first occurrence stands for it.
    first = rows.unique("track_id", keep="first", maintain_order=True)
    tracks = first.select(
        "track_id", pl.col("track_name").alias("name"), pl.col("track_album_id").alias("album_id"),
        pl.col("duration_ms").cast(pl.Int32), pl.col("track_popularity").cast(pl.Int32).alias("popularity"),
        src, ts,
    )
    date = pl.col("track_album_release_date")
    albums = (
        rows.filter(pl.col("track_album_id").is_not_null())
        .unique("track_album_id", keep="first", maintain_order=True)
        .select(
            pl.col("track_album_id").alias("album_id"), pl.col("track_album_name").alias("name"),
            date.alias("release_date"),
            pl.when(date.str.len_chars() == 4).then(pl.lit("year"))
            .when(date.str.len_chars() == 7).then(pl.lit("month"))
            .when(date.str.len_chars() == 10).then(pl.lit("day"))
            .alias("release_date_precision"),
            date.str.slice(0, 4).cast(pl.Int32, strict=False).alias("release_year"),
            src, ts,
        )
    )
    audio = first.select(
        "track_id", *AUDIO, pl.col("key").cast(pl.Int32), pl.col("mode").cast(pl.Int32),
        pl.col("duration_ms").cast(pl.Int32), src,
    )
    playlists = rows.unique("playlist_id", keep="first", maintain_order=True).select(
        "playlist_id", pl.col("playlist_name").alias("name"), src, ts,
    )
    items = rows.select(
        "playlist_id",
        # 0-based position = order of the row within its playlist in the file.
        pl.int_range(pl.len()).over("playlist_id").cast(pl.Int32).alias("position"),
        "track_id", src,
    )
    playlists = playlists.join(
        items.group_by("playlist_id").agg(pl.len().cast(pl.Int32).alias("total_items")), on="playlist_id"
    )
    return {
        "ds_spotify_songs": (ds, ["row_number"]),
        "tracks": (tracks, ["track_id"]),
        "albums": (albums, ["album_id"]),
        "audio_features": (audio, ["track_id"]),
        "playlists": (playlists, ["playlist_id"]),
        "playlist_items": (items, ["playlist_id", "position"]),
    }


def import_spotify_songs(writer: Writer, file: str | Path, *, progress: bool = True,
                         max_reject_share: float = 0.01, max_field_bytes: int = MAX_FIELD_BYTES) -> ImportReport:
    """Import spotify_songs.csv (plain or gzip) into ``ds_spotify_songs`` and the silver tables in
    one transaction."""
    return import_file(writer, file, source=SOURCE, spec=SPEC, build=_build, progress=progress,
                       max_reject_share=max_reject_share, max_field_bytes=max_field_bytes, unique=UNIQUE)
