"""Stable ids across taxonomy versions: optimal matching of groups on weighted tag overlap.

A new version's groups (families, or subfamilies) are matched one-to-one to the previous
version's groups of the same level by the Hungarian algorithm (``linear_sum_assignment``) on the
weighted Jaccard overlap of their tags (each tag weighted by its artists), so a family keeps its id
when it keeps most of its tags. Pairs below ``min_jaccard`` do not count as a match; a group without
a match gets a new id, never one used before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass
class Match:
    new_id: int
    previous_id: int | None
    jaccard: float


def weighted_jaccard(a: set[str], b: set[str], weight: dict[str, float]) -> float:
    inter = sum(weight.get(t, 1.0) for t in a & b)
    union = sum(weight.get(t, 1.0) for t in a | b)
    return inter / union if union else 0.0


def match_groups(new: dict[int, set[str]], old: dict[int, set[str]], weight: dict[str, float], next_id: int,
                 order: list[int], min_jaccard: float = 0.1) -> tuple[dict[int, int], list[Match], int]:
    """Local group → id (matched to ``old`` ids, else fresh from ``next_id`` in ``order``)."""
    locals_ = sorted(new)
    old_ids = sorted(old)
    ids: dict[int, int] = {}
    matches: dict[int, Match] = {}
    if locals_ and old_ids:
        J = np.array([[weighted_jaccard(new[g], old[o], weight) for o in old_ids] for g in locals_])
        rows, cols = linear_sum_assignment(-J)
        for r, c in zip(rows, cols):
            if J[r, c] >= min_jaccard:
                ids[locals_[r]] = old_ids[c]
                matches[locals_[r]] = Match(old_ids[c], old_ids[c], float(J[r, c]))
    for g in order:
        if g not in ids:
            ids[g] = next_id
            best = 0.0
            if old_ids:
                best = max(weighted_jaccard(new[g], old[o], weight) for o in old_ids)
            matches[g] = Match(next_id, None, best)
            next_id += 1
    return ids, [matches[g] for g in order], next_id
