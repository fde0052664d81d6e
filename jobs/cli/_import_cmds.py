"""`import musicoset|music-genre|spotify-songs|fma-genres|all`: public data sets into the warehouse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

import warehouse

from . import app
from ._common import console, is_tty, settings_of

if TYPE_CHECKING:
    from ingest.datasets import ImportReport

import_app = typer.Typer(
    help="Import public data-set dumps (MusicOSet, music_genre, spotify_songs, FMA genres) into the live "
    "warehouse. Each import is one transaction and idempotent; bad rows go to the `rejects` table; an "
    "unusable file (missing, truncated, wrong columns, too many bad rows) fails with one message and "
    "changes nothing. Paths default to the data directory (--data / GENRESTORE_DATA).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

MAX_SHARE_HELP = "Fail the file when more than this share of its rows is bad (default 0.01 = 1%)."
MAX_FIELD_HELP = ("Reject a row holding a field longer than this many bytes "
                  "(default: setting imports.max_field_bytes, 1 MiB).")
QUIET_HELP = "No progress bar (it is also off when stderr is not a terminal)."
JSON_HELP = "Print the counts as JSON (a list: one object per data set)."


def _print(report: "ImportReport") -> None:
    console.print(f"[bold]{report.source}[/]: imported in {report.seconds:.1f} s", highlight=False)
    other = any(c.other_source for c in report.tables.values())
    table = Table("table", "inserted", "updated", "unchanged", *(["other source"] if other else []))
    for name, c in report.tables.items():
        table.add_row(name, f"{c.inserted:,}", f"{c.updated:,}", f"{c.unchanged:,}",
                      *([f"{c.other_source:,}"] if other else []))
    console.print(table)
    read = sum(report.rows_read.values())
    merged = f", {report.merged:,} merged (exact repeats of an earlier row)" if report.merged else ""
    console.print(f"{read:,} rows read, {report.rejected:,} rejected{merged}", highlight=False)
    for r in report.first_rejects:
        console.print(f"  rejected {r.file}:{r.line}: {r.reason}", highlight=False, markup=False, soft_wrap=True)
    if report.rejected > len(report.first_rejects):
        console.print(f"  ... {report.rejected - len(report.first_rejects):,} more", highlight=False)
    if report.rejected:
        console.print("(every reject is in the `rejects` table with file, line, reason and record)", highlight=False)


def _show(reports: list["ImportReport"], as_json: bool) -> None:
    if as_json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
        return
    for report in reports:
        _print(report)


def _run(ctx: typer.Context, dataset: str, path: Optional[Path], max_share: float, max_field_bytes: Optional[int],
         quiet: bool, as_json: bool) -> None:
    from ingest import datasets  # imported here: polars is not needed by other commands

    settings = settings_of(ctx)
    if path is None:
        path = datasets.default_path(settings.data_dir, dataset)
    importer = datasets.IMPORTERS[dataset]
    warehouse.require_embedded(settings, f"genrestore import {dataset}")
    with warehouse.Writer(settings.warehouse_file, command=f"genrestore import {dataset}") as writer:
        report = importer(writer, path, progress=not quiet and not as_json and is_tty(), max_reject_share=max_share,
                          max_field_bytes=max_field_bytes or settings.imports.max_field_bytes)
    _show([report], as_json)


def _share_option() -> float:
    return typer.Option(0.01, "--max-reject-share", min=0.0, max=1.0, help=MAX_SHARE_HELP)


def _field_option() -> Optional[int]:
    return typer.Option(None, "--max-field-bytes", min=1, help=MAX_FIELD_HELP)


def _json_option() -> bool:
    return typer.Option(False, "--json", help=JSON_HELP)


@import_app.command("musicoset")
def import_musicoset(
    ctx: typer.Context,
    directory: Optional[Path] = typer.Argument(
        None, help="MusicOSet directory holding musicoset_metadata/, musicoset_popularity/ and "
        "musicoset_songfeatures/ (.csv or .csv.gz). Default: DATA/musicoset."),
    max_share: float = _share_option(),
    max_field_bytes: Optional[int] = _field_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = _json_option(),
) -> None:
    """MusicOSet → artists, genres, albums, tracks, track/album artists, audio features, popularity
    observations (source 'musicoset')."""
    _run(ctx, "musicoset", directory, max_share, max_field_bytes, quiet, as_json)


@import_app.command("music-genre")
def import_music_genre(
    ctx: typer.Context,
    file: Optional[Path] = typer.Argument(
        None, help="music_genre.csv (or .csv.gz). Default: DATA/music_genre/music_genre.csv.gz."),
    max_share: float = _share_option(),
    max_field_bytes: Optional[int] = _field_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = _json_option(),
) -> None:
    """Kaggle "Prediction of music genre" → ds_music_genre (tempo ?, duration -1, artist empty_field → NULL)."""
    _run(ctx, "music-genre", file, max_share, max_field_bytes, quiet, as_json)


@import_app.command("spotify-songs")
def import_spotify_songs(
    ctx: typer.Context,
    file: Optional[Path] = typer.Argument(
        None, help="TidyTuesday spotify_songs.csv (or .csv.gz). "
        "Default: DATA/tidytuesday_spotify_songs/spotify_songs.csv.gz."),
    max_share: float = _share_option(),
    max_field_bytes: Optional[int] = _field_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = _json_option(),
) -> None:
    """TidyTuesday spotify_songs → ds_spotify_songs, plus tracks, albums, audio features, playlists and
    playlist items (rows another source wrote are never overwritten)."""
    _run(ctx, "spotify-songs", file, max_share, max_field_bytes, quiet, as_json)


@import_app.command("fma-genres")
def import_fma_genres(
    ctx: typer.Context,
    file: Optional[Path] = typer.Argument(
        None, help="FMA genres.csv (or .csv.gz). Default: DATA/fma_metadata/genres.csv.gz."),
    max_share: float = _share_option(),
    max_field_bytes: Optional[int] = _field_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = _json_option(),
) -> None:
    """Free Music Archive genre hierarchy → fma_genres (163 genres; top level has parent NULL)."""
    _run(ctx, "fma-genres", file, max_share, max_field_bytes, quiet, as_json)


@import_app.command("all")
def import_all(
    ctx: typer.Context,
    max_share: float = _share_option(),
    max_field_bytes: Optional[int] = _field_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_json: bool = _json_option(),
) -> None:
    """Import every data set found under the data directory (each in its own transaction)."""
    from ingest import datasets

    settings = settings_of(ctx)
    found = datasets.available_datasets(settings.data_dir)
    if not found:
        raise warehouse.UsageError(
            f"no data sets found under {settings.data_dir} (looked for {', '.join(datasets.LAYOUT.values())})"
        )
    limit = max_field_bytes or settings.imports.max_field_bytes
    reports = []
    warehouse.require_embedded(settings, "genrestore import all")
    with warehouse.Writer(settings.warehouse_file, command="genrestore import all") as writer:
        for name, path in found.items():
            report = datasets.IMPORTERS[name](writer, path, progress=not quiet and not as_json and is_tty(),
                                              max_reject_share=max_share, max_field_bytes=limit)
            if not as_json:
                _print(report)   # as each data set lands, not at the end
            reports.append(report)
    if as_json:
        _show(reports, as_json)
