"""The fewest requests that fetch a given entity set from a catalog, per API mode: the yardstick
``bench/crawl.py`` divides every crawler's request count by.

The model is the crawl graph a genre crawler walks, with a planner that knows every id in advance
and each mode's page and batch sizes (docs/spotify-web-api.md §3.6, §4.1):

- genre hits: ``genre:"g"`` search pages of ``search`` items; they return full artist objects;
- artists not among the hits: ``GET /artists?ids`` batches (one GET each where batches are gone);
- albums must be discovered on a discography page of one of their artists (``GET
  /artists/{id}/albums`` pages of ``discography`` items), unless a seed track's object names them
  (a track id is only known from an album listing otherwise);
- albums stored as full objects: ``GET /albums?ids`` batches (single GETs in development mode);
  each embeds its first 50 tracks, the rest need ``/albums/{id}/tracks`` pages of 50;
- full tracks (popularity / ISRC): ``GET /tracks?ids`` batches; audio features: batches of 100.

Free-text search is not counted as a way to fetch a chosen artist: it cannot be aimed at a set of
ids. Within those shapes the figure is a lower bound: the discovery term relaxes page order
(an artist's stored albums are packed into pages as if adjacent; albums on several discographies
fill leftover room first), every other term is a ceiling of a count over a batch size.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

#: Items per request by mode: search page, discography page, and id batches (1 = single GETs;
#: 0 = not available in that mode).
MODE_SIZES: dict[str, dict[str, int]] = {
    "extended": {"search": 50, "discography": 50, "artists": 50, "albums": 20, "tracks": 50,
                 "audio_features": 100, "album_tracks": 50, "embedded_tracks": 50},
    "development": {"search": 10, "discography": 10, "artists": 1, "albums": 1, "tracks": 1,
                    "audio_features": 0, "album_tracks": 50, "embedded_tracks": 50},
}


@dataclass(frozen=True)
class CatalogGraph:
    """The part of a catalog the bound needs: discographies, album track lists, track albums."""

    discographies: Mapping[str, Sequence[str]]   # artist id -> album ids (every include_group)
    album_tracks: Mapping[str, Sequence[str]]    # album id -> track ids in album order
    track_album: Mapping[str, str]               # track id -> album id

    @classmethod
    def from_catalog(cls, catalog) -> "CatalogGraph":
        """From an emulator :class:`Catalog` (ids instead of row numbers)."""
        al, tr = catalog.album_id, catalog.track_id
        return cls(
            discographies={a: [al[i] for i, _ in entries]
                           for a, entries in zip(catalog.artist_id, catalog.artist_albums)},
            album_tracks={al[i]: [tr[t] for t in ts] for i, ts in enumerate(catalog.album_tracks)},
            track_album={tr[t]: al[a] for t, a in enumerate(catalog.track_album) if a >= 0},
        )


@dataclass
class StoredSet:
    """What a crawl stored, by id.

    :ivar genre_hits: genre -> artists stored as hits of that genre's search.
    :ivar artists: artists stored from full artist objects.
    :ivar albums: every album stored (from a listing or a full object).
    :ivar full_albums: albums stored from full album objects.
    :ivar tracks: every track stored; :ivar full_tracks: those stored from full track objects.
    :ivar audio_features: tracks whose audio features are stored.
    :ivar seed_tracks: tracks the crawl was seeded with (their albums need no discovery).
    """

    genre_hits: dict[str, set[str]] = field(default_factory=dict)
    artists: set[str] = field(default_factory=set)
    albums: set[str] = field(default_factory=set)
    full_albums: set[str] = field(default_factory=set)
    tracks: set[str] = field(default_factory=set)
    full_tracks: set[str] = field(default_factory=set)
    audio_features: set[str] = field(default_factory=set)
    seed_tracks: set[str] = field(default_factory=set)

    @property
    def entities(self) -> int:
        """Stored entities: artists, albums, tracks and audio-feature rows."""
        return len(self.artists) + len(self.albums) + len(self.tracks) + len(self.audio_features)


@dataclass
class LowerBound:
    mode: str
    steps: dict[str, int]

    @property
    def requests(self) -> int:
        return sum(self.steps.values())


def _pages(n: int, size: int) -> int:
    return math.ceil(n / size) if n > 0 else 0


def discovery_pages(graph: CatalogGraph, albums: set[str], page: int) -> int:
    """Fewest discography pages on which every album in ``albums`` appears (page order relaxed).

    An album on one stored-set artist's discography only must be on that artist's pages; the pages
    those exclusive albums need leave room that albums on several discographies may fill; what
    does not fit needs pages of its own.
    """
    owners: dict[str, list[str]] = {}
    for artist, disc in graph.discographies.items():
        for album in disc:
            if album in albums:
                owners.setdefault(album, []).append(artist)
    exclusive = Counter(artists[0] for artists in owners.values() if len(artists) == 1)
    shared = sum(1 for artists in owners.values() if len(artists) > 1)
    pages = sum(_pages(n, page) for n in exclusive.values())
    room = sum(_pages(n, page) * page - n for n in exclusive.values())
    return pages + _pages(max(0, shared - room), page)


def request_lower_bound(graph: CatalogGraph, stored: StoredSet, mode: str, *,
                        sizes: Mapping[str, int] | None = None) -> LowerBound:
    """The fewest requests that fetch exactly ``stored`` in ``mode`` (see the module docstring);
    ``sizes`` overrides entries of :data:`MODE_SIZES` (tests use small pages)."""
    if mode not in MODE_SIZES:
        raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODE_SIZES)})")
    size = {**MODE_SIZES[mode], **(sizes or {})}
    hit_artists = set().union(*stored.genre_hits.values()) if stored.genre_hits else set()
    steps = {"search pages": sum(_pages(len(hits), size["search"]) for hits in stored.genre_hits.values()),
             "artist objects": _pages(len(stored.artists - hit_artists), size["artists"])}
    # Albums named by a seed track's object are discovered by that track's request.
    named = {graph.track_album[t] for t in stored.full_tracks & stored.seed_tracks if t in graph.track_album}
    steps["discography pages"] = discovery_pages(graph, stored.albums - named, size["discography"])
    steps["album objects"] = _pages(len(stored.full_albums), size["albums"])
    listing = 0
    by_album: dict[str, int] = Counter()
    for t in stored.tracks - stored.full_tracks:
        album = graph.track_album.get(t)
        if album is not None:
            by_album[album] += 1
    for album, n in by_album.items():
        if album in stored.full_albums:
            # The album object embeds its first tracks: only the ones past them need pages.
            order = graph.album_tracks.get(album, ())
            n = sum(1 for t in order[size["embedded_tracks"]:] if t in stored.tracks and t not in stored.full_tracks)
        listing += _pages(n, size["album_tracks"])
    steps["album track pages"] = listing
    steps["full tracks"] = _pages(len(stored.full_tracks), size["tracks"])
    if stored.audio_features:
        if not size["audio_features"]:
            raise ValueError(f"{mode} mode has no audio features, yet {len(stored.audio_features)} are stored")
        steps["audio features"] = _pages(len(stored.audio_features), size["audio_features"])
    return LowerBound(mode, steps)
