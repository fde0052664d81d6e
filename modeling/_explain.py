"""Why a prediction: per-artist prediction details and ``genrestore predict --explain ARTIST_ID``.

For every scored artist :func:`prediction_details` gives each family's rank, whether the
artist is low-confidence (no family reaches its cut) and which feature groups it had values
for. :func:`explain` adds, for the artist's top three families, the features that moved the
LightGBM score most (TreeSHAP contributions on the log-odds scale, averaged over the bags, via
LightGBM's ``pred_contrib``) and their sum per feature group.
"""

from __future__ import annotations

import numpy as np

from ._protocols import feature_group, groups_present


def _lightgbm_core(est):
    """The LightGBMFamilies inside wrappers (calibration, augmentation), or None."""
    from ._boosted import LightGBMFamilies

    seen = 0
    while est is not None and seen < 5:
        if isinstance(est, LightGBMFamilies):
            return est
        est = getattr(est, "base", None)
        seen += 1
    return None


def low_confidence(est, P: np.ndarray) -> np.ndarray:
    if hasattr(est, "low_confidence"):
        return est.low_confidence(P)
    return ~(P >= est.thresholds_).any(axis=1)


def prediction_details(est, X: np.ndarray, P: np.ndarray, feature_names) -> dict:
    """{'rank': n×k (1 = most probable), 'low_confidence': n, 'groups': [comma list per row]}."""
    order = np.argsort(-P, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, P.shape[1] + 1)[None, :].repeat(len(P), 0), axis=1)
    return {"rank": rank, "low_confidence": low_confidence(est, P),
            "groups": [",".join(g) for g in groups_present(X, feature_names)]}


def contributions(est, x: np.ndarray, family: int) -> np.ndarray | None:
    """Per-feature log-odds contributions to family ``family``'s raw score for one row."""
    core = _lightgbm_core(est)
    if core is None:
        return None
    bags = core.final_[family]
    if isinstance(bags, float):
        return np.zeros(len(x))
    parts = []
    for pipe in bags:
        xt = pipe[:-1].transform(x[None, :])
        parts.append(pipe[-1].booster_.predict(xt, pred_contrib=True)[0, :-1])
    return np.mean(parts, axis=0)


def explain(est, x: np.ndarray, feature_names, label_names, *, top: int = 3, n_features: int = 6) -> dict:
    """The artist's top families with probability, and what moved each one's score."""
    P = est.predict_proba(x[None, :])
    p = P[0]
    thresholds = np.asarray(getattr(est, "thresholds_", np.full(len(p), np.inf)), dtype=float)
    present = groups_present(x[None, :], feature_names)[0]
    out = {"groups_present": present, "low_confidence": bool(low_confidence(est, P)[0]), "families": []}
    for j in np.argsort(-p, kind="stable")[:top]:
        fam = {"family": label_names[j], "probability": float(p[j]), "predicted": bool(p[j] >= thresholds[j]),
               "cut": None if not np.isfinite(thresholds[j]) else float(thresholds[j])}
        c = contributions(est, x, int(j))
        if c is not None:
            idx = np.argsort(-np.abs(c))[:n_features]
            fam["features"] = [{"feature": feature_names[i], "value": None if not np.isfinite(x[i]) else float(x[i]),
                                "contribution": float(c[i])} for i in idx if c[i] != 0]
            by_group: dict[str, float] = {}
            for i, v in enumerate(c):
                by_group[feature_group(feature_names[i])] = by_group.get(feature_group(feature_names[i]), 0.0) + float(v)
            fam["groups"] = dict(sorted(by_group.items(), key=lambda kv: -abs(kv[1])))
        out["families"].append(fam)
    return out


def format_explanation(artist_id: str, name: str | None, model_id: str, protocol: str, e: dict) -> str:
    lines = [f"{artist_id}{f' ({name})' if name else ''} — model {model_id}, protocol {protocol}",
             f"feature groups present: {', '.join(e['groups_present']) or 'none'}"
             + ("; LOW CONFIDENCE: no family reaches its precision cut" if e["low_confidence"] else "")]
    for rank, fam in enumerate(e["families"], 1):
        cut = "no cut reaches the target precision" if fam["cut"] is None else f"cut {fam['cut']:.3f}"
        lines.append(f"{rank}. {fam['family']}: p={fam['probability']:.3f} "
                     f"({'predicted' if fam['predicted'] else 'not predicted'}; {cut})")
        if fam.get("groups"):
            lines.append("   by group (log-odds): " + ", ".join(f"{g} {v:+.2f}" for g, v in fam["groups"].items()
                                                               if abs(v) >= 0.005))
        for f in fam.get("features", []):
            value = "missing" if f["value"] is None else f"{f['value']:.4g}"
            lines.append(f"   {f['contribution']:+.3f}  {f['feature']} = {value}")
    return "\n".join(lines)
