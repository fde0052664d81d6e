"""A group of the genre taxonomy (a family or a subfamily) and how it is described.

A group is named by its two most characteristic tags: central in the group (mean similarity to
the group's other clustered tags) times log(1 + artists carrying the tag), so a name is neither a
rare outlier nor merely the most common tag. Kept apart from :mod:`._taxonomy` (the fitting) so
the stored-version reader and the fit share one definition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class Family:
    family_id: int
    name: str
    top_tags: list[str]
    n_tags: int
    n_artists: int
    artist_share: float
    level: str = "family"
    parent_id: int | None = None


class GroupDescriber:
    """Builds the :class:`Family` records of one level from a tag → group id map."""

    def __init__(self, clustered_tags: list[str], similarity: np.ndarray, tag_artists: dict[str, int],
                 n_tagged_artists: int):
        self.pos = {t: i for i, t in enumerate(clustered_tags)}
        self.sim = similarity
        self.counts = tag_artists
        self.n_tagged_artists = n_tagged_artists

    def __call__(self, tag_group: dict[str, int], per_artist, level: str,
                 parents: dict[int, int] | None = None) -> dict[int, Family]:
        """Group id → Family; ``per_artist`` holds each tagged artist's group ids (for the counts)."""
        counts, pos, sim = self.counts, self.pos, self.sim
        members: dict[int, list[str]] = {}
        for t, g in tag_group.items():
            members.setdefault(g, []).append(t)
        n_art = {g: 0 for g in members}
        for gs in per_artist:
            for g in gs or ():
                n_art[g] += 1
        out = {}
        for g, tags in members.items():
            core = [t for t in tags if t in pos]
            idx = [pos[t] for t in core]
            cent = ((sim[np.ix_(idx, idx)].sum(axis=1) - 1.0) / (len(idx) - 1)) if len(idx) > 1 else np.ones(len(idx))
            ranked = [t for t, _ in sorted(zip(core, cent), key=lambda tc: (-tc[1] * math.log1p(counts[tc[0]]), tc[0]))]
            top = (ranked or sorted(tags, key=lambda t: (-counts[t], t)))[:10]
            parent = (parents or {}).get(g) if level == "subfamily" else None
            out[g] = Family(g, " / ".join(top[:2]), top, len(tags), n_art[g], n_art[g] / self.n_tagged_artists,
                            level, parent)
        return dict(sorted(out.items()))
