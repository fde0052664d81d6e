"""GenreTaxonomy: Spotify micro-genre tags → genre families and the subfamilies nested in them.

Fit on the genre lists of artists (one list per artist; None = unknown and [] = none are
ignored), in named steps:

1. ``_select_tags``: cluster the tags carried by at least ``min_artists`` artists (lowered, never
   below 3, when fewer than 2 * k_min tags would remain, so a small crawl still gets a taxonomy),
   except tags whose artists carry no other such tag (no co-occurrence evidence: long tail);
2. ``_build_tree``: shrunk, IDF-weighted second-order Ochiai distances and average linkage weighted
   by tag support (``_cooccurrence``), so rare tags neither bridge nor split big groups;
3. ``_scan_families``: ``n_bootstrap`` artist resamples (with replacement) give the mean ARI of each
   top-down cut into k in [k_min, k_max] families (``_top_down_cut``: heaviest family split first,
   splits the previous version made first) against the full-data cut (``_levels``); size limits:
   largest ≤ ``max_family_share``, each ≥ ``min_family_share`` or a distinct small genre;
4. ``_cut_subfamilies``: the same split goes on inside the chosen families, chosen the same way;
   ``_keep_previous_boundaries``: hysteresis for tags near a family boundary;
5. ``_place_long_tail``: every other tag from its words, an external hierarchy (FMA) and its
   co-occurrence, weighted by each route's measured accuracy (``_placement``); the route is kept.
   If the placed tags push the largest family over its limit, the next candidate cut is tried;
6. ``_check_stability``: fresh resamples measure the chosen cuts again, so the reported ARI is not
   the maximum that selected them (over tags, and over tag uses as a second figure);
7. ``_assign_ids``: ids matched to ``previous`` (a fitted taxonomy, or a tag → family id map) by
   optimal matching on weighted Jaccard overlap (``_idmatch``); new ids only for new groups;
8. ``_describe``: names (the two most characteristic tags: central in the group × artists),
   artist counts and shares.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits


from ._cooccurrence import distance_matrix, fast_ari, incidence, tag_similarity, weighted_average_linkage
from ._errors import FeaturesError
from ._family import Family, GroupDescriber
from ._idmatch import match_groups
from ._levels import KScan, TwoLevelCut, choose, scan
from ._placement import LongTailPlacer
from ._token_rule import HeadWordIndex
from ._top_down_cut import previous_labels


class TaxonomyError(FeaturesError):
    """The genre tags cannot support a taxonomy (too few tagged artists or tags)."""


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


def _previous_maps(previous) -> tuple[dict[str, int], dict[str, int]]:
    if previous is None:
        return {}, {}
    if isinstance(previous, dict):
        return dict(previous), {}
    return dict(previous.tag_family_), dict(getattr(previous, "tag_subfamily_", {}) or {})


class GenreTaxonomy(BaseEstimator):
    """Learn genre families and subfamilies from artists' genre tags (a scikit-learn estimator)."""

    def __init__(self, min_artists: int = 20, k_min: int = 8, k_max: int = 16, sub_k_min: int = 20,
                 sub_k_max: int = 60, n_bootstrap: int = 30, max_family_share: float = 0.30,
                 min_family_share: float = 0.015, max_subfamily_share: float = 0.25,
                 min_subfamily_share: float = 0.01, stability_threshold: float = 0.85,
                 subfamily_stability_threshold: float = 0.75, tie_tolerance: float = 0.01,
                 keep_k_margin: float = 0.05, shrinkage: float = 10.0, support_power: float = 0.5,
                 sub_k_grid: int = 11, min_placement_score: float = 0.2, placement_keep_ratio: float = 0.5,
                 sticky_margin: float = 0.03, min_distinct_share: float = 0.004, distinct_height: float = 0.999,
                 random_state: int = 0):
        self.min_artists = min_artists
        self.k_min = k_min
        self.k_max = k_max
        self.sub_k_min = sub_k_min
        self.sub_k_max = sub_k_max
        self.n_bootstrap = n_bootstrap
        self.max_family_share = max_family_share
        self.min_family_share = min_family_share
        self.max_subfamily_share = max_subfamily_share
        self.min_subfamily_share = min_subfamily_share
        self.stability_threshold = stability_threshold
        self.subfamily_stability_threshold = subfamily_stability_threshold
        self.tie_tolerance = tie_tolerance
        self.keep_k_margin = keep_k_margin
        self.shrinkage = shrinkage
        self.support_power = support_power
        self.sub_k_grid = sub_k_grid
        self.min_placement_score = min_placement_score
        self.placement_keep_ratio = placement_keep_ratio
        self.sticky_margin = sticky_margin
        self.min_distinct_share = min_distinct_share
        self.distinct_height = distinct_height
        self.random_state = random_state

    # ───────────────────────────── fitting ─────────────────────────────
    def fit(self, artist_genres, y=None, *, previous=None, hierarchy=None, first_new_id: int | None = None,
            progress=None) -> "GenreTaxonomy":
        """Fit on one genre list per artist.

        ``previous``: the last version (a fitted/loaded GenreTaxonomy, or a tag → family id map) whose
        ids to keep; ``hierarchy``: a ``GenreHierarchy`` (FMA) for the fma route; ``first_new_id``:
        the smallest id never used before (default: above every id of ``previous``).

        One BLAS thread: the matrices are tag × tag (a few hundred rows), where threads cost more than
        they gain (MusicOSet, 2 loaded cores: fit 32.5 s with 2 threads, 15.9 s with 1, same figures).
        """
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(artist_genres, previous, hierarchy, first_new_id, progress)

    def _fit(self, artist_genres, previous, hierarchy, first_new_id, progress) -> "GenreTaxonomy":
        tagged = _as_tag_lists(artist_genres)
        if len(tagged) < 10:
            raise TaxonomyError(f"only {len(tagged)} artists have genre tags; a taxonomy needs at least 10")
        self._select_tags(tagged)
        X, D = self._build_tree(tagged)
        prev_family, prev_sub = _previous_maps(previous)
        self._previous_labels = previous_labels(prev_family, self.clustered_tags_)
        ref, boots = self._scan_families(X, D, prev_family, progress)
        # The size limits hold for the final families, long tail included: when the placed tags
        # push the largest family over the limit, the next candidate cut is tried.
        tried = []
        for cand in self._family_candidates()[:4]:
            self._cut_subfamilies(cand, ref, boots, X, D, prev_sub)
            self._keep_previous_boundaries(D, prev_family)
            self._place_long_tail(tagged, hierarchy, prev_family)
            largest = float(self._local_family_shares(tagged).max())
            tried.append((largest, cand))
            if largest <= self.max_family_share:
                break
        else:
            largest, cand = min(tried, key=lambda lc: lc[0])
            if cand is not tried[-1][1]:
                self._cut_subfamilies(cand, ref, boots, X, D, prev_sub)
                self._keep_previous_boundaries(D, prev_family)
                self._place_long_tail(tagged, hierarchy, prev_family)
        if len(tried) > 1:
            self.selection_reason_ += (f"; k={tried[0][1].k} left the largest family at {tried[0][0]:.1%} once the "
                                       f"long tail was placed, so k={cand.k} was used")
        self._check_stability(X, progress)
        self._assign_ids(prev_family, prev_sub, first_new_id)
        self._describe(tagged, D, prev_family)
        return self

    def _select_tags(self, tagged: list[list[str]]) -> None:
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
        # A tag none of whose artists carries another candidate tag has no co-occurrence evidence: it
        # joins the tree at distance 1 and its fold into a family is arbitrary (MusicOSet's "karaoke",
        # 70 artists with no other tag, landed in classical). It goes to the long-tail routes.
        X = incidence(tagged, clustered)
        shared = np.asarray((X.T @ X).sum(axis=1)).ravel() - np.asarray(X.sum(axis=0)).ravel()
        self.isolated_tags_ = [t for t, s in zip(clustered, shared) if s <= 0]
        clustered = [t for t, s in zip(clustered, shared) if s > 0]
        if len(clustered) < 2:
            raise TaxonomyError(f"only {len(clustered)} genre tag(s) carried by ≥{threshold} artists")
        self.clustered_tags_ = clustered

    def _tree(self, X, weights=None):
        D = distance_matrix(X, weights, self.shrinkage)
        w = np.ones(X.shape[0]) if weights is None else weights
        support = np.maximum(np.asarray(X.T @ w).ravel(), 1.0)
        return weighted_average_linkage(D, support ** self.support_power), D

    def _build_tree(self, tagged):
        X = incidence(tagged, self.clustered_tags_)
        self.linkage_, D = self._tree(X)
        return X, D

    def _two_level(self, Z, D, X, weights=None) -> TwoLevelCut:
        return TwoLevelCut(Z, D, X, self.min_family_share, self.min_subfamily_share, weights,
                           self.min_distinct_share, self.distinct_height, self._previous_labels)

    def _resample_cuts(self, X, rng, n, progress, offset):
        cuts = []
        for b in range(n):
            w = np.bincount(rng.integers(0, X.shape[0], X.shape[0]), minlength=X.shape[0]).astype(np.float64)
            Zb, Db = self._tree(X, w)
            cuts.append(self._two_level(Zb, Db, X, w))
            if progress is not None:
                progress("bootstrap", offset + b + 1, 2 * self.n_bootstrap)
        return cuts

    def _scan_families(self, X, D, prev_family, progress):
        n = len(self.clustered_tags_)
        ref = self._two_level(self.linkage_, D, X)
        boots = self._resample_cuts(X, np.random.default_rng(self.random_state), self.n_bootstrap, progress, 0)
        ks = list(range(min(self.k_min, n), min(self.k_max, n) + 1))
        # a distinct small genre (``_top_down_cut``) may be a family below min_family_share
        floor = min(self.min_family_share, self.min_distinct_share or self.min_family_share)
        self.family_scan_ = scan("family", ks, ref.family_labels, [b.family_labels for b in boots], D, X,
                                 self.max_family_share, floor)
        self._keep_k = len(set(prev_family.values())) if prev_family else None
        return ref, boots

    def _family_candidates(self) -> list[KScan]:
        """The chosen family cut first, then the other cuts within the size limits, most stable first."""
        chosen, self.selection_reason_ = choose(self.family_scan_, self.stability_threshold, self.tie_tolerance,
                                                self._keep_k, self.keep_k_margin)
        rest = sorted((s for s in self.family_scan_ if s is not chosen),
                      key=lambda s: (not s.eligible, -s.mean_ari if s.eligible else s.largest_share))
        return [chosen] + rest

    def _cut_subfamilies(self, chosen: KScan, ref, boots, X, D, prev_sub) -> None:
        n = len(self.clustered_tags_)
        self.k_cut_, self.selection_ari_, self.silhouette_ = chosen.k, chosen.mean_ari, chosen.silhouette
        k_f = chosen.k
        lo, hi = max(min(self.sub_k_min, n), k_f), min(self.sub_k_max, n)
        sub_ks = sorted({int(round(k)) for k in np.linspace(lo, hi, min(self.sub_k_grid, hi - lo + 1))}) if hi >= lo else [lo]
        self.subfamily_scan_ = scan("subfamily", sub_ks, lambda k: ref.subfamily_labels(k_f, k),
                                    [(lambda k, b=b: b.subfamily_labels(k_f, k)) for b in boots], D, X,
                                    self.max_subfamily_share, self.min_subfamily_share)
        keep_sub = len(set(prev_sub.values())) if prev_sub else None
        sub_chosen, self.subfamily_selection_reason_ = choose(
            self.subfamily_scan_, self.subfamily_stability_threshold, self.tie_tolerance)
        if keep_sub is not None:  # the cut whose subfamily count is nearest the previous one, if as good
            near = [s for s in self.subfamily_scan_ if s.eligible and abs(s.n_groups - keep_sub) <= 2
                    and s.mean_ari >= sub_chosen.mean_ari - self.keep_k_margin]
            if near and sub_chosen.n_groups != keep_sub:
                sub_chosen = min(near, key=lambda s: (abs(s.n_groups - keep_sub), -s.mean_ari))
                self.subfamily_selection_reason_ = f"kept about the previous version's {keep_sub} subfamilies"
        self.sub_k_cut_ = sub_chosen.k
        self._family_local = ref.family_labels(k_f)
        self._sub_local = ref.subfamily_labels(k_f, sub_chosen.k)
        parent = np.zeros(int(self._sub_local.max()) + 1, dtype=np.int64)
        parent[self._sub_local] = self._family_local
        self._sub_parent = parent

    def _keep_previous_boundaries(self, D, prev_family) -> None:
        """Hysteresis on family boundaries: a clustered tag whose previous family (matched into this
        cut) is within ``sticky_margin`` of its new family in mean distance stays in the previous
        one, in the subfamily there it is closest to."""
        self.sticky_kept_ = 0
        if not prev_family or self.sticky_margin <= 0:
            return
        prefer = self._previous_local_families(prev_family)
        fam, sub = self._family_local.copy(), self._sub_local.copy()
        k = int(fam.max()) + 1
        onehot = np.zeros((len(fam), k))
        onehot[np.arange(len(fam)), fam] = 1.0
        sums, sizes = D @ onehot, onehot.sum(axis=0)
        for i, t in enumerate(self.clustered_tags_):
            p, c = prefer.get(t), int(fam[i])
            if p is None or p == c or sizes[c] <= 1:
                continue
            if sums[i, p] / max(sizes[p], 1) <= sums[i, c] / (sizes[c] - 1) + self.sticky_margin:
                fam[i] = p
                subs_p = np.unique(self._sub_local[self._family_local == p])
                sub[i] = min(subs_p, key=lambda s: D[i, self._sub_local == s].mean())
                self.sticky_kept_ += 1
        self._family_local, self._sub_local = fam, sub
        parent = np.zeros(int(sub.max()) + 1, dtype=np.int64)
        parent[sub] = fam
        self._sub_parent = parent

    def _local_family_shares(self, tagged) -> np.ndarray:
        hit = np.zeros(int(self._sub_parent.max()) + 1)
        for tags in tagged:
            fams = {int(self._sub_parent[self._local_sub[t]]) for t in tags if t in self._local_sub}
            for f in fams:
                hit[f] += 1
        return hit / max(len(tagged), 1)

    def _check_stability(self, X, progress) -> None:
        rng = np.random.default_rng([self.random_state, 1])
        cuts = self._resample_cuts(X, rng, self.n_bootstrap, progress, self.n_bootstrap)
        fam = [fast_ari(self._family_local, c.family_labels(self.k_cut_)) for c in cuts] or [float("nan")]
        sub = [fast_ari(self._sub_local, c.subfamily_labels(self.k_cut_, self.sub_k_cut_)) for c in cuts] or [float("nan")]
        self.bootstrap_aris_ = fam
        # The same cuts compared over tag uses (each tag weighted by its artists), the unit of the
        # other figures (placed uses, seed stability); reported next to the tag-level ARI, which
        # is the one the targets and the k choice use.
        uses = np.array([self.tag_artists_[t] for t in self.clustered_tags_], dtype=np.float64)
        fam_uses = [fast_ari(self._family_local, c.family_labels(self.k_cut_), uses) for c in cuts] or [float("nan")]
        self.use_weighted_bootstrap_ari_ = float(np.mean(fam_uses))
        self.mean_bootstrap_ari_, self.min_bootstrap_ari_ = float(np.mean(fam)), float(np.min(fam))
        self.subfamily_bootstrap_ari_, self.subfamily_min_bootstrap_ari_ = float(np.mean(sub)), float(np.min(sub))

    def _place_long_tail(self, tagged, hierarchy, prev_family) -> None:
        clustered_sub = {t: int(s) for t, s in zip(self.clustered_tags_, self._sub_local)}
        placer = LongTailPlacer(tagged, self.tag_artists_, clustered_sub, self._sub_parent, hierarchy,
                                self.min_placement_score, self.random_state)
        self.placement_validation_ = placer.validate()
        rare = sorted(t for t in self.tag_artists_ if t not in clustered_sub)
        placed = placer.place(rare, self._previous_local_families(prev_family), self.placement_keep_ratio)
        self._local_sub = dict(clustered_sub)
        self.tag_placement_ = {t: "clustered" for t in clustered_sub}
        self.tag_evidence_ = {}
        for t, p in placed.items():
            self.tag_placement_[t] = p.route
            self.tag_evidence_[t] = p.evidence
            if p.subfamily is not None:
                self._local_sub[t] = p.subfamily
        self.hierarchy_ = hierarchy.name if hierarchy is not None and len(hierarchy) else None

    def _previous_local_families(self, prev_family: dict[str, int]) -> dict[str, int]:
        """Tag → this fit's local family that took over its previous family (matched on the clustered tags)."""
        if not prev_family:
            return {}
        w = {t: float(c) for t, c in self.tag_artists_.items()}
        local: dict[int, set[str]] = {}
        for t, f in zip(self.clustered_tags_, self._family_local):
            local.setdefault(int(f), set()).add(t)
        old: dict[int, set[str]] = {}
        for t, f in prev_family.items():
            if f is not None:
                old.setdefault(int(f), set()).add(t)
        ids, _, _ = match_groups(local, old, w, next_id=-10**9, order=sorted(local))
        back = {i: f for f, i in ids.items() if i >= 0}
        return {t: back[f] for t, f in prev_family.items() if f in back}

    def _assign_ids(self, prev_family, prev_sub, first_new_id) -> None:
        w = {t: float(c) for t, c in self.tag_artists_.items()}
        fam_tags: dict[int, set[str]] = {}
        sub_tags: dict[int, set[str]] = {}
        for t, s in self._local_sub.items():
            sub_tags.setdefault(s, set()).add(t)
            fam_tags.setdefault(int(self._sub_parent[s]), set()).add(t)

        def groups(prev: dict[str, int]) -> dict[int, set[str]]:
            out: dict[int, set[str]] = {}
            for t, g in prev.items():
                if g is not None:
                    out.setdefault(int(g), set()).add(t)
            return out

        used = [g for g in list(prev_family.values()) + list(prev_sub.values()) if g is not None]
        next_id = first_new_id if first_new_id is not None else (max(used) + 1 if used else 0)
        mass = lambda tags: sum(w.get(t, 1.0) for t in tags)  # noqa: E731
        fam_order = sorted(fam_tags, key=lambda f: (-mass(fam_tags[f]), f))
        fam_ids, fam_match, next_id = match_groups(fam_tags, groups(prev_family), w, next_id, fam_order)
        sub_order = sorted(sub_tags, key=lambda s: (fam_ids[int(self._sub_parent[s])], -mass(sub_tags[s]), s))
        sub_ids, sub_match, next_id = match_groups(sub_tags, groups(prev_sub), w, next_id, sub_order)
        self.id_match_ = {"family": [m.__dict__ for m in fam_match], "subfamily": [m.__dict__ for m in sub_match]}
        self.next_id_ = next_id
        self.tag_subfamily_ = {t: sub_ids[s] for t, s in self._local_sub.items()}
        self.tag_family_ = {t: fam_ids[int(self._sub_parent[s])] for t, s in self._local_sub.items()}
        self.subfamily_parent_ = {sub_ids[s]: fam_ids[int(self._sub_parent[s])] for s in sub_tags}
        self._index()

    def _describe(self, tagged, D, prev_family) -> None:
        counts = self.tag_artists_
        fams = self.transform(tagged)
        subs = self.transform(tagged, level="subfamily")
        describe = GroupDescriber(self.clustered_tags_, 1.0 - D, counts, self.n_tagged_artists_)
        self.families_ = describe(self.tag_family_, fams, "family")
        self.subfamilies_ = describe(self.tag_subfamily_, subs, "subfamily", self.subfamily_parent_)
        self.family_ids_ = sorted(self.families_)
        self.subfamily_ids_ = sorted(self.subfamilies_)
        self.k_ = len(self.families_)
        self.n_subfamilies_ = len(self.subfamilies_)
        shares = [f.artist_share for f in self.families_.values()]
        self.largest_share_, self.smallest_share_ = max(shares), min(shares)
        self.subfamily_largest_share_ = max(f.artist_share for f in self.subfamilies_.values())
        self.mean_families_per_artist_ = float(np.mean([len(x) for x in fams]))
        total = sum(counts.values())
        self.placed_use_share_ = sum(c for t, c in counts.items() if t in self.tag_family_) / total if total else 0.0
        if prev_family:
            common = [t for t in self.tag_family_ if t in prev_family]
            kept = [t for t in common if self.tag_family_[t] == prev_family[t]]
            self.kept_from_previous_ = len(kept) / len(common) if common else float("nan")
            uses = sum(counts.get(t, 0) for t in common)
            self.kept_uses_from_previous_ = sum(counts.get(t, 0) for t in kept) / uses if uses else float("nan")
        else:
            self.kept_from_previous_ = self.kept_uses_from_previous_ = None

    # ───────────────────────────── using it ─────────────────────────────
    @property
    def tag_method_(self) -> dict[str, str]:
        """Old name of ``tag_placement_``."""
        return self.tag_placement_

    @property
    def k_scan_(self) -> list[KScan]:
        return self.family_scan_

    def _index(self) -> None:
        self._family_rule = HeadWordIndex(self.tag_family_, self.tag_artists_)
        self._sub_rule = HeadWordIndex(self.tag_subfamily_, self.tag_artists_) if self.tag_subfamily_ else None

    def _check(self) -> None:
        if not hasattr(self, "tag_family_"):
            raise TaxonomyError("GenreTaxonomy is not fitted")

    def assign(self, tag: str, level: str = "family") -> int | None:
        """Group id of any tag: learned, else its head word; None when nothing places it."""
        self._check()
        key = str(tag).strip().lower()
        known = self.tag_family_ if level == "family" else self.tag_subfamily_
        got = known.get(key)
        if got is None:
            rule = self._family_rule if level == "family" else self._sub_rule
            got = rule.best(key) if rule is not None else None
        return got

    def transform(self, artist_genres, level: str = "family") -> list[list[int] | None]:
        """Sorted group ids per artist; None for unknown genres, [] for none (or none placed)."""
        self._check()
        if hasattr(artist_genres, "get_column"):
            artist_genres = artist_genres.get_column("genres").to_list()
        out = []
        for g in artist_genres:
            if g is None:
                out.append(None)
                continue
            ids = {self.assign(t, level) for t in g if t is not None and str(t).strip()}
            out.append(sorted(i for i in ids if i is not None))
        return out

    @classmethod
    def from_assignment(cls, tag_family: dict[str, int], tag_artists: dict[str, int] | None = None,
                        families: dict[int, Family] | None = None, tag_subfamily: dict[str, int] | None = None,
                        subfamilies: dict[int, Family] | None = None) -> "GenreTaxonomy":
        """A fitted taxonomy rebuilt from stored tag → family (and subfamily) maps, for labelling."""
        self = cls()
        self.tag_family_ = {t: f for t, f in tag_family.items() if f is not None}
        self.tag_subfamily_ = {t: s for t, s in (tag_subfamily or {}).items() if s is not None}
        self.tag_artists_ = dict(tag_artists or {})
        self.families_ = dict(sorted((families or {}).items()))
        self.subfamilies_ = dict(sorted((subfamilies or {}).items()))
        self.family_ids_ = sorted(self.families_) or sorted(set(self.tag_family_.values()))
        self.subfamily_ids_ = sorted(self.subfamilies_) or sorted(set(self.tag_subfamily_.values()))
        self.subfamily_parent_ = {s.family_id: s.parent_id for s in self.subfamilies_.values()}
        self._index()
        return self


__all__ = ["Family", "GenreTaxonomy", "KScan", "TaxonomyError", "tag_similarity"]
