"""Neighbour labels over the co-credit graph: genre families spread from labelled artists.

Nodes are every artist of the snapshot (untagged ones too: a path through an untagged artist
still links two tagged ones). Two artists are linked by every item they share:

* a track both are credited on (``track_artists``);
* an album: its credited artists (``album_artists``) and every artist credited on one of its
  tracks — so a compilation or an ``appears_on`` album links its contributors.

An item shared by m artists adds 1/(m−1) to each of its pairs, so a 40-artist compilation does
not outweigh a duet. With ``P`` the row-normalised adjacency and ``Y0`` the *visible* labels
(hidden ones zeroed before anything reads them), a truncated personalised-PageRank walk

    F = Σ_{t=1..T} α^{t−1} · (P^t with its diagonal removed) · Y0

sums the labels reached in 1..T steps. Removing each power's diagonal drops exactly the walks
that return to the artist itself, so an artist's own label never enters its own features (a
training artist would otherwise see its label echoed back, a test artist never). The features
are ``graph_share_<family>`` = F / (the same walk over the visible mask) — the reached families'
share, NaN when no labelled artist is reachable — ``graph_mass`` (how much labelled
neighbourhood was reached) and ``graph_degree`` (weighted degree, label-free).

Which labels are visible is the caller's choice, as for the collaborator block: training split
only when scoring the test split, the other CV folds inside the CV, every tagged artist in
production. ``tests/modeling/test_graph_labels.py`` flips hidden labels and checks nothing moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

PREFIX = "graph_share_"
MASS = "graph_mass"
DEGREE = "graph_degree"
STEPS = 3
ALPHA = 0.5

_ITEMS_SQL = """
WITH items AS (
    SELECT DISTINCT 't:' || track_id AS item, artist_id FROM track_artists WHERE artist_id IS NOT NULL
    UNION
    SELECT DISTINCT 'a:' || album_id, artist_id FROM album_artists WHERE artist_id IS NOT NULL
    UNION
    SELECT DISTINCT 'a:' || t.album_id, ta.artist_id
    FROM track_artists ta JOIN tracks t ON t.track_id = ta.track_id
    WHERE t.album_id IS NOT NULL AND ta.artist_id IS NOT NULL
),
sized AS (SELECT item, artist_id, count(*) OVER (PARTITION BY item) AS m FROM items)
SELECT a.artist_id AS src, b.artist_id AS dst, (1.0 / (a.m - 1))::DOUBLE AS weight
FROM sized a JOIN sized b ON a.item = b.item AND a.artist_id <> b.artist_id
WHERE a.m > 1
ORDER BY src, dst, a.item
"""
# One row per shared item, in a fixed order, summed by scipy: a parallel GROUP BY would add the
# weights in arrival order and change the last bits from run to run.


def feature_names(label_ids) -> list[str]:
    return [f"{PREFIX}{lid}" for lid in label_ids] + [MASS, DEGREE]


@dataclass
class LabelGraph:
    """The co-credit graph over ``nodes`` with the walk operators precomputed."""

    nodes: list[str]
    P: sp.csr_matrix            # row-normalised adjacency
    diag: list[np.ndarray]      # diagonal of P^t, t = 1..STEPS
    degree: np.ndarray          # weighted degree per node

    @classmethod
    def from_edges(cls, src, dst, weight, extra_nodes=()) -> "LabelGraph":
        nodes = list(dict.fromkeys([*map(str, extra_nodes), *map(str, src), *map(str, dst)]))
        index = {a: i for i, a in enumerate(nodes)}
        s = np.array([index[str(a)] for a in src], dtype=np.int64)
        d = np.array([index[str(a)] for a in dst], dtype=np.int64)
        n = len(nodes)
        W = sp.csr_matrix((np.asarray(weight, dtype=float), (s, d)), shape=(n, n))
        W.setdiag(0)
        W.eliminate_zeros()
        degree = np.asarray(W.sum(axis=1)).ravel()
        inv = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
        P = sp.diags(inv) @ W
        P = P.tocsr()
        diag = [P.diagonal()]
        Pt = P
        for _ in range(STEPS - 1):
            # diag(P^{t+1}) = rowwise sum of P^t ∘ Pᵀ, without forming P^{t+1}
            diag.append(np.asarray(Pt.multiply(P.T).sum(axis=1)).ravel())
            if len(diag) < STEPS:
                Pt = (Pt @ P).tocsr()
        return cls(nodes, P, diag, degree)

    def walk(self, Y0: np.ndarray) -> np.ndarray:
        """Σ_t α^{t−1} (P^t − diag(P^t)) Y0: labels reached in 1..STEPS steps, never one's own."""
        out = np.zeros_like(Y0, dtype=float)
        reach = Y0
        for t in range(STEPS):
            reach = self.P @ reach
            out += ALPHA ** t * (reach - self.diag[t][:, None] * Y0)
        return out

    def block(self, artist_ids, label_ids_rows: dict[str, np.ndarray], k: int) -> np.ndarray:
        """len(artist_ids) × (k+2) features with the labels in ``label_ids_rows`` visible
        ({artist id: 0/1 row}); every other artist's label is unknown."""
        index = {a: i for i, a in enumerate(self.nodes)}
        n = len(self.nodes)
        Y0 = np.zeros((n, k + 1))  # last column: the visible mask, walked the same way
        for a, row in label_ids_rows.items():
            i = index.get(str(a))
            if i is not None:
                Y0[i, :k] = row
                Y0[i, k] = 1.0
        F = self.walk(Y0)
        rows = np.array([index.get(str(a), -1) for a in artist_ids], dtype=np.int64)
        out = np.full((len(rows), k + 2), np.nan)
        known = rows >= 0
        Fk = F[rows[known]]
        mass = np.clip(Fk[:, k], 0.0, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(mass[:, None] > 1e-12, np.clip(Fk[:, :k], 0.0, None) / mass[:, None], np.nan)
        out[known, :k] = share
        out[known, k] = mass
        out[known, k + 1] = self.degree[rows[known]]
        out[~known, k] = 0.0
        out[~known, k + 1] = 0.0
        return out


def label_graph(source, extra_nodes=()) -> LabelGraph:
    """The co-credit graph of a connection holding the silver tables."""
    df = source.execute(_ITEMS_SQL).fetchnumpy()
    return LabelGraph.from_edges(np.asarray(df["src"]).astype(str), np.asarray(df["dst"]).astype(str),
                                 np.asarray(df["weight"], dtype=float), extra_nodes)


def graph_block(graph: LabelGraph, artist_ids, Y: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Features for ``artist_ids`` (rows of ``Y``) with only the ``visible`` rows' labels seen."""
    Y = np.asarray(Y, dtype=float)
    vis = np.asarray(visible, dtype=bool)
    seen = {str(a): Y[i] for i, a in enumerate(artist_ids) if vis[i]}
    return graph.block([str(a) for a in artist_ids], seen, Y.shape[1])
