"""Small synthetic data-set files in the real formats, for tests that must run without ../shared/data."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

MUSIC_GENRE_COLUMNS = [
    "instance_id", "artist_name", "track_name", "popularity", "acousticness", "danceability", "duration_ms",
    "energy", "instrumentalness", "key", "liveness", "loudness", "mode", "speechiness", "tempo",
    "obtained_date", "valence", "music_genre",
]
SPOTIFY_SONGS_COLUMNS = [
    "track_id", "track_name", "track_artist", "track_popularity", "track_album_id", "track_album_name",
    "track_album_release_date", "playlist_name", "playlist_id", "playlist_genre", "playlist_subgenre",
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
    "liveness", "valence", "tempo", "duration_ms",
]


def write_text(path: Path, text: str, gz: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def music_genre_rows(n: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append([
            f"{10000 + i}.0", "empty_field" if i % 10 == 3 else f"Artist {i % 37}", f"Track {i}",
            f"{rng.randint(0, 90)}.0", f"{rng.random():.4f}", f"{rng.random():.4f}",
            "-1.0" if i % 10 == 4 else f"{rng.randint(60000, 400000)}.0", f"{rng.random():.4f}",
            f"{rng.random():.4f}", rng.choice(["A", "A#", "C", "D"]), f"{rng.random():.4f}",
            f"{-rng.random() * 20:.3f}", rng.choice(["Major", "Minor"]), f"{rng.random():.4f}",
            "?" if i % 10 == 5 else f"{rng.uniform(60, 180):.3f}", "4-Apr", f"{rng.random():.4f}",
            rng.choice(["Jazz", "Rock", "Rap"]),
        ])
    return rows


def music_genre_csv(rows: list[list[str]], columns: list[str] = MUSIC_GENRE_COLUMNS) -> str:
    return "\n".join([",".join(columns)] + [",".join(r) for r in rows]) + "\n"


def spotify_songs_csv(tracks: int = 40, playlists: int = 3, seed: int = 0) -> tuple[str, list[list[str]]]:
    """Every track appears in 1..playlists playlists (in file order), like the real file."""
    rng = random.Random(seed)
    rows = []
    for p in range(playlists):
        for t in range(tracks):
            if (t + p) % (p + 1):
                continue
            rows.append([
                f"track{t:018d}", f"Song {t}", f"Artist {t % 7}", str(rng.randint(0, 100)), f"album{t // 2:018d}",
                f"Album {t // 2}", "2019" if t // 2 % 5 == 0 else "2019-06-14", f"Playlist {p}", f"playlist{p:015d}",
                "pop", "dance pop", f"{rng.random():.3f}", f"{rng.random():.3f}", str(rng.randint(0, 11)),
                f"{-rng.random() * 10:.3f}", str(rng.randint(0, 1)), f"{rng.random():.3f}", f"{rng.random():.3f}",
                "0", f"{rng.random():.3f}", f"{rng.random():.3f}", f"{rng.uniform(60, 180):.3f}",
                str(rng.randint(100000, 300000)),
            ])
    # the same track must carry the same values in every playlist
    first: dict[str, list[str]] = {}
    for r in rows:
        base = first.setdefault(r[0], r)
        r[1:7] = base[1:7]
        r[11:] = base[11:]
    text = "\n".join([",".join(SPOTIFY_SONGS_COLUMNS)] + [",".join(r) for r in rows]) + "\n"
    return text, rows


def musicoset_dir(root: Path, *, gz: bool = True, crlf: bool = True) -> Path:
    """A tiny MusicOSet directory in the real layout: TAB-separated, Python-repr lists, CRLF lines."""
    nl = "\r\n" if crlf else "\n"

    def tsv(rel: str, header: list[str], rows: list[list[str]]) -> None:
        text = nl.join(["\t".join(header)] + ["\t".join(r) for r in rows]) + nl
        write_text(root / (rel + (".gz" if gz else "")), text, gz=gz)

    tsv("musicoset_metadata/artists.csv",
        ["artist_id", "name", "followers", "popularity", "artist_type", "main_genre", "genres", "image_url"], [
            ["artA", "Ann", "1000", "80", "singer", "pop", "['dance pop', 'pop']", "http://img/a"],
            ["artB", "Bob's \"Band\"", "None", "40", "'band'", "rock", "[\"rock 'n' roll\", 'rock']", "http://img/b"],
            ["artC", "Cy", "7", "5", "-", "-", "[]", "http://img/c"],
        ])
    tsv("musicoset_metadata/songs.csv",
        ["song_id", "song_name", "billboard", "artists", "popularity", "explicit", "song_type"], [
            ["s1", "One", "('One', 'Ann')", "{'artA': 'Ann'}", "70", "True", "Solo"],
            ["s2", "Two", "('Two', 'Bob')", "{'artB': 'Bob', 'artA': 'Ann'}", "50", "False", "Collaboration"],
            ["s3", "Three", "('Three', 'Cy')", "{'artC': 'Cy'}", "10", "False", "Solo"],
        ])
    tsv("musicoset_metadata/tracks.csv",
        ["song_id", "album_id", "track_number", "release_date", "release_date_precision"], [
            ["s1", "alb1", "1", "2018-01-01", "day"], ["s2", "alb1", "2", "2018-01-01", "day"],
            ["s3", "alb2", "5", "1999", "year"],
        ])
    tsv("musicoset_metadata/releases.csv", ["artist_id", "album_id", "release_date", "release_date_precision"], [
        ["artA", "alb1", "2018-01-01", "day"], ["artC", "alb2", "1999", "year"], ["artB", "alb3", "2001-05", "month"],
    ])
    tsv("musicoset_songfeatures/acoustic_features.csv",
        ["song_id", "duration_ms", "key", "mode", "time_signature", "acousticness", "danceability", "energy",
         "instrumentalness", "liveness", "loudness", "speechiness", "valence", "tempo"], [
            [s, str(200000 + i), str(i), "1", "4", "0.1", "0.2", "0.3", "0", "0.1", "-5.5", "0.05", "0.6", "120.5"]
            for i, s in enumerate(["s1", "s2", "s3"])
        ])
    tsv("musicoset_popularity/artist_pop.csv", ["artist_id", "year_end_score", "is_pop", "year"], [
        ["artA", "100", "True", "2017"], ["artA", "150", "True", "2018"], ["artB", "20", "False", "1999"],
    ])
    tsv("musicoset_popularity/album_pop.csv", ["album_id", "year_end_score", "is_pop", "year"], [
        ["alb1", "300", "True", "2018"],
    ])
    tsv("musicoset_popularity/song_pop.csv", ["song_id", "year_end_score", "is_pop", "year"], [
        ["s1", "55", "True", "2018"],
    ])
    return root
