"""``multitask-genre-popularity``: one net with a shared representation for genre and popularity.

The genre-and-popularity project trained a multi-task neural network beside single-task models
and gave no figure. Here the shared model is scikit-learn's ``MLPRegressor`` fit on the
concatenated target ``[one-hot genre | standardised popularity]``: both heads read the same
hidden layers (the last layer is linear per output), genre is the arg-max of its block.
It is compared with a single-task ``MLPClassifier`` (genre) and ``MLPRegressor`` (popularity) of
the same architecture on the same music_genre random 80/20 split and the 12 audio features
(popularity is a target, so it is not a feature). Intervals: 95 % bootstrap over test rows.
"""

from __future__ import annotations

import numpy as np

from ._base import Experiment, Outcome
from ._common import classification_figures, guarded, one_blas_thread, regression_figures


def _net(p: dict, seed: int, classifier: bool):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    kw = dict(hidden_layer_sizes=tuple(p["hidden"]), alpha=p["alpha"], learning_rate_init=1e-3, batch_size=256,
              max_iter=p["max_iter"], early_stopping=True, validation_fraction=0.1, n_iter_no_change=8,
              random_state=seed)
    return MLPClassifier(**kw) if classifier else MLPRegressor(**kw)


def _pipeline(td, step):
    import modeling
    from sklearn.pipeline import Pipeline

    pre = modeling.make_preprocessor(td.X.shape[1], td.categorical, scale=True)
    return Pipeline([("pre", pre), ("net", step)])


def run(ctx, p: dict) -> Outcome:
    genre = ctx.task_data("track-genre", "music_genre", "random-80-20", "audio-only")
    popularity = ctx.column("music_genre", "popularity", genre.ids).astype(float)
    has_pop = np.isfinite(popularity)
    tr, te = genre.train & has_pop, genre.test & has_pop
    k = len(genre.label_names)
    X_tr, X_te = genre.X[tr], genre.X[te]
    y_tr, y_te = genre.y[tr], genre.y[te]
    pop_mean, pop_sd = popularity[tr].mean(), popularity[tr].std() or 1.0  # training rows only
    target = np.column_stack([np.eye(k)[y_tr], (popularity[tr] - pop_mean) / pop_sd * p["popularity_weight"]])
    figures: dict[str, float] = {}
    curves: dict[str, list] = {}
    with one_blas_thread():
        ctx.say("multitask-genre-popularity: shared net")
        shared = _pipeline(genre, _net(p, ctx.seed, classifier=False)).fit(X_tr, target)
        guarded(shared, X_tr)
        out = shared.predict(X_te)
        scores = np.clip(out[:, :k], 1e-6, None)
        P_shared = scores / scores.sum(axis=1, keepdims=True)
        pop_shared = out[:, k] / p["popularity_weight"] * pop_sd + pop_mean
        ctx.say("multitask-genre-popularity: single-task genre net")
        clf = _pipeline(genre, _net(p, ctx.seed, classifier=True)).fit(X_tr, y_tr)
        guarded(clf, X_tr)
        P_single = np.zeros((len(X_te), k))
        P_single[:, clf.named_steps["net"].classes_] = clf.predict_proba(X_te)
        ctx.say("multitask-genre-popularity: single-task popularity net")
        reg = _pipeline(genre, _net(p, ctx.seed, classifier=False)).fit(X_tr, (popularity[tr] - pop_mean) / pop_sd)
        guarded(reg, X_tr)
        pop_single = reg.predict(X_te) * pop_sd + pop_mean
    for name, model in (("multitask", shared), ("single_genre", clf), ("single_popularity", reg)):
        curves[name] = [float(v) for v in model.named_steps["net"].loss_curve_]
        figures[f"{name}_epochs"] = int(model.named_steps["net"].n_iter_)
    nb = dict(n_boot=p["n_boot"], seed=ctx.seed)
    figures.update(classification_figures("multitask_genre", y_te, P_shared, **nb))
    figures.update(classification_figures("single_task_genre", y_te, P_single, **nb))
    figures.update(regression_figures("multitask_popularity", popularity[te], pop_shared, **nb))
    figures.update(regression_figures("single_task_popularity", popularity[te], pop_single, **nb))
    figures["genre_accuracy_gain"] = figures["multitask_genre_accuracy"] - figures["single_task_genre_accuracy"]
    figures["popularity_rmse_gain"] = figures["single_task_popularity_rmse"] - figures["multitask_popularity_rmse"]
    figures["n_train"], figures["n_test"] = int(tr.sum()), int(te.sum())
    return Outcome(figures, {"loss_curves": curves, "classes": genre.label_names,
                             "features": genre.feature_names})


def plots(figures: dict, artifacts: dict) -> list:
    import matplotlib.pyplot as plt

    out = []
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax, metric, label in ((axes[0], "genre_accuracy", "genre accuracy"), (axes[1], "popularity_rmse", "popularity RMSE")):
        names = [("multitask", "multi-task"), ("single_task", "single-task")]
        vals = [figures.get(f"{n}_{metric}", np.nan) for n, _ in names]
        lo = [v - figures.get(f"{n}_{metric}_ci_low", v) for (n, _), v in zip(names, vals)]
        hi = [figures.get(f"{n}_{metric}_ci_high", v) - v for (n, _), v in zip(names, vals)]
        ax.bar([lab for _, lab in names], vals, yerr=[lo, hi], color=["#2b6cb0", "#a0aec0"], capsize=4)
        ax.set_title(label + " (95 % CI)", fontsize=9)
    out.append(("Multi-task vs single-task", fig))
    curves = artifacts.get("loss_curves") or {}
    if curves:
        fig, ax = plt.subplots(figsize=(6, 3))
        for name, c in curves.items():
            ax.plot(c, label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
        out.append(("Training loss per epoch", fig))
    return out


EXPERIMENT = Experiment(
    name="multitask-genre-popularity",
    source="Music genre and popularity prediction (music_genre)",
    protocol="music_genre random 80/20, 12 audio features (median imputation, scaling); MLPRegressor 128-64 on "
             "[one-hot genre | standardised popularity] vs single-task MLPClassifier and MLPRegressor of the same shape",
    datasets=("music_genre",),
    published={},
    defaults={"hidden": [128, 64], "alpha": 1e-3, "max_iter": 60, "popularity_weight": 1.0, "n_boot": 200},
    run_fn=run,
    headline=("multitask_genre_accuracy", "single_task_genre_accuracy", "multitask_popularity_rmse", "single_task_popularity_rmse"),
    plots_fn=plots,
    summary="A shared representation against two single-task nets (the project gave no figure).",
)
