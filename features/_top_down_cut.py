"""Cutting the tag tree into families top down: split the heaviest family first.

A horizontal cut of the average-linkage tree (``TreeCutter``) takes the k highest merges. On
MusicOSet the top of the tree is nearly flat (the last ~45 merges all sit between distance 0.95
and 1.0), so which groups a horizontal cut separates is decided by noise in the third decimal,
and small genres that share no artists with the rest (classical, reggae: merge distance 1.000)
are separated first and then folded back into a big family, at random, for being too small.

``TopDownCutter`` uses the same tree and the same size floor, but spends the k splits where the
artists are: starting from the root it repeatedly splits the family carrying the most artists
into the two subtrees below it. A subtree becomes a family when it carries at least
``min_share`` of the artists, or when it is *distinct*: it joins the rest only at distance
≥ ``distinct_height`` (no shared artists, even second-order), carries ≥ ``distinct_share`` of
the artists and holds at least two tags. Other subtrees (outlier tags) join the family at the
least mean distance at the end. Measured on MusicOSet (30 resamples, k=16): largest family
23.1% of tagged artists (horizontal cut: 24.2%), classical and reggae get families of their own
(horizontal cut: in rock and pop punk), bootstrap ARI about the same (0.735 vs 0.761).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._cooccurrence import fold_into


def previous_labels(prev_family: dict[str, int], tags: list[str]) -> np.ndarray | None:
    """The previous version's family of each tag as 0..m-1 (-1: none), for ``previous``."""
    if not prev_family:
        return None
    ids = {f: i for i, f in enumerate(sorted({f for f in prev_family.values() if f is not None}))}
    return np.array([ids.get(prev_family.get(t), -1) for t in tags], dtype=np.int64)


class TopDownCutter:
    """Families of one tree: split the heaviest family first until there are k of them."""

    def __init__(self, Z: np.ndarray, D: np.ndarray, X: sp.csr_matrix, min_share: float,
                 weights: np.ndarray | None = None, distinct_share: float | None = None,
                 distinct_height: float = 0.999, previous: np.ndarray | None = None):
        self.Z, self.D, self.min_share = Z, D, min_share
        self.previous = previous
        self._follows: dict[int, bool] = {}
        self.distinct_share, self.distinct_height = distinct_share, distinct_height
        n = D.shape[0]
        self.n = n
        N = X.shape[0]
        w = np.ones(N) if weights is None else np.asarray(weights, dtype=np.float64)
        total = max(float(w.sum()), 1e-12)
        Xc = X.tocsc()
        # Artist mass of every node (leaves, then merges): the smaller side's artists are added
        # to the larger side's boolean mask, so each merge costs O(smaller side).
        self.mass = np.zeros(max(2 * n - 1, 1))
        self.n_leaves = np.ones(max(2 * n - 1, 1), dtype=np.int64)
        self.children: dict[int, tuple[int, int]] = {}
        members: dict[int, np.ndarray] = {}
        for i in range(n):
            members[i] = Xc.indices[Xc.indptr[i]:Xc.indptr[i + 1]]
            self.mass[i] = float(w[members[i]].sum())
        for step, (a, b) in enumerate(Z[:, :2].astype(int) if n > 1 else []):
            node = n + step
            self.children[node] = (a, b)
            self.n_leaves[node] = self.n_leaves[a] + self.n_leaves[b]
            ma, mb = members.pop(a), members.pop(b)
            if (ma.dtype == bool and mb.dtype != bool) or (ma.dtype != bool and mb.dtype != bool and len(ma) < len(mb)):
                ma, mb, a, b = mb, ma, b, a
            if ma.dtype != bool:
                mask = np.zeros(N, dtype=bool)
                mask[ma] = True
                ma = mask
            idx = np.flatnonzero(mb) if mb.dtype == bool else mb
            new = idx[~ma[idx]]
            ma[new] = True
            members[node] = ma
            self.mass[node] = self.mass[a] + float(w[new].sum())
        self.mass /= total
        self.root = 2 * n - 2 if n > 1 else 0
        self._labels: dict[int, np.ndarray] = {}
        self._sub_labels: dict[tuple, np.ndarray] = {}
        self._groups: dict[int, tuple[list[int], list[int]]] = {}

    def _leaf_order(self) -> None:
        """Leaves in tree order, so every node's leaves are one slice ``[start, end)`` of it."""
        order, self._span = [], {}
        stack = [(self.root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                self._span[node] = (self._span[node], len(order))
                continue
            if node < self.n:
                self._span[node] = (len(order), len(order) + 1)
                order.append(node)
                continue
            self._span[node] = len(order)
            stack.append((node, True))
            a, b = self.children[node]
            stack.extend([(b, False), (a, False)])
        self._order = np.asarray(order, dtype=np.int64)

    def leaves(self, node: int) -> np.ndarray:
        if not hasattr(self, "_order"):
            self._leaf_order()
        start, end = self._span[node]
        return self._order[start:end]

    def _qualifies(self, child: int, parent_height: float, floor: float, distinct: bool) -> bool:
        if self.mass[child] >= floor:
            return True
        return (distinct and self.distinct_share is not None and parent_height >= self.distinct_height
                and self.mass[child] >= self.distinct_share and self.n_leaves[child] >= 2)

    def groups(self, k: int, start: list[int] | None = None, min_share: float | None = None,
               distinct: bool = True) -> tuple[list[int], list[int]]:
        """(group nodes, outlier nodes) after splitting the heaviest group until there are k,
        from the root or from ``start`` (the families, for the subfamilies inside them)."""
        groups, outliers, stuck = list(start or [self.root]), [], set()
        floor = self.min_share if min_share is None else min_share
        while len(groups) < k:
            splittable = [g for g in groups if g >= self.n and g not in stuck]
            if not splittable:
                break
            g = max(splittable, key=lambda x: (start is not None or self._follows_previous(x), self.mass[x], -x))
            height = float(self.Z[g - self.n, 2])
            kept = [c for c in self.children[g] if self._qualifies(c, height, floor, distinct)]
            if not kept:  # both sides too small: this group is a leaf of the cut
                stuck.add(g)
                continue
            groups.remove(g)
            groups += kept
            outliers += [c for c in self.children[g] if c not in kept]
        return groups, outliers

    def _follows_previous(self, node: int) -> bool:
        """Does splitting ``node`` separate tags the previous version had in different families?
        (True when either side has no previous family.) Such splits go first, so a rebuild on a
        little more data spends its k splits where the last version did, as long as the tree has
        them; measured on MusicOSet +10% artists: 95.8% of tags kept their family id, 84.9% without."""
        if self.previous is None:
            return True
        if node not in self._follows:
            sides = []
            for child in self.children[node]:
                prev = self.previous[self.leaves(child)]
                prev = prev[prev >= 0]
                sides.append(np.bincount(prev).argmax() if len(prev) else -1)
            self._follows[node] = -1 in sides or sides[0] != sides[1]
        return self._follows[node]

    def _family_groups(self, k: int) -> tuple[list[int], list[int]]:
        if k not in self._groups:
            self._groups[k] = self.groups(k)
        return self._groups[k]

    def labels(self, k: int) -> np.ndarray:
        if self.n <= 1:
            return np.zeros(self.n, dtype=int)
        if k not in self._labels:
            families, outliers = self._family_groups(min(k, self.n))
            lab = np.empty(self.n, dtype=np.int64)
            for j, node in enumerate(families):
                lab[self.leaves(node)] = j
            for j, node in enumerate(outliers):
                lab[self.leaves(node)] = len(families) + j
            if outliers:
                lab = fold_into(lab, np.arange(len(families), len(families) + len(outliers)),
                                np.arange(len(families)), self.D)
            _, lab = np.unique(lab, return_inverse=True)
            self._labels[k] = lab
        return self._labels[k]

    def subfamily_labels(self, k_family: int, k_sub: int, min_share: float) -> np.ndarray:
        """Subfamilies: the family split goes on, heaviest group first, inside the k_family
        families until there are k_sub groups of at least ``min_share``; nested by construction.
        Tags that joined a family as outliers join its subfamily at the least mean distance."""
        key = (k_family, k_sub, min_share)
        if key not in self._sub_labels:
            families, _ = self._family_groups(min(k_family, self.n))
            subs, _ = self.groups(max(k_sub, len(families)), start=families, min_share=min_share, distinct=False)
            fam = self.labels(k_family)
            lab = np.full(self.n, -1, dtype=np.int64)
            for j, node in enumerate(subs):
                lab[self.leaves(node)] = j
            sub_family = fam[[self.leaves(node)[0] for node in subs]]
            rest = np.flatnonzero(lab < 0)
            if len(rest):
                onehot = np.zeros((self.n, len(subs)))
                onehot[lab >= 0, lab[lab >= 0]] = 1.0
                mean_d = (self.D[rest] @ onehot) / np.maximum(onehot.sum(axis=0), 1.0)
                mean_d[sub_family[None, :] != fam[rest][:, None]] = np.inf
                lab[rest] = np.argmin(mean_d, axis=1)
            _, lab = np.unique(lab, return_inverse=True)
            self._sub_labels[key] = lab
        return self._sub_labels[key]
