"""Artist type: a one-hot of MusicOSet's ``artist_type`` (singer, band, rapper, duo, DJ).

The type is catalogue metadata about the artist, not about its genres, and rappers, DJs and
bands sit in different families. The encoding is a fixed vocabulary, learned from nothing, so
nothing crosses the artist-disjoint split. Spotify's API has no such field: crawled artists have
NULL, and the group is only added when the snapshot holds some type (``artist_families_data``).
"""

from __future__ import annotations

import numpy as np

from ._snapshot_source import artist_column

TYPES = ("singer", "band", "rapper", "duo", "dj")
FEATURES = [f"artist_type_{t}" for t in TYPES]


def artist_type_onehot(types) -> np.ndarray:
    """len(types) × len(FEATURES): one-hot of the type; NaN row when the type is unknown (None),
    all zeros for a type outside the vocabulary."""
    out = np.zeros((len(types), len(FEATURES)))
    for i, t in enumerate(types):
        if t is None:
            out[i] = np.nan
            continue
        t = str(t).strip().strip("'\"").lower()
        if t in TYPES:
            out[i, TYPES.index(t)] = 1.0
    return out


def artist_types(con, snapshot_id: str | None, artist_ids) -> list[str | None]:
    """``artists.artist_type`` of ``artist_ids`` from the snapshot (None where unknown)."""
    return artist_column(con, snapshot_id, artist_ids, "artist_type")
