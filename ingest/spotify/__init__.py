"""The Spotify Web API client: spotipy tokens, httpx transport, one shared limiter, retries,
capability probe and typed records. See docs/crawler.md."""

from ._auth import TokenProvider
from ._capabilities import (
    ENDPOINT_CAPABILITY,
    Capabilities,
    client_hash,
    load_capabilities,
    probe_capabilities,
    save_capabilities,
)
from ._client import ApiResponse, ClientStats, SpotifyClient, utcnow
from ._errors import (
    AuthError,
    ClientError,
    ClientStopped,
    CrawlPaused,
    EndpointUnavailable,
    MalformedResponse,
    RequestFailed,
    ServerError,
    SpotifyError,
    TransportError,
)
from ._limiter import LimiterStats, RateLimiter
from ._shared_limiter import SharedRateLimiter
from ._records import (
    AlbumRecord,
    ArtistRecord,
    AudioFeaturesRecord,
    PlaylistItemRecord,
    PlaylistRecord,
    SimpleAlbum,
    SimpleArtist,
    SimpleTrack,
    TrackRecord,
)

__all__ = [
    "AlbumRecord", "ApiResponse", "ArtistRecord", "AudioFeaturesRecord", "AuthError",
    "Capabilities", "ClientError", "ClientStats", "ClientStopped", "CrawlPaused",
    "ENDPOINT_CAPABILITY", "EndpointUnavailable", "LimiterStats", "MalformedResponse",
    "PlaylistItemRecord", "PlaylistRecord", "RateLimiter", "RequestFailed", "ServerError",
    "SharedRateLimiter", "SimpleAlbum", "SimpleArtist", "SimpleTrack", "SpotifyClient", "SpotifyError", "TokenProvider",
    "TrackRecord", "TransportError", "client_hash", "load_capabilities", "probe_capabilities",
    "save_capabilities", "utcnow",
]
