"""Two nested cuts of one tag tree (families, subfamilies), each chosen by bootstrap stability.

A family cut is ``TopDownCutter``'s cut into k families (the heaviest family split first; each of
at least ``min_family_share`` of the artists, or a distinct small genre). A subfamily cut goes on splitting the *same* tree inside the families (heaviest group first,
groups of at least ``min_subfamily_share``), so every subfamily lies inside one family. The stability of a cut is the mean adjusted Rand index
of the tags' labels between the full-data tree and trees fitted on artist resamples, each cut the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import silhouette_score

from ._cooccurrence import family_shares, fast_ari
from ._top_down_cut import TopDownCutter


@dataclass
class KScan:
    """One candidate number of groups at one level, with the figures that judge it."""

    k: int
    mean_ari: float
    min_ari: float
    silhouette: float
    largest_share: float
    smallest_share: float
    n_groups: int = 0
    level: str = "family"
    eligible: bool = field(default=False)


class TwoLevelCut:
    """Family and nested subfamily labels of the tags of one tree (both from one ``TopDownCutter``)."""

    def __init__(self, Z: np.ndarray, D: np.ndarray, X: sp.csr_matrix, min_family_share: float,
                 min_subfamily_share: float, weights: np.ndarray | None = None,
                 distinct_share: float | None = None, distinct_height: float = 0.999,
                 previous: np.ndarray | None = None):
        self.min_subfamily_share = min_subfamily_share
        self.families = TopDownCutter(Z, D, X, min_family_share, weights, distinct_share, distinct_height, previous)

    def family_labels(self, k: int) -> np.ndarray:
        return self.families.labels(k)

    def subfamily_labels(self, k_family: int, k_sub: int) -> np.ndarray:
        return self.families.subfamily_labels(k_family, k_sub, self.min_subfamily_share)


def scan(level: str, ks: list[int], ref_labels, boot_labels, D: np.ndarray, X: sp.csr_matrix,
         max_share: float, min_share: float) -> list[KScan]:
    """Figures per k: ARI against the resamples, silhouette, size of the largest/smallest group."""
    out = []
    n = D.shape[0]
    for k in ks:
        lab = ref_labels(k)
        n_groups = int(lab.max()) + 1
        shares = family_shares(X, lab, n_groups)
        aris = [fast_ari(lab, b(k)) for b in boot_labels] or [1.0]
        sil = float(silhouette_score(D, lab, metric="precomputed")) if 1 < n_groups < n else 0.0
        s = KScan(k, float(np.mean(aris)), float(np.min(aris)), sil, float(shares.max()), float(shares.min()),
                  n_groups, level)
        s.eligible = s.largest_share <= max_share and s.smallest_share >= min_share
        out.append(s)
    return out


def choose(scan_: list[KScan], threshold: float, tie_tolerance: float, keep_k: int | None = None,
           keep_margin: float = 0.0) -> tuple[KScan, str]:
    """The k to use: stable enough and within the size limits; the previous k while it still is."""
    sized = [s for s in scan_ if s.eligible]
    if keep_k is not None and sized:
        # Hysteresis: the previous version's k while it meets the size limits and is nearly as
        # stable as the best cut, so versions stay comparable.
        best = max(s.mean_ari for s in sized)
        for s in sized:
            if s.k == keep_k and s.mean_ari >= best - keep_margin:
                return s, f"kept the previous version's k={keep_k} (ARI {s.mean_ari:.3f}, best {best:.3f}, size limits met)"
    stable = [s for s in sized if s.mean_ari >= threshold]
    if stable:
        best = max(s.mean_ari for s in stable)
        near = [s for s in stable if s.mean_ari >= best - tie_tolerance]
        pick = max(near, key=lambda s: (s.silhouette, s.k))
        return pick, (f"ARI ≥ {threshold} within the size limits: k in {[s.k for s in stable]}; best ARI "
                      f"{best:.3f}; highest silhouette within {tie_tolerance}")
    pool = sized or scan_
    best = max(s.mean_ari for s in pool)
    near = [s for s in pool if s.mean_ari >= best - tie_tolerance]
    pick = max(near, key=lambda s: (s.silhouette, s.k))
    return pick, (f"no k reached ARI {threshold}; the most stable "
                  + ("within the size limits" if sized else "k (size limits not met)") + f" (ARI {pick.mean_ari:.3f})")
