"""Search over the catalog: free text (word prefixes) and the field filters of docs §4.2.

Supported filters: `artist:`, `album:`, `track:`, `genre:` (exact tag, artists and tracks only),
`year:` (single year or range), `isrc:` (tracks), `upc:` and `tag:new` / `tag:hipster` (albums).
Results are ordered by popularity (then name, then id), so paging is stable. Query results are
cached, so paging through one query costs one evaluation.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict

from ._catalog import Catalog

TYPES = ("album", "artist", "playlist", "track")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_QUERY = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')
_FIELDS = {"artist", "album", "track", "year", "genre", "tag", "isrc", "upc"}


def tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(text.lower()) if text else []


def parse_query(q: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Split a query into free-text words and (field, value) filters."""
    words: list[str] = []
    filters: list[tuple[str, str]] = []
    for m in _QUERY.finditer(q):
        fq, vq, fu, vu, quoted, bare = m.groups()
        field, value = (fq, vq) if fq else (fu, vu) if fu else (None, None)
        if field is not None and field.lower() in _FIELDS:
            filters.append((field.lower(), value))
        elif field is not None:  # unknown field: Spotify treats it as text
            words.extend(tokens(f"{field} {value}"))
        else:
            words.extend(tokens(quoted if quoted is not None else bare))
    return words, filters


class _TextIndex:
    """Word -> entity indexes, with prefix lookup over the sorted vocabulary."""

    def __init__(self, texts: list[list[str]]) -> None:
        postings: dict[str, set[int]] = {}
        for i, words in enumerate(texts):
            for w in words:
                postings.setdefault(w, set()).add(i)
        self.postings = postings
        self.vocab = sorted(postings)

    def prefix(self, word: str) -> set[int]:
        lo = bisect.bisect_left(self.vocab, word)
        hi = bisect.bisect_left(self.vocab, word + "\U0010ffff")
        if hi - lo == 1:
            return self.postings[self.vocab[lo]]
        out: set[int] = set()
        for w in self.vocab[lo:hi]:
            out |= self.postings[w]
        return out

    def all_words(self, words: list[str]) -> set[int] | None:
        result: set[int] | None = None
        for w in words:
            hits = self.prefix(w)
            result = set(hits) if result is None else result & hits
            if not result:
                return set()
        return result


def _years(value: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", value.strip())
    if not m:
        return None
    lo = int(m.group(1))
    return lo, int(m.group(2) or lo)


class SearchIndex:
    """Lazily built per-type indexes; `search(q, type)` returns ordered entity indexes."""

    def __init__(self, catalog: Catalog, cache_size: int = 4096) -> None:
        self.c = catalog
        self._text: dict[str, _TextIndex] = {}
        self._rank: dict[str, list[int]] = {}
        self._cache: OrderedDict[tuple[str, str], list[int]] = OrderedDict()
        self._cache_size = cache_size
        self._genre: dict[str, list[int]] | None = None
        self._artist_names: _TextIndex | None = None

    def warm(self) -> None:
        """Build every index now, so no request pays for it (a first track search on a catalog of
        millions of tracks would otherwise stall the event loop for seconds)."""
        for kind in ("artist", "album", "track", "playlist"):
            self._text_index(kind)
            self._order(kind)
        self._text_index("track_name")
        self._text_index("album_name")
        self._genre_artists("")
        if self._artist_names is None:
            self._artist_names = _TextIndex([tokens(n) for n in self.c.artist_name])

    # ── lazily built structures ──
    def _text_index(self, kind: str) -> _TextIndex:
        idx = self._text.get(kind)
        if idx is None:
            c = self.c
            if kind == "artist":
                texts = [tokens(n) for n in c.artist_name]
            elif kind == "album":
                texts = [tokens(n) + [w for a in c.album_artists[i] for w in tokens(c.artist_name[a])]
                         for i, n in enumerate(c.album_name)]
            elif kind == "track":
                texts = [tokens(n) + [w for a in c.track_artists[i] for w in tokens(c.artist_name[a])]
                         for i, n in enumerate(c.track_name)]
            elif kind == "track_name":
                texts = [tokens(n) for n in c.track_name]
            elif kind == "album_name":
                texts = [tokens(n) for n in c.album_name]
            else:
                texts = [tokens(n) + tokens(d) for n, d in zip(c.playlist_name, c.playlist_description)]
            idx = self._text[kind] = _TextIndex(texts)
        return idx

    def _order(self, kind: str) -> list[int]:
        """rank[i] of entity i: popularity descending, then name, then id."""
        rank = self._rank.get(kind)
        if rank is None:
            c = self.c
            if kind == "artist":
                keys = zip(c.artist_popularity, c.artist_name, c.artist_id)
            elif kind == "album":
                keys = zip(c.album_popularity, c.album_name, c.album_id)
            elif kind == "track":
                keys = zip(c.track_popularity, c.track_name, c.track_id)
            else:
                keys = zip([len(x) for x in c.playlist_items], c.playlist_name, c.playlist_id)
            keys = list(keys)
            order = sorted(range(len(keys)), key=lambda i: (
                -(keys[i][0] if keys[i][0] is not None else -1), keys[i][1] or "", keys[i][2]))
            rank = [0] * len(order)
            for r, i in enumerate(order):
                rank[i] = r
            self._rank[kind] = rank
        return rank

    def _genre_artists(self, genre: str) -> list[int]:
        if self._genre is None:
            g: dict[str, list[int]] = {}
            for i, tags in enumerate(self.c.artist_genres):
                for tag in tags:
                    g.setdefault(tag.lower(), []).append(i)
            self._genre = g
        return self._genre.get(genre.lower().strip(), [])

    # ── evaluation ──
    def search(self, q: str, kind: str) -> list[int]:
        key = (q, kind)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        result = self._evaluate(q, kind)
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def _evaluate(self, q: str, kind: str) -> list[int]:
        c = self.c
        words, filters = parse_query(q)
        sets: list[set[int]] = []
        for field, value in filters:
            s = self._filter(kind, field, value)
            if s is None:  # filter not applicable to this type: no results (Spotify returns none)
                return []
            sets.append(s)
        if words:
            sets.append(self._text_index(kind).all_words(words) or set())
        if not sets:
            return []
        sets.sort(key=len)
        result = set(sets[0])
        for s in sets[1:]:
            result &= s
        rank = self._order(kind)
        return sorted(result, key=rank.__getitem__)

    def _filter(self, kind: str, field: str, value: str) -> set[int] | None:
        c = self.c
        value = value.strip()
        if field == "genre":
            artists = self._genre_artists(value)
            if kind == "artist":
                return set(artists)
            if kind == "track":
                return {t for a in artists for t in c.artist_tracks[a]}
            return None
        if field == "artist":
            if self._artist_names is None:
                self._artist_names = _TextIndex([tokens(n) for n in c.artist_name])
            artists = self._artist_names.all_words(tokens(value)) or set()
            if kind == "artist":
                return artists
            if kind == "track":
                return {t for a in artists for t in c.artist_tracks[a]}
            if kind == "album":
                return {al for a in artists for al, g in c.artist_albums[a] if g != "appears_on"}
            return None
        if field == "year":
            span = _years(value)
            if span is None:
                return set()
            lo, hi = span
            albums = {i for i, y in enumerate(c.album_year) if y is not None and lo <= y <= hi}
            if kind == "album":
                return albums
            if kind == "track":
                return {t for al in albums for t in c.album_tracks[al]}
            if kind == "artist":
                return {a for al in albums for a in c.album_artists[al]}
            return None
        if field == "track":
            return (self._text_index("track_name").all_words(tokens(value)) or set()) if kind == "track" else None
        if field == "album":
            albums = self._text_index("album_name").all_words(tokens(value)) or set()
            if kind == "album":
                return albums
            if kind == "track":
                return {t for al in albums for t in c.album_tracks[al]}
            return None
        if field == "isrc":
            return {i for i, x in enumerate(c.track_isrc) if x and x.upper() == value.upper()} if kind == "track" else None
        if field == "upc":
            return {i for i, x in enumerate(c.album_upc) if x == value} if kind == "album" else None
        if field == "tag" and kind == "album":
            if value.lower() == "hipster":
                pops = sorted(p for p in c.album_popularity if p is not None)
                cut = pops[len(pops) // 10] if pops else 0
                return {i for i, p in enumerate(c.album_popularity) if p is not None and p <= cut}
            if value.lower() == "new":
                latest = max((y for y in c.album_year if y is not None), default=0)
                return {i for i, y in enumerate(c.album_year) if y == latest}
            return set()
        return None
