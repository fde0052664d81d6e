"""Placing the long tail: tags too rare to cluster, from three kinds of evidence, combined.

Routes, each giving shares over the subfamilies (a subfamily's family is its parent):

- ``head-word``: the tag's own words (``_token_rule``): the longest clustered tag that ends its
  name, else the clustered tags with the same head word;
- ``fma``: an external hierarchy (``_fma``): the clustered tags near the tag's node in FMA's tree;
- ``co-occurrence``: the subfamilies whose artists the tag's artists share (Ochiai on artist
  sets), in two passes so a rare tag placed in the first can place rarer ones in the second.

Each route's vote is weighted by its measured accuracy: on the clustered tags, whose family is
known, the name routes are asked to recover the family with the tag itself left out (its
co-occurrence hidden), and the co-occurrence route with only m of the tag's artists kept. A tag
goes to the family with the largest weighted vote (then the best subfamily inside it) when that
vote reaches ``min_score``; the route that gave most of it is recorded. Tags no route reaches stay
unplaced (no family).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._cooccurrence import incidence
from ._fma import GenreHierarchy, HierarchyEvidence
from ._token_rule import HeadWordIndex

ROUTES = ("head-word", "fma", "co-occurrence")
COOC_SAMPLES = (1, 2, 3, 5, 10, 20)


@dataclass
class Placement:
    subfamily: int | None  # local subfamily index
    family: int | None     # local family index
    route: str             # "head-word" | "fma" | "co-occurrence" | "unplaced"
    score: float
    evidence: dict


def _interp(m: float, table: dict[int, float]) -> float:
    xs = sorted(table)
    if not xs:
        return 0.5
    return float(np.interp(m, xs, [table[x] for x in xs]))


class LongTailPlacer:
    """Route evidence for tags outside the tree, and its validation on the tags inside it."""

    def __init__(self, tagged: list[list[str]], counts: dict[str, int], clustered_sub: dict[str, int],
                 sub_parent: np.ndarray, hierarchy: GenreHierarchy | None = None, min_score: float = 0.2,
                 random_state: int = 0):
        self.tagged, self.counts = tagged, counts
        self.clustered_sub = dict(clustered_sub)
        self.sub_parent = np.asarray(sub_parent)
        self.n_sub = len(self.sub_parent)
        self.min_score = min_score
        self.random_state = random_state
        weights = {t: float(counts.get(t, 1)) for t in clustered_sub}
        self.head = HeadWordIndex(clustered_sub, weights)
        self.hierarchy = hierarchy
        self.fma = HierarchyEvidence(hierarchy, clustered_sub, weights) if hierarchy is not None and len(hierarchy) else None
        self.accuracy: dict[str, float] = {}
        self.cooc_accuracy: dict[int, float] = {}
        self.validation: dict = {}

    # ───────────────────────── validation on the clustered tags ─────────────────────────
    def _family_of(self, dist: dict[int, float]) -> int | None:
        if not dist:
            return None
        fam: dict[int, float] = {}
        for s, v in dist.items():
            fam[int(self.sub_parent[s])] = fam.get(int(self.sub_parent[s]), 0.0) + v
        return max(sorted(fam), key=lambda f: fam[f])

    def validate(self) -> dict:
        """Accuracy (and coverage) of each route at recovering the family of the clustered tags."""
        tags = sorted(self.clustered_sub)
        truth = {t: int(self.sub_parent[self.clustered_sub[t]]) for t in tags}
        out: dict = {"tags": len(tags)}
        name_votes: dict[str, dict[int, float]] = {t: {} for t in tags}
        for route in ("head-word", "fma"):
            if route == "fma" and self.fma is None:
                out[route] = {"available": False}
                continue
            hits = answered = 0
            for t in tags:
                dist, _ = (self.head if route == "head-word" else self.fma).distribution(t, exclude=t)
                f = self._family_of(dist)
                if f is None:
                    continue
                answered += 1
                hits += f == truth[t]
                for s, v in dist.items():
                    name_votes[t][s] = name_votes[t].get(s, 0.0) + v
            acc = hits / answered if answered else float("nan")
            out[route] = {"available": True, "coverage": answered / len(tags) if tags else 0.0, "accuracy": acc,
                          "answered": answered}
            self.accuracy[route] = acc if answered else 0.0
        both = [(t, self._family_of(v)) for t, v in name_votes.items() if v]
        out["name_routes"] = {"coverage": len(both) / len(tags) if tags else 0.0,
                              "accuracy": (sum(f == truth[t] for t, f in both) / len(both)) if both else float("nan")}
        out["co-occurrence"] = self._validate_cooccurrence(tags, truth)
        self.validation = out
        return out

    def _validate_cooccurrence(self, tags: list[str], truth: dict[str, int]) -> dict:
        """Keep m random artists of a clustered tag; does co-occurrence with the other tags find its family?"""
        rng = np.random.default_rng([self.random_state, 7])
        K = incidence(self.tagged, tags).tocsc()
        sub = np.array([self.clustered_sub[t] for t in tags])
        onehot = sp.csr_matrix((np.ones(len(tags)), (np.arange(len(tags)), sub)), shape=(len(tags), self.n_sub))
        counts = (K @ onehot).tocsr()  # artists x subfamilies: tags of each subfamily
        sizes = np.asarray((counts > 0).sum(axis=0)).ravel().astype(np.float64)
        table = {}
        for m in COOC_SAMPLES:
            hits = total = 0
            for j, t in enumerate(tags):
                artists = K.indices[K.indptr[j]:K.indptr[j + 1]]
                if len(artists) < m:
                    continue
                keep = rng.choice(artists, size=m, replace=False)
                c = counts[keep].toarray()
                c[:, sub[j]] -= 1  # hide the tag itself
                shared = (c > 0).sum(axis=0).astype(np.float64)
                if shared.sum() == 0:
                    total += 1
                    continue
                score = shared / np.sqrt(m * np.maximum(sizes, 1.0))
                fam = self._family_of({s: v for s, v in enumerate(score) if v > 0})
                hits += fam == truth[t]
                total += 1
            if total:
                table[m] = hits / total
        self.cooc_accuracy = table
        return {"by_artists": {str(m): a for m, a in table.items()}}

    # ───────────────────────── placing the rest ─────────────────────────
    def place(self, rare: list[str], prefer: dict[str, int] | None = None,
              keep_ratio: float = 0.5) -> dict[str, Placement]:
        """Place ``rare`` tags; ``prefer`` (tag → local family, from the previous version) keeps a tag
        in its previous family while that family's vote is at least ``keep_ratio`` of the best."""
        self.prefer, self.keep_ratio = prefer or {}, keep_ratio
        if not self.accuracy and not self.cooc_accuracy:
            self.validate()
        known_sub = dict(self.clustered_sub)
        name_dist = {t: self._name_evidence(t) for t in rare}
        out: dict[str, Placement] = {}
        todo = list(rare)
        for _pass in range(2):  # the second pass can lean on tags the first one placed
            if not todo:
                break
            cooc = self._cooccurrence(todo, known_sub)
            for t in todo:
                out[t] = self._combine(t, name_dist[t], cooc.get(t))
            newly = [t for t in todo if out[t].subfamily is not None]
            for t in newly:
                known_sub[t] = out[t].subfamily
            todo = [t for t in todo if out[t].subfamily is None]
            if not newly:
                break
        return out

    def _name_evidence(self, tag: str) -> dict[str, tuple[dict[int, float], str]]:
        ev = {}
        dist, kind = self.head.distribution(tag)
        if dist:
            ev["head-word"] = (dist, kind)
        if self.fma is not None:
            dist, node = self.fma.distribution(tag)
            if dist:
                ev["fma"] = (dist, f"{self.hierarchy.name}:{node}")
        return ev

    def _cooccurrence(self, tags: list[str], known_sub: dict[str, int]) -> dict[str, tuple[dict[int, float], int]]:
        known = sorted(known_sub)
        K = incidence(self.tagged, known)
        lab = np.array([known_sub[t] for t in known])
        onehot = sp.csr_matrix((np.ones(len(lab)), (np.arange(len(lab)), lab)), shape=(len(lab), self.n_sub))
        F = ((K @ onehot) > 0).astype(np.float64)
        R = incidence(self.tagged, tags)
        co = np.asarray((R.T @ F).todense())
        n_r = np.asarray(R.sum(axis=0)).ravel()
        with_known = np.asarray(R.T @ (np.asarray(F.sum(axis=1)).ravel() > 0).astype(np.float64)).ravel()
        sizes = np.asarray(F.sum(axis=0)).ravel()
        score = co / np.maximum(np.sqrt(np.outer(n_r, sizes)), 1e-12)
        out = {}
        for i, t in enumerate(tags):
            total = score[i].sum()
            if total > 0:
                out[t] = ({int(s): float(v / total) for s, v in enumerate(score[i]) if v > 0}, int(with_known[i]))
        return out

    def _combine(self, tag: str, names: dict, cooc) -> Placement:
        votes: dict[str, dict[int, float]] = {}
        weight: dict[str, float] = {}
        evidence: dict = {}
        for route, (dist, kind) in names.items():
            votes[route], weight[route] = dist, self.accuracy.get(route, 0.0)
            evidence[route] = kind
        if cooc is not None:
            dist, m = cooc
            votes["co-occurrence"], weight["co-occurrence"] = dist, _interp(m, self.cooc_accuracy)
            evidence["co-occurrence"] = f"{m} artist(s) with placed tags"
        fam_score: dict[int, float] = {}
        for route, dist in votes.items():
            for s, v in dist.items():
                f = int(self.sub_parent[s])
                fam_score[f] = fam_score.get(f, 0.0) + weight[route] * v
        if not fam_score:
            return Placement(None, None, "unplaced", 0.0, evidence)
        fam = max(sorted(fam_score), key=lambda f: fam_score[f])
        prev = getattr(self, "prefer", {}).get(tag)
        if prev is not None and prev != fam and fam_score.get(prev, 0.0) >= self.keep_ratio * fam_score[fam]:
            fam = prev  # thin evidence should not move a tag between versions
            evidence["kept_previous_family"] = True
        if fam_score[fam] < self.min_score:
            return Placement(None, None, "unplaced", fam_score[fam], evidence)
        sub_score: dict[int, float] = {}
        for route, dist in votes.items():
            for s, v in dist.items():
                if int(self.sub_parent[s]) == fam:
                    sub_score[s] = sub_score.get(s, 0.0) + weight[route] * v
        sub = max(sorted(sub_score), key=lambda s: sub_score[s])
        share = {r: weight[r] * sum(v for s, v in d.items() if int(self.sub_parent[s]) == fam) for r, d in votes.items()}
        route = max(ROUTES, key=lambda r: (share.get(r, 0.0), -ROUTES.index(r)))
        evidence["score"] = round(fam_score[fam], 4)
        return Placement(sub, fam, route, fam_score[fam], evidence)
