"""Report sections about the genre taxonomy and the models: taxonomy changes, challenger vs
champion, per-family metrics, precision-recall curves and feature-importance changes.

They read the tables the features and modeling packages write (``genre_taxonomy``,
``genre_families``, ``models``, ``model_metrics``) and the retrain job's recorded result.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import duckdb

from ._report_data import _find_column, columns_of, latest_run_counts, rows, tables_of


# ───────────────────────────── taxonomy ─────────────────────────────


def taxonomy_changes(live: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dict | None, str | None]:
    """Tags that moved family, families split or merged, between the two newest taxonomy versions."""
    if "genre_taxonomy" not in tables_of(live):
        return None, "no genre_taxonomy table yet (taxonomy not built)"
    cols = columns_of(live, "genre_taxonomy")
    ver = _find_column(cols, "version", "taxonomy_version")
    tag = _find_column(cols, "genre", "tag")
    fam = _find_column(cols, "family_id", "family")
    if not (ver and tag and fam):
        return None, f"genre_taxonomy lacks version/genre/family columns (has {', '.join(cols)})"
    order = "max(created_at)" if "created_at" in cols else f"max({ver})"
    versions = [r[0] for r in live.execute(
        f"SELECT {ver} FROM genre_taxonomy GROUP BY {ver} ORDER BY {order} DESC LIMIT 2").fetchall()]
    if not versions:
        return None, "genre_taxonomy is empty"
    new_v = versions[0]
    new = dict(live.execute(f"SELECT {tag}, {fam} FROM genre_taxonomy WHERE {ver} = ?", [new_v]).fetchall())
    out: dict[str, Any] = {"version": new_v, "tags": len(new), "families": len(set(new.values()))}
    if len(versions) < 2:
        out["note"] = "first taxonomy version: nothing to compare with"
        return out, None
    old_v = versions[1]
    old = dict(live.execute(f"SELECT {tag}, {fam} FROM genre_taxonomy WHERE {ver} = ?", [old_v]).fetchall())
    out.update(_compare(old, new))
    out["previous_version"] = old_v
    out["previous_families"] = len(set(old.values()))
    return out, None


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


def champion_vs_challenger(live: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dict | None, str | None]:
    counts = latest_run_counts(live, "retrain", snapshot_id)
    if counts is None:
        counts = latest_run_counts(live, "retrain", None)
        if counts is None:
            return None, "no successful retrain run yet"
    out: dict[str, Any] = {"retrain": counts}
    promoted = counts.get("promoted")
    out["decision"] = None if promoted is None else ("promote" if promoted else "keep champion")
    for key in ("metric", "headline_metric"):
        if counts.get(key):
            out["metric"] = counts[key]
    for side in ("challenger", "champion"):
        v = counts.get(f"{side}_value", counts.get(side))
        if isinstance(v, dict):
            v = v.get("value", v.get(out.get("metric", ""), None))
        if isinstance(v, (int, float)):
            out[f"{side}_value"] = v
    if "predictions" in counts:
        out["predictions"] = counts["predictions"]
    return out, None


def per_family(live: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dict | None, str | None]:
    if "model_metrics" not in tables_of(live):
        return None, "no model_metrics table yet (no model trained)"
    cols = columns_of(live, "model_metrics")
    fam = _find_column(cols, "family_id", "family", "label")
    if fam is None:
        return None, f"model_metrics has no per-family column (has {', '.join(cols)})"
    return None, "per-family metrics: format not recognised yet"


def pr_curves(live: duckdb.DuckDBPyConnection, snapshot_id: str, settings) -> dict | None:
    return None


def importance_changes(live: duckdb.DuckDBPyConnection, snapshot_id: str) -> list[dict] | None:
    return None


_ = rows
