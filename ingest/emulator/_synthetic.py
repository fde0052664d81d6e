"""Deterministic synthetic catalog with planted genre families (vectorised numpy + polars).

Structure (all from one seed):
- ~25 genre families; each has a base tag ("rock") and micro-tags ("deep rock", "swedish melodic
  rock") whose use inside the family follows a Zipf law, so tag frequency has a long tail.
- Every artist has a latent family; ~25% of artists are untagged (genres []), the rest carry 1..28
  tags mostly from their family with a little cross-family noise.
- Audio features depend on the family through shifted means with large artist and track noise
  (families overlap heavily, as real genres do).
- Albums per artist and tracks per album follow skewed spreads; ~10% of tracks credit a featured
  artist (mostly from the same family); followers are log-normal and popularity follows them.
The planted families are written as the extra tables planted_genre_families and
planted_artist_families (ground truth for tests; the server never reads them).

Why there are two synthetic generators (this one and ``features.write_synthetic_catalog``): this
one is API-shaped and reaches a warehouse only through the emulator and the crawler (the demo and
the end-to-end tests), with realistic sizes (25 families, a Zipf long tail of 12-160 tags each,
25 % untagged). ``features``' writes silver rows straight into a warehouse with few, small,
parameterised families and unknown (NULL) genres, for feature and model tests. Measured
2026-12-01 at 600 artists: this one gives 537 tags of which 29 reach the taxonomy's minimum
artists (k = 12 of 25 planted); ``features``' (6 families x 8 tags) gives 48 tags, 39 clustered,
ARI 0.938 against its planted families. A shared generator would have to live in ``warehouse``,
the only package below both ``ingest`` and ``features``, which owns storage, not music.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from . import _words as W
from ._files import write_catalog

_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
N_FAMILIES = 25
UNTAGGED_SHARE = 0.25
CROSS_FAMILY_TAG_P = 0.08
FEATURE_P = 0.10


def _ids(rng: np.random.Generator, n: int) -> pl.Series:
    """n random base-62 ids of 22 characters (Spotify's id shape), built straight into Arrow buffers."""
    codes = _ALPHABET[rng.integers(0, 62, size=(n, 22))]
    offsets = np.arange(0, 22 * (n + 1), 22, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(codes.tobytes()))
    return pl.from_arrow(arr).cast(pl.Utf8)


def _pick(words: list[str] | tuple[str, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(list(words), dtype=pl.Utf8).gather(idx)


def _family_tags(rng: np.random.Generator) -> list[list[str]]:
    """Per family: the base tag first, then micro-tags in decreasing planned frequency."""
    families = []
    sizes = np.clip(rng.lognormal(np.log(55), 0.5, N_FAMILIES).astype(int), 12, 160)
    for f, base in enumerate(W.GENRE_BASES[:N_FAMILIES]):
        candidates = [f"{m} {base}" for m in W.STYLE_MODIFIERS + W.REGION_MODIFIERS]
        candidates += [f"{r} {s} {base}" for r in W.REGION_MODIFIERS for s in W.STYLE_MODIFIERS]
        order = rng.permutation(len(candidates))
        # Single-modifier tags come earlier on average (they are the more common micro-genres).
        single = [candidates[i] for i in order if candidates[i].count(" ") - base.count(" ") == 1]
        double = [candidates[i] for i in order if candidates[i].count(" ") - base.count(" ") > 1]
        mixed = single[: sizes[f] // 2] + double
        families.append([base] + mixed[: sizes[f] - 1])
    return families


def _release_dates(rng: np.random.Generator, years: np.ndarray) -> tuple[pl.Series, pl.Series]:
    n = len(years)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    kind = rng.choice(3, size=n, p=[0.85, 0.03, 0.12])  # day, month, year precision
    frame = pl.DataFrame({"y": years, "m": month, "d": day, "k": kind})
    y = pl.col("y").cast(pl.Utf8)
    m = pl.col("m").cast(pl.Utf8).str.zfill(2)
    d = pl.col("d").cast(pl.Utf8).str.zfill(2)
    out = frame.select(
        date=pl.when(pl.col("k") == 0).then(pl.concat_str([y, m, d], separator="-"))
        .when(pl.col("k") == 1).then(pl.concat_str([y, m], separator="-")).otherwise(y),
        precision=pl.when(pl.col("k") == 0).then(pl.lit("day"))
        .when(pl.col("k") == 1).then(pl.lit("month")).otherwise(pl.lit("year")),
    )
    return out["date"], out["precision"]


def generate_synthetic_frames(artists: int, seed: int) -> dict[str, pl.DataFrame]:
    """All catalog tables for `artists` artists, as polars frames (deterministic for `seed`)."""
    if artists < 1:
        raise ValueError("artists must be >= 1")
    rng = np.random.default_rng(seed)
    n = artists

    # ── genre families and tags ──
    fam_tags = _family_tags(rng)
    tag_names = [t for tags in fam_tags for t in tags]
    tag_family = np.concatenate([np.full(len(t), f) for f, t in enumerate(fam_tags)])
    fam_start = np.concatenate([[0], np.cumsum([len(t) for t in fam_tags])[:-1]])
    fam_len = np.array([len(t) for t in fam_tags])
    # Zipf weights inside each family, stored as one concatenated CDF offset by the family number so
    # a single searchsorted samples a tag for many (family, u) pairs at once.
    cdf_parts = []
    for f, tags in enumerate(fam_tags):
        w = 1.0 / np.arange(1, len(tags) + 1) ** 1.1
        c = np.cumsum(w / w.sum())
        c[-1] = 1.0
        cdf_parts.append(c + f)
    global_cdf = np.concatenate(cdf_parts)

    # ── artists ──
    fam_weight = 1.0 / np.arange(1, N_FAMILIES + 1) ** 0.7
    fam_weight = rng.permutation(fam_weight / fam_weight.sum())
    family = rng.choice(N_FAMILIES, size=n, p=fam_weight)
    artist_ids = _ids(rng, n)
    followers = np.round(np.exp(rng.normal(7.5, 2.2, n))).astype(np.int64)
    popularity = np.clip(np.round(12 * np.log10(followers + 1) - 8 + rng.normal(0, 6, n)), 0, 100).astype(np.int32)
    pattern = rng.choice(5, size=n, p=[0.35, 0.2, 0.2, 0.1, 0.15])
    nameparts = pl.DataFrame({
        "p": pattern,
        "first": _pick(W.FIRST_NAMES, rng.integers(0, len(W.FIRST_NAMES), n)),
        "last": _pick(W.LAST_NAMES, rng.integers(0, len(W.LAST_NAMES), n)),
        "adj": _pick(W.ADJECTIVES, rng.integers(0, len(W.ADJECTIVES), n)),
        "noun": _pick(W.NOUNS, rng.integers(0, len(W.NOUNS), n)),
        "noun2": _pick(W.NOUNS, rng.integers(0, len(W.NOUNS), n)),
    })
    c = pl.col
    artist_names = nameparts.select(
        pl.when(c("p") == 0).then(pl.concat_str([c("first"), c("last")], separator=" "))
        .when(c("p") == 1).then(pl.concat_str([pl.lit("The"), c("adj"), c("noun") + "s"], separator=" "))
        .when(c("p") == 2).then(pl.concat_str([c("adj"), c("noun")], separator=" "))
        .when(c("p") == 3).then(pl.concat_str([pl.lit("DJ"), c("noun")], separator=" "))
        .otherwise(pl.concat_str([c("noun"), c("noun2")], separator=" ")).alias("name")
    )["name"]
    has_image = rng.random(n) < 0.9
    artists_df = pl.DataFrame({
        "artist_id": artist_ids, "name": artist_names, "followers": followers,
        "popularity": popularity,
    }).with_columns(image_url=pl.when(pl.Series(has_image))
                    .then(pl.format("https://i.scdn.co/image/syn{}", pl.col("artist_id"))))

    # ── artist genre tags ──
    tagged = rng.random(n) >= UNTAGGED_SHARE
    tagged_idx = np.flatnonzero(tagged)
    k = np.minimum(rng.geometric(0.26, size=len(tagged_idx)), 28)
    slot_artist = np.repeat(tagged_idx, k)
    slot_family = family[slot_artist].copy()
    cross = rng.random(len(slot_artist)) < CROSS_FAMILY_TAG_P
    slot_family[cross] = rng.integers(0, N_FAMILIES, cross.sum())
    slot_tag = np.searchsorted(global_cdf, slot_family + rng.random(len(slot_artist)), side="right")
    slot_tag = np.minimum(slot_tag, fam_start[slot_family] + fam_len[slot_family] - 1)
    tag_series = pl.Series(np.asarray(tag_names, dtype=object)[slot_tag].astype(str))
    artist_genres_df = (
        pl.DataFrame({"artist_id": artist_ids.gather(slot_artist), "genre": tag_series})
        .unique(maintain_order=True)
        .sort(["artist_id", "genre"])
        .with_columns(position=pl.int_range(pl.len()).over("artist_id").cast(pl.Int32))
    )

    # ── albums ──
    pop_z = (popularity - popularity.mean()) / (popularity.std() + 1e-9)
    n_alb = np.clip(np.round(np.exp(rng.normal(0.55 + 0.3 * pop_z, 0.7))), 1, 300).astype(np.int64)
    alb_artist = np.repeat(np.arange(n), n_alb)
    na = len(alb_artist)
    alb_rank = np.arange(na) - np.repeat(np.cumsum(n_alb) - n_alb, n_alb)
    album_ids = _ids(rng, na)
    alb_type = rng.choice(3, size=na, p=[0.45, 0.45, 0.10])  # album, single, compilation
    n_trk = np.where(alb_type == 1, 1 + rng.binomial(2, 0.3, na),
                     np.where(alb_type == 0, np.clip(np.round(rng.normal(11, 3, na)), 5, 30),
                              np.clip(np.round(rng.normal(18, 4, na)), 10, 40))).astype(np.int64)
    start_year = np.clip(np.round(2025 - rng.exponential(14, n)), 1955, 2025).astype(np.int64)
    gap = rng.uniform(0.4, 3.0, n)
    years = np.minimum(start_year[alb_artist] + np.floor(alb_rank * gap[alb_artist] + rng.random(na)), 2026).astype(np.int64)
    rel_date, rel_prec = _release_dates(rng, years)
    alb_names = pl.DataFrame({
        "p": rng.integers(0, 3, na),
        "adj": _pick(W.ADJECTIVES, rng.integers(0, len(W.ADJECTIVES), na)),
        "noun": _pick(W.NOUNS, rng.integers(0, len(W.NOUNS), na)),
    }).select(
        pl.when(c("p") == 0).then(pl.concat_str([c("adj"), c("noun")], separator=" "))
        .when(c("p") == 1).then(pl.concat_str([pl.lit("The"), c("noun")], separator=" "))
        .otherwise(pl.concat_str([c("noun") + "s", pl.lit("of"), c("adj"), c("noun")], separator=" "))
        .alias("name"))["name"]
    albums_df = pl.DataFrame({
        "album_id": album_ids,
        "name": alb_names,
        "album_type": _pick(["album", "single", "compilation"], alb_type),
        "release_date": rel_date,
        "release_date_precision": rel_prec,
        "total_tracks": n_trk.astype(np.int32),
        "label": _pick(W.LABELS, rng.integers(0, len(W.LABELS), na)),
        "popularity": np.clip(popularity[alb_artist] + np.round(rng.normal(-8, 10, na)), 0, 100).astype(np.int32),
        "upc": pl.Series(rng.integers(0, 10**12, na)).cast(pl.Utf8).str.zfill(12),
    })
    album_artists_df = pl.DataFrame({"album_id": album_ids, "artist_id": artist_ids.gather(alb_artist),
                                     "position": np.zeros(na, dtype=np.int32)})

    # ── tracks ──
    trk_album = np.repeat(np.arange(na), n_trk)
    nt = len(trk_album)
    trk_no = (np.arange(nt) - np.repeat(np.cumsum(n_trk) - n_trk, n_trk) + 1).astype(np.int32)
    track_ids = _ids(rng, nt)
    trk_artist = alb_artist[trk_album]
    trk_names = pl.DataFrame({
        "p": rng.integers(0, 4, nt),
        "adj": _pick(W.ADJECTIVES, rng.integers(0, len(W.ADJECTIVES), nt)),
        "noun": _pick(W.NOUNS, rng.integers(0, len(W.NOUNS), nt)),
        "first": _pick(W.FIRST_NAMES, rng.integers(0, len(W.FIRST_NAMES), nt)),
    }).select(
        pl.when(c("p") == 0).then(pl.concat_str([c("adj"), c("noun")], separator=" "))
        .when(c("p") == 1).then(c("noun"))
        .when(c("p") == 2).then(pl.concat_str([c("first") + "'s", c("noun")], separator=" "))
        .otherwise(pl.concat_str([pl.lit("Into the"), c("adj"), c("noun")], separator=" "))
        .alias("name"))["name"]
    fam_center_dur = rng.uniform(170_000, 290_000, N_FAMILIES)
    duration = np.clip(rng.normal(fam_center_dur[family[trk_artist]], 45_000), 30_000, 1_200_000).astype(np.int32)
    isrc = pl.DataFrame({"p": _ids(rng, nt).str.slice(0, 3), "n": np.arange(nt)}).select(
        pl.concat_str([pl.lit("QZ"), pl.col("p"), pl.col("n").cast(pl.Utf8).str.zfill(7)]).str.to_uppercase())
    tracks_df = pl.DataFrame({
        "track_id": track_ids, "name": trk_names, "album_id": album_ids.gather(trk_album),
        "disc_number": np.ones(nt, dtype=np.int32), "track_number": trk_no, "duration_ms": duration,
        "explicit": rng.random(nt) < np.array([0.05, 0.1, 0.3, 0.05, 0.05])[rng.integers(0, 5, nt)],
        "popularity": np.clip(popularity[trk_artist] + np.round(rng.normal(-10, 12, nt)), 0, 100).astype(np.int32),
        "isrc": isrc.to_series(),
    })

    # ── collaborations: featured artists, mostly from the main artist's family ──
    by_family = np.argsort(family, kind="stable")
    fam_count = np.bincount(family, minlength=N_FAMILIES)
    fam_first = np.concatenate([[0], np.cumsum(fam_count)[:-1]])
    feat = np.flatnonzero(rng.random(nt) < FEATURE_P)
    same = rng.random(len(feat)) < 0.7
    f_of = family[trk_artist[feat]]
    pick_same = by_family[fam_first[f_of] + np.floor(rng.random(len(feat)) * fam_count[f_of]).astype(np.int64)]
    pick_any = rng.integers(0, n, len(feat))
    featured = np.where(same, pick_same, pick_any)
    keep = featured != trk_artist[feat]
    track_artists_df = pl.concat([
        pl.DataFrame({"track_id": track_ids, "artist_id": artist_ids.gather(trk_artist),
                      "position": np.zeros(nt, dtype=np.int32)}),
        pl.DataFrame({"track_id": track_ids.gather(feat[keep]), "artist_id": artist_ids.gather(featured[keep]),
                      "position": np.ones(int(keep.sum()), dtype=np.int32)}),
    ])

    # ── audio features: family means + artist offsets + track noise (heavy overlap) ──
    unit = ["acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness", "valence"]
    fam_center = rng.uniform(0.15, 0.85, (N_FAMILIES, len(unit)))
    fam_center[:, unit.index("liveness")] = rng.uniform(0.1, 0.3, N_FAMILIES)
    fam_center[:, unit.index("speechiness")] = rng.uniform(0.03, 0.3, N_FAMILIES)
    artist_mean = fam_center[family] + rng.normal(0, 0.10, (n, len(unit)))
    feats = {name: np.round(np.clip(artist_mean[trk_artist, j] + rng.normal(0, 0.13, nt), 0, 1), 4)
             for j, name in enumerate(unit)}
    fam_loud = rng.uniform(-13, -4, N_FAMILIES)
    fam_tempo = rng.uniform(80, 150, N_FAMILIES)
    fam_major = rng.uniform(0.4, 0.8, N_FAMILIES)
    af = trk_artist
    audio_df = pl.DataFrame({
        "track_id": track_ids, **feats,
        "key": np.where(rng.random(nt) < 0.01, -1, rng.integers(0, 12, nt)).astype(np.int32),
        "loudness": np.round(np.clip(fam_loud[family[af]] + rng.normal(0, 2.5, nt), -60, 0), 3),
        "mode": (rng.random(nt) < fam_major[family[af]]).astype(np.int32),
        "tempo": np.round(np.clip(fam_tempo[family[af]] + rng.normal(0, 18, nt), 40, 220), 3),
        "time_signature": rng.choice([4, 3, 5, 1], size=nt, p=[0.88, 0.09, 0.02, 0.01]).astype(np.int32),
        "duration_ms": duration,
    }).select(["track_id", "acousticness", "danceability", "energy", "instrumentalness", "key", "liveness",
               "loudness", "mode", "speechiness", "tempo", "time_signature", "valence", "duration_ms"])

    # ── playlists: one editorial playlist per family, one user playlist per common tag ──
    # Sampling artists first, then one of each artist's tracks, keeps this cheap at any size: an
    # artist's tracks are contiguous (albums are generated artist by artist, tracks album by album).
    planted_artists = pl.DataFrame({"artist_id": artist_ids, "family": family.astype(np.int32)})
    trk_per_artist = np.bincount(trk_artist, minlength=n)
    trk_first = np.cumsum(trk_per_artist) - trk_per_artist
    tag_counts = artist_genres_df.group_by("genre").len().filter(pl.col("len") >= 5).sort(["len", "genre"], descending=[True, False])
    common_tags = tag_counts["genre"].head(150).to_list()
    fam_names = [W.GENRE_BASES[f] for f in range(N_FAMILIES)]
    pl_meta = (
        [{"name": f"This Is {fam_names[f].title()}", "description": f"The essential {fam_names[f]} tracks.",
          "owner_id": "spotify", "owner_name": "Spotify"} for f in range(N_FAMILIES)]
        + [{"name": f"{t} mix" if i % 2 else f"Best of {t}", "description": f"A {t} playlist.",
            "owner_id": f"user{i % 97:02d}", "owner_name": f"Listener {i % 97}"}
           for i, t in enumerate(common_tags)]
    )
    tag_artists = (pl.DataFrame({"a": slot_artist, "genre": tag_series}).unique()
                   .filter(pl.col("genre").is_in(common_tags)).sort(["genre", "a"])
                   .group_by("genre", maintain_order=True).agg("a"))
    members = dict(zip(tag_artists["genre"].to_list(), tag_artists["a"].to_list()))
    pools = [by_family[fam_first[f]: fam_first[f] + fam_count[f]] for f in range(N_FAMILIES)]
    pools += [np.asarray(members.get(t, []), dtype=np.int64) for t in common_tags]
    item_pl, item_trk = [], []
    for p, pool in enumerate(pools):
        chosen = rng.choice(pool, size=min(60, len(pool)), replace=False) if len(pool) else pool
        item_pl.append(np.full(len(chosen), p))
        item_trk.append(trk_first[chosen] + (rng.random(len(chosen)) * trk_per_artist[chosen]).astype(np.int64))
    item_pl_idx = np.concatenate(item_pl)
    item_trk_idx = np.concatenate(item_trk)
    pl_rng_ids = _ids(rng, len(pl_meta))
    editorial = np.array([m["owner_id"] == "spotify" for m in pl_meta])
    playlist_ids = pl.DataFrame({"r": pl_rng_ids, "e": editorial}).select(
        pl.when(pl.col("e")).then(pl.lit("37i9dQZF1") + pl.col("r").str.slice(0, 13)).otherwise(pl.col("r")))
    playlist_ids = playlist_ids.to_series()
    month = rng.integers(1, 13, len(item_trk_idx))
    day = rng.integers(1, 29, len(item_trk_idx))
    playlist_items_df = pl.DataFrame({
        "playlist_id": playlist_ids.gather(item_pl_idx), "track_id": track_ids.gather(item_trk_idx),
        "m": month, "d": day,
    }).with_columns(
        position=pl.int_range(pl.len()).over("playlist_id").cast(pl.Int32),
        added_at=pl.format("2025-{}-{}T12:00:00Z", pl.col("m").cast(pl.Utf8).str.zfill(2),
                           pl.col("d").cast(pl.Utf8).str.zfill(2)),
    ).select(["playlist_id", "position", "track_id", "added_at"])
    playlists_df = pl.DataFrame(pl_meta).with_columns(
        playlist_id=playlist_ids,
        snapshot_id=pl.Series(_ids(rng, len(pl_meta))),
        public=pl.lit(True), collaborative=pl.lit(False),
    ).select(["playlist_id", "name", "description", "owner_id", "owner_name", "snapshot_id", "public", "collaborative"])

    return {
        "artists": artists_df,
        "artist_genres": artist_genres_df,
        "albums": albums_df,
        "album_artists": album_artists_df,
        "tracks": tracks_df,
        "track_artists": track_artists_df,
        "audio_features": audio_df,
        "playlists": playlists_df,
        "playlist_items": playlist_items_df,
        "planted_genre_families": pl.DataFrame({"genre": tag_names, "family": tag_family.astype(np.int32),
                                                "family_name": [fam_names[f] for f in tag_family]}),
        "planted_artist_families": planted_artists,
    }


def build_synthetic_catalog(out_dir: str | Path, artists: int = 2000, seed: int = 0) -> dict:
    """Generate a synthetic catalog of `artists` artists into `out_dir`; return its manifest."""
    frames = generate_synthetic_frames(artists, seed)
    return write_catalog(out_dir, frames, source="synthetic",
                         params={"artists": artists, "seed": seed, "families": N_FAMILIES,
                                 "untagged_share": UNTAGGED_SHARE})
