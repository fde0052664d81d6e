"""Synthetic rows for the data-set tables: genre-dependent audio features, artists, duplicates."""

from __future__ import annotations

import numpy as np
import polars as pl

NOTES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
GENRES = ["Anime", "Blues", "Classical", "Jazz", "Rap"]


def music_genre_rows(n: int = 1500, seed: int = 0, genres=GENRES) -> pl.DataFrame:
    """ds_music_genre rows: each genre shifts a few features; artists recur within a genre."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, len(genres), n)
    centre = rng.normal(size=(len(genres), 6))
    feats = centre[g] * 0.9 + rng.normal(size=(n, 6))
    sig = 1 / (1 + np.exp(-feats))
    artist = [f"artist {gi}-{rng.integers(0, 60)}" for gi in g]
    for i in range(n - 50, n):  # the last 50 rows re-list earlier recordings (same artist and title)
        artist[i] = artist[i - (n - 50)]
    tempo = 90 + 40 * sig[:, 4]
    tempo[rng.random(n) < 0.1] = np.nan  # the data set's '?' tempo, imported as NULL
    duration = 150_000 + 120_000 * sig[:, 5]
    duration[rng.random(n) < 0.1] = np.nan
    return pl.DataFrame({
        "instance_id": np.arange(1, n + 1),
        "artist_name": artist,
        "track_name": [f"track {i % (n - 50)}" for i in range(n)],  # a few repeated titles → duplicates
        "popularity": np.clip(30 + 8 * g + rng.normal(0, 8, n), 0, 100),
        "acousticness": sig[:, 0], "danceability": sig[:, 1], "duration_ms": duration, "energy": sig[:, 2],
        "instrumentalness": sig[:, 3], "key": [NOTES[k] for k in rng.integers(0, 12, n)],
        "liveness": rng.random(n), "loudness": -20 + 15 * sig[:, 2], "mode": np.where(rng.random(n) < 0.6, "Major", "Minor"),
        "speechiness": rng.random(n) * 0.3, "tempo": tempo, "obtained_date": ["4-Apr"] * n, "valence": rng.random(n),
        "music_genre": [genres[i] for i in g], "source": ["music_genre"] * n,
    })


def spotify_songs_rows(n: int = 1200, seed: int = 1) -> pl.DataFrame:
    """ds_spotify_songs rows (one per playlist membership; some tracks repeat)."""
    mg = music_genre_rows(n, seed, genres=["edm", "latin", "pop", "rap", "rock"])
    rng = np.random.default_rng(seed)
    track_ids = [f"t{i if rng.random() > 0.1 else i // 2}" for i in range(n)]
    return pl.DataFrame({
        "row_number": np.arange(1, n + 1, dtype=np.int32),
        "track_id": track_ids, "track_name": mg["track_name"], "track_artist": mg["artist_name"],
        "track_popularity": mg["popularity"].round().cast(pl.Int32),
        "track_album_id": [f"al{i // 3}" for i in range(n)], "track_album_name": ["album"] * n,
        "track_album_release_date": [f"{1990 + i % 30}-01-01" for i in range(n)],
        "playlist_name": ["pl"] * n, "playlist_id": [f"p{i % 20}" for i in range(n)],
        "playlist_genre": mg["music_genre"], "playlist_subgenre": ["sub"] * n,
        "danceability": mg["danceability"], "energy": mg["energy"],
        "key": rng.integers(0, 12, n).astype(np.int32), "loudness": mg["loudness"],
        "mode": rng.integers(0, 2, n).astype(np.int32), "speechiness": mg["speechiness"],
        "acousticness": mg["acousticness"], "instrumentalness": mg["instrumentalness"], "liveness": mg["liveness"],
        "valence": mg["valence"], "tempo": mg["tempo"],
        "duration_ms": mg["duration_ms"].fill_nan(None).fill_null(200_000).cast(pl.Int32),
        "source": ["spotify_songs"] * n,
    })


def fill_datasets(writer, *, n_music_genre: int = 1500, n_spotify_songs: int = 1200) -> None:
    from warehouse import insert_rows

    with writer.transaction() as con:
        if n_music_genre:
            insert_rows(con, "ds_music_genre", music_genre_rows(n_music_genre).with_columns(
                pl.col("tempo").fill_nan(None), pl.col("duration_ms").fill_nan(None)))
        if n_spotify_songs:
            insert_rows(con, "ds_spotify_songs", spotify_songs_rows(n_spotify_songs).with_columns(pl.col("tempo").fill_nan(None)))
