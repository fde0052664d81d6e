"""``reproduce`` rows for the artist-families protocols of issue 16, beside today's champion.

* ``untagged-like``: every model's test scores, weighted to the untagged population (weighted
  macro AUROC and AUPRC with bootstrap intervals, top-3 hit rate, macro ECE, the effective
  sample size) — the current champion configuration (``lightgbm`` on today's feature groups),
  the baselines, a logistic regression on artist audio means (the baseline the issue names) and
  ``lightgbm-calibrated`` on the groups added for untagged artists.
* ``development-mode``: the champion configuration and ``lightgbm-calibrated`` trained and
  tested only on the columns a development-mode crawl can fill.
* ``random`` (the stored artist-disjoint split, unweighted) for ``lightgbm-calibrated``; the
  other models' random figures are the ``stored artist-disjoint`` rows.

Targets (issue 16 "Show") sit on ``lightgbm-calibrated``'s rows; gains are differences of the
printed figures.
"""

from __future__ import annotations

import copy
import time

import numpy as np

from . import _metrics as M
from ._calibration import macro_ece
from ._protocols import dev_mode_columns, feature_group, packed, weighted_macro_auprc, weighted_macro_auroc, weighted_metrics

OURS = "lightgbm-calibrated"
AUDIO_MEANS = "logistic-audio-means"
TARGETS = {
    ("untagged-like", "macro_auroc", OURS): (">=", 0.80),
    ("untagged-like", "macro_ece", OURS): ("<=", 0.05),
    ("untagged-like", "top3_hit_rate", OURS): (">=", 0.75),
    ("untagged-like", "macro_auprc_gain_over_champion", OURS): (">=", 0.08),
    ("untagged-like", "macro_auroc_gain_over_audio_means", OURS): (">=", 0.05),
    ("development-mode", "macro_auroc", OURS): (">=", 0.78),
}


def _row(protocol, metric, value, model, *, ci=None, n_train=None, n_test=None, seconds=None, **extra) -> dict:
    from ._reproduce import _row as base_row

    row = base_row("musicoset", "artist-families", protocol, metric, None, value, model, ci=ci, n_train=n_train,
                   n_test=n_test, seconds=seconds, target=TARGETS.get((protocol, metric, model)))
    row.update(extra)
    return row


def untagged_rows(data, scores: np.ndarray, model: str, n_boot: int = 100, seconds=None) -> list[dict]:
    """The untagged-like figures of one model's test scores (nothing when there are no weights)."""
    if data.eval_weights is None:
        return []
    te = data.test
    Y, w = np.asarray(data.y[te]), np.asarray(data.eval_weights[te])
    Yw = np.column_stack([Y, w])
    wm = weighted_metrics(Y, scores, w)
    auroc_ci = M.bootstrap_ci(packed(weighted_macro_auroc), Yw, scores, n_boot=n_boot)
    auprc_ci = M.bootstrap_ci(packed(weighted_macro_auprc), Yw, scores, n_boot=n_boot)
    common = dict(n_train=int(data.train.sum()), n_test=int(te.sum()), seconds=seconds)
    return [
        _row("untagged-like", "macro_auroc", wm["macro_auroc"], model, ci=(auroc_ci.low, auroc_ci.high), **common),
        _row("untagged-like", "macro_auprc", wm["macro_auprc"], model, ci=(auprc_ci.low, auprc_ci.high), **common),
        _row("untagged-like", "top3_hit_rate", wm["top3_hit_rate"], model, **common),
        _row("untagged-like", "macro_ece", macro_ece(Y, scores, w), model, **common),
        _row("untagged-like", "effective_sample_size", wm["effective_sample_size"], model, **common),
    ]


def _subset(data, cols):
    d = copy.copy(data)
    d.X = data.X[:, cols]
    d.feature_names = [data.feature_names[j] for j in cols]
    d.fold_X = None if data.fold_X is None else {f: m[:, cols] for f, m in data.fold_X.items()}
    d.untagged_X = None if data.untagged_X is None else data.untagged_X[:, cols]
    return d


def protocol_rows(con, snap: str, data, rows: list[dict], n_jobs, say, n_boot: int) -> list[dict]:
    """Rows for the audio-means baseline, ``lightgbm-calibrated`` and development mode.

    ``data`` is today's champion configuration (already scored by the caller, whose rows are
    ``rows``); the new groups are loaded here.
    """
    from ._fit import fit_and_score
    from ._tasks import artist_families_data

    out: list[dict] = []

    def fit(d, est_name, protocol_label):
        say(f"musicoset artist-families {est_name} ({protocol_label})")
        started = time.perf_counter()
        _est, scores, metrics, interval, _pl, _s = fit_and_score(d, est_name, n_boot=n_boot, n_jobs=n_jobs)
        return scores, metrics, time.perf_counter() - started

    means = [j for j, n in enumerate(data.feature_names) if n.endswith("_mean") and feature_group(n) == "audio"]
    if means:
        scores, _m, secs = fit(_subset(data, means), "logistic", "audio means")
        out += untagged_rows(data, scores, AUDIO_MEANS, n_boot, secs)
    ours = artist_families_data(con, snap, text=True, release=True, graph=True)
    scores, metrics, secs = fit(ours, OURS, "all groups")
    te = ours.test
    common = dict(n_train=int(ours.train.sum()), n_test=int(te.sum()), seconds=secs)
    for metric in ("macro_auprc", "macro_auroc", "top3_hit_rate", "macro_ece", "coverage", "decided_precision"):
        out.append(_row("random", metric, metrics[metric], OURS, **common))
    out += untagged_rows(ours, scores, OURS, n_boot, secs)
    for metric in ("coverage", "decided_precision"):
        out.append(_row("untagged-like", metric, metrics[f"untagged_like_{metric}"], OURS, **common))
    for d, name in ((data, "lightgbm"), (ours, OURS)):
        dev = _subset(d, dev_mode_columns(d.feature_names))
        scores, metrics, secs = fit(dev, name, "development mode")
        common = dict(n_train=int(dev.train.sum()), n_test=int(dev.test.sum()), seconds=secs,
                      n_features=len(dev.feature_names))
        for metric in ("macro_auroc", "macro_auprc", "top3_hit_rate", "macro_ece"):
            out.append(_row("development-mode", metric, metrics[metric], name, **common))
    return out + gain_rows(rows + out)


def gain_rows(rows: list[dict]) -> list[dict]:
    """untagged-like: ours minus the champion (macro AUPRC) and minus the audio-means logistic
    regression (macro AUROC), as printed (differences of the rounded figures)."""
    def value(model, metric):
        found = [r["ours"] for r in rows if r["protocol"] == "untagged-like" and r["model"] == model
                 and r["metric"] == metric]
        return found[0] if found and found[0] is not None else None

    out = []
    ours, champ = value(OURS, "macro_auprc"), value("lightgbm", "macro_auprc")
    if ours is not None and champ is not None:
        out.append(_row("untagged-like", "macro_auprc_gain_over_champion", ours - champ, OURS))
    ours, base = value(OURS, "macro_auroc"), value(AUDIO_MEANS, "macro_auroc")
    if ours is not None and base is not None:
        out.append(_row("untagged-like", "macro_auroc_gain_over_audio_means", ours - base, OURS))
    return out
