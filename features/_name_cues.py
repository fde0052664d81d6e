"""Artist-name cues: stateless, hand-written text features of an artist's name.

An artist's name is known for every artist we would score (untagged and unknown ones too), and
some name patterns go with genres ("Lil ..." / "DJ ..." / "... Orchestra" / Spanish articles /
non-Latin script). These are per-row encodings, learned from nothing: no name, id or target
statistic of any artist is memorised, so they cannot carry identity across the
artist-disjoint split. They are an artist-families feature group of their own
(``feature_set`` says so) and can be switched off (``artist_families_data(name_cues=False)``).
"""

from __future__ import annotations

import re

import numpy as np

from ._snapshot_source import artist_column

PATTERNS = {
    "name_prefix_lil": r"(?i)^(lil|yung|young|big|baby)\b",
    "name_dj": r"(?i)\bdj\b",
    "name_mc": r"(?i)\bmc\b",
    "name_the": r"(?i)^the\b",
    "name_pair": r"(?i)\s(&|and|\+|x)\s",
    "name_classical": r"(?i)orchestra|symphon|philharmon|quartet|ensemble|choir",
    "name_group": r"(?i)\b(band|brothers|boys|girls|sisters|crew|gang)\b",
    "name_spanish": r"(?i)^(los|las|la|el)\b|\b(y|de|del)\b",
    "name_digits": r"\d",
    "name_symbol": r"[$!.*]",
    "name_feat": r"(?i)\b(feat|featuring|ft|with)\b",
}
_COMPILED = {k: re.compile(p) for k, p in PATTERNS.items()}
FEATURES = ["name_chars", "name_words", "name_non_ascii", "name_upper", *PATTERNS]


def name_cues(names) -> np.ndarray:
    """len(names) × len(FEATURES); a missing name gives NaN everywhere."""
    rows = []
    for n in names:
        if n is None:
            rows.append([np.nan] * len(FEATURES))
            continue
        n = str(n)
        rows.append([len(n), len(n.split()), sum(ord(c) > 127 for c in n) / max(len(n), 1), float(n.isupper())]
                    + [float(bool(p.search(n))) for p in _COMPILED.values()])
    return np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))


def artist_names(con, snapshot_id: str | None, artist_ids) -> list[str | None]:
    """Names of ``artist_ids`` from the snapshot file (or the connection's artists table)."""
    return artist_column(con, snapshot_id, artist_ids, "name")
