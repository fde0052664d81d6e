"""Figures of the morning sections: per-family metrics with intervals as a dot plot, the confidence
histogram of the predictions, and the trends as small multiples (PNG data URIs, like the others)."""

from __future__ import annotations

from typing import Any

from ._report_plots import _BLUE, _GREY, _ORANGE, plt, to_data_uri


def family_dots(rows: list[dict[str, Any]], title: str = "Average precision per family (95 % bootstrap interval)") -> str:
    """One row per family, best first: the estimate as a dot, its interval as a line, prevalence (the
    score of a random ranking) as a grey tick."""
    n = len(rows)
    fig, ax = plt.subplots(figsize=(7.5, max(2.4, 0.26 * n + 1.1)))
    for y, r in enumerate(rows):
        m = r["auprc"]
        if m["low"] is not None:
            ax.plot([m["low"], m["high"]], [y, y], color=_BLUE, lw=2, alpha=0.45, solid_capstyle="butt")
        ax.plot(m["value"], y, "o", color=_BLUE, ms=5)
        ax.plot(r["prevalence"], y, "|", color=_GREY, ms=9, mew=2)
    ax.set_yticks(range(n))
    ax.set_yticklabels([f"{r['family']} (n={r['support']})" for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("average precision on the test split (grey tick: prevalence = a random ranking)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return to_data_uri(fig)


def confidence_histogram(hist: dict[str, list], title: str = "Confidence of each artist's top family") -> str:
    edges, counts = hist["edges"], hist["artists"]
    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    ax.bar(edges[:-1], counts, width=[b - a for a, b in zip(edges[:-1], edges[1:])], align="edge",
           color=_BLUE, edgecolor="white")
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability of the top family")
    ax.set_ylabel("artists")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return to_data_uri(fig)


def trend_multiples(nights: list[dict[str, Any]]) -> str:
    """Four small charts sharing the night axis."""
    series = (("champion_metric", "champion metric"), ("crawl_requests", "crawl requests"),
              ("artists_with_predictions", "artists with predictions"), ("drifted_features", "drifted features"))
    fig, axes = plt.subplots(1, 4, figsize=(10, 2.3))
    xs = list(range(len(nights)))
    for ax, (key, label) in zip(axes, series):
        pts = [(x, n[key]) for x, n in zip(xs, nights) if isinstance(n.get(key), (int, float))]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "-o", color=_ORANGE if key == "drifted_features" else _BLUE,
                    ms=3, lw=1.3)
        ax.set_title(label, fontsize=9)
        ax.set_xticks([xs[0], xs[-1]])
        ax.set_xticklabels([nights[0]["night"][5:], nights[-1]["night"][5:]], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"The last {len(nights)} nights", fontsize=10)
    fig.tight_layout()
    return to_data_uri(fig)
