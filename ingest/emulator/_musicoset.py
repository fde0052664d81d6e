"""Catalog from MusicOSet (real Spotify ids, names, genres, followers, popularity, audio features).

Only what the data set lacks is invented, deterministically (hashes of ids, no randomness):
album names (an album with known songs is named after its first song, as singles are; others get
an invented title), album types, and genre playlists (one per common genre word, e.g. "rock",
"pop", "hip", filled with songs of artists carrying such a tag), so playlist search and playlist
items work. Links to artists absent from artists.csv are dropped (counted in the manifest):
an artist object needs at least a name.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import polars as pl

from . import _words as W
from ._files import CatalogError, write_catalog

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STOP = {"and", "de", "la", "el", "the", "y", "of", "n", "&"}


def _h(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _b62(text: str, length: int = 22) -> str:
    n = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(out)


def _read(data: Path, rel: str) -> pl.DataFrame:
    path = data / "musicoset" / rel
    if not path.is_file():
        raise CatalogError(f"MusicOSet file {path} not found (expected {data}/musicoset/...; "
                           "set --data or GENRESTORE_DATA)")
    return pl.read_csv(path, separator="\t", quote_char=None, infer_schema=False)


def _literal(value: str | None, default):
    if value is None or value in ("", "-", "None"):
        return default
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return default


def _int(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def musicoset_frames(data_dir: str | Path) -> tuple[dict[str, pl.DataFrame], dict]:
    """The catalog tables from MusicOSet, and notes for the manifest (dropped links)."""
    data = Path(data_dir)
    artists_raw = _read(data, "musicoset_metadata/artists.csv.gz")
    songs_raw = _read(data, "musicoset_metadata/songs.csv.gz")
    tracks_raw = _read(data, "musicoset_metadata/tracks.csv.gz")
    releases = _read(data, "musicoset_metadata/releases.csv.gz")
    acoustic = _read(data, "musicoset_songfeatures/acoustic_features.csv.gz")

    # ── artists and their tags ──
    artists = artists_raw.select(
        "artist_id", "name",
        followers=_int("followers"), popularity=_int("popularity"),
        image_url=pl.when(pl.col("image_url").str.starts_with("http")).then(pl.col("image_url")),
    )
    known = set(artists["artist_id"].to_list())
    genre_rows = [(aid, g, i) for aid, raw in zip(artists_raw["artist_id"], artists_raw["genres"])
                  for i, g in enumerate(_literal(raw, []))]
    artist_genres = pl.DataFrame(genre_rows, schema={"artist_id": pl.Utf8, "genre": pl.Utf8, "position": pl.Int32},
                                 orient="row")

    # ── tracks (songs placed on albums) and credits ──
    songs = songs_raw.select("song_id", "song_name", "artists", popularity=_int("popularity"),
                             explicit=pl.col("explicit") == "True")
    credit_rows, dropped_track_links = [], 0
    for sid, raw in zip(songs["song_id"], songs["artists"]):
        for pos, aid in enumerate(_literal(raw, {}) or {}):
            if aid in known:
                credit_rows.append((sid, aid, pos))
            else:
                dropped_track_links += 1
    track_artists = pl.DataFrame(credit_rows, schema={"track_id": pl.Utf8, "artist_id": pl.Utf8, "position": pl.Int32},
                                 orient="row")
    feats = acoustic.select("song_id", duration_ms=_int("duration_ms"))
    tracks = (tracks_raw.join(songs, on="song_id", how="left").join(feats, on="song_id", how="left")
              .select(track_id="song_id", name="song_name", album_id="album_id", disc_number=pl.lit(1),
                      track_number=_int("track_number"), duration_ms="duration_ms", explicit="explicit",
                      popularity="popularity", isrc=pl.lit(None, dtype=pl.Utf8)))

    # ── albums: releases plus albums only known through tracks ──
    rel_dates = releases.group_by("album_id", maintain_order=True).agg(
        pl.col("release_date").first(), pl.col("release_date_precision").first())
    trk_dates = (tracks_raw.filter(~pl.col("album_id").is_in(rel_dates["album_id"].implode()))
                 .group_by("album_id", maintain_order=True)
                 .agg(pl.col("release_date").first(), pl.col("release_date_precision").first()))
    album_dates = pl.concat([rel_dates, trk_dates])
    per_album = (tracks.sort(["album_id", "track_number", "track_id"]).group_by("album_id", maintain_order=True)
                 .agg(first_song=pl.col("name").first(), n_tracks=pl.len()))
    albums = album_dates.join(per_album, on="album_id", how="left")
    names, types = [], []
    for alid, first_song, n in zip(albums["album_id"], albums["first_song"], albums["n_tracks"]):
        h = _h(alid)
        names.append(first_song if first_song else f"{W.ADJECTIVES[h % len(W.ADJECTIVES)]} "
                     f"{W.NOUNS[(h >> 8) % len(W.NOUNS)]}")
        types.append("album" if (n or 0) >= 4 else ("album", "single", "single", "compilation")[(h >> 16) % 4])
    albums = albums.with_columns(
        name=pl.Series(names), album_type=pl.Series(types),
        total_tracks=pl.col("n_tracks").fill_null(0).cast(pl.Int32),
        label=pl.lit(None, dtype=pl.Utf8), popularity=pl.lit(None, dtype=pl.Int32), upc=pl.lit(None, dtype=pl.Utf8),
    )

    rel_links = releases.select("album_id", "artist_id").unique(maintain_order=True)
    dropped_album_links = rel_links.filter(~pl.col("artist_id").is_in(list(known))).height
    rel_links = rel_links.filter(pl.col("artist_id").is_in(list(known)))
    # Albums known only through tracks are credited to their first song's artists.
    trk_only = trk_dates.select("album_id")
    trk_links = (trk_only.join(tracks.select("track_id", "album_id", "track_number"), on="album_id")
                 .sort(["album_id", "track_number", "track_id"]).group_by("album_id", maintain_order=True)
                 .agg(pl.col("track_id").first())
                 .join(track_artists, on="track_id").select("album_id", "artist_id", "position"))
    album_artists = pl.concat([
        rel_links.with_columns(position=pl.int_range(pl.len()).over("album_id").cast(pl.Int32)),
        trk_links.with_columns(pl.col("position").cast(pl.Int32)),
    ]).unique(subset=["album_id", "artist_id"], keep="first", maintain_order=True)

    audio = acoustic.select(
        track_id="song_id",
        **{c: pl.col(c).cast(pl.Float64, strict=False) for c in
           ("acousticness", "danceability", "energy", "instrumentalness", "liveness", "loudness", "speechiness",
            "tempo", "valence")},
        key=_int("key"), mode=_int("mode"), time_signature=_int("time_signature"), duration_ms=_int("duration_ms"),
    )

    playlists, playlist_items = _genre_playlists(artist_genres, track_artists, tracks)
    notes = {"dropped_track_artist_links": dropped_track_links, "dropped_album_artist_links": dropped_album_links,
             "invented": ["album names", "album types", "genre playlists"]}
    frames = {"artists": artists, "artist_genres": artist_genres, "albums": albums, "album_artists": album_artists,
              "tracks": tracks, "track_artists": track_artists, "audio_features": audio,
              "playlists": playlists, "playlist_items": playlist_items}
    return frames, notes


def _genre_playlists(artist_genres: pl.DataFrame, track_artists: pl.DataFrame, tracks: pl.DataFrame,
                     n_words: int = 60, per_playlist: int = 100) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One playlist per common genre word, holding the most popular songs of artists tagged with it."""
    words = (artist_genres.with_columns(word=pl.col("genre").str.split(" ")).explode("word")
             .filter(~pl.col("word").is_in(list(_STOP)) & (pl.col("word").str.len_chars() > 1))
             .select("artist_id", "word").unique())
    top = (words.group_by("word").len().filter(pl.col("len") >= 20)
           .sort(["len", "word"], descending=[True, False]).head(n_words)["word"].to_list())
    meta, items = [], []
    song_pop = tracks.select("track_id", pl.col("popularity").fill_null(0))
    for rank, word in enumerate(top):
        editorial = rank < 20
        name = f"{word.title()} Essentials" if editorial else f"{word} mix"
        pid = ("37i9dQZF1" + _b62("playlist:" + word, 13)) if editorial else _b62("playlist:" + word)
        owner = ("spotify", "Spotify") if editorial else (f"musicoset-{word.replace('&', 'and')}", f"{word} fan")
        artists = words.filter(pl.col("word") == word).select("artist_id")
        chosen = (track_artists.filter(pl.col("position") == 0).join(artists, on="artist_id")
                  .join(song_pop, on="track_id").unique("track_id")
                  .sort(["popularity", "track_id"], descending=[True, False]).head(per_playlist))
        meta.append({"playlist_id": pid, "name": name,
                     "description": f"The biggest {word} songs (MusicOSet genre tags containing '{word}').",
                     "owner_id": owner[0], "owner_name": owner[1], "snapshot_id": _b62("snap:" + word, 32),
                     "public": True, "collaborative": False})
        for pos, tid in enumerate(chosen["track_id"].to_list()):
            items.append({"playlist_id": pid, "position": pos, "track_id": tid,
                          "added_at": f"2019-{1 + pos % 12:02d}-{1 + pos % 28:02d}T00:00:00Z"})
    return pl.DataFrame(meta), pl.DataFrame(items, schema={"playlist_id": pl.Utf8, "position": pl.Int32,
                                                            "track_id": pl.Utf8, "added_at": pl.Utf8})


def build_musicoset_catalog(data_dir: str | Path, out_dir: str | Path) -> dict:
    """Build a catalog from `data_dir`/musicoset into `out_dir`; return its manifest."""
    frames, notes = musicoset_frames(data_dir)
    return write_catalog(out_dir, frames, source="musicoset", params={"data_dir": str(data_dir), **notes})
