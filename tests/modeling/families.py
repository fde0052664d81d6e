"""A synthetic artist catalog with genre families, for the artist-families task.

``artists`` rows carry genre tags (tagged), ``[]`` (untagged) or NULL (unknown); each artist has
tracks whose audio features depend on its families. ``training_data``/``unlabeled_data`` here
follow the features package's contract and are used only while that package does not provide
them yet (see the tests' ``family_source`` fixture).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

FAMILIES = {0: ["rock", "hard rock", "indie rock"], 1: ["rap", "hip hop", "trap"], 2: ["classical", "baroque"],
            3: ["edm", "house", "techno"]}
TAG_FAMILY = {t: f for f, tags in FAMILIES.items() for t in tags}
AUDIO = ["danceability", "energy", "acousticness", "speechiness", "instrumentalness", "valence"]


def fill_catalog(writer, n_artists: int = 400, seed: int = 0) -> dict[str, str]:
    """Insert artists, tracks, track_artists, audio_features; return artist_id -> state."""
    from warehouse import insert_rows

    rng = np.random.default_rng(seed)
    centre = rng.normal(0, 1.2, (len(FAMILIES), len(AUDIO)))
    artists, tracks, credits, audio, state = [], [], [], [], {}
    for a in range(n_artists):
        aid = f"art{a:04d}"
        r = rng.random()
        fams = list(rng.choice(len(FAMILIES), size=1 + (rng.random() < 0.3), replace=False))
        if r < 0.15:
            genres, state[aid] = None, "unknown"
        elif r < 0.3:
            genres, state[aid] = [], "untagged"
        else:
            genres = sorted({str(rng.choice(FAMILIES[f])) for f in fams})
            state[aid] = "tagged"
        artists.append(dict(artist_id=aid, name=f"Artist {a}", genres=genres, source="test"))
        for t in range(int(rng.integers(2, 6))):
            tid = f"{aid}-t{t}"
            x = 1 / (1 + np.exp(-(centre[fams].mean(axis=0) + rng.normal(0, 1, len(AUDIO)))))
            tracks.append(dict(track_id=tid, name=f"T{t}", source="test"))
            credits.append(dict(track_id=tid, artist_id=aid, position=0, source="test"))
            audio.append(dict(track_id=tid, **dict(zip(AUDIO, x.tolist())), tempo=float(100 + 40 * x[0]),
                              loudness=float(-15 + 10 * x[1]), duration_ms=int(180000 + 60000 * x[2]), source="test"))
    with writer.transaction() as con:
        insert_rows(con, "artists", pl.DataFrame(artists, schema_overrides={"genres": pl.List(pl.Utf8)}))
        insert_rows(con, "tracks", pl.DataFrame(tracks))
        insert_rows(con, "track_artists", pl.DataFrame(credits))
        insert_rows(con, "audio_features", pl.DataFrame(audio))
    return state


@dataclass
class _Training:
    artist_ids: list
    X: pl.DataFrame
    Y: np.ndarray
    family_ids: list
    family_names: list
    fold: np.ndarray
    cv_fold: np.ndarray
    taxonomy_version: str = "test-1"


@dataclass
class _Unlabeled:
    artist_ids: list
    X: pl.DataFrame


def _features(con) -> pl.DataFrame:
    means = ", ".join(f"avg(f.{c}) AS {c}_mean" for c in AUDIO + ["tempo", "loudness"])
    return con.sql(f"""SELECT a.artist_id, a.genres, {means}, count(f.track_id) AS track_count
                       FROM artists a LEFT JOIN track_artists ta USING (artist_id)
                       LEFT JOIN audio_features f USING (track_id) GROUP BY ALL ORDER BY a.artist_id""").pl()


def training_data(con, snapshot_id, taxonomy_version=None) -> _Training:
    df = _features(con).filter(pl.col("genres").list.len() > 0)
    Y = np.zeros((df.height, len(FAMILIES)), dtype=np.int8)
    for i, tags in enumerate(df["genres"].to_list()):
        for t in tags:
            Y[i, TAG_FAMILY[t]] = 1
    rng = np.random.default_rng(7)
    test = rng.random(df.height) < 0.25
    return _Training(df["artist_id"].to_list(), df.drop("artist_id", "genres"), Y, [str(f) for f in FAMILIES],
                     [FAMILIES[f][0] for f in FAMILIES], np.where(test, "test", "train"),
                     np.where(test, -1, np.arange(df.height) % 5))


def unlabeled_data(con, snapshot_id, taxonomy_version=None) -> _Unlabeled:
    df = _features(con).filter(pl.col("genres").is_null() | (pl.col("genres").list.len() == 0))
    return _Unlabeled(df["artist_id"].to_list(), df.drop("artist_id", "genres"))
