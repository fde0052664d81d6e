"""The name rule for tags that co-occurrence cannot place (rare without overlap, or never seen).

"swedish death metal" → the family of the longest known tag that ends the name ("death metal",
else "metal"); else the majority family (by artists) of known tags with the same head (last)
token; else of known tags sharing any token; else nothing (the caller falls back).
"""

from __future__ import annotations

import re
from collections import defaultdict

_SPLIT = re.compile(r"[\s\-_/]+")


def tokens(tag: str) -> list[str]:
    return [t for t in _SPLIT.split(tag.lower().strip()) if t]


class TokenRule:
    """Index of known tags → family, queried by name."""

    def __init__(self, tag_family: dict[str, int], tag_weight: dict[str, float]):
        self.by_name = {" ".join(tokens(t)): f for t, f in tag_family.items()}
        self.head = defaultdict(lambda: defaultdict(float))
        self.any = defaultdict(lambda: defaultdict(float))
        for tag, fam in tag_family.items():
            toks = tokens(tag)
            if not toks:
                continue
            w = max(tag_weight.get(tag, 1.0), 1.0)
            self.head[toks[-1]][fam] += w
            for tok in set(toks):
                self.any[tok][fam] += w

    @staticmethod
    def _best(votes: dict[int, float]) -> int:
        return max(sorted(votes), key=lambda f: votes[f])

    def family(self, tag: str) -> int | None:
        toks = tokens(tag)
        if not toks:
            return None
        for start in range(len(toks)):  # longest known suffix first, the whole name included
            fam = self.by_name.get(" ".join(toks[start:]))
            if fam is not None:
                return fam
        if toks[-1] in self.head:
            return self._best(self.head[toks[-1]])
        votes: dict[int, float] = defaultdict(float)
        for tok in toks:
            for fam, w in self.any.get(tok, {}).items():
                votes[fam] += w
        return self._best(votes) if votes else None
