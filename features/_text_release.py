"""Per-artist text (names and titles) and release-structure features, label-free and stateless.

Both exist for every artist a development-mode crawl reaches (names; album and track titles,
dates, durations, explicit flags, track numbers) and neither encodes fame:

* ``text_*``: over the artist's name and the titles of its tracks and albums — the share of
  letters in each script (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, Han, Kana,
  Hangul), the detected language of the titles (py3langid, whose model ships inside the
  package: nothing is downloaded; probabilities over a fixed set of languages), title cues
  (remix/mix/edit, live, feat./with, classical catalogue words, brackets, digits) as shares of
  titles, and mean title length.
* ``rel_*``: release structure — tracks per album, share of albums holding one to three of the
  artist's tracks (singles/EPs), track-length quantiles and the shares under 2:30 / over 6:00,
  mean track number, release-year spread, decade of the median release year.

Per-row encodings only: nothing is learned from other artists, so no identity or label can
cross the artist-disjoint split.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

SCRIPTS = ("latin", "cyrillic", "greek", "arabic", "hebrew", "devanagari", "thai", "han", "kana", "hangul")
_SCRIPT_NAMES = {"LATIN": "latin", "CYRILLIC": "cyrillic", "GREEK": "greek", "ARABIC": "arabic",
                 "HEBREW": "hebrew", "DEVANAGARI": "devanagari", "THAI": "thai", "CJK": "han",
                 "HIRAGANA": "kana", "KATAKANA": "kana", "HANGUL": "hangul"}
LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "nl", "sv", "ru", "ja", "ko", "zh", "tr", "ar", "hi", "la")
_CUES = {
    "remix": r"(?i)remix|\bmix\b|\bedit\b|\bversion\b",
    "live": r"(?i)\blive\b",
    "feat": r"(?i)\b(feat|ft|featuring)\b\.?|\bwith\b",
    "classical": (r"(?i)(\bop\.|\bno\.\s*\d|\bbwv\b|\bk\.\s*\d|\b(major|minor)\b|allegro|adagio|andante|"
                  r"sonata|concerto|symphon|prelude|fugue|nocturne|requiem)"),
    "paren": r"[(\[]",
    "digits": r"\d",
    "christmas": r"(?i)christmas|navidad|noel|xmas",
    "love": r"(?i)\b(love|amor|coraz[oó]n|heart)\b",
}
_CUE_RE = {k: re.compile(p) for k, p in _CUES.items()}

TEXT_FEATURES = ([f"text_script_{s}" for s in SCRIPTS] + [f"text_lang_{lang}" for lang in LANGUAGES]
                 + ["text_lang_confidence"] + [f"text_title_{c}" for c in _CUES]
                 + ["text_title_chars", "text_n_titles"])
RELEASE_FEATURES = ["rel_tracks_per_album", "rel_small_release_share", "rel_track_ms_q10", "rel_track_ms_q50",
                    "rel_track_ms_q90", "rel_short_share", "rel_long_share", "rel_track_number_mean",
                    "rel_year_std", "rel_decade"]


def script_shares(text: str) -> list[float]:
    """Share of the letters of ``text`` in each of :data:`SCRIPTS` (zeros when it has none)."""
    counts = dict.fromkeys(SCRIPTS, 0)
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        name = unicodedata.name(ch, "")
        script = _SCRIPT_NAMES.get(name.split(" ")[0]) if name else None
        if script:
            counts[script] += 1
    return [counts[s] / letters if letters else 0.0 for s in SCRIPTS]


_IDENTIFIER = None


def _identifier():
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import _load_identifier

        ident = _load_identifier()
        ident.set_languages(list(LANGUAGES))
        _IDENTIFIER = ident
    return _IDENTIFIER


def language_probabilities(text: str) -> list[float]:
    """P(language) over :data:`LANGUAGES` for ``text``, plus the top probability; NaN if empty."""
    if not text.strip():
        return [np.nan] * (len(LANGUAGES) + 1)
    ranked = dict(_identifier().rank(text))
    scores = np.array([ranked.get(lang, -np.inf) for lang in LANGUAGES], dtype=float)
    p = np.exp(scores - scores.max())
    p /= p.sum()
    return p.tolist() + [float(p.max())]


def text_features(names, titles) -> np.ndarray:
    """len(names) × len(TEXT_FEATURES); ``titles[i]`` is a list of the artist's titles."""
    rows = []
    for name, ts in zip(names, titles):
        ts = [t for t in (ts or []) if t]
        body = " ".join(ts)
        scripts = script_shares(f"{name or ''} {body}")
        langs = language_probabilities(body) if ts else [np.nan] * (len(LANGUAGES) + 1)
        if ts:
            cues = [float(np.mean([bool(r.search(t)) for t in ts])) for r in _CUE_RE.values()]
            length = float(np.mean([len(t) for t in ts]))
        else:
            cues, length = [np.nan] * len(_CUES), np.nan
        rows.append(scripts + langs + cues + [length, float(len(ts))])
    return np.array(rows, dtype=float).reshape(len(rows), len(TEXT_FEATURES))


_TITLES_SQL = """
SELECT ta.artist_id, t.name FROM (SELECT DISTINCT artist_id, track_id FROM track_artists) ta
JOIN tracks t ON t.track_id = ta.track_id WHERE t.name IS NOT NULL
UNION ALL
SELECT aa.artist_id, al.name FROM album_artists aa JOIN albums al ON al.album_id = aa.album_id
WHERE al.name IS NOT NULL
"""

_RELEASE_SQL = """
WITH credits AS (SELECT DISTINCT artist_id, track_id FROM track_artists),
tr AS (
    SELECT c.artist_id, t.track_id, t.album_id, t.duration_ms, t.track_number
    FROM credits c JOIN tracks t ON t.track_id = c.track_id
),
per_album AS (SELECT artist_id, album_id, count(*) AS n FROM tr WHERE album_id IS NOT NULL GROUP BY 1, 2),
album_stats AS (
    SELECT artist_id, avg(n) AS tracks_per_album, avg(CASE WHEN n <= 3 THEN 1.0 ELSE 0.0 END) AS small_share
    FROM per_album GROUP BY 1
),
track_stats AS (
    SELECT artist_id,
           quantile_cont(duration_ms, 0.1) AS q10, quantile_cont(duration_ms, 0.5) AS q50,
           quantile_cont(duration_ms, 0.9) AS q90,
           avg(CASE WHEN duration_ms IS NULL THEN NULL WHEN duration_ms < 150000 THEN 1.0 ELSE 0.0 END) AS short_share,
           avg(CASE WHEN duration_ms IS NULL THEN NULL WHEN duration_ms > 360000 THEN 1.0 ELSE 0.0 END) AS long_share,
           avg(track_number) AS track_number_mean
    FROM tr GROUP BY 1
),
artist_albums AS (
    SELECT artist_id, album_id FROM album_artists
    UNION SELECT artist_id, album_id FROM tr WHERE album_id IS NOT NULL
),
years AS (
    SELECT aa.artist_id, stddev_pop(al.release_year) AS year_std, median(al.release_year) AS year_median
    FROM artist_albums aa JOIN albums al ON al.album_id = aa.album_id
    WHERE al.release_year IS NOT NULL GROUP BY 1
)
SELECT a.artist_id, s.tracks_per_album, s.small_share, t.q10, t.q50, t.q90, t.short_share, t.long_share,
       t.track_number_mean, y.year_std, floor(y.year_median / 10) * 10 AS decade
FROM artists a
LEFT JOIN album_stats s ON s.artist_id = a.artist_id
LEFT JOIN track_stats t ON t.artist_id = a.artist_id
LEFT JOIN years y ON y.artist_id = a.artist_id
"""


def artist_titles(source, artist_ids) -> list[list[str]]:
    """Per artist, the titles of its tracks and albums (an empty list when it has none)."""
    titles: dict[str, list[str]] = {}
    for aid, title in source.execute(_TITLES_SQL).fetchall():
        titles.setdefault(aid, []).append(title)
    return [titles.get(str(a), []) for a in artist_ids]


def artist_text_features(source, artist_ids) -> np.ndarray:
    """``text_features`` for ``artist_ids`` from a connection holding the silver tables."""
    names = dict(source.execute("SELECT artist_id, name FROM artists").fetchall())
    ids = [str(a) for a in artist_ids]
    return text_features([names.get(a) for a in ids], artist_titles(source, ids))


def artist_release_features(source, artist_ids) -> np.ndarray:
    """len(artist_ids) × len(RELEASE_FEATURES) from a connection holding the silver tables."""
    rows = {r[0]: r[1:] for r in source.execute(_RELEASE_SQL).fetchall()}
    empty = (None,) * len(RELEASE_FEATURES)
    out = np.array([[np.nan if v is None else float(v) for v in rows.get(str(a), empty)] for a in artist_ids],
                   dtype=float)
    return out.reshape(len(artist_ids), len(RELEASE_FEATURES))
