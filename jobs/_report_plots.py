"""The report's pictures: matplotlib figures rendered to PNG ``data:`` URIs (no files to lose)."""

from __future__ import annotations

import base64
import io
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")  # headless; the report is written by a daemon
import matplotlib.pyplot as plt  # noqa: E402

_BLUE, _GREY, _ORANGE = "#2b6cb0", "#a0aec0", "#dd6b20"


def to_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def paired_bars(labels: Sequence[str], current: Sequence[float], previous: Sequence[float | None] | None,
                title: str, xlabel: str, *, log: bool = False, limit: int = 30) -> str:
    """Horizontal bars, current beside previous, for up to ``limit`` labels."""
    labels, current = list(labels)[:limit], list(current)[:limit]
    prev = [0 if v is None else v for v in (previous or [])][:limit]
    n = len(labels)
    fig, ax = plt.subplots(figsize=(7.5, max(2.2, 0.28 * n + 1.0)))
    ys = range(n)
    h = 0.4 if prev else 0.7
    ax.barh([y + (h / 2 if prev else 0) for y in ys], current, height=h, color=_BLUE, label="current")
    if prev:
        ax.barh([y - h / 2 for y in ys], prev, height=h, color=_GREY, label="previous")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("symlog")
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return to_data_uri(fig)


def crawl_runs_plot(runs: list[dict[str, Any]]) -> str:
    labels = [str(r["started_at"])[5:16] for r in runs]
    req = [r["requests"] or 0 for r in runs]
    r429 = [r["responses_429"] or 0 for r in runs]
    err = [r["errors"] or 0 for r in runs]
    fig, ax = plt.subplots(figsize=(7.5, 2.8))
    xs = range(len(runs))
    ax.bar(xs, req, color=_BLUE, label="requests")
    ax.bar(xs, r429, color=_ORANGE, label="429 responses")
    ax.bar(xs, err, bottom=r429, color="#c53030", label="errors")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("count")
    ax.set_title("Crawl runs in this period", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return to_data_uri(fig)


def pr_curves(curves: dict[str, dict[str, Sequence[float]]], title: str = "Precision-recall per family") -> str:
    """``curves``: name → {"precision": [...], "recall": [...], optional "ap": float}."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    cmap = plt.get_cmap("tab20")
    for i, (name, c) in enumerate(sorted(curves.items())):
        label = f"{name} (AP {c['ap']:.2f})" if c.get("ap") is not None else name
        ax.plot(c["recall"], c["precision"], color=cmap(i % 20), lw=1.2, label=label)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="upper right", ncol=1 if len(curves) <= 12 else 2)
    return to_data_uri(fig)


def psi_plot(features: list[dict[str, Any]], limit: int = 20) -> str:
    top = [f for f in features if f.get("psi") is not None][:limit]
    labels = [f"{f['feature']}" for f in top]
    vals = [f["psi"] for f in top]
    fig, ax = plt.subplots(figsize=(7.5, max(2.2, 0.28 * len(top) + 1.0)))
    ax.barh(range(len(top)), vals, color=[_ORANGE if v >= 0.2 else _BLUE for v in vals])
    ax.axvline(0.2, color="#c53030", lw=1, ls="--", label="PSI 0.2 (drift)")
    ax.set_yticks(range(len(top)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("population stability index (previous → current snapshot)")
    ax.set_title("Feature drift, largest first", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return to_data_uri(fig)
