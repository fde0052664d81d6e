"""Importers for public data-set dumps: MusicOSet, music_genre, spotify_songs, FMA genres.

Each import is one transaction through the single :class:`warehouse.Writer`, idempotent (a second
import of the same file changes nothing), validates rows with vectorised casts and records bad
rows in ``rejects`` (including rows with a field over ``imports.max_field_bytes`` and keys
repeated with conflicting values; identical repeats are merged and counted); a file that cannot be
used raises :class:`ImportFailed` and leaves the warehouse as it was. The
:class:`ImportReport` counts rows inserted, updated and unchanged per table, rejected and merged.
"""

from .._settings import MAX_FIELD_BYTES, ImportSettings
from ._errors import ImportFailed
from ._layout import IMPORTERS, LAYOUT, available_datasets, default_path, import_all
from ._fma import import_fma_genres
from ._music_genre import import_music_genre
from ._musicoset import import_musicoset
from ._report import ImportReport, Reject, TableCounts
from ._spotify_songs import import_spotify_songs

__all__ = [
    "IMPORTERS",
    "ImportFailed",
    "ImportReport",
    "ImportSettings",
    "LAYOUT",
    "MAX_FIELD_BYTES",
    "Reject",
    "TableCounts",
    "available_datasets",
    "default_path",
    "import_all",
    "import_fma_genres",
    "import_music_genre",
    "import_musicoset",
    "import_spotify_songs",
]
