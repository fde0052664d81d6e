"""Label models over text: the families an artist's name and titles suggest, cross-fitted.

Untagged artists have few features that do not encode fame, but every one has a name and half
have track titles. A per-family naive Bayes on hashed character n-grams of the name, and one
on hashed words and character n-grams of the titles, turn that text into family log-odds,
appended as columns ``name_lm_<family>`` and ``text_lm_<family>`` (NaN where the artist has no
title). The hashing is stateless (nothing learned from any row), so only the
naive Bayes models learn, and they learn from labels, so they are *cross-fitted* like the
collaborator and graph blocks:

* ``X`` (what the final model is fit on and the test split scored with): a training artist's
  value comes from a model fit on the other CV folds (never its own label), a test
  artist's from one fit on every training artist;
* ``fold_X[f]`` (the CV's early stopping and out-of-fold calibration): the same with fold f's
  labels hidden as well — its rows from a fit on the other training folds, every other training
  row from a fit that also leaves out its own fold;
* production: one fit on every tagged artist, applied to the untagged ones.

``tests/modeling/test_label_models.py`` flips the labels of test artists and of a held-out
fold and checks that nothing they must not reach moves, and that an artist's own label never
enters its own row.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

NAME_PREFIX = "name_lm_"
TITLE_PREFIX = "text_lm_"
_N_FEATURES = 2 ** 18
_ALPHA = 0.1
_CLIP = 50.0


def used_columns(Z: sp.csr_matrix) -> sp.csr_matrix:
    """Z without its all-zero columns (only smaller: :func:`fit_predict` keeps just the columns
    its fit rows use anyway). Time and memory grow with the column count (one logistic fit on
    240 names: 1.64 s → 0.05 s, 262,144 → 1,131 columns)."""
    Z = sp.csr_matrix(Z)
    return Z[:, np.unique(Z.indices)]


def name_matrix(names) -> sp.csr_matrix:
    """Hashed character 2-4-grams of each name (within word boundaries), L2-normalised."""
    from sklearn.feature_extraction.text import HashingVectorizer

    hv = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=_N_FEATURES, alternate_sign=False)
    return used_columns(hv.transform([str(n or "") for n in names]))


def title_matrix(titles) -> sp.csr_matrix:
    """Hashed words (1-2) and character 3-5-grams of each artist's titles, side by side."""
    from sklearn.feature_extraction.text import HashingVectorizer

    docs = [" \n ".join(t for t in (ts or []) if t) for ts in titles]
    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=_N_FEATURES, alternate_sign=False)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=_N_FEATURES, alternate_sign=False)
    return used_columns(sp.hstack([words.transform(docs), chars.transform(docs)]).tocsr())


def fit_predict(Z, Y: np.ndarray, fit_rows: np.ndarray, pred_rows: np.ndarray) -> np.ndarray:
    """Per family, a multinomial naive Bayes fit on ``fit_rows`` of (Z, Y), applied to
    ``pred_rows`` as the log-odds of the family (clipped at ±``_CLIP``: long title lists push
    naive Bayes' probabilities to exactly 0 or 1, which would tie the artists; the log-odds keep
    their order). A family constant on the fit rows gets ±``_CLIP``.

    Naive Bayes, not logistic regression: the blocks need 31 fits per family, and on the shared
    2-core machine (load ~20) liblinear on the hashed columns ran 10 minutes on the name block
    without finishing; naive Bayes built it in 84 s and the title block in 186 s."""
    from sklearn.naive_bayes import MultinomialNB

    Y = np.asarray(Y, dtype=int)
    out = np.empty((int(np.sum(pred_rows)), Y.shape[1]))
    Zf, Zp, Yf = Z[fit_rows], Z[pred_rows], Y[fit_rows]
    # The vocabulary is the fit rows' n-grams (as a vectorizer fit on them would keep): the rows
    # scored never shape the model, not even through the smoothing's column count.
    cols = np.unique(Zf.indices)
    Zf, Zp = Zf[:, cols], Zp[:, cols]
    for j in range(Y.shape[1]):
        y = Yf[:, j]
        if len(y) == 0 or y.min() == y.max():
            out[:, j] = (_CLIP if y[0] else -_CLIP) if len(y) else np.nan
            continue
        joint = MultinomialNB(alpha=_ALPHA).fit(Zf, y).predict_joint_log_proba(Zp)
        out[:, j] = np.clip(joint[:, 1] - joint[:, 0], -_CLIP, _CLIP)
    return out


def cross_fitted(Z, Y: np.ndarray, visible: np.ndarray, cv_fold: np.ndarray, present: np.ndarray) -> np.ndarray:
    """n × k: rows outside ``visible`` from a fit on every visible (present) row; a visible row of
    fold g from a fit on the visible rows outside g. Rows not ``present`` are NaN. Labels of rows
    outside ``visible`` are never read."""
    visible = np.asarray(visible, dtype=bool)
    present = np.asarray(present, dtype=bool)
    Yv = np.where(visible[:, None], np.asarray(Y, dtype=int), 0)  # hidden labels zeroed before any fit
    B = np.full((len(visible), Yv.shape[1]), np.nan)
    if (~visible).any():
        B[~visible] = fit_predict(Z, Yv, visible & present, ~visible)
    for g in np.unique(cv_fold[visible]):
        rows = visible & (cv_fold == g)
        B[rows] = fit_predict(Z, Yv, visible & present & (cv_fold != g), rows)
    B[~present] = np.nan
    return B


def blocks(Z, Y, train, cv_fold, present) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """(block for ``X``, {fold f: block for ``fold_X[f]``}) as the module docstring says."""
    train = np.asarray(train, dtype=bool)
    cv_fold = np.asarray(cv_fold)
    main = cross_fitted(Z, Y, train, cv_fold, present)
    folds = {int(f): cross_fitted(Z, Y, train & (cv_fold != f), cv_fold, present)
             for f in np.unique(cv_fold[train & (cv_fold >= 0)])}
    return main, folds


SOURCES = ("name", "title")


def feature_names(label_ids, sources=SOURCES) -> list[str]:
    prefix = {"name": NAME_PREFIX, "title": TITLE_PREFIX}
    return [f"{prefix[s]}{lid}" for s in sources for lid in label_ids]


def source_inputs(sources, names, titles) -> dict[str, tuple[sp.csr_matrix, np.ndarray]]:
    """{source: (its matrix, rows that have the text)} for the chosen sources only; ``titles`` is
    read only for ``"title"`` (None will do otherwise: the default, names alone, needs no titles)."""
    out = {}
    if "name" in sources:
        out["name"] = (name_matrix(names), np.ones(len(names), dtype=bool))
    if "title" in sources:
        has_titles = np.array([any(t for t in (ts or [])) for ts in titles], dtype=bool)
        out["title"] = (title_matrix(titles), has_titles)
    return out


def add_label_models(data, con, snapshot_id, sources=SOURCES) -> None:
    """Append the chosen label models (``"name"``, ``"title"``) to ``data.X`` and every ``data.fold_X[f]``."""
    from features import artist_names, artist_titles, snapshot_connection

    from ._extra_groups import _append

    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown label-model source(s) {sorted(unknown)}; choose from {', '.join(SOURCES)}")
    ids = [str(a) for a in data.ids]
    titles = None
    if "title" in sources:
        with snapshot_connection(con, snapshot_id) as source:
            titles = artist_titles(source, ids)
    inputs = source_inputs(sources, artist_names(con, snapshot_id, ids), titles)
    made = [blocks(inputs[s][0], data.y, data.train, data.cv_fold, inputs[s][1]) for s in sources]
    per_fold = {f: np.column_stack([folds[f] for _main, folds in made]) for f in made[0][1]}
    _append(data, np.column_stack([main for main, _folds in made]), feature_names(data.label_ids, sources),
            per_fold=per_fold)


def label_models_for(target_names, target_titles, labelled_names, labelled_titles, Y_labelled,
                     sources=SOURCES) -> np.ndarray:
    """Production: the chosen label models fit on every labelled artist, applied to the targets
    (the titles are not read unless ``"title"`` is among ``sources``)."""
    names = list(target_names) + list(labelled_names)
    titles = list(target_titles) + list(labelled_titles) if "title" in sources else None
    inputs = source_inputs(sources, names, titles)
    n_t = len(target_names)
    Y = np.zeros((len(names), np.asarray(Y_labelled).shape[1]), dtype=int)
    Y[n_t:] = np.asarray(Y_labelled, dtype=int)
    fit = np.r_[np.zeros(n_t, dtype=bool), np.ones(len(labelled_names), dtype=bool)]
    out = []
    for s in sources:
        Z, present = inputs[s]
        block = fit_predict(Z, Y, fit & present, ~fit)
        block[~present[:n_t]] = np.nan  # a target without titles gets no title-model value
        out.append(block)
    return np.column_stack(out)
