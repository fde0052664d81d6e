"""Where the data sets live under a data directory, and importing whichever of them exist."""

from __future__ import annotations

from pathlib import Path

from warehouse import Writer

from .._settings import MAX_FIELD_BYTES
from ._fma import import_fma_genres
from ._music_genre import import_music_genre
from ._musicoset import import_musicoset
from ._report import ImportReport
from ._spotify_songs import import_spotify_songs

# data set → path under the data directory (a file is found as .csv or .csv.gz)
LAYOUT = {
    "musicoset": "musicoset",
    "music-genre": "music_genre/music_genre.csv",
    "spotify-songs": "tidytuesday_spotify_songs/spotify_songs.csv",
    "fma-genres": "fma_metadata/genres.csv",
}
IMPORTERS = {
    "musicoset": import_musicoset,
    "music-genre": import_music_genre,
    "spotify-songs": import_spotify_songs,
    "fma-genres": import_fma_genres,
}


def default_path(data_dir: str | Path, dataset: str) -> Path:
    """The default input of ``dataset`` under ``data_dir`` (the ``.gz`` file when only it exists)."""
    path = Path(data_dir) / LAYOUT[dataset]
    if dataset != "musicoset" and not path.exists():
        gz = path.with_name(path.name + ".gz")
        if gz.exists():
            return gz
    return path


def available_datasets(data_dir: str | Path) -> dict[str, Path]:
    """The data sets present under ``data_dir``, in import order, with their paths."""
    found = {}
    for name in LAYOUT:
        path = default_path(data_dir, name)
        if path.exists():
            found[name] = path
    return found


def import_all(writer: Writer, data_dir: str | Path, *, progress: bool = True,
               max_reject_share: float = 0.01, max_field_bytes: int = MAX_FIELD_BYTES) -> list[ImportReport]:
    """Import every data set found under ``data_dir``, each in its own transaction (MusicOSet
    first, so its silver rows own the track ids spotify_songs shares with it)."""
    return [
        IMPORTERS[name](writer, path, progress=progress, max_reject_share=max_reject_share,
                        max_field_bytes=max_field_bytes)
        for name, path in available_datasets(data_dir).items()
    ]
