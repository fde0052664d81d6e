"""Report sections about the genre taxonomy and the models: taxonomy changes, challenger vs
champion, per-family metrics, precision-recall curves and feature-importance changes.

They read what the features and modeling packages wrote through those packages' public
functions (taxonomy versions, the model registry and model files) and the retrain job's recorded
result, so a change of their tables breaks there, not here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import duckdb

import features
import modeling
from modeling import RegisteredModel

from ._report_data import latest_run_counts, tables_of


# ───────────────────────────── taxonomy ─────────────────────────────


def taxonomy_changes(live: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dict | None, str | None]:
    """Tags that moved family, families split or merged, between the two newest taxonomy versions."""
    if "genre_taxonomy" not in tables_of(live):
        return None, "no genre_taxonomy table yet (taxonomy not built)"
    versions = features.newest_versions(live, 2)
    if not versions:
        return None, "genre_taxonomy is empty"
    new_v = versions[0]
    new = features.tag_map(live, new_v)  # unplaced long-tail tags have no family
    out: dict[str, Any] = {"version": new_v, "tags": len(new), "families": len(set(new.values()))}
    info = features.load_version(live, new_v)
    out["figures"] = {name: getattr(info, name) for name in (
        "k", "mean_bootstrap_ari", "silhouette", "largest_share", "smallest_share", "kept_from_previous",
        "n_tagged_artists", "n_subfamilies", "subfamily_bootstrap_ari", "placed_use_share", "kept_uses_from_previous",
        "n_clustered_tags")}
    out.update(_levels_and_routes(info))
    names = features.group_names(live)
    if names:
        out["family_names"] = {str(k): v for k, v in names.items()}
    if len(versions) < 2:
        out["note"] = "first taxonomy version: nothing to compare with"
        return out, None
    old_v = versions[1]
    old = features.tag_map(live, old_v)
    out.update(_compare(old, new))
    label = lambda f: f"{f} {names[f]}" if f in names else f  # noqa: E731
    for m in out["moved_sample"]:
        m["from"], m["to"] = label(m["from"]), label(m["to"])
    for sp in out["splits"]:
        sp["family"], sp["into"] = label(sp["family"]), [label(f) for f in sp["into"]]
    for mg in out["merges"]:
        mg["family"], mg["from"] = label(mg["family"]), [label(f) for f in mg["from"]]
    out["previous_version"] = old_v
    out["previous_families"] = len(set(old.values()))
    return out, None


def _levels_and_routes(info: features.TaxonomyVersion) -> dict[str, Any]:
    """Both levels of the version (for the tree picture), placement routes, and how its ids were matched."""
    groups = sorted(info.families + info.subfamilies, key=lambda g: g.family_id)
    out: dict[str, Any] = {"groups": [
        {"family_id": g.family_id, "name": g.name, "level": g.level, "parent_id": g.parent_id,
         "n_artists": g.n_artists, "artist_share": g.artist_share, "top_tags": list(g.top_tags or [])}
        for g in groups]}
    out["routes"] = [{"route": r, "tags": n} for r, n in sorted(info.placement.get("routes", {}).items(),
                                                                key=lambda x: -x[1])]
    val = info.placement.get("validation", {})
    out["route_accuracy"] = [{"route": r, "accuracy": v.get("accuracy"), "coverage": v.get("coverage")}
                             for r, v in ((r, val.get(r, {})) for r in ("head-word", "fma"))
                             if v.get("available") and v.get("answered")]
    names = {g["family_id"]: g["name"] for g in out["groups"]}
    if info.previous_version is not None:
        out["id_match"] = [{"level": lvl, "id": f"{m['new_id']} {names.get(m['new_id'], '')}".strip(),
                            "previous_id": m["previous_id"], "jaccard": m["jaccard"]}
                           for lvl in ("family", "subfamily") for m in info.id_match.get(lvl, [])]
    return out


def _compare(old: dict[str, Any], new: dict[str, Any], share: float = 0.25) -> dict[str, Any]:
    common = set(old) & set(new)
    moved = sorted((t, old[t], new[t]) for t in common if old[t] != new[t])
    flow: dict[Any, Counter] = defaultdict(Counter)   # old family -> new families of its tags
    back: dict[Any, Counter] = defaultdict(Counter)   # new family -> old families of its tags
    for t in common:
        flow[old[t]][new[t]] += 1
        back[new[t]][old[t]] += 1

    def big_parts(counter: Counter) -> list:
        total = sum(counter.values())
        return sorted(k for k, n in counter.items() if n >= 2 and n / total >= share)

    splits = [{"family": f, "into": parts} for f, c in flow.items() if len(parts := big_parts(c)) >= 2]
    merges = [{"family": f, "from": parts} for f, c in back.items() if len(parts := big_parts(c)) >= 2]
    return {
        "tags_compared": len(common), "tags_moved": len(moved),
        "stability": 1 - len(moved) / len(common) if common else None,
        "moved_sample": [{"tag": t, "from": a, "to": b} for t, a, b in moved[:40]],
        "new_tags": len(set(new) - set(old)), "dropped_tags": len(set(old) - set(new)),
        "splits": splits, "merges": merges,
    }


# ───────────────────────────── models ─────────────────────────────

TASK = "artist-families"
_SCALAR_METRICS = ("macro_auprc", "micro_auprc", "macro_auroc", "micro_auroc", "macro_f1", "micro_f1",
                   "samples_f1", "hamming_loss", "subset_accuracy", "lrap", "macro_ece", "untagged_like_macro_ece")


def _challenger_and_previous(live, snapshot_id: str) -> tuple[RegisteredModel | None, RegisteredModel | None, dict]:
    """The newest model trained on this snapshot, the champion it was compared with, and the retrain
    job's recorded result (decision, comparison)."""
    counts = latest_run_counts(live, "retrain", snapshot_id) or {}
    ch = modeling.find_model(live, counts.get("challenger_id")) or modeling.newest_model(live, TASK, snapshot_id)
    prev = modeling.find_model(live, (counts.get("comparison") or {}).get("champion_id"))
    if prev is None and ch is not None:
        prev = modeling.champion_before(live, ch)
    return ch, prev, counts


def _metrics(live, model_id: str) -> dict[str, modeling.MetricRow]:
    return {r.metric: r for r in modeling.model_metrics(live, model_id)}


def champion_vs_challenger(live: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dict | None, str | None]:
    if "models" not in tables_of(live):
        return None, "no models table yet (modeling not installed or never run)"
    ch, prev, counts = _challenger_and_previous(live, snapshot_id)
    if ch is None:
        return None, f"no {TASK} model trained on snapshot {snapshot_id} yet (retrain has not run on it)"
    head = ch.headline_metric
    m_ch = _metrics(live, ch.model_id)
    m_prev = _metrics(live, prev.model_id) if prev else {}
    comparison = []
    for name in [head, *[n for n in _SCALAR_METRICS if n != head]]:
        if name not in m_ch:
            continue
        a = m_ch[name]
        b = m_prev.get(name)
        comparison.append({
            "metric": name, "challenger": a.value,
            "challenger_95ci": None if a.ci_low is None else {"value": a.value, "low": a.ci_low, "high": a.ci_high},
            "champion": b.value if b else None,
            "champion_95ci": None if not b or b.ci_low is None else {"value": b.value, "low": b.ci_low, "high": b.ci_high},
            "difference": None if not b or a.value is None or b.value is None else a.value - b.value,
        })
    comp = counts.get("comparison") or {}
    promoted = counts.get("promoted")
    if promoted is None:
        promoted = ch.status == "champion"
    headline = (m_ch if promoted else m_prev).get(head)
    out = {
        "challenger_id": ch.model_id, "champion_id": prev.model_id if prev else None,
        "metric": head, "challenger_value": ch.headline_value,
        "champion_value": headline.value if headline else None,
        "decision": "promote" if promoted else "keep champion",
        "reason": counts.get("decision") or ch.decision,
        "paired_difference": comp.get("diff"),
        "paired_difference_95ci": [comp.get("ci_low"), comp.get("ci_high")] if comp else None,
        "n_train": ch.n_train, "n_test": ch.n_test, "train_seconds": ch.train_seconds,
        "taxonomy_version": ch.taxonomy_version, "split_id": ch.split_id,
        "predictions": counts.get("predictions"),
        "comparison": comparison,
        "comparison_columns": ["metric", "challenger", "challenger_95ci", "champion", "champion_95ci", "difference"],
    }
    if comp.get("challenger") is not None and comp.get("champion") is not None:
        # The decision's own numbers: both models scored on the same (challenger's) test rows.
        out["headline"] = [{
            "metric": comp.get("metric", head), "challenger": comp["challenger"], "champion": comp["champion"],
            "difference": comp.get("diff"),
            "difference_95ci": None if comp.get("ci_low") is None else {"value": comp.get("diff"), "low": comp["ci_low"], "high": comp["ci_high"]},
            "test_rows": comp.get("n_rows"), "same_test_set": comp.get("same_test_set"),
        }]
        out["headline_columns"] = ["metric", "challenger", "champion", "difference", "difference_95ci",
                                   "test_rows", "same_test_set"]
        if not comp.get("same_test_set"):
            out["comparison_note"] = ("The table below gives each model's figures on its own test split; the "
                                      "decision uses the paired comparison above" + (f" ({comp['note']})" if comp.get("note") else "") + ".")
    if "predictions" in tables_of(live):
        out["predicted_artists"] = modeling.predicted_artists(live, snapshot_id)
    return out, None


def per_family(live: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dict | None, str | None]:
    if "model_metrics" not in tables_of(live):
        return None, "no model_metrics table yet (no model trained)"
    ch, prev, _ = _challenger_and_previous(live, snapshot_id)
    if ch is None:
        return None, f"no {TASK} model trained on snapshot {snapshot_id} yet"

    def table(model_id: str) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for r in modeling.model_metrics(live, model_id, per_label=True):
            row = out.setdefault(r.label, {"family": r.family_id, "name": r.label, "support": r.support})
            row[r.metric] = r.value
        return out

    now = table(ch.model_id)
    if not now:
        return None, f"model {ch.model_id} has no per-family metrics"
    before = table(prev.model_id) if prev else {}
    fams = []
    for name, row in sorted(now.items(), key=lambda kv: -(kv[1].get("support") or 0)):
        row = dict(row)
        row["champion_f1"] = (before.get(name) or {}).get("f1")
        fams.append(row)
    cols = [c for c in ("family", "name", "support", "auprc", "auroc", "f1", "precision", "recall", "threshold",
                        "champion_f1") if any(c in r for r in fams)]
    return {"model_id": ch.model_id, "families": fams, "columns": cols}, None


def pr_curves(live: duckdb.DuckDBPyConnection, snapshot_id: str, settings) -> dict | None:
    """Precision-recall curve per family on the challenger's stored test scores."""
    if "models" not in tables_of(live):
        return None
    ch, _, _ = _challenger_and_previous(live, snapshot_id)
    if ch is None:
        return None
    from sklearn.metrics import average_precision_score, precision_recall_curve
    import numpy as np

    art = modeling.load_artifact(live, ch)
    y = np.asarray(art.test.y)
    s = np.asarray(art.test.scores)
    if y.ndim != 2 or s.shape != y.shape:
        return None
    names = art.label_names or [str(i) for i in art.label_ids]
    curves = {}
    for j, name in enumerate(names):
        if 0 < y[:, j].sum() < len(y):
            p, r, _ = precision_recall_curve(y[:, j], s[:, j])
            curves[str(name)] = {"precision": p.tolist(), "recall": r.tolist(),
                                 "ap": float(average_precision_score(y[:, j], s[:, j]))}
    return curves or None


def _gain_shares(art: modeling.ModelArtifact) -> dict[str, float]:
    import numpy as np

    est = art.estimator
    names = list(art.feature_names or [])
    total: dict[str, float] = {}
    for m in getattr(est, "estimators_", None) or []:
        steps = dict(getattr(m, "named_steps", {}))
        booster = steps.get("lgbm", m)
        if not hasattr(booster, "booster_"):
            continue
        gain = booster.booster_.feature_importance("gain")
        pre = steps.get("pre")
        fnames = names if len(names) == len(gain) else None
        if fnames is None and pre is not None and hasattr(pre, "get_feature_names_out"):
            try:
                fnames = [str(n) for n in pre.get_feature_names_out()]
            except (ValueError, AttributeError, TypeError):
                fnames = None
        fnames = fnames if fnames and len(fnames) == len(gain) else [f"f{i}" for i in range(len(gain))]
        for n, g in zip(fnames, gain):
            total[n] = total.get(n, 0.0) + float(g)
    s = float(np.sum(list(total.values()))) if total else 0.0
    return {k: v / s for k, v in total.items()} if s > 0 else {}


def importance_changes(live: duckdb.DuckDBPyConnection, snapshot_id: str, top: int = 20) -> list[dict] | None:
    """Share of total gain per feature, the new model against the champion it was compared with."""
    if "models" not in tables_of(live):
        return None
    ch, prev, _ = _challenger_and_previous(live, snapshot_id)
    if ch is None:
        return None
    now = _gain_shares(modeling.load_artifact(live, ch))
    if not now:
        return None
    before = _gain_shares(modeling.load_artifact(live, prev)) if prev else {}
    keys = sorted(set(now) | set(before), key=lambda k: -max(now.get(k, 0.0), before.get(k, 0.0)))[:top]
    return [{"feature": k, "current": now.get(k, 0.0), "previous": before.get(k) if before else None} for k in keys]
