"""The tag's own words as evidence: a micro-genre is mostly its head word ("x metal", "x house").

"swedish death metal" → the group of the longest known tag that ends the name ("death metal",
else "metal"); else the artist-weighted votes of the known tags with the same head (last) word.
``exclude`` leaves one known tag out, for validating the rule on tags whose group is known.
"""

from __future__ import annotations

import re
from collections import defaultdict

_SPLIT = re.compile(r"[\s\-_/]+")


def tokens(tag: str) -> list[str]:
    return [t for t in _SPLIT.split(tag.lower().strip()) if t]


class HeadWordIndex:
    """Known tags → group, queried by name."""

    def __init__(self, tag_group: dict[str, int], tag_weight: dict[str, float]):
        self.group = dict(tag_group)
        self.weight = {t: max(float(tag_weight.get(t, 1.0)), 1.0) for t in tag_group}
        self.by_name: dict[str, str] = {}
        head: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for tag in sorted(tag_group, key=lambda t: (-self.weight[t], t)):
            toks = tokens(tag)
            if not toks:
                continue
            self.by_name.setdefault(" ".join(toks), tag)
            head[toks[-1]][tag_group[tag]] += self.weight[tag]
        self.head = {w: dict(v) for w, v in head.items()}  # plain dicts: a fitted taxonomy pickles

    def distribution(self, tag: str, exclude: str | None = None) -> tuple[dict[int, float], str | None]:
        """(group shares, kind): kind "suffix:<known tag>" or "head:<word>"; ({}, None) when nothing matches."""
        toks = tokens(tag)
        if not toks:
            return {}, None
        for start in range(len(toks)):  # longest known suffix first, the whole name included
            known = self.by_name.get(" ".join(toks[start:]))
            if known is not None and known != exclude:
                return {self.group[known]: 1.0}, f"suffix:{known}"
        votes = dict(self.head.get(toks[-1], {}))
        if exclude is not None and exclude in self.group and tokens(exclude)[-1:] == toks[-1:]:
            g = self.group[exclude]
            votes[g] = votes.get(g, 0.0) - self.weight[exclude]
        votes = {g: v for g, v in votes.items() if v > 1e-9}
        total = sum(votes.values())
        if not total:
            return {}, None
        return {g: v / total for g, v in votes.items()}, f"head:{toks[-1]}"

    def best(self, tag: str) -> int | None:
        dist, _ = self.distribution(tag)
        return max(sorted(dist), key=lambda g: dist[g]) if dist else None
