"""Feature groups for artists without fame: text, release structure, co-credit graph labels.

The encodings live in the features package (:mod:`features._text_release`,
:mod:`features._graph_labels`); this module adds them to an artist-families ``TaskData`` and to
the matrices :func:`modeling.predict` scores. Text and release structure are per-artist,
label-free and stateless. Graph labels depend on which labels are visible, so they are computed
like the collaborator block: training labels only for ``X`` (what the final model is fit and
the test split scored with), the other CV folds' labels for ``fold_X[f]``, every tagged
artist's label in production.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from features import snapshot_connection

GROUPS = ("text", "release", "graph")


def add_stateless_groups(data, con, snapshot_id, groups=("text", "release")) -> list[str]:
    """Append the text / release-structure columns to ``data.X`` (before any fold_X exists)."""
    from features import RELEASE_FEATURES, TEXT_FEATURES, artist_release_features, artist_text_features

    added = []
    with snapshot_connection(con, snapshot_id) as source:
        for group in groups:
            if group == "text":
                block, names = artist_text_features(source, data.ids), TEXT_FEATURES
            elif group == "release":
                block, names = artist_release_features(source, data.ids), RELEASE_FEATURES
            else:
                continue
            _append(data, block, names)
            added.append("title text" if group == "text" else "release structure")
    return added


def add_graph_labels(data, con, snapshot_id) -> None:
    """Append the graph-label block to ``data.X`` (training labels visible) and to every
    ``data.fold_X[f]`` (fold f hidden as well)."""
    from features import graph_block, label_graph
    from features import graph_feature_names as feature_names

    with snapshot_connection(con, snapshot_id) as source:
        graph = label_graph(source, extra_nodes=data.ids)
    ids = [str(a) for a in data.ids]
    Y = np.asarray(data.y, dtype=float)
    main = graph_block(graph, ids, Y, data.train)
    folds = {}
    for f in np.unique(data.cv_fold[data.cv_fold >= 0]):
        folds[int(f)] = graph_block(graph, ids, Y, data.train & (data.cv_fold != f))
    _append(data, main, feature_names(data.label_ids), per_fold=folds)


def _append(data, block, names, per_fold: dict | None = None) -> None:
    """Add columns to X and to every fold_X (the same block, or the fold's own)."""
    if data.fold_X is None and per_fold is not None:
        data.fold_X = {f: data.X.copy() for f in per_fold}
    if data.fold_X is not None:
        data.fold_X = {f: np.column_stack([M, per_fold[f] if per_fold is not None else block])
                       for f, M in data.fold_X.items()}
    data.X = np.column_stack([data.X, block])
    data.feature_names = list(data.feature_names) + list(names)


# ─────────────────────────────── production ───────────────────────────────

def _add_columns(Xdf: pl.DataFrame, names, block) -> pl.DataFrame:
    return Xdf.with_columns([pl.Series(n, block[:, j]) for j, n in enumerate(names)])


def with_text(con, snap, Xdf: pl.DataFrame, artist_ids, art) -> pl.DataFrame:
    from features import TEXT_FEATURES, artist_text_features

    if not set(TEXT_FEATURES) & set(art.feature_names):
        return Xdf
    with snapshot_connection(con, snap) as source:
        return _add_columns(Xdf, TEXT_FEATURES, artist_text_features(source, artist_ids))


def with_release(con, snap, Xdf: pl.DataFrame, artist_ids, art) -> pl.DataFrame:
    from features import RELEASE_FEATURES, artist_release_features

    if not set(RELEASE_FEATURES) & set(art.feature_names):
        return Xdf
    with snapshot_connection(con, snap) as source:
        return _add_columns(Xdf, RELEASE_FEATURES, artist_release_features(source, artist_ids))


def tagged_labels(con, snap, art):
    """Every tagged artist's labels in the model's family order (a family the labels no longer have
    stays 0): what production lets the label-derived groups see (the scored artists have none)."""
    import features

    td = features.training_data(con, snap)
    pos = {str(f): j for j, f in enumerate(td.family_ids)}
    Y = np.zeros((len(td.artist_ids), len(art.label_ids)))
    for j, lid in enumerate(art.label_ids):
        if str(lid) in pos:
            Y[:, j] = np.asarray(td.Y)[:, pos[str(lid)]]
    return td, Y


def with_graph(con, snap, Xdf: pl.DataFrame, artist_ids, art) -> pl.DataFrame:
    """Production: every tagged artist's label is visible (the scored artists have none)."""
    from features import GRAPH_PREFIX as PREFIX
    from features import graph_feature_names as feature_names
    from features import label_graph

    if not any(n.startswith(PREFIX) for n in art.feature_names):
        return Xdf
    td, Y = tagged_labels(con, snap, art)
    with snapshot_connection(con, snap) as source:
        graph = label_graph(source, extra_nodes=[*artist_ids, *td.artist_ids])
    seen = {str(a): Y[i] for i, a in enumerate(td.artist_ids)}
    block = graph.block([str(a) for a in artist_ids], seen, Y.shape[1])
    return _add_columns(Xdf, feature_names(art.label_ids), block)


def with_label_models(con, snap, Xdf: pl.DataFrame, artist_ids, art) -> pl.DataFrame:
    """Production: the name/title label models fit on every tagged artist, applied to the scored ones."""
    from features import artist_names, artist_titles
    from ._label_models import NAME_PREFIX, TITLE_PREFIX, feature_names, label_models_for

    sources = tuple(s for s, prefix in (("name", NAME_PREFIX), ("title", TITLE_PREFIX))
                    if any(n.startswith(prefix) for n in art.feature_names))
    if not sources:
        return Xdf
    td, Y = tagged_labels(con, snap, art)
    tagged = [str(a) for a in td.artist_ids]
    targets = [str(a) for a in artist_ids]
    titles = [None] * (len(targets) + len(tagged))
    if "title" in sources:  # the default, names alone, reads no titles
        with snapshot_connection(con, snap) as source:
            titles = artist_titles(source, targets + tagged)
    names = artist_names(con, snap, targets + tagged)
    n = len(targets)
    block = label_models_for(names[:n], titles[:n], names[n:], titles[n:], Y, sources)
    return _add_columns(Xdf, feature_names(art.label_ids, sources), block)


# ─────────────────────────────── the target population ───────────────────────────────

def untagged_matrix(con, snapshot_id, feature_names) -> tuple[list[str], np.ndarray]:
    """(ids, matrix) of the snapshot's untagged/unknown artists over ``feature_names``: the
    label-free groups filled, label-derived ones (collaborators, graph) left NaN."""
    import features
    from features import RELEASE_FEATURES, TEXT_FEATURES, artist_release_features, artist_text_features, artist_titles

    from features import ARTIST_TYPE_FEATURES as TYPE_FEATURES
    from features import NAME_CUE_FEATURES as NAME_FEATURES
    from features import artist_names, artist_type_onehot, artist_types, name_cues
    from ._label_models import TITLE_PREFIX
    from ._tasks import numeric_matrix

    ud = features.unlabeled_data(con, snapshot_id)
    ids = [str(a) for a in ud.artist_ids]
    out = np.full((len(ids), len(feature_names)), np.nan)
    pos = {n: j for j, n in enumerate(feature_names)}

    def put(names, block):
        for j, n in enumerate(names):
            if n in pos:
                out[:, pos[n]] = block[:, j]

    if not ids:
        return ids, out
    put(list(ud.X.columns), numeric_matrix(ud.X))
    wanted = set(feature_names)
    if wanted & set(NAME_FEATURES):
        put(NAME_FEATURES, name_cues(artist_names(con, snapshot_id, ids)))
    if wanted & set(TYPE_FEATURES):
        put(TYPE_FEATURES, artist_type_onehot(artist_types(con, snapshot_id, ids)))
    with snapshot_connection(con, snapshot_id) as source:
        if wanted & set(TEXT_FEATURES):
            put(TEXT_FEATURES, artist_text_features(source, ids))
        if wanted & set(RELEASE_FEATURES):
            put(RELEASE_FEATURES, artist_release_features(source, ids))
        title_lm = [j for n, j in pos.items() if n.startswith(TITLE_PREFIX)]
        if title_lm:  # label-derived, so no value here; only whether it exists (the artist has titles),
            # which is all the missingness augmentation reads
            has = np.array([bool(ts) for ts in artist_titles(source, ids)])
            out[np.ix_(has, title_lm)] = 0.0
    return ids, out


def attach_population(data, con, snapshot_id) -> None:
    """Set ``data.untagged_X`` and the cross-fitted untagged-like ``data.eval_weights``
    (left None when the snapshot has no untagged artist)."""
    from ._protocols import untagged_like_weights

    _ids, Xu = untagged_matrix(con, snapshot_id, data.feature_names)
    if len(Xu) == 0:
        return
    rw = untagged_like_weights(data.X, data.feature_names, Xu, data.train, data.cv_fold)
    data.untagged_X = Xu
    data.eval_weights = rw.weights
    data.domain_auroc = rw.domain_auroc
