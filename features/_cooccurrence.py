"""Genre-tag distances from shared artists, and cutting the tag tree into k families.

Distance between two tags (both carried by at least ``min_artists`` artists):

1. Ochiai (cosine of the binary artist columns): shared artists / sqrt(n_a * n_b), computed on
   artist weights so a bootstrap resample is just another weight vector, and shrunk towards 0 by
   shared / (shared + ``shrinkage``) (the item-item shrinkage of collaborative filtering), so a
   similarity resting on two or three shared artists counts for less than one resting on fifty.
2. Second-order profile cosine: each tag is described by its Ochiai similarities to every
   clustered tag, each coordinate weighted by the IDF of that tag (log(N / artists)). Broad tags
   such as "pop" or "rock" are similar to almost everything, so the IDF weight makes "both are
   somewhat like pop" count for little, which keeps them from gluing families together; the
   profile also smooths the noisy counts of tags with few artists (more stable under resampling).
3. distance = 1 - profile cosine.

The tree is average linkage weighted by tag support (``weighted_average_linkage``): the distance
between two clusters is the mean over their tag pairs weighted by the tags' artist counts (to a
power), so a tag carried by 20 artists cannot pull two large groups together the way it can when
every tag counts the same.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform


def incidence(artist_tags: list[list[str]], tags: list[str]) -> sp.csr_matrix:
    """Binary artists x tags matrix (only the listed tags)."""
    index = {t: i for i, t in enumerate(tags)}
    rows, cols = [], []
    for a, genres in enumerate(artist_tags):
        for t in set(genres):
            j = index.get(t)
            if j is not None:
                rows.append(a)
                cols.append(j)
    data = np.ones(len(rows), dtype=np.float64)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(artist_tags), len(tags)))


def tag_similarity(X: sp.csr_matrix, weights: np.ndarray | None = None, shrinkage: float = 0.0) -> np.ndarray:
    """IDF-weighted second-order cosine similarity between the tag columns of ``X``."""
    w = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    Xw = sp.diags(w) @ X
    C = np.asarray((X.T @ Xw).todense())
    n = np.sqrt(np.maximum(np.diag(C), 1e-12))
    ochiai = C / np.outer(n, n)
    if shrinkage > 0:
        ochiai *= C / (C + shrinkage)
    np.fill_diagonal(ochiai, 1.0)
    df = np.maximum(np.diag(C), 1e-12)
    total = max(float(w[np.asarray(X.sum(axis=1)).ravel() > 0].sum()), 1.0)
    idf = np.log(np.maximum(total / df, 1.0 + 1e-9))
    profile = ochiai * idf[None, :]
    profile /= np.maximum(np.linalg.norm(profile, axis=1, keepdims=True), 1e-12)
    sim = profile @ profile.T
    np.fill_diagonal(sim, 1.0)
    return sim


def distance_matrix(X: sp.csr_matrix, weights: np.ndarray | None = None, shrinkage: float = 0.0) -> np.ndarray:
    D = 1.0 - tag_similarity(X, weights, shrinkage)
    np.clip(D, 0.0, 1.0, out=D)
    np.fill_diagonal(D, 0.0)
    return D


def fast_ari(a: np.ndarray, b: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Adjusted Rand index of two label vectors (same value as sklearn's, without its overhead).

    ``weights``: integer multiplicity of each element (e.g. a tag's artist count, so the ARI is
    over tag uses); the value is sklearn's ARI on the labels repeated that many times.
    """
    a = np.unique(np.asarray(a), return_inverse=True)[1]
    b = np.unique(np.asarray(b), return_inverse=True)[1]
    w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=np.float64)
    n = float(w.sum())
    if n < 2:
        return 1.0

    def pairs(counts: np.ndarray) -> float:
        counts = counts.astype(np.float64)
        return float((counts * (counts - 1) / 2).sum())

    s_ij = pairs(np.bincount(a * (b.max() + 1) + b, weights=w))
    s_a, s_b = pairs(np.bincount(a, weights=w)), pairs(np.bincount(b, weights=w))
    expected = s_a * s_b / (n * (n - 1) / 2)
    top = (s_a + s_b) / 2
    if top == expected:
        return 1.0
    return (s_ij - expected) / (top - expected)


def average_linkage(D: np.ndarray) -> np.ndarray:
    return linkage(squareform(D, checks=False), method="average")


def weighted_average_linkage(D: np.ndarray, leaf_weights: np.ndarray) -> np.ndarray:
    """Average linkage where each leaf carries a weight; scipy's linkage-matrix format.

    Cluster distance = weighted mean of the leaf-pair distances (Lance-Williams update with
    weights W_a / (W_a + W_b)); with equal weights this is scipy's ``method="average"``. The
    nearest-neighbour chain finds the merges in O(n^2) (the update is reducible, so the chain is
    exact); the merges are then sorted by height and renumbered as scipy numbers them.
    """
    n = D.shape[0]
    if n < 2:
        return np.zeros((0, 4))
    dist = np.array(D, dtype=np.float64, copy=True)
    np.fill_diagonal(dist, np.inf)
    weight = np.asarray(leaf_weights, dtype=np.float64).copy()
    active = np.ones(n, dtype=bool)
    merges: list[tuple[int, int, float]] = []
    chain: list[int] = []
    for _ in range(n - 1):
        if not chain:
            chain.append(int(np.flatnonzero(active)[0]))
        while True:
            a = chain[-1]
            b = int(np.argmin(dist[a]))
            if len(chain) > 1 and dist[a, chain[-2]] <= dist[a, b]:
                b = chain[-2]  # ties go back down the chain, so it always ends
            if len(chain) > 1 and b == chain[-2]:
                break
            chain.append(b)
        a, b = chain.pop(), chain.pop()
        merges.append((a, b, float(dist[a, b])))
        merged = (weight[a] * dist[a] + weight[b] * dist[b]) / (weight[a] + weight[b])
        dist[a], dist[:, a] = merged, merged
        dist[a, a] = np.inf
        dist[b], dist[:, b] = np.inf, np.inf
        active[b] = False
        weight[a] += weight[b]
    # scipy's numbering: the merge at sorted position s creates cluster n + s.
    parent = list(range(n))
    cluster_of = list(range(n))
    size = [1] * n

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    Z = np.zeros((n - 1, 4))
    for step, (a, b, h) in enumerate(sorted(merges, key=lambda m: m[2])):
        ra, rb = root(a), root(b)
        ca, cb = cluster_of[ra], cluster_of[rb]
        Z[step] = (min(ca, cb), max(ca, cb), h, size[ra] + size[rb])
        parent[rb] = ra
        cluster_of[ra] = n + step
        size[ra] += size[rb]
    return Z


def family_shares(X: sp.csr_matrix, labels: np.ndarray, n_families: int,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """Share of (weighted) artists carrying at least one tag of each family.

    Every row of ``X`` is a tagged artist (its tags may all be too rare to be columns), so the
    denominator is all tagged artists, the same base as the final family shares.
    """
    onehot = sp.csr_matrix((np.ones(len(labels)), (np.arange(len(labels)), labels)),
                           shape=(len(labels), n_families))
    hit = (X @ onehot) > 0
    w = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    total = max(w.sum(), 1e-12)
    return np.asarray(hit.T @ w).ravel() / total


class TreeCutter:
    """Cut one average-linkage tree into exactly k families of at least ``min_share`` artists.

    For a given k, take the smallest cut of the tree that yields k clusters holding at least
    ``min_share`` of the artists each; the smaller clusters of that cut (outlier tags) join the
    big cluster at the smallest average distance. This keeps k meaning "k usable families".
    """

    def __init__(self, Z: np.ndarray, D: np.ndarray, X: sp.csr_matrix, min_share: float,
                 weights: np.ndarray | None = None):
        self.Z, self.D, self.X, self.min_share, self.weights = Z, D, X, min_share, weights
        self.n = D.shape[0]
        self._cuts: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._nbig: np.ndarray | None = None
        self._labels: dict[int, np.ndarray] = {}

    def _n_big(self) -> np.ndarray:
        """n_big[m]: clusters holding ≥ min_share of the artists when the tree is cut into m.

        One pass over the merges, carrying each live cluster's artist set, instead of cutting
        and counting the tree once per m.
        """
        if self._nbig is not None:
            return self._nbig
        n = self.n
        Xc = self.X.tocsc()
        w = np.ones(self.X.shape[0]) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        total = max(w.sum(), 1e-12)
        N = self.X.shape[0]
        # Leaves are artist index arrays; a merge folds the smaller cluster's artists into the
        # larger one's boolean mask (in place), so each merge costs O(smaller cluster).
        members: dict[int, np.ndarray] = {i: Xc.indices[Xc.indptr[i]:Xc.indptr[i + 1]] for i in range(n)}
        size = {i: len(members[i]) for i in range(n)}
        mass = {i: float(w[members[i]].sum()) for i in range(n)}
        limit = self.min_share * total
        count = sum(1 for i in range(n) if mass[i] >= limit)
        out = np.zeros(n + 1, dtype=np.int64)
        out[n] = count
        for step, (a, b) in enumerate(self.Z[:, :2].astype(int)):
            if size[a] < size[b]:
                a, b = b, a
            big_m, small_m = members.pop(a), members.pop(b)
            if big_m.dtype != bool:
                mask = np.zeros(N, dtype=bool)
                mask[big_m] = True
                big_m = mask
            small_idx = np.flatnonzero(small_m) if small_m.dtype == bool else small_m
            new = small_idx[~big_m[small_idx]]
            big_m[new] = True
            node = n + step
            members[node] = big_m
            size[node] = size.pop(a) + len(new)
            size.pop(b)
            mass[node] = mass[a] + float(w[new].sum())
            count += int(mass[node] >= limit) - int(mass.pop(a) >= limit) - int(mass.pop(b) >= limit)
            out[n - step - 1] = count
        self._nbig = out
        return out

    def _cut(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        if m not in self._cuts:
            lab = fcluster(self.Z, m, criterion="maxclust") - 1
            _, lab = np.unique(lab, return_inverse=True)
            shares = family_shares(self.X, lab, lab.max() + 1, self.weights)
            self._cuts[m] = (lab, shares)
        return self._cuts[m]

    def labels(self, k: int) -> np.ndarray:
        if k not in self._labels:
            self._labels[k] = self._labels_for(k)
        return self._labels[k]

    def _labels_for(self, k: int) -> np.ndarray:
        if self.n <= 1:
            return np.zeros(self.n, dtype=int)
        k = min(k, self.n)
        n_big = self._n_big()
        m = next((m for m in range(k, self.n + 1) if n_big[m] >= k), self.n)
        lab, shares = self._cut(m)
        big = np.flatnonzero(shares >= self.min_share)
        if len(big) == 0:
            big = np.array([int(np.argmax(shares))])
        if len(big) > k:  # the cut overshot: keep the k biggest, fold the rest in below
            big = big[np.argsort(-shares[big], kind="stable")[:k]]
        small = np.setdiff1d(np.arange(lab.max() + 1), big)
        out = lab.copy()
        if len(small):
            out[:] = fold_into(lab, small, big, self.D)
        _, out = np.unique(out, return_inverse=True)
        return out


def fold_into(lab: np.ndarray, small: np.ndarray, big: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Labels with every cluster in ``small`` merged into the ``big`` one at the least mean distance.

    Only the rows of the tags in small clusters are read, so the cost follows the outliers.
    """
    rows = np.flatnonzero(np.isin(lab, small))
    sizes = np.bincount(lab, minlength=int(lab.max()) + 1).astype(np.float64)
    big_onehot = sp.csr_matrix((np.ones(int(np.isin(lab, big).sum())),
                                (np.flatnonzero(np.isin(lab, big)), np.searchsorted(big, lab[np.isin(lab, big)]))),
                               shape=(len(lab), len(big)))
    to_big = np.asarray(big_onehot.T @ D[rows].T).T  # tags in small clusters x big clusters: summed distance
    acc = np.zeros((len(small), len(big)))
    np.add.at(acc, np.searchsorted(small, lab[rows]), to_big)
    mean_d = acc / np.outer(sizes[small], sizes[big])
    target = big[np.argmin(mean_d, axis=1)]
    out = lab.copy()
    out[rows] = target[np.searchsorted(small, lab[rows])]
    return out
