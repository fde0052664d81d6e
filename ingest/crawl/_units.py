"""What each kind of unit fetches, and what its answer adds to the warehouse and the frontier.

Strategies are expansions between kinds:

- genre snowball: ``search_genre`` (artists found by ``genre:"g"``) → each new tag on those
  artists → more ``search_genre`` units;
- artist discography: artist → ``artist_albums`` → ``album`` (batched) → its tracks → credited
  artists → their discographies;
- playlist seeds: ``playlist_search`` / ``playlist`` → ``playlist_items`` → tracks → artists;
- refresh: ``refresh`` units re-fetch stored artists (observations record what changed).

Every handler does exactly one request, and returns an :class:`Outcome` that the crawl loop
commits in one transaction together with the raw response and the queue update. Which handler
serves which kind, and how many units one request covers, is in the registry (``_kinds``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from ingest.spotify import (
    ENDPOINT_CAPABILITY,
    AlbumRecord,
    ApiResponse,
    ArtistRecord,
    AudioFeaturesRecord,
    Capabilities,
    PlaylistItemRecord,
    PlaylistRecord,
    SimpleAlbum,
    SimpleTrack,
    SpotifyClient,
    TrackRecord,
)

from ._discographies import DiscographyYield
from ._frontier import NewUnit, Unit

SEARCH_OFFSET_CAP = 1000   # offset + limit beyond this answers 400 (docs §4.2)
PLAYLIST_SEARCH_MAX = 100  # playlists looked at per search word
INCLUDE_GROUPS = "album,single,compilation,appears_on"
FILL = ":fill"  # suffix of a row list whose rows only fill NULLs (simplified objects)


@dataclass
class Outcome:
    """The answer of one request, ready to commit."""

    units: list[Unit]
    response: ApiResponse | None = None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    enqueue: list[NewUnit] = field(default_factory=list)
    next_params: dict | None = None     # paged unit: stays pending with these params
    failed: str | None = None           # error message; the unit is not done
    error_kind: str | None = None       # what kind of failure: "http 404", "TransportError", ...
    final: bool = False                 # the failure is an answer (404, 400): do not retry
    missing: list[Unit] = field(default_factory=list)  # batch members the API answered null for
    rejects: list[dict[str, Any]] = field(default_factory=list)
    capability_off: str | None = None   # a capability the answer proved missing
    evidence: dict[str, bool | None] = field(default_factory=dict)  # capabilities the answer showed (Capabilities.learn)
    details: dict[str, list[str]] = field(default_factory=dict)  # track ids for detail batches

    def add(self, table: str, rows: list[dict[str, Any]] | dict[str, Any]) -> None:
        self.rows.setdefault(table, []).extend(rows if isinstance(rows, list) else [rows])


@dataclass
class Context:
    client: SpotifyClient
    caps: Capabilities
    discographies: DiscographyYield = field(default_factory=DiscographyYield)

    @property
    def source(self) -> str:
        return self.caps.source


def _parse(model, item: Any, out: Outcome, url: str):
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        out.rejects.append({"source": "crawl", "file": url, "line": None,
                            "reason": f"{model.__name__}: {where}: {first.get('msg')}",
                            "record": json.dumps(item)[:20000]})
        return None


def _http_failure(out: Outcome, resp: ApiResponse, ctx: Context) -> Outcome:
    out.failed = f"{resp.status} {resp.endpoint}: {resp.error_message()}"
    out.error_kind = f"http {resp.status}"
    out.final = True
    if resp.status in (403, 404) and resp.endpoint in ENDPOINT_CAPABILITY:
        out.capability_off = ENDPOINT_CAPABILITY[resp.endpoint]
        out.final = resp.endpoint == "/playlists/{id}/items"  # batch members go back for single GETs
    return out


# ── rows from records ──
SNOWBALL_PRIORITY = 10  # genre searches for tags met on artists (seeds: _kinds.SEED_PRIORITY)
CREDITED_PRIORITY = 0   # discographies of credited artists (often featured on one track) after the hits'


def _discography_priority(rec: ArtistRecord, rank: int | None) -> int:
    """Which discographies first: popular artists have more releases, and an artist without any
    (9 % of MusicOSet's) costs a page that stores nothing. Popularity where the mode shows it, else
    the search rank (results come most popular first)."""
    if rec.popularity is not None:
        return int(rec.popularity)
    if rank is not None:
        return max(1, 100 - rank // 10)
    return CREDITED_PRIORITY


def _artist(out: Outcome, ctx: Context, rec: ArtistRecord, *, expand: bool = True, rank: int | None = None) -> None:
    row = rec.row(ctx.source)
    if rec.genres and ctx.caps.genres is not True:
        # Genres were thought absent (or unknown): these credentials do see them. A genre filter
        # found missing in that belief is doubtful too, so genre searches test it again.
        out.evidence["genres"] = True
        if ctx.caps.genre_filter is False:
            out.evidence["genre_filter"] = None
    elif ctx.caps.genres is not True and rec.genres is not None and not rec.genres:
        row["genres"] = None  # these credentials may never see genres: [] would claim "none"
    out.add("artists", row)
    for g in row["genres"] or []:
        out.add("genres", {"genre": g, "source": ctx.source})
        # Tags met on artists come after the seeds' own pages (most are small genres).
        out.enqueue.append(NewUnit("search_genre", g, priority=SNOWBALL_PRIORITY))
    learned = ctx.discographies.artist(rec.id, row["genres"], row["followers"])
    if expand:
        priority = learned if learned is not None else _discography_priority(rec, rank)
        out.enqueue.append(NewUnit("artist_albums", rec.id, priority=priority))


def _credited(out: Outcome, ctx: Context, artist_ids) -> None:
    # The discography needs only the id: it is listed without waiting for the artist object,
    # which may come for free from a search page (then the artist unit is settled, not fetched).
    for aid in artist_ids:
        out.enqueue.append(NewUnit("artist", aid))
        out.enqueue.append(NewUnit("artist_albums", aid, priority=CREDITED_PRIORITY))


def _simple_album(out: Outcome, ctx: Context, rec: SimpleAlbum, *, fetch: bool = True) -> None:
    out.add("albums" + FILL, SimpleAlbum.row(rec, ctx.source))
    out.add("album_artists", rec.artist_rows(ctx.source))
    if fetch:
        out.enqueue.append(NewUnit("album", rec.id))


def _track_children(out: Outcome, ctx: Context, track_id: str, *, full_track: bool) -> None:
    # Per-track details go into shared batches (one queue row per request, not per track).
    if ctx.caps.batch_tracks and not full_track:
        out.details.setdefault("tracks_batch", []).append(track_id)
    if ctx.caps.audio_features:
        out.details.setdefault("features_batch", []).append(track_id)


def _simple_tracks(out: Outcome, ctx: Context, items, album_id: str, url: str) -> None:
    for item in items or []:
        if item is None:
            continue
        rec = _parse(SimpleTrack, item, out, url)
        if rec is None:
            continue
        out.add("tracks" + FILL, rec.row(ctx.source, album_id))
        out.add("track_artists", rec.artist_rows(ctx.source))
        _credited(out, ctx, [a.id for a in rec.artists])
        _track_children(out, ctx, rec.id, full_track=False)


def _full_album(out: Outcome, ctx: Context, rec: AlbumRecord, url: str, raw: dict) -> None:
    out.add("albums", rec.row(ctx.source))
    out.add("album_artists", rec.artist_rows(ctx.source))
    _credited(out, ctx, [a.id for a in rec.artists])
    page = raw.get("tracks") if isinstance(raw.get("tracks"), dict) else {}
    items = page.get("items") or []
    _simple_tracks(out, ctx, items, rec.id, url)
    if page.get("next"):
        out.enqueue.append(NewUnit("album_tracks", rec.id, {"offset": len(items)}))


def _full_track(out: Outcome, ctx: Context, rec: TrackRecord, *, from_album: bool = False) -> None:
    out.add("tracks", rec.row(ctx.source))
    if from_album:
        # Fetched for its details after its album listing: credits and album are stored already.
        return
    out.add("track_artists", rec.artist_rows(ctx.source))
    _credited(out, ctx, [a.id for a in rec.artists])
    if rec.album is not None:
        _simple_album(out, ctx, rec.album)
        _credited(out, ctx, [a.id for a in rec.album.artists])
    _track_children(out, ctx, rec.id, full_track=True)


def _page(resp: ApiResponse, key: str | None) -> dict:
    data = resp.data if isinstance(resp.data, dict) else {}
    page = data.get(key) if key else data
    return page if isinstance(page, dict) else {}


def _next_offset(page: dict, offset: int, limit: int, cap: int | None = SEARCH_OFFSET_CAP) -> dict | None:
    items = page.get("items") or []
    if not page.get("next") or not items:
        return None
    nxt = offset + limit
    if cap is not None and nxt + limit > cap:
        return None
    return {"offset": nxt}


# ── handlers ──
async def search_artists(units: list[Unit], ctx: Context) -> Outcome:
    """One search page. The first page of a query fans the rest out as units of their own
    (``QUERY@OFFSET``), so pages go out in parallel instead of one per commit: measured on MusicOSet
    in development mode, paging one after the other fetched 15 search pages in 30 s (issue 17)."""
    unit = units[0]
    out = Outcome(units)
    base = unit.params.get("base", unit.key)
    offset = int(unit.params.get("offset", 0))
    limit = ctx.caps.search_limit
    # The filter is used unless it was found absent; while unknown, a search it answers proves it.
    filtered = unit.kind == "search_genre" and ctx.caps.genre_filter is not False
    q = f'genre:"{base}"' if filtered else base
    out.response = resp = await ctx.client.search(q, "artist", limit=limit, offset=offset)
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    page = _page(resp, "artists")
    items = [item for item in page.get("items") or [] if item is not None]
    if filtered and items:
        out.evidence["genre_filter"] = True
        if offset == 0:
            out.add("genres", {"genre": base, "source": ctx.source})
    elif filtered and offset == 0 and ctx.caps.genre_filter is None:
        # Nothing found, and nobody knows whether the filter works: the words themselves are the fallback.
        out.enqueue.append(NewUnit("search_artists", base))
    for i, item in enumerate(page.get("items") or []):
        if item is None:
            continue
        rec = _parse(ArtistRecord, item, out, resp.url)
        if rec is None:
            continue
        _artist(out, ctx, rec, rank=offset + i)
        if filtered:
            out.add("artist_genre_hits", {"genre": base, "artist_id": rec.id, "rank": offset + i,
                                          "source": ctx.source})
    out.next_params = _next_offset(page, offset, limit)
    if "base" in unit.params:
        out.next_params = None  # a fanned-out page: its followers are units of their own
    elif out.next_params is not None and offset == 0 and isinstance(page.get("total"), int):
        for nxt in range(limit, page["total"], limit):
            if nxt + limit > SEARCH_OFFSET_CAP:
                break
            out.enqueue.append(NewUnit(unit.kind, f"{base}@{nxt}", {"offset": nxt, "base": base},
                                       priority=unit.priority))
        out.next_params = None
    return out


async def artists(units: list[Unit], ctx: Context) -> Outcome:
    out = Outcome(units)
    expand = units[0].kind == "artist"
    if len(units) == 1 and not ctx.caps.batch_artists:
        out.response = resp = await ctx.client.artist(units[0].key)
        if not resp.ok:
            return _http_failure(out, resp, ctx)
        items = [resp.data]
    else:
        out.response = resp = await ctx.client.artists([u.key for u in units])
        if not resp.ok:
            return _http_failure(out, resp, ctx)
        items = resp.data.get("artists") or []
    got = set()
    for item in items:
        if item is None:
            continue
        rec = _parse(ArtistRecord, item, out, resp.url)
        if rec is not None:
            got.add(rec.id)
            _artist(out, ctx, rec, expand=expand)
    out.missing = [u for u in units if u.key not in got]
    return out


async def artist_albums(units: list[Unit], ctx: Context) -> Outcome:
    unit = units[0]
    out = Outcome(units)
    offset = int(unit.params.get("offset", 0))
    limit = ctx.caps.album_page
    out.response = resp = await ctx.client.artist_albums(unit.key, limit=limit, offset=offset,
                                                         include_groups=INCLUDE_GROUPS)
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    page = _page(resp, None)
    recs = [_parse(SimpleAlbum, item, out, resp.url) for item in page.get("items") or [] if item is not None]
    for rec in filter(None, recs):
        _simple_album(out, ctx, rec)
    ctx.discographies.page(unit.key, sum(1 for r in recs if r is not None))
    out.next_params = _next_offset(page, offset, limit, cap=None)
    return out


async def albums(units: list[Unit], ctx: Context) -> Outcome:
    out = Outcome(units)
    if len(units) == 1 and not ctx.caps.batch_albums:
        out.response = resp = await ctx.client.album(units[0].key)
        if not resp.ok:
            return _http_failure(out, resp, ctx)
        items = [resp.data]
    else:
        out.response = resp = await ctx.client.albums([u.key for u in units])
        if not resp.ok:
            return _http_failure(out, resp, ctx)
        items = resp.data.get("albums") or []
    got = set()
    for item in items:
        if item is None:
            continue
        rec = _parse(AlbumRecord, item, out, resp.url)
        if rec is not None:
            got.add(rec.id)
            _full_album(out, ctx, rec, resp.url, item)
    out.missing = [u for u in units if u.key not in got]
    return out


async def album_tracks(units: list[Unit], ctx: Context) -> Outcome:
    unit = units[0]
    out = Outcome(units)
    offset = int(unit.params.get("offset", 0))
    out.response = resp = await ctx.client.album_tracks(unit.key, limit=50, offset=offset)
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    page = _page(resp, None)
    _simple_tracks(out, ctx, page.get("items"), unit.key, resp.url)
    out.next_params = _next_offset(page, offset, 50, cap=None)
    return out


async def tracks_batch(units: list[Unit], ctx: Context) -> Outcome:
    """Full track objects (popularity, ISRC) for up to 50 tracks: first seen in album listings
    (``tracks_batch``: only the details are new) or given as seeds (``seed_tracks``: everything is)."""
    seeded = units[0].kind == "seed_tracks"
    out = Outcome(units)
    out.response = resp = await ctx.client.tracks(units[0].params["ids"])
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    for item in resp.data.get("tracks") or []:
        if item is None:
            continue  # unknown id: an answer, nothing to store
        rec = _parse(TrackRecord, item, out, resp.url)
        if rec is not None:
            _full_track(out, ctx, rec, from_album=not seeded)
    return out


async def audio_features(units: list[Unit], ctx: Context) -> Outcome:
    out = Outcome(units)
    out.response = resp = await ctx.client.audio_features(units[0].params["ids"])
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    for item in resp.data.get("audio_features") or []:
        if item is None:
            continue  # no features for that track: an answer, the unit is done
        rec = _parse(AudioFeaturesRecord, item, out, resp.url)
        if rec is not None:
            out.add("audio_features", rec.row(ctx.source))
    return out


async def playlist_search(units: list[Unit], ctx: Context) -> Outcome:
    unit = units[0]
    out = Outcome(units)
    offset = int(unit.params.get("offset", 0))
    limit = ctx.caps.search_limit
    out.response = resp = await ctx.client.search(unit.key, "playlist", limit=limit, offset=offset)
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    page = _page(resp, "playlists")
    for item in page.get("items") or []:
        if item is None:
            continue  # search answers null entries for playlists it cannot show
        rec = _parse(PlaylistRecord, item, out, resp.url)
        if rec is not None:
            out.add("playlists", rec.row(ctx.source))
            if ctx.caps.playlist_items:
                out.enqueue.append(NewUnit("playlist_items", rec.id))
    out.next_params = _next_offset(page, offset, limit, cap=PLAYLIST_SEARCH_MAX)
    return out


async def playlist(units: list[Unit], ctx: Context) -> Outcome:
    out = Outcome(units)
    out.response = resp = await ctx.client.playlist(units[0].key)
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    rec = _parse(PlaylistRecord, resp.data, out, resp.url)
    if rec is not None:
        out.add("playlists", rec.row(ctx.source))
        if ctx.caps.playlist_items:
            out.enqueue.append(NewUnit("playlist_items", rec.id))
    return out


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


async def playlist_items(units: list[Unit], ctx: Context) -> Outcome:
    unit = units[0]
    out = Outcome(units)
    offset = int(unit.params.get("offset", 0))
    out.response = resp = await ctx.client.playlist_items(unit.key, limit=50, offset=offset)
    if not resp.ok:
        return _http_failure(out, resp, ctx)
    page = _page(resp, None)
    for i, item in enumerate(page.get("items") or []):
        if item is None:
            continue
        entry = _parse(PlaylistItemRecord, item, out, resp.url)
        if entry is None:
            continue
        try:
            rec = entry.content()
        except ValidationError as exc:
            out.rejects.append({"source": "crawl", "file": resp.url, "line": None,
                                "reason": f"TrackRecord: {exc.errors()[0].get('msg')}",
                                "record": json.dumps(item)[:20000]})
            continue
        out.add("playlist_items", {"playlist_id": unit.key, "position": offset + i,
                                   "track_id": rec.id if rec else None,
                                   "added_at": _timestamp(entry.added_at), "source": ctx.source})
        if rec is not None:
            _full_track(out, ctx, rec)
    out.next_params = _next_offset(page, offset, 50, cap=None)
    return out
