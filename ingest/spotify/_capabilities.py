"""What these credentials can do, found with a handful of calls (docs/spotify-web-api.md §8.1).

The probe spends at most 9 requests. The crawl planner reads the result and never calls an
endpoint the probe found removed: batch gets where they exist, single GETs where not, page sizes
that the mode accepts, and NULL (unknown) genres when artist objects carry no ``genres``.

Field and filter capabilities are three-valued: True (seen), False (evidence of absence) and None
(unknown: the probe saw nothing either way). Zero results are not evidence of absence, so the
genre filter is tested with a genre the probe saw on an artist, else a fixed well-known genre,
never with a user's seed. The crawl keeps learning (:meth:`Capabilities.learn`): responses that
contradict a stored value update it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
import duckdb

from ._client import ApiResponse, SpotifyClient, utcnow

PROBE_GENRE = "rock"   # the genre filter is tried with this when no probed artist carries a genre
PROBE_VERSION = 2      # stored probes of an older version are not trusted (version 1 probed user seeds)
# The endpoints a capability gates: a 403/404 from one of them turns the capability off.
ENDPOINT_CAPABILITY = {"/artists": "batch_artists", "/tracks": "batch_tracks", "/albums": "batch_albums",
                       "/audio-features": "audio_features", "/playlists/{id}/items": "playlist_items"}


@dataclass
class Capabilities:
    """The result of :func:`probe_capabilities` (one row of the ``capabilities`` table)."""

    mode: str = "extended"            # extended | development
    search_limit: int = 50            # largest page of /search
    album_page: int = 50              # largest page of /artists/{id}/albums
    batch_artists: bool = True        # GET /artists?ids= (50)
    batch_tracks: bool = True         # GET /tracks?ids= (50)
    batch_albums: bool = True         # GET /albums?ids= (20)
    audio_features: bool = True       # GET /audio-features?ids= (100)
    genres: bool | None = True        # artist objects carry `genres` (None: no artist seen)
    popularity: bool | None = True    # artist objects carry `popularity`
    followers: bool | None = True     # artist objects carry `followers`
    genre_filter: bool | None = True  # search understands genre:"..." (None: unknown, still tried)
    playlist_items: bool = True       # GET /playlists/{id}/items (turned off at the first 403)
    probe_requests: int = 0
    probe_genre: str | None = None    # the genre the filter was tried with
    statuses: dict[str, int] = field(default_factory=dict)
    version: int = PROBE_VERSION

    @property
    def source(self) -> str:
        return f"spotify:{self.mode}"

    def learn(self, name: str, value: bool | None) -> bool:
        """Take what a later response showed; True when the stored capability changed.

        Seeing a thing (True) always wins; doubt (None) only replaces a recorded absence (False),
        so outcomes that arrive out of order never undo a confirmation."""
        current = getattr(self, name)
        if value is True and current is not True or value is None and current is False:
            setattr(self, name, value)
            return True
        return False

    def removed_endpoints(self) -> list[str]:
        return sorted(e for e, name in ENDPOINT_CAPABILITY.items() if not getattr(self, name))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Capabilities":
        data = json.loads(text)
        data.setdefault("version", 1)  # written before probes were versioned
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def client_hash(client_id: str) -> str:
    """What the warehouse stores to tell credentials apart: a sha256 prefix of the client id only."""
    return hashlib.sha256(client_id.encode()).hexdigest()[:16]


def _items(resp: ApiResponse, key: str) -> list[dict]:
    if not resp.ok or not isinstance(resp.data, dict):
        return []
    page = resp.data.get(key)
    items = page.get("items") if isinstance(page, dict) else None
    return [i for i in (items or []) if isinstance(i, dict) and i.get("id")]


async def probe_capabilities(client: SpotifyClient) -> Capabilities:
    """Probe endpoints and fields with at most 9 requests; see docs/spotify-web-api.md §8.1.

    Nothing the user typed goes into the probe: its result is stored for 24 h and steers every
    crawl of these credentials, so it must not depend on one crawl's seeds."""
    caps = Capabilities()
    responses: list[ApiResponse] = []

    async def call(name: str, coro):
        resp = await coro
        responses.append(resp)
        caps.statuses[name] = resp.status
        return resp

    found = await call("search_limit_11", client.search("a", "artist,track", limit=11))
    if found.status == 400:
        caps.search_limit = 10
        found = await call("search_limit_10", client.search("a", "artist,track", limit=10))
    artists = _items(found, "artists")
    tracks = _items(found, "tracks")
    if artists:
        caps.genres = any("genres" in a for a in artists)
        caps.popularity = any(a.get("popularity") is not None for a in artists)
        caps.followers = any(isinstance(a.get("followers"), dict) for a in artists)
    else:  # no artist to look at: no evidence either way
        caps.genres = caps.popularity = caps.followers = None
    artist_ids = [a["id"] for a in artists[:2]]
    track_ids = [t["id"] for t in tracks[:2]]
    album_ids = [t["album"]["id"] for t in tracks[:1] if isinstance(t.get("album"), dict) and t["album"].get("id")]

    if artist_ids:
        r = await call("batch_artists", client.artists(artist_ids))
        caps.batch_artists = r.ok
        r = await call("album_page_11", client.artist_albums(artist_ids[0], limit=11))
        caps.album_page = 50 if r.ok else 10
        album_ids = album_ids or [a["id"] for a in (r.data or {}).get("items") or [] if isinstance(a, dict)][:1]
    if track_ids:
        r = await call("batch_tracks", client.tracks(track_ids))
        caps.batch_tracks = r.ok
        r = await call("audio_features", client.audio_features(track_ids))
        caps.audio_features = r.ok
    if album_ids:
        r = await call("batch_albums", client.albums(album_ids[:2]))
        caps.batch_albums = r.ok
    seen = next((g for a in artists for g in (a.get("genres") or []) if isinstance(g, str) and g), None)
    caps.probe_genre = seen or PROBE_GENRE
    r = await call("genre_filter", client.search(f'genre:"{caps.probe_genre}"', "artist", limit=1))
    page = r.data.get("artists") if r.ok and isinstance(r.data, dict) else None
    total = page.get("total") if isinstance(page, dict) else None
    if isinstance(total, int) and total > 0:
        caps.genre_filter = True
    elif r.status == 400 or (seen is not None and total == 0):
        # Refused, or an artist carries the genre and the filter finds nobody: evidence of absence.
        caps.genre_filter = False
    else:
        caps.genre_filter = None  # zero hits for a genre nobody was seen with prove nothing
    caps.mode = "extended" if (caps.batch_artists and caps.search_limit == 50) else "development"
    caps.probe_requests = len(responses)
    caps._responses = responses  # type: ignore[attr-defined]  # for the caller's bronze layer
    return caps


def save_capabilities(con: duckdb.DuckDBPyConnection, caps: Capabilities, api_url: str, client_id: str,
                      when: datetime | None = None) -> None:
    con.execute(
        "INSERT INTO capabilities (probed_at, api_url, client_hash, mode, details) VALUES (?, ?, ?, ?, ?)",
        [when or utcnow(), api_url, client_hash(client_id), caps.mode, caps.to_json()],
    )


def load_capabilities(con: duckdb.DuckDBPyConnection, api_url: str, client_id: str,
                      max_age: timedelta = timedelta(hours=24)) -> Capabilities | None:
    """The latest probe of these credentials at this URL, if younger than ``max_age`` and made by
    this version of the probe."""
    row = (con.execute(
        "SELECT details FROM capabilities WHERE api_url = ? AND client_hash = ? AND probed_at >= ? "
        "ORDER BY probed_at DESC LIMIT 1",
        [api_url, client_hash(client_id), utcnow() - max_age],
    ).fetchall()[:1] or [None])[0]
    caps = Capabilities.from_json(row[0]) if row else None
    return caps if caps is not None and caps.version >= PROBE_VERSION else None
