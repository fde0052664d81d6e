"""An external genre hierarchy (the Free Music Archive's 163-genre tree) as evidence for tags.

A tag is matched onto the tree by name: its whole name, else its longest word suffix ("swedish
death metal" -> "Death-Metal"), else its head word ("x metal" -> "Metal"). Names are compared
without case, spaces or hyphens ("Hip-Hop" = "hip hop", "Be-Bop" = "bebop"); a title such as
"Jazz: Vocal" also answers to "vocal jazz", "Reggae - Dub" to "dub", "Big Band/Swing" to "swing".
The tree then says which clustered tags sit nearby: the evidence for a node is the clustered tags
matched anywhere in its subtree, and a tag takes the evidence of its node or, when that node has
none, of the nearest ancestor that has some.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import defaultdict
from pathlib import Path

from ._token_rule import tokens

_KEY = re.compile(r"[^a-z0-9&]+")


def name_key(text: str) -> str:
    text = text.lower().replace(" and ", " & ").replace("rnb", "r&b")
    return _KEY.sub("", text)


def _aliases(title: str) -> set[str]:
    title = title.strip().lower()
    out = {title}
    if ":" in title:  # "jazz: vocal" -> "vocal jazz"
        head, _, tail = title.partition(":")
        out.add(f"{tail.strip()} {head.strip()}")
    for sep in (" / ", "/", " - "):
        if sep in title:
            out.update(p.strip() for p in title.split(sep) if p.strip())
    if title == "soul-rnb":
        out.update({"soul", "r&b"})
    return {name_key(a) for a in out if name_key(a)}


class GenreHierarchy:
    """A genre tree (id, title, parent id) and the tag-name lookups into it."""

    def __init__(self, rows, name: str = "fma"):
        self.name = name
        self.title: dict[int, str] = {}
        self.parent: dict[int, int | None] = {}
        for genre_id, title, parent_id in rows:
            if genre_id is None or title is None:
                continue
            self.title[int(genre_id)] = str(title)
            self.parent[int(genre_id)] = int(parent_id) if parent_id not in (None, 0, "", "0") else None
        self.by_key: dict[str, int] = {}
        # Top-level and smaller ids first, so a name shared by two nodes means the broader one.
        for gid in sorted(self.title, key=lambda g: (self.depth(g), g)):
            for key in _aliases(self.title[gid]):
                self.by_key.setdefault(key, gid)

    def __len__(self) -> int:
        return len(self.title)

    def depth(self, gid: int) -> int:
        d, seen = 0, set()
        while self.parent.get(gid) is not None and gid not in seen:
            seen.add(gid)
            gid = self.parent[gid]
            d += 1
        return d

    def ancestors(self, gid: int) -> list[int]:
        """``gid`` and its ancestors up to the top level."""
        out, seen = [], set()
        while gid is not None and gid in self.title and gid not in seen:
            out.append(gid)
            seen.add(gid)
            gid = self.parent.get(gid)
        return out

    def top_level(self, gid: int) -> int:
        return self.ancestors(gid)[-1]

    def node_of(self, tag: str) -> int | None:
        """The node a tag name matches: whole name, longest word suffix, or head word."""
        toks = tokens(tag)
        for start in range(len(toks)):
            gid = self.by_key.get(name_key(" ".join(toks[start:])))
            if gid is not None:
                return gid
        return None


class HierarchyEvidence:
    """Family votes of the clustered tags, gathered up the hierarchy."""

    def __init__(self, hierarchy: GenreHierarchy, tag_group: dict[str, int], tag_weight: dict[str, float]):
        self.h = hierarchy
        self.node = {t: hierarchy.node_of(t) for t in tag_group}
        self.votes: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.group = tag_group
        self.weight = tag_weight
        for t, g in tag_group.items():
            gid = self.node[t]
            if gid is None:
                continue
            for anc in hierarchy.ancestors(gid):
                self.votes[anc][g] += tag_weight.get(t, 1.0)

    def distribution(self, tag: str, exclude: str | None = None) -> tuple[dict[int, float], str | None]:
        """Group shares from the nearest node (the tag's own, else an ancestor) with evidence."""
        gid = self.h.node_of(tag)
        if gid is None:
            return {}, None
        own = self.node.get(exclude) if exclude is not None else None
        for anc in self.h.ancestors(gid):
            votes = dict(self.votes.get(anc, {}))
            if own is not None and anc in self.h.ancestors(own):
                g = self.group[exclude]
                votes[g] = votes.get(g, 0.0) - self.weight.get(exclude, 1.0)
            votes = {g: v for g, v in votes.items() if v > 1e-9}
            total = sum(votes.values())
            if total > 0:
                return {g: v / total for g, v in votes.items()}, self.h.title[anc]
        return {}, None


def read_hierarchy_file(path: str | Path) -> GenreHierarchy:
    """FMA's genres.csv (plain or .gz): genre_id, #tracks, parent, title, top_level."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        rows = [(r["genre_id"], r["title"], r["parent"]) for r in csv.DictReader(f)]
    return GenreHierarchy(rows, name=path.name.split(".")[0])
