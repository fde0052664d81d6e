"""Importers for public data-set dumps: MusicOSet, music_genre, spotify_songs, FMA genres.

Each import is one transaction through the single :class:`warehouse.Writer`, idempotent (a second
import of the same file changes nothing), validates rows with vectorised casts and records bad
rows in ``rejects``; a file that cannot be used raises :class:`warehouse.errors.ImportFailed`.
"""

from ._musicoset import import_musicoset
from ._report import ImportReport

__all__ = ["ImportReport", "import_musicoset"]
