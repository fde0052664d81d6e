"""Pictures of a taxonomy version (matplotlib, headless): the two-level tree and the dendrogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np


_PALETTE = ["#2b6cb0", "#c05621", "#2f855a", "#9b2c2c", "#6b46c1", "#b7791f", "#2c7a7b", "#97266d",
            "#4a5568", "#276749", "#c53030", "#2a4365", "#744210", "#553c9a", "#285e61", "#702459"]


def taxonomy_tree_figure(families, subfamilies, title: str, top_tags: int = 3):
    """Families on the left, each spanning its subfamilies on the right; bar length = share of artists.

    ``families`` / ``subfamilies``: objects with family_id, name, n_artists, artist_share, top_tags
    (and parent_id for subfamilies), e.g. ``TaxonomyVersion.families``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fams = sorted(families, key=lambda f: -f.n_artists)
    subs_of: dict = {}
    for s in subfamilies:
        subs_of.setdefault(s.parent_id, []).append(s)
    rows = []  # (family, subfamily or None)
    for f in fams:
        kids = sorted(subs_of.get(f.family_id, []), key=lambda s: -s.n_artists) or [None]
        rows += [(f, s) for s in kids]
    n = max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(12, 0.3 * n + 1.2))
    top_share = max([s.artist_share for _, s in rows if s is not None] + [f.artist_share for f in fams] + [1e-9])
    y = 0
    for i, f in enumerate(fams):
        kids = [s for g, s in rows if g is f]
        color = _PALETTE[i % len(_PALETTE)]
        ax.add_patch(Rectangle((0, y), 3.0, len(kids), facecolor=color, edgecolor="white", alpha=0.9))
        ax.text(0.1, y + len(kids) / 2, f"{f.name}\n{f.artist_share:.1%} of artists · id {f.family_id}",
                va="center", ha="left", fontsize=7.5, color="white", fontweight="bold")
        for j, s in enumerate(kids):
            yy = y + j
            if s is None:
                continue
            width = 4.0 * s.artist_share / top_share
            ax.add_patch(Rectangle((3.1, yy + 0.1), width, 0.8, facecolor=color, alpha=0.45, edgecolor="none"))
            tags = ", ".join(t for t in s.top_tags[:top_tags] if t not in s.name.split(" / "))
            ax.text(3.15, yy + 0.5, f"{s.name}  {s.artist_share:.1%}" + (f"  ({tags})" if tags else ""),
                    va="center", ha="left", fontsize=7)
        y += len(kids)
    ax.set_xlim(0, 10.5)
    ax.set_ylim(y, 0)
    ax.axis("off")
    ax.set_title(title, fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def write_taxonomy_tree(info, path: str | Path) -> Path:
    """The two-level tree of a stored version (``TaxonomyVersion``) as a PNG."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    title = (f"genre taxonomy v{info.version}: {info.k} families (bootstrap ARI {info.mean_bootstrap_ari:.2f}), "
             f"{info.n_subfamilies or 0} subfamilies; bars: share of tagged artists")
    fig = taxonomy_tree_figure(info.families, info.subfamilies, title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
    k = int(data.get("k", info.k))  # the family cut of this tree
    height = max(6.0, min(0.11 * len(tags), 60.0))
    fig, ax = plt.subplots(figsize=(11, height))
    families = data.get("families")
    if families and len(families) == len(tags):
        # The families are a top-down cut (not one height), so a link takes its family's colour
        # when all the tags below it share one family, grey otherwise.
        link_color = _family_link_colors(Z, families)
        dendrogram(Z, labels=tags, orientation="left", link_color_func=lambda i: link_color[i], leaf_font_size=6, ax=ax)
    else:  # versions stored before the top-down cut: the height cut into k
        threshold = Z[-(k - 1), 2] if 1 < k <= len(Z) else 0.0
        dendrogram(Z, labels=tags, orientation="left", color_threshold=threshold, leaf_font_size=6, ax=ax)
    ax.set_title(f"genre taxonomy v{info.version}: {len(tags)} clustered tags, {info.k} families, "
                 f"mean bootstrap ARI {info.mean_bootstrap_ari:.3f}\n(colours: the tree cut into families)", fontsize=9)
    ax.set_xlabel("1 - shrunk IDF-weighted profile cosine (support-weighted average linkage)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _family_link_colors(Z: np.ndarray, families: list) -> dict[int, str]:
    """Colour of every link of the tree (scipy numbering): its family's when one family holds all
    the tags below it, grey otherwise."""
    import matplotlib

    palette = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["tab20"].colors]
    order = {f: i for i, f in enumerate(sorted({f for f in families if f is not None}))}
    n = len(families)
    below: dict[int, object] = {i: families[i] for i in range(n)}
    colors: dict[int, str] = {}
    for step, (a, b) in enumerate(Z[:, :2].astype(int)):
        fa, fb = below[int(a)], below[int(b)]
        fam = fa if fa == fb and fa is not None else None
        below[n + step] = fam
        colors[n + step] = palette[order[fam] % len(palette)] if fam is not None else "#999999"
    return colors
