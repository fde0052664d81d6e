"""Crawl seeds as people type them: ``genre:"dance pop", artist:ID, query:lo fi``.

One parser serves ``genrestore crawl --seeds``, the job option ``-o seeds=...`` and schedule options,
so a seed means the same wherever it is written. Accepted, per seed:

- ``kind:value`` with kind ``genre``, ``artist``, ``playlist``, ``track`` or ``query`` (any case);
- the value bare (``genre:dance pop``) or quoted with ``"`` or ``'`` (``genre:"dance pop"``), and a
  quoted value may contain commas; the whole seed may be quoted too (``"genre:dance pop"``);
- ids as 22 base-62 characters, a ``spotify:artist:ID`` URI or an ``open.spotify.com/artist/ID``
  link (with or without the ``artist:`` prefix);
- seeds separated by commas; blank seeds and extra whitespace are ignored.

Anything else raises :class:`~warehouse.UsageError` with a one-line message naming the bad seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from warehouse import UsageError

KINDS = ("genre", "artist", "playlist", "track", "query")
ID_KINDS = ("artist", "playlist", "track")
_QUOTES = "\"'"
# Typographic quotes pasted from documents and chat count as the plain ones.
_TYPOGRAPHIC = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_URI = re.compile(r"spotify:(artist|playlist|track):(.*)", re.IGNORECASE)
_URL = re.compile(r"(?:https?://)?open\.spotify\.com/(?:intl-[\w-]+/)?(artist|playlist|track)/([^/?#\s]*)"
                  r"(?:[/?#].*)?", re.IGNORECASE)
_HINT = "use genre:NAME, artist:ID, playlist:ID, track:ID or query:WORDS, separated by commas"


@dataclass(frozen=True)
class Seed:
    """One seed: its kind and its value (a genre tag in lower case, a Spotify id, search words)."""

    kind: str
    key: str

    def __str__(self) -> str:
        """The seed as it parses back to itself (values with commas or edge quotes are quoted)."""
        value = self.key
        if "," in value or value[:1] in _QUOTES:
            quote = "'" if '"' in value else '"'
            value = f"{quote}{value}{quote}"
        return f"{self.kind}:{value}"


def parse_seeds(seeds: str | Seed | Iterable[str | Seed] | None) -> list[Seed]:
    """Seeds from text such as ``genre:"dance pop", artist:ID`` (or a list of such texts, or Seeds).

    Duplicates are dropped, the order is kept. :raises UsageError: a seed that is not understood.
    """
    if seeds is None:
        return []
    parts = [seeds] if isinstance(seeds, (str, Seed)) else list(seeds)
    out: list[Seed] = []
    for part in parts:
        if isinstance(part, Seed):
            found = [part]
        elif isinstance(part, str):
            found = [_seed(item, quoted) for item, quoted in _split(part.translate(_TYPOGRAPHIC))]
        else:
            raise UsageError(f"bad seeds {part!r}: {_HINT}")
        for seed in found:
            if seed not in out:
                out.append(seed)
    return out


def _split(text: str) -> list[tuple[str, bool]]:
    """Split at the commas outside quotes: ``[(seed text, whether the whole seed was quoted)]``.

    A quote opens only where a value starts (the start of a seed, or just after ``kind:``), so an
    apostrophe inside a bare value (``genre:children's music``) is a letter. A quote closes at the
    same character followed by the end or a comma, so a quoted value may hold commas and apostrophes.
    """
    items: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i <= n:
        while i < n and text[i].isspace():
            i += 1
        start = i
        if i < n and text[i] in _QUOTES:  # the whole seed is quoted: "genre:dance pop"
            end = _closing(text, i)
            items.append((text[i + 1:end], True))
            i = end + 1
        else:
            while i < n and text[i] != ",":
                if text[i] == ":" and text[start:i].strip().lower() in KINDS:
                    j = i + 1
                    while j < n and text[j].isspace():
                        j += 1
                    if j < n and text[j] in _QUOTES:  # a quoted value: genre:"dance pop"
                        i = _closing(text, j) + 1
                        break
                i += 1
            items.append((text[start:i], False))
        comma = text.find(",", i)  # only blanks lie between i and this comma
        i = n + 1 if comma < 0 else comma + 1
    return [(item, quoted) for item, quoted in items if item.strip() or quoted]


def _closing(text: str, opening: int) -> int:
    """Index of the quote that closes the one at ``opening``: the same character, then a comma or the end."""
    quote = text[opening]
    i = opening + 1
    while True:
        i = text.find(quote, i)
        if i < 0:
            raise UsageError(f"bad seed {text[max(0, opening - 6):].strip()!r}: the quote {quote} is not closed "
                             f"(a closing quote must end the seed, before the next comma)")
        rest = text[i + 1:].lstrip()
        if not rest or rest[0] == ",":
            return i
        i += 1


def _seed(item: str, quoted: bool) -> Seed:
    text = " ".join(item.split())
    shown = f'"{text}"' if quoted else text
    if not text:
        raise UsageError(f"bad seed {shown!r}: it is empty; {_HINT}")
    link = _URL.fullmatch(text) or _URI.fullmatch(text)
    if link:
        return Seed(link.group(1).lower(), _spotify_id(link.group(1).lower(), link.group(2), shown))
    kind, sep, value = text.partition(":")
    kind = kind.strip().lower()
    if not sep:
        raise UsageError(f"bad seed {shown!r}: no kind; {_HINT} (e.g. genre:{text})")
    if kind not in KINDS:
        raise UsageError(f"bad seed {shown!r}: unknown kind {kind!r}; {_HINT}")
    value = value.strip()
    while len(value) >= 2 and value[0] in _QUOTES and value[-1] == value[0]:
        value = " ".join(value[1:-1].split())  # ""dance pop"" (quotes typed twice) is still dance pop
    if not value:
        raise UsageError(f"bad seed {shown!r}: the {kind} is empty; {_HINT}")
    if kind in ID_KINDS:
        return Seed(kind, _spotify_id(kind, value, shown))
    if kind == "genre":
        if '"' in value:
            raise UsageError(f"bad seed {shown!r}: a genre name cannot contain a double quote")
        value = value.lower()
    return Seed(kind, value)


def _spotify_id(kind: str, value: str, shown: str) -> str:
    """The 22-character id in ``value`` (an id, a spotify: URI or an open.spotify.com link)."""
    link = _URL.fullmatch(value) or _URI.fullmatch(value)
    if link:
        if link.group(1).lower() != kind:
            raise UsageError(f"bad seed {shown!r}: that is a {link.group(1).lower()} link, but the seed says {kind}")
        value = link.group(2)
    if not _SPOTIFY_ID.fullmatch(value):
        raise UsageError(f"bad seed {shown!r}: {value!r} is not a Spotify {kind} id "
                         "(22 letters and digits, e.g. 4Z8W4fKeB5YxbusRsdQVPb)")
    return value
