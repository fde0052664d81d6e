"""Graph labels over the co-credit graph: hidden labels (test split, held-out CV fold) and an
artist's own label never reach the features; visible neighbours' labels do."""

from __future__ import annotations

import duckdb
import numpy as np

from features._graph_labels import LabelGraph, feature_names, graph_block
from modeling._extra_groups import add_graph_labels
from modeling._tasks import TaskData


def _catalog(seed: int = 0, n: int = 150, k: int = 3):
    """A real DuckDB catalog: duets (track_artists), albums with guests, and compilations."""
    rng = np.random.default_rng(seed)
    ids = [f"a{i:03d}" for i in range(n)]
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE tracks (track_id VARCHAR, album_id VARCHAR)")
    con.execute("CREATE TABLE track_artists (track_id VARCHAR, artist_id VARCHAR)")
    con.execute("CREATE TABLE album_artists (album_id VARCHAR, artist_id VARCHAR)")
    for t in range(3 * n):
        album = f"al{t // 3}"
        con.execute("INSERT INTO tracks VALUES (?, ?)", [f"t{t}", album])
        for i in set(rng.choice(n, int(rng.integers(1, 3)), replace=False).tolist()):
            con.execute("INSERT INTO track_artists VALUES (?, ?)", [f"t{t}", ids[i]])
        if t % 3 == 0:
            con.execute("INSERT INTO album_artists VALUES (?, ?)", [album, ids[int(rng.integers(0, n))]])
    Y = (rng.random((n, k)) < 0.4).astype(np.int8)
    train = rng.random(n) < 0.75
    cv = np.where(train, rng.integers(0, 5, n), -1)
    data = TaskData(task="artist-families", kind="multilabel", dataset="warehouse", X=rng.normal(size=(n, 2)),
                    feature_names=["f0", "f1"], categorical=[], y=Y, label_names=["x", "y", "z"],
                    label_ids=["1", "2", "3"], ids=np.array(ids), groups=np.array(ids), train=train, cv_fold=cv,
                    split_id="t")
    return con, data


def _built(con, data, Y):
    d = TaskData(**{**data.__dict__, "y": Y.copy(), "X": data.X.copy(), "fold_X": None})
    add_graph_labels(d, con, None)
    return d


def test_test_labels_never_reach_graph_features():
    con, data = _catalog()
    base = _built(con, data, data.y)
    assert base.feature_names[2:] == feature_names(data.label_ids)
    assert np.isfinite(base.X[:, 2]).mean() > 0.5  # most artists reach a labelled artist
    flipped = data.y.copy()
    flipped[data.test] = 1 - flipped[data.test]
    after = _built(con, data, flipped)
    np.testing.assert_array_equal(base.X, after.X)
    for f in base.fold_X:
        np.testing.assert_array_equal(base.fold_X[f], after.fold_X[f])
    flipped_train = data.y.copy()
    flipped_train[data.train] = 1 - flipped_train[data.train]
    assert not np.allclose(np.nan_to_num(base.X), np.nan_to_num(_built(con, data, flipped_train).X))


def test_held_out_fold_labels_are_hidden_in_that_folds_matrix():
    con, data = _catalog(seed=1)
    base = _built(con, data, data.y)
    for f in range(5):
        flipped = data.y.copy()
        fold = data.cv_fold == f
        flipped[fold] = 1 - flipped[fold]
        np.testing.assert_array_equal(base.fold_X[f], _built(con, data, flipped).fold_X[f])


def test_own_label_never_echoes_back():
    # a - b - c triangle plus d hanging on c: walks of length 2 and 3 return to a.
    src = ["a", "b", "b", "c", "c", "a", "c", "d"]
    dst = ["b", "a", "c", "b", "a", "c", "d", "c"]
    graph = LabelGraph.from_edges(src, dst, np.ones(8))
    ids = ["a", "b", "c", "d"]
    Y = np.array([[1, 0], [0, 1], [0, 1], [1, 0]], dtype=float)
    visible = np.ones(4, dtype=bool)
    before = graph_block(graph, ids, Y, visible)
    Y2 = Y.copy()
    Y2[0] = [0, 1]  # a's own label changes while it stays visible to the others
    after = graph_block(graph, ids, Y2, visible)
    np.testing.assert_allclose(before[0], after[0])  # a's own row does not move
    assert not np.allclose(before[1], after[1])      # its neighbour's does
    # a reaches b and c (family 2) in one step, d (family 1) only in two: mostly family 2.
    assert 0 < before[0, 0] < 0.5 < before[0, 1]
