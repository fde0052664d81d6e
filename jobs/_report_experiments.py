"""The "Experiments" page: the latest run of every research experiment, self-contained HTML.

Written beside the nightly report (``var/reports/<date>/experiments.html``, and in ``runs/``
next to each report file) and linked from it. Figures sit beside the published ones; plots are
drawn from the stored artifacts and embedded as PNG data URIs, so the page works offline.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb


def _rows(run) -> list[dict[str, Any]]:
    """Figure rows: name, ours, 95 % interval (when stored), published (when there is one)."""
    figures = run.figures
    published = {k[len("published_"):]: v for k, v in figures.items() if k.startswith("published_")}
    rows = []
    for k, v in figures.items():
        if k.startswith("published_") or k.endswith(("_ci_low", "_ci_high")):
            continue
        lo, hi = figures.get(f"{k}_ci_low"), figures.get(f"{k}_ci_high")
        rows.append({"figure": k, "ours": v, "ci": f"{_num(lo)} – {_num(hi)}" if lo is not None and hi is not None else "",
                     "published": published.pop(k, None)})
    for k, v in published.items():  # published figures with no measured twin (targets, ranges)
        rows.append({"figure": k, "ours": None, "ci": "", "published": v})
    return rows


def _num(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4f}".rstrip("0").rstrip(".") if v != int(v) else f"{v:.0f}"
    return str(v)


def render_page(con: duckdb.DuckDBPyConnection, *, title_suffix: str = "") -> str | None:
    """HTML of the page from the ``experiments`` table of ``con``; None when nothing was run yet."""
    import modeling.experiments as ex

    from . import _report_plots as plots

    latest = ex.latest_runs(con)
    if not latest:
        return None
    sections = []
    for name, exp in ex.EXPERIMENTS.items():
        run = latest.get(name)
        if run is None:
            sections.append({"name": name, "exp": exp, "run": None, "rows": [], "images": [], "trials": []})
            continue
        images = []
        if run.status == "done":
            try:
                for title, fig in exp.plots(run.figures, run.artifacts):
                    images.append({"title": title, "src": plots.to_data_uri(fig)})
            except (KeyError, ValueError, TypeError, IndexError) as exc:  # an old run's artifacts: figures still show
                images.append({"title": f"plot not drawn: {type(exc).__name__}: {exc}", "src": None})
        sections.append({"name": name, "exp": exp, "run": run, "rows": _rows(run) if run.status == "done" else [],
                         "images": images, "trials": run.artifacts.get("trials") or []})
    history = ex.history(con, limit=30)

    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("jobs", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env.get_template("experiments.html.j2").render(sections=sections, history=history, title_suffix=title_suffix)


def write_page(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> bool:
    """Write the page to every path (atomically); False (nothing written) when no run is stored."""
    import os

    html = render_page(con)
    if html is None:
        return False
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    return True
