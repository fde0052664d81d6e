"""The taxonomy dendrogram as a PNG (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_dendrogram(data: dict, info, path: str | Path) -> Path:
    """Draw the clustered tags' average-linkage tree, coloured at the cut into k families."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tags = data.get("tags", [])
    Z = np.asarray(data.get("linkage", []), dtype=float)
    if len(tags) < 2 or Z.size == 0:
        raise ValueError("this taxonomy version has no stored tree")
    k = int(data.get("k", info.k))
    threshold = Z[-(k - 1), 2] if 1 < k <= len(Z) else 0.0
    height = max(6.0, min(0.11 * len(tags), 60.0))
    fig, ax = plt.subplots(figsize=(11, height))
    dendrogram(Z, labels=tags, orientation="left", color_threshold=threshold, leaf_font_size=6, ax=ax)
    ax.set_title(f"genre taxonomy v{info.version}: {len(tags)} clustered tags, k={info.k}, "
                 f"mean bootstrap ARI {info.mean_bootstrap_ari:.3f}\n"
                 "(colours: this tree cut at k; stored families are the bootstrap consensus)", fontsize=9)
    ax.set_xlabel("1 - IDF-weighted profile cosine (average linkage)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
