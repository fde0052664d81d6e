"""The registry of unit kinds: for each kind, its handler, priority, batch size, capability gate
and fallback, in one place. The frontier, the crawl loop and the seeds read it; nothing else
lists kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping, Sequence

from ingest.spotify import Capabilities

from . import _units as units
from ._frontier import NewUnit, Unit
from ._seeds import Seed

SEED_PRIORITY = 100  # units made from seeds go before everything else of their kind


@dataclass(frozen=True)
class UnitKind:
    """What one kind of unit is and how it is fetched.

    :ivar handler: does the request for a batch of units of this kind (see ``_units``).
    :ivar priority: preference when several kinds have work (higher first).
    :ivar batch: units per request while ``gate`` is on.
    :ivar gate: the capability the kind's request needs (None: always available).
    :ivar fallback: with ``gate`` off, fetch one unit per request (single GETs) instead of not at
        all; a batch call the API refuses sends its members back untouched for that.
    :ivar detail_ids: a detail batch: each unit holds this many track ids (``params["ids"]``).
    """

    name: str
    handler: Callable[[list[Unit], units.Context], Awaitable[units.Outcome]]
    priority: int
    batch: int = 1
    gate: str | None = None
    fallback: bool = False
    detail_ids: int | None = None

    def batch_size(self, caps: Capabilities) -> int | None:
        """Units per request with these capabilities; None when the kind cannot be fetched."""
        if self.gate is None or getattr(caps, self.gate):
            return self.batch
        return 1 if self.fallback else None


# Full batches (cheapest per entity) first, then discographies and listings, then searches: they
# only widen the frontier, while discographies and batches yield rows.
UNIT_KINDS: dict[str, UnitKind] = {k.name: k for k in sorted([
    UnitKind("refresh", units.artists, 90, batch=50, gate="batch_artists", fallback=True),
    UnitKind("artist", units.artists, 80, batch=50, gate="batch_artists", fallback=True),
    UnitKind("album", units.albums, 75, batch=20, gate="batch_albums", fallback=True),
    UnitKind("seed_tracks", units.tracks_batch, 72, gate="batch_tracks", detail_ids=50),
    UnitKind("tracks_batch", units.tracks_batch, 70, gate="batch_tracks", detail_ids=50),
    UnitKind("features_batch", units.audio_features, 65, gate="audio_features", detail_ids=100),
    UnitKind("album_tracks", units.album_tracks, 60),
    UnitKind("artist_albums", units.artist_albums, 58),
    UnitKind("playlist_items", units.playlist_items, 56, gate="playlist_items"),
    UnitKind("playlist", units.playlist, 54),
    UnitKind("search_genre", units.search_artists, 50),
    UnitKind("search_artists", units.search_artists, 50),
    UnitKind("playlist_search", units.playlist_search, 50),
], key=lambda k: (-k.priority, k.name))}
KINDS = tuple(UNIT_KINDS)
DETAIL_KINDS = {k.name: k.detail_ids for k in UNIT_KINDS.values() if k.detail_ids}  # kind -> ids per unit


DETAIL_CREDIT = 0.05  # a stored entity's details filled in, counted against a new entity


def expected_gain(name: str, caps: Capabilities, size: int, learned: Mapping[str, float] | None = None) -> float:
    """NEW entities one request of kind ``name`` is expected to store (``size``: units per request).

    Measured averages (``learned``: new entities per unit, see ``_loop``) replace the priors below
    once a kind has answered. Priors: a search page stores a page of artists, an artist batch one
    artist per unit, a discography page half a page of albums, an album the ten tracks of a typical
    album (the album itself was stored from its listing), audio features one row per id; full
    tracks only fill details of stored tracks (``DETAIL_CREDIT`` each) but must not starve.
    """
    learned = learned or {}
    if name == "artist_albums" and "album" in learned and name in learned:
        return _discography_chain(learned[name] * size, learned["album"], caps)
    if name == "album" and name in learned:
        return _album_chain(learned[name] * size, caps)
    if name in learned:
        return learned[name] * size
    if name in ("search_genre", "search_artists", "playlist_search"):
        return float(caps.search_limit)
    if name == "artist_albums":
        return caps.album_page / 2
    if name == "album":
        return size * 10.0
    if name in ("album_tracks", "playlist_items"):
        return 25.0
    if name == "tracks_batch":
        return 50 * DETAIL_CREDIT
    if name == "seed_tracks":
        return 50.0
    if name == "features_batch":
        return 100.0
    return float(size)  # artist, refresh, playlist: one entity per unit


def _album_chain(tracks: float, caps: Capabilities) -> float:
    """An album batch's worth: its ``tracks`` new entities (the albums were stored from their
    listing: what their objects add is mostly tracks), plus those tracks' audio features where the
    mode has them, per request of both. Valued like a discography page's chain (which counts its
    albums' features), else the page outranked the album batches its own worth assumes: measured on
    MusicOSet in extended mode, 200–700 album units waited while discography pages (8–10 entities
    each) went out, and album batches were a third of the discography pages' count (the careful
    peer's: over half)."""
    features = tracks if caps.audio_features else 0.0
    return max(tracks, (tracks + features) / (1 + features / (DETAIL_KINDS["features_batch"] or 100)))


def _discography_chain(albums: float, per_album: float, caps: Capabilities) -> float:
    """A discography page's worth: its ``albums`` new albums, plus what fetching them stores
    (``per_album`` new entities each, mostly tracks; their audio features too where the mode has
    them), per request of the whole chain. Without it the page looked worth its albums only (3 per
    request on MusicOSet) and lost to snowball searches, starving the album batches behind it."""
    batch = UNIT_KINDS["album"].batch_size(caps) or 1
    features = per_album if caps.audio_features else 0.0
    entities = albums * (1 + per_album + features)
    requests = 1 + albums / batch + albums * features / (DETAIL_KINDS["features_batch"] or 100)
    return max(albums, entities / requests)


def batch_sizes(caps: Capabilities, learned: Mapping[str, float] | None = None) -> dict[str, int]:
    """Units per request of every kind these credentials can fetch, in order of preference (what
    :func:`_frontier.pick` takes): most entities expected per request first (``expected_gain``),
    registry priority on ties; ``refresh`` always first (it was asked for explicitly).

    Why by gain: with a fixed request budget the order decides what a run stores. Measured on
    MusicOSet in development mode (bench/crawl.py), the fixed priorities sent genre searches
    (10 new artists per request) last, after single artist GETs (1 entity each).
    """
    sizes = {name: kind.batch_size(caps) for name, kind in UNIT_KINDS.items()}
    sizes = {name: size for name, size in sizes.items() if size is not None}

    def order(name: str) -> tuple:
        first = name == "refresh"
        return (not first, -expected_gain(name, caps, sizes[name], learned), -UNIT_KINDS[name].priority, name)
    return {name: sizes[name] for name in sorted(sizes, key=order)}


def sent_back(kind: str, capability_off: str | None) -> bool:
    """A refused batch call of a kind with a fallback: its members stay pending for single GETs."""
    spec = UNIT_KINDS[kind]
    return spec.fallback and capability_off is not None and capability_off == spec.gate


def seed_units(seeds: Sequence[Seed]) -> list[NewUnit]:
    """The first units of a crawl from its seeds (track seeds go into detail batches instead)."""
    out = []
    for s in seeds:
        if s.kind == "genre":
            out.append(NewUnit("search_genre", s.key.lower(), priority=SEED_PRIORITY))
        elif s.kind == "artist":
            out.append(NewUnit("artist", s.key, priority=SEED_PRIORITY))
            out.append(NewUnit("artist_albums", s.key, priority=SEED_PRIORITY))
        elif s.kind == "playlist":
            out.append(NewUnit("playlist", s.key, priority=SEED_PRIORITY))
        elif s.kind == "track":
            continue  # batched by add_details (seed_tracks)
        else:
            out.append(NewUnit("search_artists", s.key, priority=SEED_PRIORITY))
            out.append(NewUnit("playlist_search", s.key, priority=SEED_PRIORITY))
    return out
