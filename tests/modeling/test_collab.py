"""Collaborator-genre features: no hidden label (test split, held-out CV fold) ever reaches them."""

from __future__ import annotations

import numpy as np

from modeling._collab import CoCreditGraph, add_collab_features, collab_for, feature_names
from modeling._tasks import TaskData


def _graph_and_data(seed: int = 0, n: int = 120, k: int = 3):
    rng = np.random.default_rng(seed)
    ids = np.array([f"a{i:03d}" for i in range(n)])
    src, dst, w = [], [], []
    for _ in range(4 * n):  # random symmetric co-credits with shared-item counts
        i, j = rng.choice(n, 2, replace=False)
        c = float(rng.integers(1, 4))
        src += [ids[i], ids[j]]
        dst += [ids[j], ids[i]]
        w += [c, c]
    graph = CoCreditGraph(np.array(src), np.array(dst), np.array(w))
    Y = (rng.random((n, k)) < 0.4).astype(np.int8)
    train = rng.random(n) < 0.75
    cv = np.where(train, rng.integers(0, 5, n), -1)
    data = TaskData(task="artist-families", kind="multilabel", dataset="warehouse", X=rng.normal(size=(n, 2)),
                    feature_names=["f0", "f1"], categorical=[], y=Y, label_names=["x", "y", "z"],
                    label_ids=["1", "2", "3"], ids=ids, groups=ids, train=train, cv_fold=cv, split_id="t")
    return graph, data


def _built(graph, data, Y):
    d = TaskData(**{**data.__dict__, "y": Y.copy(), "X": data.X.copy()})
    add_collab_features(d, graph)
    return d


def test_test_labels_never_reach_any_features():
    graph, data = _graph_and_data()
    base = _built(graph, data, data.y)
    flipped = data.y.copy()
    flipped[data.test] = 1 - flipped[data.test]  # every test artist's own and neighbours' labels
    after = _built(graph, data, flipped)
    np.testing.assert_array_equal(base.X, after.X)
    for f in base.fold_X:
        np.testing.assert_array_equal(base.fold_X[f], after.fold_X[f])
    # The check can fail: flipping training labels does move the features.
    flipped_train = data.y.copy()
    flipped_train[data.train] = 1 - flipped_train[data.train]
    assert not np.allclose(np.nan_to_num(base.X), np.nan_to_num(_built(graph, data, flipped_train).X))


def test_held_out_fold_labels_are_hidden_in_that_folds_matrix():
    graph, data = _graph_and_data(seed=1)
    base = _built(graph, data, data.y)
    for f in range(5):
        flipped = data.y.copy()
        fold = data.cv_fold == f
        flipped[fold] = 1 - flipped[fold]
        after = _built(graph, data, flipped)
        np.testing.assert_array_equal(base.fold_X[f], after.fold_X[f])
        # ...while the matrices that may see fold f (other folds, the final one) do change.
        assert not np.allclose(np.nan_to_num(base.X), np.nan_to_num(after.X))


def test_an_artists_own_label_never_enters_its_features():
    graph, data = _graph_and_data(seed=2)
    base = _built(graph, data, data.y)
    rows = np.flatnonzero(data.train)[:10]
    for r in rows:
        flipped = data.y.copy()
        flipped[r] = 1 - flipped[r]
        np.testing.assert_array_equal(base.X[r], _built(graph, data, flipped).X[r])


def test_shares_are_weighted_by_shared_items_over_visible_collaborators():
    # a0 shares 3 items with a1 (family 0) and 1 with a2 (family 1); a3 is hidden (test).
    graph = CoCreditGraph(np.array(["a0", "a1", "a0", "a2", "a0", "a3"]), np.array(["a1", "a0", "a2", "a0", "a3", "a0"]),
                          np.array([3.0, 3.0, 1.0, 1.0, 5.0, 5.0]))
    Y = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.int8)
    ids = np.array(["a0", "a1", "a2", "a3"])
    data = TaskData(task="artist-families", kind="multilabel", dataset="warehouse", X=np.zeros((4, 0)),
                    feature_names=[], categorical=[], y=Y, label_names=["p", "q"], label_ids=["7", "9"], ids=ids,
                    groups=ids, train=np.array([True, True, True, False]), cv_fold=np.array([0, 1, 1, -1]), split_id="t")
    add_collab_features(data, graph)
    assert data.feature_names == feature_names(["7", "9"]) == ["collab_share_7", "collab_share_9",
                                                                "collab_n_labelled", "collab_n_any"]
    np.testing.assert_allclose(data.X[0], [0.75, 0.25, 2, 3])
    np.testing.assert_allclose(data.fold_X[1][0], [np.nan, np.nan, 0, 3])  # a1, a2 held out with fold 1
    # Production: every tagged artist visible, for an untagged artist linked to a1 and a3.
    g2 = CoCreditGraph(np.array(["u", "a1", "u", "a3"]), np.array(["a1", "u", "a3", "u"]), np.array([1.0, 1.0, 1.0, 1.0]))
    np.testing.assert_allclose(collab_for(g2, ["u"], ids, Y)[0], [1.0, 0.5, 2, 2])


def test_name_cues_are_stateless_per_name():
    from features import NAME_CUE_FEATURES as FEATURES
    from features import name_cues

    X = name_cues(["Lil Wayne", "London Symphony Orchestra", "Los Tigres del Norte", "BTS", None])
    col = {n: X[:, j] for j, n in enumerate(FEATURES)}
    assert col["name_prefix_lil"].tolist()[:4] == [1, 0, 0, 0]
    assert col["name_classical"].tolist()[:4] == [0, 1, 0, 0]
    assert col["name_spanish"].tolist()[:4] == [0, 0, 1, 0]
    assert col["name_upper"].tolist()[:4] == [0, 0, 0, 1]
    assert np.isnan(X[4]).all()
    # Same name, same row, whatever else is in the batch: nothing is learned across artists.
    np.testing.assert_array_equal(name_cues(["Lil Wayne"])[0], X[0])


def test_artist_type_is_a_fixed_one_hot_with_unknown_kept_apart():
    from features import ARTIST_TYPE_FEATURES as FEATURES
    from features import artist_type_onehot

    X = artist_type_onehot(["singer", "band", "'rapper'", "DJ", "duo", "orchestra", None])
    col = {n: X[:, j] for j, n in enumerate(FEATURES)}
    assert col["artist_type_singer"].tolist()[:6] == [1, 0, 0, 0, 0, 0]
    assert col["artist_type_rapper"].tolist()[:6] == [0, 0, 1, 0, 0, 0]  # MusicOSet's stray quotes
    assert col["artist_type_dj"].tolist()[:6] == [0, 0, 0, 1, 0, 0]
    assert X[:6].sum(axis=1).tolist() == [1, 1, 1, 1, 1, 0]  # a type outside the vocabulary: zeros
    assert np.isnan(X[6]).all()  # unknown (the API has no type) is not "none of these"
    np.testing.assert_array_equal(artist_type_onehot(["band"])[0], X[1])
