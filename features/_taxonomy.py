"""GenreTaxonomy: Spotify micro-genre tags → a few dozen genre families, learned from artists.

Fit on the genre lists of artists (one list per artist; None = unknown and [] = none are
ignored):

1. keep tags carried by at least ``min_artists`` artists (lowered, never below 3, when fewer
   than 2 * k_min tags would remain, so a small crawl still gets a taxonomy);
2. IDF-weighted second-order Ochiai distances between them (see ``_cooccurrence``);
3. average-linkage tree (scipy) and, for each k in [k_min, k_max], a cut into k families of at
   least ``min_family_share`` of tagged artists each;
4. ``n_bootstrap`` artist resamples (with replacement) give a mean ARI of the tag → family
   assignment per k against the full-data cut. Eligible k: mean ARI ≥ ``stability_threshold``
   and no family above ``max_family_share``. Among the eligible k within ``tie_tolerance`` of the
   best ARI, the highest silhouette wins (a previous version's k is kept while it is eligible,
   so versions stay comparable);
5. a fresh set of ``n_bootstrap`` resamples measures the chosen k's stability again
   (``mean_bootstrap_ari_``), so the reported figure is not the maximum that selected it;
6. rare tags join the family they share most artists with (Ochiai against the family's
   artists); tags with no shared artist, and unseen tags at ``assign`` time, follow the name
   rule (``_token_rule``); anything left goes to the largest family;
7. family ids are matched to ``previous`` (a tag → family id map) with the Hungarian algorithm
   on artist-weighted tag overlap, so an id keeps meaning the same family across versions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import silhouette_score

from warehouse import GenrestoreError

from ._cooccurrence import TreeCutter, average_linkage, distance_matrix, family_shares, fast_ari, incidence, tag_similarity
from ._token_rule import TokenRule


class TaxonomyError(GenrestoreError):
    """The genre tags cannot support a taxonomy (too few tagged artists or tags)."""


@dataclass
class Family:
    family_id: int
    name: str
    top_tags: list[str]
    n_tags: int
    n_artists: int
    artist_share: float


@dataclass
class KScan:
    k: int
    mean_ari: float
    min_ari: float
    silhouette: float
    largest_share: float
    smallest_share: float
    eligible: bool = field(default=False)


def _as_tag_lists(artist_genres) -> list[list[str]]:
    if hasattr(artist_genres, "get_column"):  # polars DataFrame
        artist_genres = artist_genres.get_column("genres").to_list()
    elif hasattr(artist_genres, "to_list"):  # polars / pandas Series
        artist_genres = artist_genres.to_list()
    out = []
    for g in artist_genres:
        if g is None:
            continue
        tags = sorted({str(t).strip().lower() for t in g if t is not None and str(t).strip()})
        if tags:
            out.append(tags)
    return out


class GenreTaxonomy:
    """Learn genre families from artists' genre tags (scikit-learn style estimator)."""

    def __init__(self, min_artists: int = 60, k_min: int = 12, k_max: int = 30, n_bootstrap: int = 30,
                 max_family_share: float = 0.25, min_family_share: float = 0.01,
                 stability_threshold: float = 0.85, tie_tolerance: float = 0.01,
                 keep_k_margin: float = 0.05, sticky_margin: float = 0.03, rare_keep_ratio: float = 0.0,
                 consensus: bool = True, random_state: int = 0):
        self.min_artists = min_artists
        self.k_min = k_min
        self.k_max = k_max
        self.n_bootstrap = n_bootstrap
        self.max_family_share = max_family_share
        self.min_family_share = min_family_share
        self.stability_threshold = stability_threshold
        self.tie_tolerance = tie_tolerance
        self.keep_k_margin = keep_k_margin
        self.sticky_margin = sticky_margin
        self.consensus = consensus
        self.rare_keep_ratio = rare_keep_ratio
        self.random_state = random_state

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in (
            "min_artists", "k_min", "k_max", "n_bootstrap", "max_family_share", "min_family_share",
            "stability_threshold", "tie_tolerance", "keep_k_margin", "sticky_margin", "rare_keep_ratio",
            "consensus", "random_state")}

    # ───────────────────────────── fitting ─────────────────────────────
    def fit(self, artist_genres, previous: dict[str, int] | None = None,
            progress=None) -> "GenreTaxonomy":
        """Fit on one genre list per artist; ``previous`` is the last version's tag → family id."""
        tagged = _as_tag_lists(artist_genres)
        if len(tagged) < 10:
            raise TaxonomyError(f"only {len(tagged)} artists have genre tags; a taxonomy needs at least 10")
        counts: dict[str, int] = {}
        for tags in tagged:
            for t in tags:
                counts[t] = counts.get(t, 0) + 1
        self.n_tagged_artists_ = len(tagged)
        self.tag_artists_ = counts
        threshold = self.min_artists
        while threshold > 3 and sum(1 for c in counts.values() if c >= threshold) < 2 * self.k_min:
            threshold = max(3, int(threshold * 0.7))
        self.effective_min_artists_ = threshold
        clustered = sorted(t for t, c in counts.items() if c >= threshold)
        if len(clustered) < 2:
            raise TaxonomyError(f"only {len(clustered)} genre tag(s) carried by ≥{threshold} artists")
        self.clustered_tags_ = clustered
        X = incidence(tagged, clustered)
        self._X = X
        D = distance_matrix(X)
        Z = average_linkage(D)
        self.linkage_ = Z
        ref = TreeCutter(Z, D, X, self.min_family_share)
        n = len(clustered)
        k_lo, k_hi = min(self.k_min, n), min(self.k_max, n)
        ks = list(range(k_lo, k_hi + 1))
        ref_labels = {k: ref.labels(k) for k in ks}
        rng = np.random.default_rng(self.random_state)
        aris = {k: [] for k in ks}
        boot_labels = {k: [] for k in ks}
        for b in range(self.n_bootstrap):
            Zb, Db, wb = self._bootstrap_tree(X, rng)
            cut = TreeCutter(Zb, Db, X, self.min_family_share, wb)
            for k in ks:
                lab_b = cut.labels(k)
                boot_labels[k].append(lab_b)
                aris[k].append(fast_ari(ref_labels[k], lab_b))
            if progress is not None:
                progress("bootstrap", b + 1, 2 * self.n_bootstrap)
        scan = []
        for k in ks:
            lab = ref_labels[k]
            n_fam = lab.max() + 1
            shares = family_shares(X, lab, n_fam)
            sil = silhouette_score(D, lab, metric="precomputed") if 1 < n_fam < n else 0.0
            a = aris[k] or [1.0]
            scan.append(KScan(k, float(np.mean(a)), float(np.min(a)), float(sil),
                              float(shares.max()), float(shares.min())))
        for s in scan:
            s.eligible = (s.mean_ari >= self.stability_threshold and s.largest_share <= self.max_family_share
                          and s.smallest_share >= self.min_family_share)
        self.k_scan_ = scan
        chosen, self.selection_reason_ = self._choose_k(scan, previous)
        self.k_ = chosen.k
        self.selection_ari_ = chosen.mean_ari
        self.silhouette_ = chosen.silhouette
        labels = ref_labels[chosen.k]
        self.used_consensus_ = False
        if self.consensus and boot_labels[chosen.k]:
            cons = self._consensus(ref_labels[chosen.k], boot_labels[chosen.k], X, chosen.k)
            sh = family_shares(X, cons, cons.max() + 1)
            # the consensus must keep the size limits the chosen cut met
            if not chosen.eligible or (sh.max() <= self.max_family_share and sh.min() >= self.min_family_share):
                labels, self.used_consensus_ = cons, True
                n_fam = labels.max() + 1
                self.silhouette_ = float(silhouette_score(D, labels, metric="precomputed")) if 1 < n_fam < n else 0.0
        # A fresh set of resamples for the reported stability of the chosen k.
        check = []
        rng_check = np.random.default_rng([self.random_state, 1])
        for b in range(self.n_bootstrap):
            Zb, Db, wb = self._bootstrap_tree(X, rng_check)
            check.append(fast_ari(labels, TreeCutter(Zb, Db, X, self.min_family_share, wb).labels(chosen.k)))
            if progress is not None:
                progress("bootstrap", self.n_bootstrap + b + 1, 2 * self.n_bootstrap)
        self.bootstrap_aris_ = check
        self.mean_bootstrap_ari_ = float(np.mean(check)) if check else float("nan")
        self.min_bootstrap_ari_ = float(np.min(check)) if check else float("nan")
        self._finish(tagged, clustered, labels, X, D, previous)
        return self

    def _consensus(self, ref: np.ndarray, boots: list[np.ndarray], X, k: int) -> np.ndarray:
        """Evidence accumulation: average linkage on 1 - (share of partitions joining two tags).

        The full-data cut and the bootstrap cuts vote; the consensus partition is the central
        one, so it moves less when the data changes a little (a new snapshot).
        """
        parts = [ref] + list(boots)
        co = np.zeros((len(ref), len(ref)))
        for lab in parts:
            co += lab[:, None] == lab[None, :]
        dc = 1.0 - co / len(parts)
        np.fill_diagonal(dc, 0.0)
        return TreeCutter(average_linkage(dc), dc, X, self.min_family_share).labels(k)

    def _bootstrap_tree(self, X: sp.csr_matrix, rng: np.random.Generator):
        n = X.shape[0]
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        Db = distance_matrix(X, w)
        return average_linkage(Db), Db, w

    def _choose_k(self, scan: list[KScan], previous) -> tuple[KScan, str]:
        eligible = [s for s in scan if s.eligible]
        if previous:
            # Hysteresis: keep the previous k while it meets the size limits and stays within
            # ``keep_k_margin`` of the stability threshold, so versions remain comparable.
            prev_k = len(set(previous.values()))
            for s in scan:
                if (s.k == prev_k and s.largest_share <= self.max_family_share
                        and s.smallest_share >= self.min_family_share
                        and s.mean_ari >= self.stability_threshold - self.keep_k_margin):
                    return s, f"kept the previous version's k={prev_k} (ARI {s.mean_ari:.3f}, size limits met)"
        if eligible:
            best = max(s.mean_ari for s in eligible)
            near = [s for s in eligible if s.mean_ari >= best - self.tie_tolerance]
            pick = max(near, key=lambda s: (s.silhouette, s.k))
            return pick, (f"eligible (ARI ≥ {self.stability_threshold}, size limits): {[s.k for s in eligible]}; "
                          f"best ARI {best:.3f}; highest silhouette within {self.tie_tolerance}")
        sized = [s for s in scan if s.largest_share <= self.max_family_share
                 and s.smallest_share >= self.min_family_share]
        pool = sized or scan
        pick = max(pool, key=lambda s: (s.mean_ari, s.silhouette))
        return pick, ("no k reached the stability threshold; most stable "
                      + ("within the size limits" if sized else "k (size limits not met)"))

    def _finish(self, tagged, clustered, labels, X, D, previous) -> None:
        k = int(labels.max()) + 1
        counts = self.tag_artists_
        local = {t: int(labels[i]) for i, t in enumerate(clustered)}
        method = {t: "clustered" for t in clustered}
        sizes = family_shares(X, labels, k)
        # previous family id → local family index, from the matching of the clustered tags
        prev_local = ({v: f for f, v in self._match_ids(local, counts, k, sizes, previous).items()}
                      if previous else {})
        if prev_local and self.sticky_margin > 0:
            # Hysteresis on family boundaries: a clustered tag whose previous family (matched into
            # this partition) is within sticky_margin of its new family in mean distance stays put.
            onehot = np.zeros((len(labels), k))
            onehot[np.arange(len(labels)), labels] = 1.0
            sums = D @ onehot  # D has a zero diagonal, so a tag's own column adds nothing
            sizes_t = onehot.sum(axis=0)
            self.sticky_kept_ = 0
            for i, t in enumerate(clustered):
                p = prev_local.get(previous.get(t))
                cur = int(labels[i])
                if p is None or p == cur:
                    continue
                d_cur = sums[i, cur] / max(sizes_t[cur] - 1, 1)
                d_prev = sums[i, p] / max(sizes_t[p], 1)
                if d_prev <= d_cur + self.sticky_margin and sizes_t[cur] > 1:
                    local[t] = p
                    self.sticky_kept_ += 1
        # Rare tags: the family whose artists they share most (Ochiai on artist sets).
        rare = sorted(t for t in counts if t not in local)
        if rare:
            # Passes: a rare tag placed in one pass can place rare tags that only meet it.
            R = incidence(tagged, rare)
            r_n = np.asarray(R.sum(axis=0)).ravel()
            for _ in range(3):
                known = sorted(local)
                K = incidence(tagged, known)
                lab = np.array([local[t] for t in known])
                onehot = sp.csr_matrix((np.ones(len(lab)), (np.arange(len(lab)), lab)), shape=(len(lab), k))
                F = ((K @ onehot) > 0).astype(np.float64)
                co = np.asarray((R.T @ F).todense())
                score = co / np.maximum(np.sqrt(np.outer(r_n, np.asarray(F.sum(axis=0)).ravel())), 1e-12)
                placed = 0
                for i, t in enumerate(rare):
                    if t not in local and co[i].max() > 0:
                        best = int(np.argmax(score[i]))
                        # Hysteresis: thin evidence should not flip a tag between versions; keep
                        # the previous family while it scores at least rare_keep_ratio of the best.
                        prev = prev_local.get(previous.get(t)) if previous else None
                        if prev is not None and score[i, prev] >= self.rare_keep_ratio * score[i, best]:
                            best = prev
                        local[t] = best
                        method[t] = "cooccurrence"
                        placed += 1
                if not placed:
                    break
        largest = int(np.argmax(sizes))
        rule = TokenRule(local, counts)
        for t in rare:
            if t not in local:
                fam = rule.family(t)
                local[t], method[t] = (fam, "token") if fam is not None else (largest, "default")
        ids = self._match_ids(local, counts, k, sizes, previous)
        self.tag_family_ = {t: ids[f] for t, f in local.items()}
        self.tag_method_ = method
        self._rule = TokenRule(self.tag_family_, counts)
        self._default_family = ids[largest]
        # Families: members, artist counts over all their tags, names from the most central tags.
        sim = 1.0 - D
        fam_tags: dict[int, list[str]] = {}
        for t, f in self.tag_family_.items():
            fam_tags.setdefault(f, []).append(t)
        artist_fams = self.transform(tagged)
        n_art = {f: 0 for f in fam_tags}
        for fams in artist_fams:
            for f in fams:
                n_art[f] += 1
        pos = {t: i for i, t in enumerate(clustered)}
        families = {}
        for f, tags in fam_tags.items():
            core = [t for t in tags if t in pos]
            idx = [pos[t] for t in core]
            if len(idx) > 1:
                cent = sim[np.ix_(idx, idx)].sum(axis=1) - 1.0
                cent = cent / (len(idx) - 1)
            else:
                cent = np.ones(len(idx))
            ranked = sorted(zip(core, cent), key=lambda tc: (-tc[1] * math.log1p(counts[tc[0]]), tc[0]))
            top = [t for t, _ in ranked][:10]
            if not top:
                top = sorted(tags, key=lambda t: -counts[t])[:10]
            families[f] = Family(f, " / ".join(top[:2]), top, len(tags), n_art[f],
                                 n_art[f] / self.n_tagged_artists_)
        self.families_ = dict(sorted(families.items()))
        self.family_ids_ = sorted(self.families_)
        shares = [fam.artist_share for fam in self.families_.values()]
        self.largest_share_ = max(shares)
        self.smallest_share_ = min(shares)
        self.mean_families_per_artist_ = float(np.mean([len(x) for x in artist_fams]))
        if previous:
            common = [t for t in self.tag_family_ if t in previous]
            self.kept_from_previous_ = (sum(self.tag_family_[t] == previous[t] for t in common) / len(common)
                                        if common else float("nan"))
        else:
            self.kept_from_previous_ = None

    @staticmethod
    def _match_ids(local: dict[str, int], counts: dict[str, int], k: int, sizes: np.ndarray,
                   previous: dict[str, int] | None) -> dict[int, int]:
        """Local family index → stored family id (matched to ``previous`` when given)."""
        order = sorted(range(k), key=lambda f: (-sizes[f], f))
        if not previous:
            return {f: i for i, f in enumerate(order)}
        old_ids = sorted(set(previous.values()))
        col = {fid: j for j, fid in enumerate(old_ids)}
        overlap = np.zeros((k, len(old_ids)))
        for t, f in local.items():
            if t in previous:
                overlap[f, col[previous[t]]] += counts.get(t, 1)
        rows, cols = linear_sum_assignment(-overlap)
        ids = {}
        for r, c in zip(rows, cols):
            if overlap[r, c] > 0:
                ids[int(r)] = old_ids[c]
        nxt = max(old_ids) + 1
        for f in order:
            if f not in ids:
                ids[f] = nxt
                nxt += 1
        return ids

    # ───────────────────────────── using it ─────────────────────────────
    def _check(self) -> None:
        if not hasattr(self, "tag_family_"):
            raise TaxonomyError("GenreTaxonomy is not fitted")

    def assign(self, tag: str) -> int:
        """Family id of any tag: learned, else the name rule, else the largest family."""
        self._check()
        key = str(tag).strip().lower()
        fam = self.tag_family_.get(key)
        if fam is None:
            fam = self._rule.family(key)
        return self._default_family if fam is None else fam

    def transform(self, artist_genres) -> list[list[int] | None]:
        """Sorted family ids per artist; None for unknown genres, [] for none."""
        self._check()
        if hasattr(artist_genres, "get_column"):
            artist_genres = artist_genres.get_column("genres").to_list()
        out = []
        for g in artist_genres:
            if g is None:
                out.append(None)
            else:
                out.append(sorted({self.assign(t) for t in g if t is not None and str(t).strip()}))
        return out

    @classmethod
    def from_assignment(cls, tag_family: dict[str, int], tag_artists: dict[str, int] | None = None,
                        families: dict[int, Family] | None = None) -> "GenreTaxonomy":
        """A fitted taxonomy rebuilt from a stored tag → family map (for labelling)."""
        self = cls()
        self.tag_family_ = dict(tag_family)
        self.tag_artists_ = dict(tag_artists or {})
        self._rule = TokenRule(self.tag_family_, self.tag_artists_)
        if families:
            self.families_ = dict(sorted(families.items()))
            self._default_family = max(families.values(), key=lambda f: (f.n_artists, -f.family_id)).family_id
        else:
            sizes: dict[int, int] = {}
            for t, f in tag_family.items():
                sizes[f] = sizes.get(f, 0) + self.tag_artists_.get(t, 1)
            self._default_family = max(sorted(sizes), key=lambda f: sizes[f])
        self.family_ids_ = sorted(set(self.tag_family_.values()))
        return self


__all__ = ["Family", "GenreTaxonomy", "KScan", "TaxonomyError", "tag_similarity"]
