"""Which discographies first: albums per discography page, learned per genre tag during the run.

A discography page costs one request whatever it lists, and sizes differ by an order of magnitude
between scenes. Measured on MusicOSet: rock's 548 artists list 9.2 albums each, pop's 468 list 4.3;
followers alone ranked the three seed genres' artists so that 300 pages listed 2,557 albums, the
careful peer's rock-first search order 3,434. Scoring an artist by the albums its tags' artists
listed so far (each tag's mean shrunk towards the run's mean) times the tenfolds of its followers
listed 3,786 in a replay of the same 300 pages (the artists re-scored every 20 pages).

The score becomes the priority of the artist's ``artist_albums`` unit, at enqueue and for pending
units again as pages come in (:meth:`DiscographyYield.priorities`). Artists without tags or
followers (development mode) keep the priority ``_units`` gives them; artists without tags are
expected to list the run's mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PRIOR_ALBUMS = 5.0  # albums per page assumed before any page came back
PRIOR_WEIGHT = 3.0  # pages' worth of weight the run's mean has in a tag's estimate
MAX_PRIORITY = 99   # below the seeds' (_kinds.SEED_PRIORITY)


@dataclass
class DiscographyYield:
    """Albums per discography page, per genre tag, and what each known artist is expected to list."""

    artists: dict[str, tuple[tuple[str, ...], float]] = field(default_factory=dict)  # id -> (tags, log10 followers)
    tags: dict[str, list[float]] = field(default_factory=dict)   # tag -> [albums, pages]
    total: list[float] = field(default_factory=lambda: [0.0, 0.0])

    def artist(self, artist_id: str, genres: list[str] | None, followers: int | None) -> int | None:
        """Remember an artist; its discography's priority, or None when it shows no followers."""
        if followers is None:
            return None
        self.artists[artist_id] = (tuple(genres or ()), math.log10(1 + max(0, followers)))
        return self.priority(artist_id)

    def page(self, artist_id: str, albums: int) -> None:
        """A discography page of ``artist_id`` listed ``albums`` albums."""
        known = self.artists.get(artist_id)
        self.total[0] += albums
        self.total[1] += 1
        for tag in known[0] if known else ():
            stats = self.tags.setdefault(tag, [0.0, 0.0])
            stats[0] += albums
            stats[1] += 1

    def expected_albums(self, artist_id: str) -> float | None:
        known = self.artists.get(artist_id)
        if known is None:
            return None
        mean = (self.total[0] + PRIOR_ALBUMS) / (self.total[1] + 1)
        per_tag = [(s[0] + PRIOR_WEIGHT * mean) / (s[1] + PRIOR_WEIGHT)
                   for s in (self.tags.get(t, (0.0, 0.0)) for t in known[0])]
        return sum(per_tag) / len(per_tag) if per_tag else mean

    def priority(self, artist_id: str) -> int | None:
        albums = self.expected_albums(artist_id)
        if albums is None:
            return None
        return min(MAX_PRIORITY, max(1, round(albums * self.artists[artist_id][1])))

    def priorities(self) -> dict[str, int]:
        """The current priority of every remembered artist's discography."""
        return {a: p for a in self.artists if (p := self.priority(a)) is not None}
