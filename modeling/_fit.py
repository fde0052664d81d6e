"""Fit an estimator on a task's training rows and score its test rows.

Every fit is followed by the leakage guard (:mod:`modeling._leakage`); a model in which it finds
nothing to check is refused too, since then nothing shows it learned from the training rows only.
"""

from __future__ import annotations

import time

import numpy as np

from . import _metrics as M
from ._estimators import make_estimator
from ._leakage import LeakageError, assert_fit_on_train
from ._multilabel import PrevalenceFamilies
from ._tasks import TaskData

# Baselines that read no feature, so the guard has nothing to check in them.
_FEATURELESS = (PrevalenceFamilies,)


def fit_and_score(data: TaskData, estimator: str = "lightgbm", params: dict | None = None, *,
                  n_boot: int = 200, n_jobs: int | None = None):
    """Fit on the training rows, score the test rows; returns (model, scores, metrics, interval, per_label, seconds)."""
    from ._robust import ROBUST_ESTIMATORS, make_robust, protocol_metrics, untagged_interval

    if estimator in ROBUST_ESTIMATORS and data.kind == "multilabel":
        est = make_robust(data, params, n_jobs)
    else:
        est = make_estimator(data.kind, estimator, categorical=data.categorical, n_jobs=n_jobs, **(params or {}))
    tr, te = data.train, data.test
    started = time.perf_counter()
    # the calibrated families model may weight its training rows to look untagged (issue 16)
    kw = ({"sample_weight": data.eval_weights[tr]}
          if estimator in ROBUST_ESTIMATORS and data.kind == "multilabel" and data.eval_weights is not None else {})
    if data.fold_X is not None:
        est.fit(data.X[tr], data.y[tr], data.cv_fold[tr], {f: Xf[tr] for f, Xf in data.fold_X.items()}, **kw)
    else:
        est.fit(data.X[tr], data.y[tr], data.cv_fold[tr], **kw)
    seconds = time.perf_counter() - started
    checked = assert_fit_on_train(est, data.X[tr])  # raises LeakageError if any statistic saw test rows
    if checked == 0 and not isinstance(est, _FEATURELESS):
        raise LeakageError(f"the leakage guard found nothing to check in {type(est).__name__} (no preprocessing "
                           "step or LightGBM booster it knows), so nothing shows it learned from the training rows only")
    scores, metrics, per_label = score(est, data.kind, data.X[te], data.y[te], data.label_names)
    groups = data.groups[te] if data.split_id.startswith("artist-disjoint") else None
    if data.kind == "multilabel":  # issue 16: calibration, decisions and the untagged-like protocol
        metrics.update(protocol_metrics(data, scores, est.predict(data.X[te])))
    if data.kind == "multilabel" and data.eval_weights is not None:  # the gate's headline
        interval = untagged_interval(data.y[te], scores, data.eval_weights[te], n_boot, groups)
    else:
        interval = M.bootstrap_ci(M.headline_fn(data.kind), data.y[te], scores, n_boot=n_boot, groups=groups)
    return est, scores, metrics, interval, per_label, seconds


def score(est, kind: str, X: np.ndarray, y: np.ndarray, label_names: list[str]):
    """(scores used by the headline metric, metrics dict, per-label rows)."""
    if kind == "multilabel":
        P = est.predict_proba(X)
        D = est.predict(X)
        metrics = M.multilabel_metrics(y, P, D)
        per_label = [dict(label=n, threshold=float(t), **row)
                     for n, t, row in zip(label_names, est.thresholds_, M.per_label_table(y, P, D))]
        return P, metrics, per_label
    if kind == "multiclass":
        P = proba_all_classes(est, X, len(label_names))
        metrics = M.multiclass_metrics(y, P)
        per_label = []
        pred = P.argmax(axis=1)
        for j, n in enumerate(label_names):
            Yj = (y == j).astype(int)
            per_label.append(dict(label=n, support=int(Yj.sum()), recall=float((pred[y == j] == j).mean()) if Yj.any() else float("nan"),
                                  auroc=float(M.macro_auroc_ml(Yj[:, None], P[:, [j]]))))
        return P, metrics, per_label
    pred = est.predict(X)
    return pred, M.regression_metrics(y, pred), []


def proba_all_classes(est, X, n_classes: int) -> np.ndarray:
    """Class probabilities with a column for every class of the task, 0 for classes the model never saw."""
    P = est.predict_proba(X)
    out = np.zeros((len(X), n_classes))
    out[:, np.asarray(est.classes_).astype(int)] = P
    return out
