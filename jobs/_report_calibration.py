"""Report sections of issue 16: the models' figures per evaluation protocol, and calibration.

* ``protocols``: for the challenger and beside it the champion, every protocol's figures
  (``untagged-like`` — the gate's headline, with its effective sample size — ``development-mode``
  and the random artist-disjoint split) with 95 % bootstrap intervals, and how much of the
  population ``predicted`` covers at the stated precision.
* ``calibration``: per family, the expected calibration error of the challenger's probabilities
  on its test artists (plain and untagged-like weighted, the champion's beside) and a reliability
  diagram per family.

Both read only modeling's public functions (:func:`modeling.protocol_figures`,
:func:`modeling.calibration_figures`), fed by the ``models`` section's challenger and champion ids.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ._report_plots import _BLUE, _GREY, _ORANGE, plt, to_data_uri


def _ids(models_section: dict | None) -> tuple[str | None, str | None]:
    if not models_section:
        return None, None
    champ = models_section.get("champion_id")
    ch = models_section.get("challenger_id")
    return ch, (champ if champ != ch else None)


def _ci(row: dict | None) -> dict | None:
    if not row or row.get("ci_low") is None:
        return None
    return {"value": row["value"], "low": row["ci_low"], "high": row["ci_high"]}


def protocols(live: duckdb.DuckDBPyConnection, models_section: dict | None) -> tuple[dict | None, str | None]:
    """Challenger and champion figures per protocol, intervals and effective sample size."""
    import modeling

    ch_id, champ_id = _ids(models_section)
    if ch_id is None:
        return None, "no artist-families model to report on (see the models section)"
    ch = modeling.protocol_figures(live, ch_id)
    if not ch["rows"]:
        return None, f"model {ch_id} has no figures per protocol (trained before they were recorded)"
    champ = modeling.protocol_figures(live, champ_id) if champ_id else None
    theirs = {(r["protocol"], r["metric"]): r for r in (champ["rows"] if champ else [])}
    table = []
    for r in ch["rows"]:
        c = theirs.get((r["protocol"], r["metric"]))
        table.append({
            "protocol": r["protocol"], "metric": r["metric"], "challenger": r["value"], "challenger_95ci": _ci(r),
            "champion": c["value"] if c else None, "champion_95ci": _ci(c),
            "difference": None if c is None or c["value"] is None else r["value"] - c["value"],
        })
    return {
        "challenger_id": ch_id, "champion_id": champ_id, "rows": table,
        "columns": ["protocol", "metric", "challenger", "challenger_95ci", "champion", "champion_95ci", "difference"],
        "effective_sample_size": ch["effective_sample_size"],
        "champion_effective_sample_size": champ["effective_sample_size"] if champ else None,
        "n_test": ch["n_test"], "target_precision": ch["target_precision"],
    }, None


def calibration(live: duckdb.DuckDBPyConnection, models_section: dict | None) -> tuple[dict | None, str | None]:
    """Per-family ECE of the challenger (and the champion's), with the reliability bins."""
    import modeling

    ch_id, champ_id = _ids(models_section)
    if ch_id is None:
        return None, "no artist-families model to report on (see the models section)"
    ch = modeling.calibration_figures(live, ch_id)
    if ch is None:
        return None, f"model {ch_id} is not a multi-label model with stored test scores"
    champ = modeling.calibration_figures(live, champ_id) if champ_id else None
    theirs = {f["family"]: f for f in (champ["families"] if champ else [])}
    fams = [{**f, "champion_ece": (theirs.get(f["family"]) or {}).get("ece"),
             "champion_ece_untagged_like": (theirs.get(f["family"]) or {}).get("ece_untagged_like")}
            for f in ch["families"]]
    return {
        "challenger_id": ch_id, "champion_id": champ_id, "macro_ece": ch["macro_ece"],
        "macro_ece_untagged_like": ch["macro_ece_untagged_like"],
        "champion_macro_ece": champ["macro_ece"] if champ else None,
        "champion_macro_ece_untagged_like": champ["macro_ece_untagged_like"] if champ else None,
        "effective_sample_size": ch["effective_sample_size"], "n_test": ch["n_test"], "families": fams,
        "columns": ["family", "support", "ece", "ece_untagged_like", "champion_ece", "champion_ece_untagged_like"],
    }, None


def reliability_diagrams(section: dict[str, Any], columns: int = 4) -> str:
    """One small panel per family: observed rate against mean probability per bin (dot size ~ the
    bin's share of artists), the untagged-like weighted bins beside, the diagonal = perfect."""
    fams = section["families"]
    rows = max(1, -(-len(fams) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.3 * columns, 2.3 * rows), squeeze=False)
    for ax in axes.ravel()[len(fams):]:
        ax.axis("off")
    for ax, f in zip(axes.ravel(), fams):
        ax.plot([0, 1], [0, 1], color=_GREY, lw=1, ls="--")
        for bins, color, label in ((f["bins"], _BLUE, "test"), (f.get("bins_untagged_like"), _ORANGE, "untagged-like")):
            if not bins:
                continue
            total = sum(b["weight"] for b in bins)
            ax.plot([b["mean_probability"] for b in bins], [b["observed_rate"] for b in bins], "-", color=color,
                    lw=1, alpha=0.7)
            ax.scatter([b["mean_probability"] for b in bins], [b["observed_rate"] for b in bins], color=color,
                       s=[8 + 120 * b["weight"] / total for b in bins], label=label, zorder=3)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{f['family'][:28]}\nECE {f['ece']:.3f}"
                     + ("" if f.get("ece_untagged_like") is None else f" / {f['ece_untagged_like']:.3f}"), fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0][0].legend(fontsize=6, loc="upper left")
    fig.suptitle("Reliability per family: observed rate vs mean probability (ECE test / untagged-like)", fontsize=9)
    fig.tight_layout()
    return to_data_uri(fig)
