"""Evaluation protocols that look like the use: ``untagged-like`` and ``development-mode``.

The artist-families model is used on artists Spotify gives no genres, a population unlike the
tagged artists it is tested on (smaller, younger catalogues, often no audio or release year).

* ``untagged-like``: a *domain classifier* learns, from label-free features only (popularity and
  followers — present and values — release years, catalogue counts, audio presence), to tell
  tagged from untagged artists. Each scored tagged artist gets the odds ``p / (1 - p)`` that it
  is untagged (times the class-size ratio), normalised to mean 1 and clipped at ``clip``, so the
  weighted test set looks like the untagged population; the metrics are weighted
  (importance-weighted AUROC / AUPRC per family, macro). The effective sample size
  ``(Σw)² / Σw²`` says how many artists the weighted figure really rests on.
  Weights are *cross-fitted*: a tagged artist's odds come from a classifier fit without it
  (test artists: fit on the training split; CV fold f: fit on the other training folds), and
  the domain classifier never sees a family label.
* ``development-mode``: train and test only on what a development-mode crawl yields (names,
  albums and tracks with titles, dates, durations, explicit flags, track numbers, co-credits):
  no audio features, popularity, followers, genres or artist type (see :data:`DEV_MODE_GROUPS`).
* ``random``: the stored artist-disjoint split, unweighted (continuity with earlier figures).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROTOCOLS = ("random", "untagged-like", "development-mode")

# Label-free columns the domain classifier may read (those present are used; each also gets a
# "present" indicator, since missingness itself is what separates the populations most).
DOMAIN_FEATURES = [
    "popularity", "log10_followers", "track_popularity_mean", "track_popularity_max", "year_end_score_max",
    "album_count", "track_count", "first_release_year", "last_release_year", "years_active",
    "audio_track_count", "collaborator_count", "explicit_share", "featured_share", "mean_duration_ms",
]
DEFAULT_CLIP = 20.0

# ─────────────────────────────── feature groups ───────────────────────────────

_AUDIO_STEMS = ("danceability", "energy", "loudness", "speechiness", "acousticness", "instrumentalness",
                "liveness", "valence", "tempo", "duration_ms_", "mode_major")


def feature_group(name: str) -> str:
    """The group a feature column belongs to (what the predictions table lists as present)."""
    if name in ("popularity", "followers", "log10_followers", "track_popularity_mean", "track_popularity_max",
                "year_end_score_max"):
        return "popularity"
    if name == "audio_track_count" or name.startswith(_AUDIO_STEMS):
        return "audio"
    if name.startswith("name_"):
        return "name"
    if name.startswith("artist_type_"):
        return "artist type"
    if name.startswith("collab_"):
        return "collaborators"
    if name.startswith("graph_"):
        return "graph"
    if name.startswith("text_"):
        return "text"
    if name.startswith("rel_"):
        return "release"
    return "catalog"  # artist_catalog_stats: albums, tracks, years, explicit share, co-credit counts


# What a development-mode crawl yields (docs/crawler.md): no audio, popularity or artist type.
DEV_MODE_GROUPS = frozenset({"catalog", "name", "collaborators", "graph", "text", "release"})


def dev_mode_columns(feature_names) -> list[int]:
    """Indices of the columns a development-mode crawl could fill."""
    return [j for j, n in enumerate(feature_names) if feature_group(n) in DEV_MODE_GROUPS]


def groups_present(X: np.ndarray, feature_names) -> list[list[str]]:
    """Per row, the feature groups with at least one non-missing, non-zero-count value.

    Counts of zero (``audio_track_count = 0``) mean the group is absent, not a measurement.
    """
    groups = [feature_group(n) for n in feature_names]
    X = np.asarray(X, dtype=float)
    out = []
    for row in X:
        have = set()
        for g, v in zip(groups, row):
            if np.isfinite(v) and not (g == "audio" and v == 0):
                have.add(g)
        out.append(sorted(have))
    return out


# ─────────────────────────────── reweighting ───────────────────────────────

def domain_matrix(X: np.ndarray, feature_names) -> tuple[np.ndarray, list[str]]:
    """The domain classifier's input: the label-free columns present, plus "present" flags."""
    cols, names = [], []
    for n in DOMAIN_FEATURES:
        if n in feature_names:
            v = np.asarray(X[:, list(feature_names).index(n)], dtype=float)
            present = np.isfinite(v)
            if n == "audio_track_count":
                present = np.nan_to_num(v) > 0
            cols += [v, present.astype(float)]
            names += [n, f"{n}_present"]
    return (np.column_stack(cols) if cols else np.zeros((len(X), 0))), names


def _domain_model():
    import lightgbm as lgb

    # Small and slow-learning: smooth odds matter more than a sharp separation.
    return lgb.LGBMClassifier(n_estimators=150, learning_rate=0.05, num_leaves=7, min_child_samples=40,
                              subsample=0.8, subsample_freq=1, colsample_bytree=0.8, n_jobs=1, verbose=-1,
                              random_state=0)


@dataclass
class Reweighting:
    """Importance weights that make tagged artists look like the untagged population."""

    weights: np.ndarray      # per tagged row (mean 1 within each scored group, clipped)
    p_untagged: np.ndarray   # the domain classifier's cross-fitted P(untagged) per tagged row
    domain_auroc: float      # how well the classifier separates the populations (0.5 = alike)
    clip: float

    def ess(self, mask: np.ndarray | None = None) -> float:
        return effective_sample_size(self.weights if mask is None else self.weights[mask])


def effective_sample_size(w: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw²: n for equal weights, 1 when one row carries all."""
    w = np.asarray(w, dtype=float)
    s2 = float(np.sum(w ** 2))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def odds_weights(p: np.ndarray, prior_ratio: float = 1.0, clip: float = DEFAULT_CLIP) -> np.ndarray:
    """``prior_ratio · p / (1 - p)``, normalised to mean 1, clipped at ``clip``, renormalised.

    ``prior_ratio`` (n_tagged / n_untagged in the classifier's fit) only rescales, so it cancels
    in the normalisation; it is kept so the raw odds mean something on their own.
    """
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    w = prior_ratio * p / (1 - p)
    if len(w) == 0:
        return w
    w = w / w.mean()
    w = np.minimum(w, clip)
    return w / w.mean()


def untagged_like_weights(X_tagged: np.ndarray, feature_names, X_untagged: np.ndarray, train: np.ndarray,
                          cv_fold: np.ndarray, *, clip: float = DEFAULT_CLIP) -> Reweighting:
    """Cross-fitted weights for every tagged row: test rows from a classifier fit on the training
    split (tagged) vs every untagged artist; CV fold f's rows from one fit without fold f (and
    without the test rows). Each group of rows is normalised to mean 1 on its own."""
    from sklearn.metrics import roc_auc_score

    D_tag, _ = domain_matrix(np.asarray(X_tagged, dtype=float), feature_names)
    D_unt, _ = domain_matrix(np.asarray(X_untagged, dtype=float), feature_names)
    train = np.asarray(train, dtype=bool)
    cv_fold = np.asarray(cv_fold)
    n = len(D_tag)
    p = np.full(n, np.nan)
    weights = np.ones(n)
    groups = [(-1, ~train, train)] + [(int(f), train & (cv_fold == f), train & (cv_fold != f))
                                      for f in np.unique(cv_fold[train & (cv_fold >= 0)])]
    for _g, scored, fit_rows in groups:
        if not scored.any() or len(D_unt) == 0 or D_tag.shape[1] == 0:
            continue
        Xf = np.vstack([D_tag[fit_rows], D_unt])
        yf = np.r_[np.zeros(int(fit_rows.sum())), np.ones(len(D_unt))]
        model = _domain_model().fit(Xf, yf)
        p[scored] = model.predict_proba(D_tag[scored])[:, 1]
        weights[scored] = odds_weights(p[scored], fit_rows.sum() / len(D_unt), clip)
    auroc = float("nan")
    if len(D_unt) and np.isfinite(p[~train]).any():
        # Separability on held-out tagged rows vs the untagged (a fresh fit on half of them).
        rng = np.random.default_rng(0)
        half = rng.random(len(D_unt)) < 0.5
        model = _domain_model().fit(np.vstack([D_tag[train], D_unt[half]]),
                                    np.r_[np.zeros(int(train.sum())), np.ones(int(half.sum()))])
        s = model.predict_proba(np.vstack([D_tag[~train], D_unt[~half]]))[:, 1]
        auroc = float(roc_auc_score(np.r_[np.zeros(int((~train).sum())), np.ones(int((~half).sum()))], s))
    return Reweighting(weights=weights, p_untagged=p, domain_auroc=auroc, clip=clip)


# ─────────────────────────────── weighted metrics ───────────────────────────────

def weighted_auroc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """AUROC with sample weights (ties count one half), as scikit-learn's ``sample_weight``."""
    y = np.asarray(y).astype(bool)
    w = np.asarray(w, dtype=float)
    wp, wn = w[y].sum(), w[~y].sum()
    if wp <= 0 or wn <= 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ps, ys, ws = np.asarray(p)[order], y[order], w[order]
    # Per distinct score: negative weight strictly below, and half of the tied negatives.
    uniq, start = np.unique(ps, return_index=True)
    neg = np.where(~ys, ws, 0.0)
    pos = np.where(ys, ws, 0.0)
    neg_tie = np.add.reduceat(neg, start)
    pos_tie = np.add.reduceat(pos, start)
    neg_below = np.r_[0.0, np.cumsum(neg_tie)[:-1]]
    return float(np.sum(pos_tie * (neg_below + 0.5 * neg_tie)) / (wp * wn))


def weighted_average_precision(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """Average precision with sample weights (step-wise, ties grouped), as scikit-learn's."""
    y = np.asarray(y).astype(float)
    w = np.asarray(w, dtype=float)
    order = np.argsort(-np.asarray(p), kind="mergesort")
    ps, ys, ws = np.asarray(p)[order], y[order], w[order]
    idx = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]
    tps = np.cumsum(ys * ws)[idx]
    fps = np.cumsum((1 - ys) * ws)[idx]
    if tps[-1] <= 0:
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tps + fps > 0, tps / (tps + fps), 0.0)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _weighted_macro(fn, Y, P, w) -> float:
    vals = []
    for j in range(Y.shape[1]):
        y = Y[:, j]
        if 0 < y.sum() < len(y) and w[y > 0].sum() > 0 and w[y == 0].sum() > 0:
            vals.append(fn(y, P[:, j], w))
    return float(np.nanmean(vals)) if vals else float("nan")


def weighted_macro_auroc(Y, P, w) -> float:
    return _weighted_macro(weighted_auroc, np.asarray(Y), np.asarray(P), np.asarray(w, dtype=float))


def weighted_macro_auprc(Y, P, w) -> float:
    return _weighted_macro(weighted_average_precision, np.asarray(Y), np.asarray(P), np.asarray(w, dtype=float))


def top_k_hit_rate(Y: np.ndarray, P: np.ndarray, w: np.ndarray | None = None, k: int = 3) -> float:
    """(Weighted) share of artists with at least one true family among their top-k scores."""
    Y = np.asarray(Y)
    top = np.argsort(-np.asarray(P), axis=1, kind="stable")[:, :k]
    hit = np.take_along_axis(Y, top, axis=1).max(axis=1) > 0
    has = Y.sum(axis=1) > 0
    w = np.ones(len(Y)) if w is None else np.asarray(w, dtype=float)
    return float(np.sum(w[has] * hit[has]) / np.sum(w[has])) if has.any() else float("nan")


def packed(fn):
    """``fn(Y, P, w)`` as ``f(Yw, P)`` with the weights as Yw's last column, so the row bootstrap
    of :func:`modeling._metrics.bootstrap_ci` resamples labels and weights together."""
    def f(Yw, P):
        return fn(Yw[:, :-1], P, Yw[:, -1])
    return f


def weighted_metrics(Y, P, w) -> dict[str, float]:
    """The untagged-like figures of one model: macro AUROC / AUPRC, top-3 hit rate, ESS."""
    return {
        "macro_auroc": weighted_macro_auroc(Y, P, w),
        "macro_auprc": weighted_macro_auprc(Y, P, w),
        "top3_hit_rate": top_k_hit_rate(Y, P, w, 3),
        "effective_sample_size": effective_sample_size(w),
    }
