"""Artist labels (multi-hot genre families and subfamilies) and the stored artist-disjoint split.

Labels: an artist's families (subfamilies) are the families (subfamilies) of its genre tags, from
every label source (``label_source``: artists.genres, artist_genre_hits or both). ``state`` keeps
four cases apart: ``tagged`` (has tags, at least one placed in a family), ``unplaced`` (has tags,
none of which any route could place), ``untagged`` (known to have none, genres = []) and
``unknown`` (genres NULL: not fetched, or not given to these credentials).

Split (tagged artists only, one row per artist, so artist-disjoint by construction):
``MultilabelStratifiedShuffleSplit`` holds out ~20% as test, then ``MultilabelStratifiedKFold``
cuts the rest into 5 CV folds, both iterative stratification (Sechidis et al. 2011) on the
artist × family matrix from the ``iterative-stratification`` package.
"""

from __future__ import annotations

import numpy as np
import polars as pl

TEST_SIZE = 0.2
N_FOLDS = 5


def label_frame(artist_genres: pl.DataFrame, taxonomy) -> pl.DataFrame:
    """(artist_id, state, families, subfamilies, n_tags, label_source) for every artist."""
    genres = artist_genres.get_column("genres").to_list()
    fams = taxonomy.transform(genres)
    subs = taxonomy.transform(genres, level="subfamily")
    source = (artist_genres.get_column("label_source").to_list() if "label_source" in artist_genres.columns
              else [None] * len(genres))
    state, n_tags, families, subfamilies, sources = [], [], [], [], []
    for g, f, sf, src in zip(genres, fams, subs, source):
        tags = [t for t in g if t is not None and str(t).strip()] if g is not None else None
        if tags is None:
            state.append("unknown"); n_tags.append(None); families.append(None); subfamilies.append(None)
            sources.append(None)
        elif not tags:
            state.append("untagged"); n_tags.append(0); families.append(None); subfamilies.append(None)
            sources.append(None)
        else:
            state.append("tagged" if f else "unplaced"); n_tags.append(len(tags))
            families.append(f or None); subfamilies.append(sf or None); sources.append(src or "genres")
    return pl.DataFrame({
        "artist_id": artist_genres.get_column("artist_id"),
        "state": state,
        "families": pl.Series("families", families, dtype=pl.List(pl.Int32)),
        "subfamilies": pl.Series("subfamilies", subfamilies, dtype=pl.List(pl.Int32)),
        "n_tags": pl.Series("n_tags", n_tags, dtype=pl.Int32),
        "label_source": pl.Series("label_source", sources, dtype=pl.Utf8),
    })


def multi_hot(families: list[list[int]], family_ids: list[int]) -> np.ndarray:
    """n × k 0/1 matrix with columns in ``family_ids`` order."""
    col = {f: j for j, f in enumerate(family_ids)}
    Y = np.zeros((len(families), len(family_ids)), dtype=np.int8)
    for i, fams in enumerate(families):
        for f in fams or ():
            j = col.get(f)
            if j is not None:
                Y[i, j] = 1
    return Y


def stratified_split(artist_ids: list[str], Y: np.ndarray, seed: int = 0) -> pl.DataFrame:
    """(artist_id, fold, cv_fold): ~20% test, 5 CV folds on the rest, stratified on ``Y``."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold, MultilabelStratifiedShuffleSplit

    n = len(artist_ids)
    fold = np.array(["train"] * n, dtype=object)
    cv = np.full(n, -1, dtype=np.int32)
    if n < 2 * N_FOLDS:
        raise ValueError(f"{n} labelled artists are too few for a test set and {N_FOLDS} folds")
    X_dummy = np.zeros((n, 1))
    sss = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=TEST_SIZE, random_state=seed)
    train_idx, test_idx = next(sss.split(X_dummy, Y))
    fold[test_idx] = "test"
    kf = MultilabelStratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=seed)
    for f, (_, val) in enumerate(kf.split(X_dummy[train_idx], Y[train_idx])):
        cv[train_idx[val]] = f
    return pl.DataFrame({"artist_id": artist_ids, "fold": fold.tolist(), "cv_fold": cv})


def prevalence_gaps(Y: np.ndarray, fold: np.ndarray, cv_fold: np.ndarray) -> np.ndarray:
    """|prevalence in each of the 6 parts (test, cv 0-4) - overall| per family, in points."""
    overall = Y.mean(axis=0)
    parts = [fold == "test"] + [cv_fold == f for f in range(N_FOLDS)]
    return np.array([np.abs(Y[p].mean(axis=0) - overall) * 100 for p in parts if p.any()])
