"""Estimate requests and time for a crawl of N artists in each API mode (docs/spotify-web-api.md §8.5)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass
class ModeEstimate:
    mode: str
    steps: dict[str, int]
    requests: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def plan_crawl(artists: int, mode: str | None = None, *, releases_per_artist: float = 6.0,
               tracks_per_release: float = 8.0, budget_per_window: int = 90, window_seconds: float = 30.0,
               per_track_detail: bool | None = None, audio_features: bool = True) -> list[ModeEstimate]:
    """Requests and duration to crawl ``artists`` artists, per mode (``extended``, ``development``).

    N = artists, R = releases per artist, T = tracks per release; artists are found by genre
    search (full objects, so no separate artist fetch for them) and by credits (fetched by id).
    ``per_track_detail`` (full track objects for ISRC/popularity) defaults to on in extended mode
    and off in development mode, where it would cost one GET per track.
    """
    if artists < 0:
        raise ValueError("artists must be >= 0")
    n, r, t = artists, releases_per_artist, tracks_per_release
    releases = n * r
    tracks = releases * t
    credited = 0.2 * n  # artists first met as credits (not through a search)
    out = []
    for m in ([mode] if mode else ["extended", "development"]):
        if m == "extended":
            steps = {
                "search pages": math.ceil(n / 50),
                "artist objects (batch 50)": math.ceil(credited / 50),
                "discography pages (50)": n * math.ceil(r / 50),
                "album objects (batch 20)": math.ceil(releases / 20),
            }
            if per_track_detail is not False:
                steps["full tracks (batch 50)"] = math.ceil(tracks / 50)
            if audio_features:
                steps["audio features (batch 100)"] = math.ceil(tracks / 100)
        elif m == "development":
            steps = {
                "search pages": math.ceil(n / 10),
                "artist objects (single)": math.ceil(credited),
                "discography pages (10)": n * math.ceil(r / 10),
                "album objects (single)": math.ceil(releases),
            }
            if per_track_detail:
                steps["full tracks (single)"] = math.ceil(tracks)
        else:
            raise ValueError(f"unknown mode {m!r} (extended or development)")
        total = sum(steps.values())
        seconds = total / budget_per_window * window_seconds
        out.append(ModeEstimate(m, steps, total, seconds))
    return out
