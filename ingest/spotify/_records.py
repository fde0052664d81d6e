"""Typed records for what the API returns, and their rows for the warehouse's silver tables.

Every Spotify-derived field is optional, because the API mode decides what is present
(docs/spotify-web-api.md §6.3). The one distinction kept with care: an artist whose object has
no ``genres`` key has genres *unknown* (NULL); ``"genres": []`` means *known to have none*.
Validation failures raise ``pydantic.ValidationError``; callers put the record in ``rejects``.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ID = re.compile(r"^[0-9A-Za-z]{1,64}$")


def _check_id(value: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError("not a Spotify base-62 id")
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SimpleArtist(_Record):
    id: str
    name: Optional[str] = None

    _v = field_validator("id")(lambda cls, v: _check_id(v))


class Followers(_Record):
    total: Optional[int] = None


class Image(_Record):
    url: Optional[str] = None


class ArtistRecord(_Record):
    """A full ArtistObject (from GET /artists, /artists/{id} or artist search results)."""

    id: str
    name: Optional[str] = None
    genres: Optional[list[str]] = None
    popularity: Optional[int] = Field(None, ge=0, le=100)
    followers: Optional[Followers] = None
    images: Optional[list[Optional[Image]]] = None

    _v = field_validator("id")(lambda cls, v: _check_id(v))

    def row(self, source: str) -> dict[str, Any]:
        image = next((i.url for i in (self.images or []) if i is not None and i.url), None)
        return {
            "artist_id": self.id, "name": self.name,
            "genres": None if self.genres is None else sorted(set(self.genres)),
            "popularity": self.popularity,
            "followers": self.followers.total if self.followers is not None else None,
            "image_url": image, "source": source,
        }


class SimpleTrack(_Record):
    """A SimplifiedTrackObject (album track listings): no album, popularity or ISRC."""

    id: str
    name: Optional[str] = None
    artists: list[SimpleArtist] = Field(default_factory=list)
    disc_number: Optional[int] = None
    track_number: Optional[int] = None
    duration_ms: Optional[int] = Field(None, ge=0)
    explicit: Optional[bool] = None

    _v = field_validator("id")(lambda cls, v: _check_id(v))

    def row(self, source: str, album_id: str | None) -> dict[str, Any]:
        return {
            "track_id": self.id, "name": self.name, "album_id": album_id, "disc_number": self.disc_number,
            "track_number": self.track_number, "duration_ms": self.duration_ms, "explicit": self.explicit,
            "popularity": None, "isrc": None, "source": source,
        }

    def artist_rows(self, source: str) -> list[dict[str, Any]]:
        return [{"track_id": self.id, "artist_id": a.id, "position": i, "source": source}
                for i, a in enumerate(self.artists)]


class ExternalIds(_Record):
    isrc: Optional[str] = None
    upc: Optional[str] = None


def _year(release_date: str | None) -> int | None:
    if release_date and len(release_date) >= 4 and release_date[:4].isdigit():
        year = int(release_date[:4])
        return year if year > 0 else None
    return None


class SimpleAlbum(_Record):
    """A SimplifiedAlbumObject (artist discographies, search results, a track's album)."""

    id: str
    name: Optional[str] = None
    album_type: Optional[str] = None
    release_date: Optional[str] = None
    release_date_precision: Optional[str] = None
    total_tracks: Optional[int] = Field(None, ge=0)
    artists: list[SimpleArtist] = Field(default_factory=list)

    _v = field_validator("id")(lambda cls, v: _check_id(v))

    def row(self, source: str) -> dict[str, Any]:
        return {
            "album_id": self.id, "name": self.name,
            "album_type": self.album_type.lower() if self.album_type else None,
            "release_date": self.release_date, "release_date_precision": self.release_date_precision,
            "release_year": _year(self.release_date), "total_tracks": self.total_tracks,
            "label": None, "popularity": None, "upc": None, "source": source,
        }

    def artist_rows(self, source: str) -> list[dict[str, Any]]:
        return [{"album_id": self.id, "artist_id": a.id, "position": i, "source": source}
                for i, a in enumerate(self.artists)]


class TrackPage(_Record):
    items: Optional[list[Optional[SimpleTrack]]] = None
    next: Optional[str] = None
    total: Optional[int] = None
    offset: Optional[int] = None
    limit: Optional[int] = None


class AlbumRecord(SimpleAlbum):
    """A full AlbumObject: label, popularity, UPC and the first page of its tracks."""

    label: Optional[str] = None
    popularity: Optional[int] = Field(None, ge=0, le=100)
    external_ids: Optional[ExternalIds] = None
    tracks: Optional[TrackPage] = None

    def row(self, source: str) -> dict[str, Any]:
        row = super().row(source)
        row.update(label=self.label, popularity=self.popularity,
                   upc=self.external_ids.upc if self.external_ids else None)
        return row


class TrackRecord(SimpleTrack):
    """A full TrackObject: its album, popularity and ISRC (where the mode gives them)."""

    album: Optional[SimpleAlbum] = None
    popularity: Optional[int] = Field(None, ge=0, le=100)
    external_ids: Optional[ExternalIds] = None

    def row(self, source: str, album_id: str | None = None) -> dict[str, Any]:
        row = super().row(source, album_id or (self.album.id if self.album else None))
        row.update(popularity=self.popularity, isrc=self.external_ids.isrc if self.external_ids else None)
        return row


class AudioFeaturesRecord(_Record):
    id: str
    acousticness: Optional[float] = None
    danceability: Optional[float] = None
    energy: Optional[float] = None
    instrumentalness: Optional[float] = None
    key: Optional[int] = Field(None, ge=-1, le=11)
    liveness: Optional[float] = None
    loudness: Optional[float] = None
    mode: Optional[int] = Field(None, ge=0, le=1)
    speechiness: Optional[float] = None
    tempo: Optional[float] = None
    time_signature: Optional[int] = None
    valence: Optional[float] = None
    duration_ms: Optional[int] = None

    _v = field_validator("id")(lambda cls, v: _check_id(v))

    def row(self, source: str) -> dict[str, Any]:
        row = self.model_dump()
        row["track_id"] = row.pop("id")
        row["source"] = source
        return row


class PlaylistOwner(_Record):
    id: Optional[str] = None


class PlaylistRecord(_Record):
    """A (simplified) PlaylistObject: ``items`` (new name) or ``tracks`` (old name) holds the total."""

    id: str
    name: Optional[str] = None
    description: Optional[str] = None
    owner: Optional[PlaylistOwner] = None
    snapshot_id: Optional[str] = None
    items: Optional[dict[str, Any]] = None
    tracks: Optional[dict[str, Any]] = None

    _v = field_validator("id")(lambda cls, v: _check_id(v))

    def row(self, source: str) -> dict[str, Any]:
        page = self.items if self.items is not None else self.tracks
        total = page.get("total") if isinstance(page, dict) else None
        return {
            "playlist_id": self.id, "name": self.name, "description": self.description,
            "owner_id": self.owner.id if self.owner else None, "snapshot_id": self.snapshot_id,
            "total_items": total if isinstance(total, int) else None, "source": source,
        }


class PlaylistItemRecord(_Record):
    """A PlaylistTrackObject: ``item`` (new name) or ``track`` (old name); episodes are skipped."""

    added_at: Optional[str] = None
    item: Optional[dict[str, Any]] = None
    track: Optional[dict[str, Any]] = None

    def content(self) -> TrackRecord | None:
        obj = self.item if self.item is not None else self.track
        if not obj or obj.get("type", "track") != "track" or not obj.get("id"):
            return None
        return TrackRecord.model_validate(obj)
