"""Pieces several experiments share: LightGBM settings, metrics with intervals, one BLAS thread."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np


def lgb_classifier(n_jobs: int, seed: int, **params):
    """A multiclass LightGBM with the data-set settings ``reproduce`` uses, fixed rounds."""
    import lightgbm as lgb

    base = dict(n_estimators=300, learning_rate=0.08, num_leaves=15, min_child_samples=40, colsample_bytree=0.7,
                subsample=0.8, subsample_freq=1, verbose=-1, random_state=seed, n_jobs=n_jobs)
    return lgb.LGBMClassifier(**{**base, **params})


def lgb_regressor(n_jobs: int, seed: int, **params):
    import lightgbm as lgb

    base = dict(n_estimators=300, learning_rate=0.08, num_leaves=15, min_child_samples=40, colsample_bytree=0.8,
                subsample=0.8, subsample_freq=1, verbose=-1, random_state=seed, n_jobs=n_jobs)
    return lgb.LGBMRegressor(**{**base, **params})


def proba_full(model, X: np.ndarray, n_classes: int) -> np.ndarray:
    """predict_proba with one column per class 0..n_classes-1 (a class missing from training gets 0)."""
    P = model.predict_proba(X)
    classes = np.asarray(model.classes_, dtype=int)
    out = np.zeros((len(X), n_classes))
    out[:, classes] = P
    return out


def classification_figures(prefix: str, y: np.ndarray, P: np.ndarray, *, n_boot: int, seed: int,
                           groups: np.ndarray | None = None) -> dict[str, float]:
    """accuracy, macro-F1 and macro AUROC (one-vs-rest) with a 95 % bootstrap interval for both
    accuracy and AUROC, as ``<prefix>_accuracy``, ``<prefix>_accuracy_ci_low`` ..."""
    import modeling

    m = modeling.multiclass_metrics(y, P)
    out = {f"{prefix}_accuracy": m["accuracy"], f"{prefix}_macro_f1": m["macro_f1"], f"{prefix}_macro_auroc": m["macro_auroc"]}
    if n_boot:
        acc = modeling.bootstrap_ci(lambda yy, pp: float(np.mean(pp.argmax(axis=1) == yy)), y, P, n_boot=n_boot,
                                    seed=seed, groups=groups)
        auc = modeling.bootstrap_ci(lambda yy, pp: modeling.multiclass_metrics(yy, pp)["macro_auroc"], y, P,
                                    n_boot=max(20, n_boot // 4), seed=seed, groups=groups)
        out.update({f"{prefix}_accuracy_ci_low": acc.low, f"{prefix}_accuracy_ci_high": acc.high,
                    f"{prefix}_macro_auroc_ci_low": auc.low, f"{prefix}_macro_auroc_ci_high": auc.high})
    return out


def regression_figures(prefix: str, y: np.ndarray, pred: np.ndarray, *, n_boot: int, seed: int,
                       groups: np.ndarray | None = None) -> dict[str, float]:
    """RMSE (with a 95 % bootstrap interval), MAE and R²."""
    import modeling

    m = modeling.regression_metrics(y, pred)
    out = {f"{prefix}_rmse": m["rmse"], f"{prefix}_mae": m["mae"], f"{prefix}_r2": m["r2"]}
    if n_boot:
        ci = modeling.bootstrap_ci(lambda yy, pp: float(np.sqrt(np.mean((yy - pp) ** 2))), y, pred, n_boot=n_boot,
                                   seed=seed, groups=groups)
        out.update({f"{prefix}_rmse_ci_low": ci.low, f"{prefix}_rmse_ci_high": ci.high})
    return out


@contextmanager
def one_blas_thread():
    """Neural nets and linear models on one BLAS thread: on the shared 2-core machine two threads
    made a small net's fit several times slower (see docs/modeling.md, Estimators)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def guarded(model, X_train: np.ndarray) -> int:
    """``modeling.assert_fit_on_train`` on a fitted pipeline; returns how many steps were checked."""
    import modeling

    return modeling.assert_fit_on_train(model, X_train)
