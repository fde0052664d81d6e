"""``coarse-vs-fine``: fine vs coarse genre classification, and track-duration regression by feature set.

The FMA project classified fine genres (~16, accuracy ~0.70-0.75) and three hand-made coarse
families (accuracy >= 0.80), and regressed track duration on metadata, audio features or both.
On the data at hand: spotify_songs' 24 playlist subgenres vs its 6 genres, and music_genre's 10
genres vs 4 coarse groups (below); fine predictions are also mapped up to their coarse group.
Duration (log seconds) with LightGBM on metadata (popularity, genre, title cues, release year
where known), on audio features, and on both: RMSE, MAE and R² (in log-seconds), against the
mean of the training rows.
"""

from __future__ import annotations

import numpy as np

from ._base import Experiment, Outcome
from ._common import classification_figures, lgb_classifier, lgb_regressor, proba_full, regression_figures

# music_genre's 10 genres in 4 coarse groups (a grouping by sound and scene, fixed before any run).
MUSIC_GENRE_COARSE = {
    "Hip-Hop": "hip-hop/rap", "Rap": "hip-hop/rap",
    "Rock": "rock/roots", "Alternative": "rock/roots", "Country": "rock/roots", "Blues": "rock/roots",
    "Electronic": "electronic/anime", "Anime": "electronic/anime",
    "Classical": "classical/jazz", "Jazz": "classical/jazz",
}
AUDIO = ["acousticness", "danceability", "energy", "instrumentalness", "liveness", "loudness", "speechiness",
         "tempo", "valence", "key", "mode"]


def _classify(ctx, p, td, fine: np.ndarray, fine_names: list[str], coarse_of_fine: np.ndarray, prefix: str) -> dict:
    """Fit fine and coarse LightGBMs on the same training rows; coarse also from the fine model."""
    tr, te = td.train, td.test
    coarse = coarse_of_fine[fine]
    n_fine, n_coarse = len(fine_names), int(coarse_of_fine.max()) + 1
    nb = dict(n_boot=p["n_boot"], seed=ctx.seed)
    out = {}
    ctx.say(f"coarse-vs-fine: {prefix} fine ({n_fine} classes)")
    fine_model = lgb_classifier(ctx.n_jobs, ctx.seed, n_estimators=p["n_estimators"]).fit(td.X[tr], fine[tr])
    P_fine = proba_full(fine_model, td.X[te], n_fine)
    out.update(classification_figures(f"{prefix}_fine", fine[te], P_fine, **nb))
    ctx.say(f"coarse-vs-fine: {prefix} coarse ({n_coarse} classes)")
    coarse_model = lgb_classifier(ctx.n_jobs, ctx.seed, n_estimators=p["n_estimators"]).fit(td.X[tr], coarse[tr])
    out.update(classification_figures(f"{prefix}_coarse", coarse[te], proba_full(coarse_model, td.X[te], n_coarse), **nb))
    P_up = np.zeros((len(P_fine), n_coarse))
    np.add.at(P_up.T, coarse_of_fine, P_fine.T)  # sum fine probabilities within each coarse group
    out.update(classification_figures(f"{prefix}_fine_mapped_to_coarse", coarse[te], P_up, n_boot=0, seed=ctx.seed))
    out[f"{prefix}_fine_classes"], out[f"{prefix}_coarse_classes"] = n_fine, n_coarse
    return out


def _spotify_subgenres(ctx, p) -> tuple[dict, dict]:
    td = ctx.task_data("track-genre", "spotify_songs", "random-80-20", "with-popularity-year")
    sub = np.asarray([s or "?" for s in ctx.column("spotify_songs", "playlist_subgenre", td.ids)])
    fine_names = sorted(set(sub))
    if len(fine_names) < 2:
        return {}, {"spotify_songs_subgenres": "fewer than two subgenres: fine classification skipped"}
    fine = np.searchsorted(fine_names, sub)
    # each subgenre's genre: the genre most of its rows carry
    coarse_of_fine = np.array([np.bincount(td.y[fine == j], minlength=len(td.label_names)).argmax()
                               for j in range(len(fine_names))])
    figures = _classify(ctx, p, td, fine, fine_names, coarse_of_fine, "spotify_songs")
    return figures, {"spotify_songs_subgenres": {n: td.label_names[c] for n, c in zip(fine_names, coarse_of_fine)}}


def _music_genre_groups(ctx, p) -> tuple[dict, dict]:
    td = ctx.task_data("track-genre", "music_genre", "random-80-20", "with-popularity")
    groups = sorted(set(MUSIC_GENRE_COARSE.values()))
    coarse_of_fine = np.array([groups.index(MUSIC_GENRE_COARSE.get(g, groups[0])) for g in td.label_names])
    figures = _classify(ctx, p, td, td.y, td.label_names, coarse_of_fine, "music_genre")
    return figures, {"music_genre_groups": {g: groups[c] for g, c in zip(td.label_names, coarse_of_fine)}}


def _duration(ctx, p, dataset: str) -> dict:
    year_set = "with-popularity-year" if dataset == "spotify_songs" else "with-popularity"
    parts = [ctx.task_data("duration", dataset, "random-80-20", fs) for fs in ("audio+genre+popularity", "audio+genre+title", year_set)]
    base = parts[0]
    columns: dict[str, np.ndarray] = {}
    for td in parts:
        assert np.array_equal(td.ids, base.ids) and np.array_equal(td.train, base.train)  # same rows, same split
        columns.update({n: td.X[:, i] for i, n in enumerate(td.feature_names)})
    audio = [c for c in AUDIO if c in columns]
    meta = [c for c in columns if c not in AUDIO and c != "duration_ms"]
    meta = [c for c in meta if not (c == "release_year" and np.all(np.isnan(columns[c])))]
    tr, te = base.train, base.test
    y = base.y
    out = {}
    nb = dict(n_boot=p["n_boot"], seed=ctx.seed)
    out.update(regression_figures(f"{dataset}_duration_mean", y[te], np.full(int(te.sum()), y[tr].mean()), n_boot=0, seed=ctx.seed))
    for name, cols in (("metadata", meta), ("audio", audio), ("both", audio + meta)):
        ctx.say(f"coarse-vs-fine: {dataset} duration from {name}")
        X = np.column_stack([columns[c] for c in cols])
        cat = [i for i, c in enumerate(cols) if c == "genre"]
        model = lgb_regressor(ctx.n_jobs, ctx.seed, n_estimators=p["n_estimators"])
        model.fit(X[tr], y[tr], categorical_feature=cat or "auto")
        out.update(regression_figures(f"{dataset}_duration_{name}", y[te], model.predict(X[te]), **nb))
    out[f"{dataset}_duration_metadata_columns"] = len(meta)
    return out


def run(ctx, p: dict) -> Outcome:
    figures: dict[str, float] = {}
    artifacts: dict = {}
    if "spotify_songs" in ctx.available:
        f, a = _spotify_subgenres(ctx, p)
        figures.update(f)
        artifacts.update(a)
    if "music_genre" in ctx.available:
        f, a = _music_genre_groups(ctx, p)
        figures.update(f)
        artifacts.update(a)
    for dataset in ("spotify_songs", "music_genre"):
        if dataset in ctx.available:
            figures.update(_duration(ctx, p, dataset))
    return Outcome(figures, artifacts)


def plots(figures: dict, artifacts: dict) -> list:
    import matplotlib.pyplot as plt

    out = []
    sets = [d for d in ("spotify_songs", "music_genre") if f"{d}_fine_accuracy" in figures]
    if sets:
        fig, ax = plt.subplots(figsize=(7, 3))
        x = np.arange(len(sets))
        for i, (part, label) in enumerate((("fine", "fine"), ("coarse", "coarse"), ("fine_mapped_to_coarse", "fine → coarse"))):
            ax.bar(x + (i - 1) * 0.27, [figures.get(f"{d}_{part}_accuracy", np.nan) for d in sets], 0.27, label=label)
        ax.set_xticks(x, sets)
        ax.set_ylabel("test accuracy")
        ax.legend(fontsize=7)
        out.append(("Fine vs coarse genre accuracy", fig))
    durs = [d for d in ("spotify_songs", "music_genre") if f"{d}_duration_both_r2" in figures]
    if durs:
        fig, ax = plt.subplots(figsize=(7, 3))
        x = np.arange(len(durs))
        for i, name in enumerate(("metadata", "audio", "both")):
            ax.bar(x + (i - 1) * 0.27, [figures.get(f"{d}_duration_{name}_r2", np.nan) for d in durs], 0.27, label=name)
        ax.set_xticks(x, durs)
        ax.set_ylabel("R² (log duration)")
        ax.legend(fontsize=7)
        out.append(("Track-duration regression by feature set", fig))
    return out


EXPERIMENT = Experiment(
    name="coarse-vs-fine",
    source="Music classification & regression (FMA notebooks)",
    protocol="random 80/20; LightGBM on spotify_songs' 24 subgenres vs 6 genres (with popularity and year) and "
             "music_genre's 10 genres vs 4 groups (with popularity); log-duration regression on metadata, audio, both",
    datasets=("spotify_songs",),
    published={"fma_fine_accuracy_low": 0.70, "fma_fine_accuracy_high": 0.75, "fma_coarse_accuracy_min": 0.80},
    defaults={"n_estimators": 250, "n_boot": 100},
    run_fn=run,
    headline=("spotify_songs_fine_accuracy", "spotify_songs_coarse_accuracy", "music_genre_fine_accuracy", "music_genre_coarse_accuracy"),
    plots_fn=plots,
    summary="Fine vs coarse genres; duration from metadata, audio or both.",
)
