"""The in-memory catalog the server answers from: column lists plus dict and list indexes.

Everything a request needs is an O(1) lookup or a slice of a precomputed list; no DataFrame work
happens per request. Entities are addressed by their row number ("index") inside the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ._files import read_manifest, read_table

#: Order of discography groups in GET /artists/{id}/albums (Spotify lists albums first).
GROUP_ORDER = ("album", "single", "compilation", "appears_on")


def _index(ids: list[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(ids)}


def _lists(n: int, keys: list[int], values: list) -> list[list]:
    out: list[list] = [[] for _ in range(n)]
    for k, v in zip(keys, values):
        out[k] = v
    return out


def _with_idx(frame: pl.DataFrame, col: str, ids: list[str], name: str) -> pl.DataFrame:
    """Replace an id column by the catalog row number (rows whose id is unknown are dropped)."""
    lookup = pl.DataFrame({col: ids, name: pl.int_range(len(ids), eager=True, dtype=pl.Int64)})
    return frame.join(lookup, on=col, how="inner")


class AudioFeatureTable:
    """Audio features kept as columns (numpy where there are no nulls: a Python float per value would
    cost ~32 bytes, a dict per track ~1 KB); get(t) builds the row as plain Python values."""

    def __init__(self, columns: dict, row_of_track: dict[int, int]) -> None:
        self.columns = columns
        self.names = list(columns)
        self.row_of_track = row_of_track

    def __len__(self) -> int:
        return len(self.row_of_track)

    def get(self, track: int) -> dict | None:
        row = self.row_of_track.get(track)
        if row is None:
            return None
        out = {}
        for name in self.names:
            value = self.columns[name][row]
            out[name] = value.item() if hasattr(value, "item") else value
        return out


@dataclass
class Catalog:
    """Columns of each entity as Python lists, plus the relations between entities."""

    path: Path | None
    manifest: dict
    # artists
    artist_id: list[str]
    artist_name: list[str]
    artist_followers: list[int | None]
    artist_popularity: list[int | None]
    artist_image: list[str | None]
    artist_genres: list[list[str]]
    artist_albums: list[list[tuple[int, str]]]  # (album index, album_group) in display order
    artist_tracks: list[list[int]]  # tracks that credit the artist, most popular first
    # albums
    album_id: list[str]
    album_name: list[str]
    album_type: list[str]
    album_release_date: list[str | None]
    album_precision: list[str | None]
    album_total_tracks: list[int]
    album_label: list[str | None]
    album_popularity: list[int | None]
    album_upc: list[str | None]
    album_artists: list[list[int]]
    album_tracks: list[list[int]]
    album_year: list[int | None]
    # tracks
    track_id: list[str]
    track_name: list[str]
    track_album: list[int]
    track_disc: list[int]
    track_number: list[int]
    track_duration: list[int | None]
    track_explicit: list[bool | None]
    track_popularity: list[int | None]
    track_isrc: list[str | None]
    track_artists: list[list[int]]
    audio_features: AudioFeatureTable
    # playlists
    playlist_id: list[str]
    playlist_name: list[str]
    playlist_description: list[str | None]
    playlist_owner_id: list[str]
    playlist_owner_name: list[str | None]
    playlist_snapshot: list[str]
    playlist_public: list[bool]
    playlist_collaborative: list[bool]
    playlist_items: list[list[tuple[int | None, str | None]]]  # (track index or None, added_at)
    # id -> index
    artist_index: dict[str, int] = field(default_factory=dict)
    album_index: dict[str, int] = field(default_factory=dict)
    track_index: dict[str, int] = field(default_factory=dict)
    playlist_index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.artist_index = _index(self.artist_id)
        self.album_index = _index(self.album_id)
        self.track_index = _index(self.track_id)
        self.playlist_index = _index(self.playlist_id)

    @property
    def counts(self) -> dict[str, int]:
        return {"artists": len(self.artist_id), "albums": len(self.album_id), "tracks": len(self.track_id),
                "playlists": len(self.playlist_id), "audio_features": len(self.audio_features)}


def load_catalog(catalog_dir: str | Path) -> Catalog:
    """Read a catalog directory into memory and build every index the server uses."""
    catalog_dir = Path(catalog_dir)
    manifest = read_manifest(catalog_dir)
    t = {name: read_table(catalog_dir, name) for name in (
        "artists", "artist_genres", "albums", "album_artists", "tracks", "track_artists",
        "audio_features", "playlists", "playlist_items")}

    artists = t["artists"]
    a_ids = artists["artist_id"].to_list()
    n_art = len(a_ids)
    albums = t["albums"]
    al_ids = albums["album_id"].to_list()
    n_alb = len(al_ids)
    tracks = t["tracks"]
    t_ids = tracks["track_id"].to_list()
    n_trk = len(t_ids)

    ag = _with_idx(t["artist_genres"], "artist_id", a_ids, "a").sort(["a", "position"])
    ag = ag.group_by("a", maintain_order=True).agg("genre")
    artist_genres = _lists(n_art, ag["a"].to_list(), ag["genre"].to_list())

    years = albums.select(pl.col("release_date").str.slice(0, 4).cast(pl.Int32, strict=False))["release_date"]

    aa = _with_idx(_with_idx(t["album_artists"], "album_id", al_ids, "al"), "artist_id", a_ids, "a")
    aa_g = aa.sort(["al", "position"]).group_by("al", maintain_order=True).agg("a")
    album_artists = _lists(n_alb, aa_g["al"].to_list(), aa_g["a"].to_list())

    tr = _with_idx(tracks.select(["track_id", "album_id", "disc_number", "track_number", "popularity"]),
                   "album_id", al_ids, "al")
    tr = _with_idx(tr, "track_id", t_ids, "t")
    at_g = tr.sort(["al", "disc_number", "track_number", "t"]).group_by("al", maintain_order=True).agg("t")
    album_tracks = _lists(n_alb, at_g["al"].to_list(), at_g["t"].to_list())
    track_album_map = dict(zip(tr["t"].to_list(), tr["al"].to_list()))
    track_album = [track_album_map.get(i, -1) for i in range(n_trk)]

    ta = _with_idx(_with_idx(t["track_artists"], "track_id", t_ids, "t"), "artist_id", a_ids, "a")
    ta_g = ta.sort(["t", "position"]).group_by("t", maintain_order=True).agg("a")
    track_artists = _lists(n_trk, ta_g["t"].to_list(), ta_g["a"].to_list())

    # Tracks per credited artist, most popular first (top tracks, genre search over tracks).
    pop = tracks.select(pl.col("popularity").fill_null(-1))["popularity"]
    ta_pop = ta.join(pl.DataFrame({"t": pl.int_range(n_trk, eager=True, dtype=pl.Int64), "pop": pop}), on="t")
    by_artist = ta_pop.sort(["a", "pop", "t"], descending=[False, True, False]).group_by("a", maintain_order=True).agg("t")
    artist_tracks = _lists(n_art, by_artist["a"].to_list(), by_artist["t"].to_list())

    # Discography: the artist's own releases by type, then "appears_on" (credited on a track of an
    # album they are not an album artist of). Newest first within each group.
    own = aa.select(["a", "al"]).join(albums.select(["album_type"]).with_row_index("al").with_columns(
        pl.col("al").cast(pl.Int64)), on="al").rename({"album_type": "group"})
    appears = (ta.join(tr.select(["t", "al"]), on="t").select(["a", "al"]).unique()
               .join(aa.select(["a", "al"]), on=["a", "al"], how="anti")
               .with_columns(group=pl.lit("appears_on")))
    disc = pl.concat([own.select(["a", "al", "group"]), appears.select(["a", "al", "group"])])
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    disc = (disc.with_columns(g_rank=pl.col("group").replace_strict(rank, default=len(rank)))
            .join(albums.select(pl.col("release_date").fill_null("")).with_row_index("al")
                  .with_columns(pl.col("al").cast(pl.Int64)), on="al")
            .sort(["a", "g_rank", "release_date", "al"], descending=[False, False, True, False]))
    disc_g = disc.group_by("a", maintain_order=True).agg(pl.struct(["al", "group"]))
    artist_albums = [[] for _ in range(n_art)]
    for a, entries in zip(disc_g["a"].to_list(), disc_g["al"].to_list()):
        artist_albums[a] = [(e["al"], e["group"]) for e in entries]

    af = _with_idx(t["audio_features"], "track_id", t_ids, "t")
    af_cols = [c for c in t["audio_features"].columns if c != "track_id"]
    audio = AudioFeatureTable({c: af[c].to_numpy() if af[c].null_count() == 0 else af[c].to_list() for c in af_cols},
                              dict(zip(af["t"].to_list(), range(af.height))))

    pls = t["playlists"]
    p_ids = pls["playlist_id"].to_list()
    pi = _with_idx(t["playlist_items"], "playlist_id", p_ids, "p").sort(["p", "position"])
    pi = pi.with_columns(pl.col("track_id").replace_strict(
        dict(zip(t_ids, range(n_trk))), default=None, return_dtype=pl.Int64).alias("t"))
    pi_g = pi.group_by("p", maintain_order=True).agg(pl.struct(["t", "added_at"]))
    playlist_items = [[] for _ in range(len(p_ids))]
    for p, entries in zip(pi_g["p"].to_list(), pi_g["t"].to_list()):
        playlist_items[p] = [(e["t"], e["added_at"]) for e in entries]

    return Catalog(
        path=catalog_dir, manifest=manifest,
        artist_id=a_ids, artist_name=artists["name"].to_list(),
        artist_followers=artists["followers"].to_list(), artist_popularity=artists["popularity"].to_list(),
        artist_image=artists["image_url"].to_list(), artist_genres=artist_genres,
        artist_albums=artist_albums, artist_tracks=artist_tracks,
        album_id=al_ids, album_name=albums["name"].to_list(), album_type=albums["album_type"].to_list(),
        album_release_date=albums["release_date"].to_list(),
        album_precision=albums["release_date_precision"].to_list(),
        album_total_tracks=albums["total_tracks"].to_list(), album_label=albums["label"].to_list(),
        album_popularity=albums["popularity"].to_list(), album_upc=albums["upc"].to_list(),
        album_artists=album_artists, album_tracks=album_tracks, album_year=years.to_list(),
        track_id=t_ids, track_name=tracks["name"].to_list(), track_album=track_album,
        track_disc=tracks["disc_number"].fill_null(1).to_list(),
        track_number=tracks["track_number"].fill_null(1).to_list(),
        track_duration=tracks["duration_ms"].to_list(), track_explicit=tracks["explicit"].to_list(),
        track_popularity=tracks["popularity"].to_list(), track_isrc=tracks["isrc"].to_list(),
        track_artists=track_artists, audio_features=audio,
        playlist_id=p_ids, playlist_name=pls["name"].to_list(), playlist_description=pls["description"].to_list(),
        playlist_owner_id=pls["owner_id"].to_list(), playlist_owner_name=pls["owner_name"].to_list(),
        playlist_snapshot=pls["snapshot_id"].to_list(), playlist_public=pls["public"].to_list(),
        playlist_collaborative=pls["collaborative"].to_list(), playlist_items=playlist_items,
    )
