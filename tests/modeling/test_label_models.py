"""Text label models (names, titles): cross-fitted, so hidden labels (test split, a held-out CV
fold) and an artist's own label never reach its features; visible labels do, and the text does
carry the family."""

from __future__ import annotations

import duckdb
import numpy as np

from modeling._label_models import add_label_models, blocks, feature_names, label_models_for, name_matrix
from modeling._metrics import macro_auroc_ml
from modeling._tasks import TaskData

_CUES = (["metal", "doom", "iron"], ["salsa", "son", "cumbia"], ["choir", "sonata", "ensemble"])
_FILLER = ["blue", "night", "river", "star", "road", "fire", "king", "moon", "sun", "home"]


def _artists(seed: int = 0, n: int = 240):
    """Names and titles in which a family's words appear more often for its artists."""
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, 3)) < 0.35).astype(np.int8)
    names, titles = [], []
    for i in range(n):
        words = [str(w) for w in rng.choice(_FILLER, 2)]
        for j in range(3):
            if Y[i, j] and rng.random() < 0.7:
                words.append(str(rng.choice(_CUES[j])))
        names.append(" ".join(rng.permutation(words)))
        titles.append([] if rng.random() < 0.3 else [f"{w} song" for w in rng.permutation(words)])
    train = rng.random(n) < 0.75
    cv = np.where(train, rng.integers(0, 5, n), -1)
    return names, titles, Y, train, cv


def _blocks(names, Y, train, cv):
    return blocks(name_matrix(names), Y, train, cv, np.ones(len(names), dtype=bool))


def test_the_text_carries_the_family_to_test_artists():
    names, _titles, Y, train, cv = _artists()
    main, _folds = _blocks(names, Y, train, cv)
    assert macro_auroc_ml(Y[~train], main[~train]) > 0.8
    assert macro_auroc_ml(Y[train], main[train]) > 0.8  # out-of-fold on the training artists too


def test_test_labels_never_reach_the_blocks():
    names, _titles, Y, train, cv = _artists(1)
    main, folds = _blocks(names, Y, train, cv)
    flipped = Y.copy()
    flipped[~train] = 1 - flipped[~train]
    main2, folds2 = _blocks(names, flipped, train, cv)
    np.testing.assert_array_equal(main, main2)
    for f in folds:
        np.testing.assert_array_equal(folds[f], folds2[f])
    flipped_train = Y.copy()
    flipped_train[train] = 1 - flipped_train[train]
    assert not np.allclose(main, _blocks(names, flipped_train, train, cv)[0])


def test_a_held_out_folds_labels_are_hidden_in_that_folds_matrix():
    names, _titles, Y, train, cv = _artists(2)
    _main, folds = _blocks(names, Y, train, cv)
    for f in folds:
        flipped = Y.copy()
        flipped[cv == f] = 1 - flipped[cv == f]
        np.testing.assert_array_equal(folds[f], _blocks(names, flipped, train, cv)[1][f])


def test_an_artists_own_label_never_enters_its_own_row():
    names, _titles, Y, train, cv = _artists(3)
    main, folds = _blocks(names, Y, train, cv)
    i = int(np.flatnonzero(train)[0])
    changed = Y.copy()
    changed[i] = 1 - changed[i]
    main2, folds2 = _blocks(names, changed, train, cv)
    np.testing.assert_array_equal(main[i], main2[i])
    assert not np.allclose(main[~train], main2[~train])  # it does reach the test artists
    for f in folds:
        np.testing.assert_array_equal(folds[f][i], folds2[f][i])


def _catalog(names, titles):
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE artists (artist_id VARCHAR, name VARCHAR)")
    con.execute("CREATE TABLE tracks (track_id VARCHAR, album_id VARCHAR, name VARCHAR)")
    con.execute("CREATE TABLE albums (album_id VARCHAR, name VARCHAR)")
    con.execute("CREATE TABLE track_artists (track_id VARCHAR, artist_id VARCHAR)")
    con.execute("CREATE TABLE album_artists (album_id VARCHAR, artist_id VARCHAR)")
    for i, (name, ts) in enumerate(zip(names, titles)):
        con.execute("INSERT INTO artists VALUES (?, ?)", [f"a{i}", name])
        for t, title in enumerate(ts):
            con.execute("INSERT INTO tracks VALUES (?, NULL, ?)", [f"t{i}_{t}", title])
            con.execute("INSERT INTO track_artists VALUES (?, ?)", [f"t{i}_{t}", f"a{i}"])
    return con


def test_added_to_the_task_data_with_titles_missing_where_an_artist_has_none():
    names, titles, Y, train, cv = _artists(4, n=120)
    ids = np.array([f"a{i}" for i in range(len(names))])
    data = TaskData(task="artist-families", kind="multilabel", dataset="warehouse", X=np.zeros((len(ids), 1)),
                    feature_names=["f0"], categorical=[], y=Y, label_names=["m", "l", "c"], label_ids=["1", "2", "3"],
                    ids=ids, groups=ids, train=train, cv_fold=cv, split_id="t")
    only_names = TaskData(**{**data.__dict__, "X": data.X.copy()})
    add_label_models(data, _catalog(names, titles), None)
    assert data.feature_names == ["f0", *feature_names(["1", "2", "3"])]
    add_label_models(only_names, _catalog(names, titles), None, ("name",))
    assert only_names.feature_names == ["f0", "name_lm_1", "name_lm_2", "name_lm_3"]
    np.testing.assert_array_equal(only_names.X, data.X[:, :4])
    assert data.X.shape == (len(ids), 7) and set(data.fold_X) == set(np.unique(cv[cv >= 0]).tolist())
    no_titles = np.array([not t for t in titles])
    assert np.isnan(data.X[no_titles, 4:]).all() and np.isfinite(data.X[~no_titles, 4:]).all()
    assert np.isfinite(data.X[:, 1:4]).all()  # every artist has a name


def test_production_fits_on_every_labelled_artist():
    names, titles, Y, _train, _cv = _artists(5)
    block = label_models_for(names[:40], titles[:40], names[40:], titles[40:], Y[40:])
    assert block.shape == (40, 6)
    np.testing.assert_array_equal(label_models_for(names[:40], titles[:40], names[40:], titles[40:], Y[40:],
                                                   ("name",)), block[:, :3])
    assert macro_auroc_ml(Y[:40], block[:, :3]) > 0.8
    no_titles = np.array([not t for t in titles[:40]])
    assert np.isnan(block[no_titles, 3:]).all() and np.isfinite(block[~no_titles, 3:]).all()


def test_the_scored_artists_text_never_shapes_the_models():
    names, _titles, Y, train, cv = _artists(6)
    main, folds = _blocks(names, Y, train, cv)
    rewritten = [n if t else f"zz{i} qq{i} unseen words" for i, (n, t) in enumerate(zip(names, train))]
    main2, folds2 = _blocks(rewritten, Y, train, cv)
    np.testing.assert_array_equal(main[train], main2[train])  # training rows: fit and scored on training text
    assert not np.allclose(main[~train], main2[~train])
