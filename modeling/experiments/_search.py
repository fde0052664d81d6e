"""``hyperparameter-search``: successive halving over LightGBM for track genre, every trial kept.

The deep-learning genre project stored a best-parameter search for its baselines (XGBoost) and
tuned a net over a grid. Here scikit-learn's ``HalvingRandomSearchCV`` draws LightGBM settings,
scores them by cross-validation on the training rows only (the stored CV folds), gives the
survivors more rows each round (2,000, 6,000, 18,000 by default: the time budget of ``run --all``),
and refits the best on all training rows; the test rows are
scored once, by that best model. Every trial (parameters, rows, CV score, seconds) is stored.
"""

from __future__ import annotations

import time

from ._base import Experiment, Outcome
from ._common import classification_figures, proba_full

SPACE = {
    "num_leaves": [7, 15, 31, 63],
    "learning_rate": [0.05, 0.08, 0.12, 0.18],
    "min_child_samples": [10, 20, 40, 80],
    "colsample_bytree": [0.5, 0.7, 0.9],
    "reg_lambda": [0.0, 1.0, 5.0],
}


def run(ctx, p: dict) -> Outcome:
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (makes the class importable)
    from sklearn.model_selection import HalvingRandomSearchCV, PredefinedSplit

    from ._common import lgb_classifier

    td = ctx.task_data("track-genre", p["dataset"], "random-80-20", None)
    tr, te = td.train, td.test
    X_tr, y_tr = td.X[tr], td.y[tr]
    folds = td.cv_fold[tr] % p["folds"]  # the stored CV folds, merged down to p["folds"]
    estimator = lgb_classifier(ctx.n_jobs, ctx.seed, n_estimators=p["n_estimators"], subsample=1.0, subsample_freq=0)
    search = HalvingRandomSearchCV(
        estimator, SPACE, n_candidates=p["n_candidates"], factor=p["factor"], resource="n_samples",
        min_resources=min(p["min_resources"], max(50, len(y_tr) // p["factor"] ** 2)),
        max_resources=min(p["max_resources"], len(y_tr)), cv=PredefinedSplit(folds), scoring="accuracy", refit=True,
        random_state=ctx.seed, n_jobs=1, error_score="raise",
    )
    ctx.say(f"hyperparameter-search: {p['n_candidates']} candidates, halving by {p['factor']}")
    started = time.perf_counter()
    search.fit(X_tr, y_tr)
    seconds = time.perf_counter() - started
    res = search.cv_results_
    trials = []
    for i in range(len(res["params"])):
        trials.append({
            "trial": i, "round": int(res["iter"][i]), "rows": int(res["n_resources"][i]),
            "params": {k: v for k, v in res["params"][i].items()},
            "cv_accuracy": float(res["mean_test_score"][i]), "cv_accuracy_sd": float(res["std_test_score"][i]),
            "seconds": float((res["mean_fit_time"][i] + res["mean_score_time"][i]) * p["folds"]),
        })
    k = len(td.label_names)
    P = proba_full(search.best_estimator_, td.X[te], k)
    figures = classification_figures("best_test", td.y[te], P, n_boot=p["n_boot"], seed=ctx.seed)
    last_round = max(t["round"] for t in trials)
    finalists = [t for t in trials if t["round"] == last_round]
    figures.update({
        "best_cv_accuracy": float(search.best_score_), "n_trials": len(trials), "n_rounds": last_round + 1,
        "search_seconds": seconds, "n_train": int(tr.sum()), "n_test": int(te.sum()),
        "final_round_cv_spread": float(max(t["cv_accuracy"] for t in finalists) - min(t["cv_accuracy"] for t in finalists)),
    })
    return Outcome(figures, {"trials": trials, "best_params": search.best_params_, "space": SPACE,
                             "dataset": p["dataset"], "feature_set": td.feature_set})


def plots(figures: dict, artifacts: dict) -> list:
    import matplotlib.pyplot as plt

    trials = artifacts.get("trials") or []
    if not trials:
        return []
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    rounds = sorted({t["round"] for t in trials})
    cmap = plt.get_cmap("viridis")
    for r in rounds:
        ts = [t for t in trials if t["round"] == r]
        ax.scatter([t["trial"] for t in ts], [t["cv_accuracy"] for t in ts], s=14,
                   color=cmap(r / max(1, len(rounds) - 1)), label=f"round {r} ({ts[0]['rows']:,} rows)")
    best = figures.get("best_test_accuracy")
    if best is not None:
        ax.axhline(best, color="#dd6b20", ls="--", lw=1, label=f"best, test accuracy {best:.3f}")
    ax.set_xlabel("trial")
    ax.set_ylabel("CV accuracy (training rows)")
    ax.legend(fontsize=7)
    return [("Score against trial (successive halving)", fig)]


EXPERIMENT = Experiment(
    name="hyperparameter-search",
    source="Deep learning genre project (stored best-parameter search); Music genre and popularity prediction",
    protocol="music_genre random 80/20 with popularity; HalvingRandomSearchCV over LightGBM (leaves, learning rate, "
             "min child samples, column share, L2), CV on training rows (stored folds merged to 3), best refit on all "
             "training rows and scored once on the test rows",
    datasets=("music_genre",),
    published={"best_test_accuracy_xgboost": 0.548},
    defaults={"dataset": "music_genre", "n_candidates": 18, "factor": 3, "min_resources": 2000, "max_resources": 18000,
              "folds": 3, "n_estimators": 150, "n_boot": 200},
    run_fn=run,
    headline=("n_trials", "best_cv_accuracy", "best_test_accuracy"),
    plots_fn=plots,
    summary="A successive-halving search, every trial stored, the best scored once on the test rows.",
)
