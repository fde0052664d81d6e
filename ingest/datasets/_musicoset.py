"""MusicOSet (SBBD 2019) → silver tables: artists, genres, albums, tracks, credits, audio
features, and popularity observations.

The files are TAB-separated UTF-8 (some CRLF), optionally gzip-compressed, in
``musicoset_metadata/``, ``musicoset_popularity/`` and ``musicoset_songfeatures/`` under the
data-set directory (a flat directory holding the files works too). List and dict columns are
Python reprs and are parsed with ``ast.literal_eval``.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import polars as pl

from warehouse import Writer

from .._settings import MAX_FIELD_BYTES
from ._duplicates import Unique
from ._errors import ImportFailed
from ._validated_input import Loaded, load
from ._progress import steps
from ._pyrepr import list_series, parse_str_dict, parse_str_list
from ._report import SAMPLE_REJECTS, ImportReport
from ._validate import Col, add_reason
from ._writing import now, quiet_duckdb, sample_rejects, upsert_own, write_rejects

SOURCE = "musicoset"
# MusicOSet's "current" values (popularity, followers, genres) were fetched from the API when the
# data set was built: chart years end in 2018 and it was published in 2019. A fixed date keeps
# re-imports idempotent and sorts after the last yearly observation (2018-12-31).
CURRENT_OBSERVED_AT = datetime(2019, 1, 1)

FILES = {
    "artists": ("musicoset_metadata", "artists.csv"),
    "songs": ("musicoset_metadata", "songs.csv"),
    "tracks": ("musicoset_metadata", "tracks.csv"),
    "releases": ("musicoset_metadata", "releases.csv"),
    "acoustic_features": ("musicoset_songfeatures", "acoustic_features.csv"),
    "artist_pop": ("musicoset_popularity", "artist_pop.csv"),
    "album_pop": ("musicoset_popularity", "album_pop.csv"),
    "song_pop": ("musicoset_popularity", "song_pop.csv"),
}
REQUIRED = ("artists", "songs", "tracks", "releases", "acoustic_features")

ARTISTS = [
    Col("artist_id", "id"), Col("name"), Col("followers", "int", nulls=("None",)),
    Col("popularity", "int"), Col("artist_type", nulls=("-",)), Col("genres"), Col("image_url"),
]
SONGS = [
    Col("song_id", "id", rename="track_id"), Col("song_name", rename="name"), Col("artists"),
    Col("popularity", "int"), Col("explicit", "bool"),
]
TRACKS = [
    Col("song_id", "id", rename="track_id"), Col("album_id", nulls=("-",)), Col("track_number", "int"),
]
RELEASES = [
    Col("artist_id", "id"), Col("album_id", "id"), Col("release_date"), Col("release_date_precision"),
]
ACOUSTIC = [
    Col("song_id", "id", rename="track_id"), Col("duration_ms", "int"), Col("key", "int"), Col("mode", "int"),
    Col("time_signature", "int"), Col("acousticness", "float"), Col("danceability", "float"),
    Col("energy", "float"), Col("instrumentalness", "float"), Col("liveness", "float"),
    Col("loudness", "float"), Col("speechiness", "float"), Col("valence", "float"), Col("tempo", "float"),
]


# Each file's key: identical repeats are merged, conflicting ones rejected (see _duplicates).
# releases.csv lists an album once per artist, and its date must agree between them.
UNIQUE = {
    "artists": [Unique(("artist_id",))], "songs": [Unique(("track_id",))], "tracks": [Unique(("track_id",))],
    "releases": [Unique(("album_id", "artist_id")),
                 Unique(("album_id",), ("release_date", "release_date_precision"), merge_identical=False)],
    "acoustic_features": [Unique(("track_id",))], "artist_pop": [Unique(("artist_id", "year"))],
    "album_pop": [Unique(("album_id", "year"))], "song_pop": [Unique(("song_id", "year"))],
}


def _pop_spec(id_col: str) -> list[Col]:
    return [Col(id_col, "id"), Col("year_end_score", "float"), Col("is_pop", "bool"),
            Col("year", "int", required=True)]


def find_file(directory: Path, key: str) -> Path | None:
    """The file for ``key`` under ``directory`` (subfolder or flat; ``.csv`` or ``.csv.gz``)."""
    sub, name = FILES[key]
    for folder in (directory / sub, directory):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _refine_artists(df: pl.DataFrame) -> pl.DataFrame:
    parsed, errors = parse_str_list(df["genres"].to_list())
    df = df.with_columns(
        list_series("genres", parsed),
        # One row holds the literal 'band' with its quotes.
        pl.col("artist_type").str.strip_chars("'\" "),
    )
    return add_reason(df, pl.Series([None if e is None else f"genres: {e}" for e in errors], dtype=pl.Utf8))


def _refine_songs(df: pl.DataFrame) -> pl.DataFrame:
    parsed, errors = parse_str_dict(df["artists"].to_list())
    ids = [None if p is None else [artist_id for artist_id, _name in p] for p in parsed]
    df = df.with_columns(list_series("artists", ids))
    return add_reason(df, pl.Series([None if e is None else f"artists: {e}" for e in errors], dtype=pl.Utf8))


def _year_end(df: pl.DataFrame, id_col: str) -> pl.DataFrame:
    return df.select(
        pl.col(id_col),
        pl.datetime(pl.col("year"), 12, 31).alias("observed_at"),
        pl.col("year_end_score"),
        pl.lit(SOURCE).alias("source"),
    )


def import_musicoset(writer: Writer, directory: str | Path, *, progress: bool = True,
                     max_reject_share: float = 0.01, max_field_bytes: int = MAX_FIELD_BYTES) -> ImportReport:
    """Import MusicOSet from ``directory`` into the silver tables in one transaction.

    Idempotent: importing the same files again changes nothing. Rows that fail validation, hold a
    field over ``max_field_bytes`` or repeat a file key with other values go to ``rejects``
    (identical repeats are merged and counted); a file that cannot be used (missing, truncated, wrong columns, or more than
    ``max_reject_share`` bad rows) raises :class:`~ingest.datasets.ImportFailed` and nothing is
    written.
    """
    started = time.perf_counter()
    directory = Path(directory)
    if not directory.is_dir():
        raise ImportFailed(f"{directory}: MusicOSet directory not found")
    paths = {key: find_file(directory, key) for key in FILES}
    missing = [f"{FILES[k][0]}/{FILES[k][1]}" for k in REQUIRED if paths[k] is None]
    if missing:
        raise ImportFailed(f"{directory}: MusicOSet file(s) not found: {', '.join(missing)}")
    report = ImportReport(SOURCE)
    loaded: dict[str, Loaded] = {}
    specs = {
        "artists": (ARTISTS, _refine_artists), "songs": (SONGS, _refine_songs), "tracks": (TRACKS, None),
        "releases": (RELEASES, None), "acoustic_features": (ACOUSTIC, None),
        "artist_pop": (_pop_spec("artist_id"), None), "album_pop": (_pop_spec("album_id"), None),
        "song_pop": (_pop_spec("song_id"), None),
    }
    present = [k for k in FILES if paths[k] is not None]
    with steps("import musicoset", len(present) + 1, progress) as advance:
        for key in present:
            spec, refine = specs[key]
            loaded[key] = load(paths[key], spec, separator="\t", quoting=False, max_reject_share=max_reject_share,
                               max_field_bytes=max_field_bytes, refine=refine, unique=UNIQUE[key])
            report.rows_read[loaded[key].file] = loaded[key].raw.rows_read
            report.merged += loaded[key].merged
            advance(f"read {key}")
        tables = _silver_rows(loaded, now())
        with writer.transaction() as con, quiet_duckdb(con):
            for table, (frame, key) in tables.items():
                report.tables[table] = upsert_own(con, table, frame, key, SOURCE)
            for item in loaded.values():
                report.rejected += write_rejects(con, SOURCE, item.file, item.rejects)
                report.first_rejects.extend(sample_rejects(item.file, item.rejects))
        del report.first_rejects[SAMPLE_REJECTS:]
        advance("written")
    report.seconds = time.perf_counter() - started
    return report


def _silver_rows(loaded: dict[str, Loaded], stamp: datetime) -> dict[str, tuple[pl.DataFrame, list[str]]]:
    """Every silver table's rows, keyed by table name, with their primary key."""
    src = pl.lit(SOURCE)
    ts = pl.lit(stamp, pl.Datetime("us"))
    a = loaded["artists"].rows
    artists = a.select(
        "artist_id", "name", "genres", pl.col("popularity").cast(pl.Int32), pl.col("followers"),
        "artist_type", "image_url", src.alias("source"), ts.alias("first_seen_at"), ts.alias("updated_at"),
    )
    genres = (
        a.select(pl.col("genres").explode().alias("genre")).drop_nulls().unique()
        .sort("genre").with_columns(src.alias("source"), ts.alias("first_seen_at"))
    )
    r = loaded["releases"].rows
    albums = r.unique("album_id", keep="first", maintain_order=True).select(
        "album_id", "release_date", "release_date_precision",
        pl.col("release_date").str.slice(0, 4).cast(pl.Int32, strict=False).alias("release_year"),
        src.alias("source"), ts.alias("updated_at"),
    )
    album_artists = r.select(
        "album_id", "artist_id", pl.int_range(pl.len()).over("album_id").cast(pl.Int32).alias("position"),
        src.alias("source"),
    )

    s = loaded["songs"].rows
    t = loaded["tracks"].rows.select("track_id", "album_id", "track_number")  # one row per track (UNIQUE)
    f = loaded["acoustic_features"].rows
    tracks = (
        s.join(t, on="track_id", how="left")
        .join(f.select("track_id", "duration_ms"), on="track_id", how="left")
        .select(
            "track_id", "name", "album_id", pl.col("track_number").cast(pl.Int32),
            pl.col("duration_ms").cast(pl.Int32), "explicit", pl.col("popularity").cast(pl.Int32),
            src.alias("source"), ts.alias("updated_at"),
        )
    )
    track_artists = (
        s.select("track_id", pl.col("artists").alias("artist_id")).explode("artist_id").drop_nulls("artist_id")
        .with_columns(pl.int_range(pl.len()).over("track_id").cast(pl.Int32).alias("position"))
        .select("track_id", "artist_id", "position", src.alias("source"))
    )
    audio = f.select(
        "track_id", "acousticness", "danceability", "energy", "instrumentalness",
        *(pl.col(c).cast(pl.Int32) for c in ("key", "mode", "time_signature", "duration_ms")),
        "liveness", "loudness", "speechiness", "valence", "tempo", src.alias("source"),
    )
    at = pl.lit(CURRENT_OBSERVED_AT, pl.Datetime("us")).alias("observed_at")
    artist_obs = [a.select("artist_id", at, pl.col("popularity").cast(pl.Int32), "followers", "genres",
                           src.alias("source"))]
    track_obs = [s.select("track_id", at, pl.col("popularity").cast(pl.Int32), src.alias("source"))]
    album_obs = []
    if "artist_pop" in loaded:
        artist_obs.append(_year_end(loaded["artist_pop"].rows, "artist_id"))
    if "album_pop" in loaded:
        album_obs.append(_year_end(loaded["album_pop"].rows, "album_id"))
    if "song_pop" in loaded:
        track_obs.append(_year_end(loaded["song_pop"].rows.rename({"song_id": "track_id"}), "track_id"))

    out = {
        "artists": (artists, ["artist_id"]),
        "genres": (genres, ["genre"]),
        "albums": (albums, ["album_id"]),
        "album_artists": (album_artists, ["album_id", "artist_id"]),
        "tracks": (tracks, ["track_id"]),
        "track_artists": (track_artists, ["track_id", "artist_id"]),
        "audio_features": (audio, ["track_id"]),
        "artist_observations": (pl.concat(artist_obs, how="diagonal"), ["artist_id", "observed_at", "source"]),
        "track_observations": (pl.concat(track_obs, how="diagonal"), ["track_id", "observed_at", "source"]),
    }
    if album_obs:
        out["album_observations"] = (pl.concat(album_obs, how="diagonal"), ["album_id", "observed_at", "source"])
    return out
