"""Collaborator genre: the genre families of the artists an artist is co-credited with.

Artists that share tracks or albums (``track_artists`` / ``album_artists``) tend to share genre
families. For each artist we compute, over its co-credited artists *whose labels are visible*,
the weighted share in each family (weight = number of shared tracks and albums) and the number
of labelled collaborators, plus the number of collaborators of any kind (label-free).

Which labels are visible depends on the split, so this is not a snapshot-level feature view:

- evaluating on the test split: only training artists' labels (``visible = train``);
- inside the CV folds (early stopping, out-of-fold thresholds): fold f's labels are hidden too,
  so the block is recomputed per fold (``TaskData.fold_X``);
- predicting for untagged/unknown artists: every tagged artist's label.

An artist's own label never enters its own features (no self edges), and hidden labels never
enter anyone's: the leakage test flips hidden labels and checks nothing moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from features import snapshot_connection

COUNT_LABELLED = "collab_n_labelled"
COUNT_ANY = "collab_n_any"
PREFIX = "collab_share_"

_EDGES_SQL = """
WITH items AS (
    SELECT DISTINCT 't:' || track_id AS item, artist_id FROM {db}track_artists WHERE artist_id IS NOT NULL
    UNION
    SELECT DISTINCT 'a:' || album_id AS item, artist_id FROM {db}album_artists WHERE artist_id IS NOT NULL
)
SELECT a.artist_id AS src, b.artist_id AS dst, count(*)::DOUBLE AS weight
FROM items a JOIN items b ON a.item = b.item AND a.artist_id <> b.artist_id
GROUP BY 1, 2
"""


@dataclass
class CoCreditGraph:
    """Directed (symmetric) artist → artist co-credit edges with a shared-item count as weight."""

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def degree(self, artist_ids) -> np.ndarray:
        """Distinct co-credited artists per artist (labels not involved)."""
        uniq, counts = np.unique(self.src, return_counts=True)
        lookup = dict(zip(uniq.tolist(), counts.tolist()))
        return np.array([lookup.get(a, 0) for a in artist_ids], dtype=float)

    def matrix(self, artist_ids) -> sp.csr_matrix:
        """Weighted adjacency among ``artist_ids`` (rows/columns in that order)."""
        index = {a: i for i, a in enumerate(artist_ids)}
        s = np.array([index.get(a, -1) for a in self.src], dtype=np.int64)
        d = np.array([index.get(a, -1) for a in self.dst], dtype=np.int64)
        keep = (s >= 0) & (d >= 0) & (s != d)
        n = len(artist_ids)
        return sp.csr_matrix((self.weight[keep], (s[keep], d[keep])), shape=(n, n))


def co_credit_graph(con, snapshot_id: str | None = None) -> CoCreditGraph:
    """Co-credit edges of a snapshot: read from the snapshot file when the ``snapshots`` table
    knows it, otherwise from the silver tables the connection sees."""
    with snapshot_connection(con, snapshot_id) as source:
        df = source.execute(_EDGES_SQL.format(db="")).fetchnumpy()
    return CoCreditGraph(np.asarray(df["src"]).astype(str), np.asarray(df["dst"]).astype(str),
                         np.asarray(df["weight"], dtype=float))


def feature_names(label_ids) -> list[str]:
    return [f"{PREFIX}{lid}" for lid in label_ids] + [COUNT_LABELLED, COUNT_ANY]


def collab_block(W: sp.csr_matrix, Y: np.ndarray, visible: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """n × (k+2): weighted family shares over visible collaborators (NaN if none), their count,
    and the label-free collaborator count. Rows of ``W``/``Y``/``visible`` are the same artists."""
    vis = np.asarray(visible, dtype=bool)
    Yv = np.where(vis[:, None], np.asarray(Y, dtype=float), 0.0)  # hidden labels are zeroed, never read
    weighted = W @ Yv
    total = W @ vis.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[:, None] > 0, weighted / total[:, None], np.nan)
    n_labelled = (W > 0).astype(float) @ vis.astype(float)
    return np.column_stack([share, n_labelled, degree])


def add_collab_features(data, graph: CoCreditGraph) -> None:
    """Append the collaborator block to an artist-families TaskData, in place.

    ``data.X`` gets the block computed with only training labels visible (what the final model
    is fit and scored with); ``data.fold_X[f]`` holds the same matrix with fold f hidden as well.
    """
    ids = [str(a) for a in data.ids]
    W = graph.matrix(ids)
    deg = graph.degree(ids)
    Y = np.asarray(data.y, dtype=float)
    base = data.X
    data.X = np.column_stack([base, collab_block(W, Y, data.train, deg)])
    data.fold_X = {}
    for f in np.unique(data.cv_fold[data.cv_fold >= 0]):
        visible = data.train & (data.cv_fold != f)
        data.fold_X[int(f)] = np.column_stack([base, collab_block(W, Y, visible, deg)])
    data.feature_names = list(data.feature_names) + feature_names(data.label_ids)


def collab_for(graph: CoCreditGraph, target_ids, labelled_ids, Y_labelled: np.ndarray) -> np.ndarray:
    """Production: the block for ``target_ids`` with every labelled artist's label visible."""
    target_ids = [str(a) for a in target_ids]
    labelled_ids = [str(a) for a in labelled_ids]
    universe = target_ids + [a for a in labelled_ids if a not in set(target_ids)]
    pos = {a: i for i, a in enumerate(universe)}
    Y = np.zeros((len(universe), Y_labelled.shape[1]))
    visible = np.zeros(len(universe), dtype=bool)
    for a, row in zip(labelled_ids, np.asarray(Y_labelled, dtype=float)):
        Y[pos[a]] = row
        visible[pos[a]] = True
    block = collab_block(graph.matrix(universe), Y, visible, graph.degree(universe))
    return block[: len(target_ids)]
