"""``transfer-new-genre``, the product's own half: one genre family added to the artist-families model.

The artist-families model (``LightGBMFamilies``) is one set of binary boosters per family, so a
new family needs only its own boosters: :meth:`~modeling.LightGBMFamilies.with_family`. Measured
against a full retrain of every family on the same rows and settings:

- last night's model: every family but the new one, fit on the matrix with the new family's
  label-derived columns (its collaborator share and graph label share) all missing, as they were
  before the family existed (those boosters never split on them);
- warm start: that model ``with_family`` on the full matrix — only the new family is trained;
- full retrain: every family on the full matrix.

Both are scored on the stored test artists: macro AUPRC / AUROC gaps (full minus warm) and the
ratio of CPU seconds. Every fit sees training artists only (CV folds for early stopping and the
out-of-fold thresholds, with each fold's label-derived columns recomputed with its labels hidden);
the leakage guard checks every booster against the rows it was fit on.
"""

from __future__ import annotations

import numpy as np

from ._common import guarded


def _label_columns(names: list[str], label_id: str) -> list[int]:
    """Columns that only this family's labels define: ``<prefix><label id>`` of the collaborator
    and graph label blocks."""
    import features

    prefixes = {"collab_share_", features.GRAPH_PREFIX}
    return [i for i, n in enumerate(names) if any(n == f"{p}{label_id}" for p in prefixes)]


def _hide(X: np.ndarray, cols: list[int]) -> np.ndarray:
    out = np.array(X, dtype=float, copy=True)
    out[:, cols] = np.nan
    return out


def pick_family(td, name: str) -> int:
    """The family named (by name or id), else the one of median training prevalence (neither the
    largest, which no catalog adds late, nor a sliver)."""
    for j, (n, i) in enumerate(zip(td.label_names, td.label_ids)):
        if name in (n, i):
            return j
    prevalence = td.y[td.train].mean(axis=0)
    return int(np.argsort(prevalence)[len(prevalence) // 2])


def run_families(ctx, p: dict, clock) -> tuple[dict, dict]:
    """(figures prefixed ``families_``, artifacts) of adding one family to the artist-families model."""
    from sklearn.metrics import average_precision_score

    import modeling

    td = ctx.artist_families()
    j = pick_family(td, p["new_family"])
    k = td.y.shape[1]
    old = [i for i in range(k) if i != j]
    tr, te = td.train, td.test
    cv = td.cv_fold[tr]
    hidden = _label_columns(td.feature_names, td.label_ids[j])
    fold_full = {f: Xf[tr] for f, Xf in (td.fold_X or {}).items()} or None
    fold_base = {f: _hide(Xf, hidden) for f, Xf in fold_full.items()} if fold_full else None
    X_tr, X_base = td.X[tr], _hide(td.X[tr], hidden)
    Y_tr = td.y[tr]

    def model():
        return modeling.LightGBMFamilies(n_estimators=p["families_n_estimators"], n_bags=p["families_n_bags"],
                                         n_jobs=ctx.n_jobs, random_state=ctx.seed)

    ctx.say(f"transfer-new-genre: artist-families model without {td.label_names[j]} ({k - 1} families)")
    base = model().fit(X_base, Y_tr[:, old], cv, fold_base)
    ctx.say(f"transfer-new-genre: adding the family {td.label_names[j]}")
    with clock() as warm_clock:
        warm = base.with_family(X_tr, Y_tr[:, j], cv, fold_full)
    ctx.say(f"transfer-new-genre: full retrain of {k} families")
    with clock() as full_clock:
        full = model().fit(X_tr, Y_tr, cv, fold_full)
    checked = guarded(base, X_base) + guarded(full, X_tr)
    checked += sum(guarded(pipe, X_tr) for pipe in warm.estimators_[len(base.estimators_):])

    order = np.argsort([*old, j])  # warm's columns are old families then the new one
    Y_te, X_te = td.y[te], td.X[te]
    P_warm = warm.predict_proba(X_te)[:, order]
    D_warm = warm.predict(X_te)[:, order]
    P_full, D_full = full.predict_proba(X_te), full.predict(X_te)
    m_warm = modeling.multilabel_metrics(Y_te, P_warm, D_warm)
    m_full = modeling.multilabel_metrics(Y_te, P_full, D_full)
    new_auprc = [float(average_precision_score(Y_te[:, j], P[:, j])) if 0 < Y_te[:, j].sum() < len(Y_te) else float("nan")
                 for P in (P_warm, P_full)]
    figures = {
        "families_macro_auprc_gap_vs_full_retrain": m_full["macro_auprc"] - m_warm["macro_auprc"],
        "families_macro_auroc_gap_vs_full_retrain": m_full["macro_auroc"] - m_warm["macro_auroc"],
        "families_micro_f1_gap_vs_full_retrain": m_full["micro_f1"] - m_warm["micro_f1"],
        "families_time_ratio_vs_full_retrain": warm_clock.cpu / full_clock.cpu,
        "families_wall_time_ratio_vs_full_retrain": warm_clock.wall / full_clock.wall,
        "families_warm_start_cpu_seconds": warm_clock.cpu, "families_full_retrain_cpu_seconds": full_clock.cpu,
        "families_warm_start_seconds": warm_clock.wall, "families_full_retrain_seconds": full_clock.wall,
        "families_warm_start_macro_auprc": m_warm["macro_auprc"], "families_full_retrain_macro_auprc": m_full["macro_auprc"],
        "families_warm_start_macro_auroc": m_warm["macro_auroc"], "families_full_retrain_macro_auroc": m_full["macro_auroc"],
        "families_new_family_auprc_warm_start": new_auprc[0], "families_new_family_auprc_full_retrain": new_auprc[1],
        "families_n_families": k, "families_n_train": int(tr.sum()), "families_n_test": int(te.sum()),
        "families_hidden_columns": len(hidden), "families_leakage_checks": checked,
    }
    artifacts = {"new_family": td.label_names[j], "new_family_id": td.label_ids[j], "families": list(td.label_names),
                 "families_snapshot_id": td.snapshot_id, "families_feature_set": td.feature_set}
    return figures, artifacts
