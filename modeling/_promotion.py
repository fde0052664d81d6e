"""Challenger against champion: a paired bootstrap on the challenger's test rows decides promotion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _metrics as M
from ._artifacts import ModelArtifact
from ._errors import ModelingError
from ._fit import proba_all_classes
from ._registry import champion_of, model_row, set_champion, set_decision


@dataclass
class Comparison:
    challenger_id: str
    champion_id: str
    metric: str
    challenger: float
    champion: float
    diff: float
    ci_low: float
    ci_high: float
    n_rows: int
    same_test_set: bool
    challenger_better: bool
    note: str = ""

    def describe(self) -> str:
        verdict = "beats" if self.challenger_better else "does not beat"
        return (f"{self.challenger_id} {verdict} {self.champion_id} on {self.metric}: "
                f"{self.challenger:.4f} vs {self.champion:.4f}, improvement {self.diff:+.4f} "
                f"(95% paired bootstrap CI {self.ci_low:+.4f}..{self.ci_high:+.4f}, {self.n_rows} test rows)"
                + (f"; {self.note}" if self.note else ""))


class PromotionRefused(ModelingError):
    """The challenger did not beat the champion beyond the bootstrap margin."""

    def __init__(self, message: str, comparison: Comparison | None = None):
        super().__init__(message)
        self.comparison = comparison


def compare(con, challenger_id: str, champion_id: str | None = None, *, n_boot: int = 300) -> Comparison | None:
    """Challenger vs champion on the challenger's test rows (paired bootstrap of the headline difference).

    When the two were tested on the same rows the stored test scores are used; otherwise the
    champion re-scores the challenger's test rows (features aligned by name, labels by id).
    Returns None when there is no champion to compare with.
    """
    ch = model_row(con, challenger_id)
    champ = model_row(con, champion_id) if champion_id else champion_of(con, ch["task"], ch["dataset"])
    if champ is None or champ["model_id"] == ch["model_id"]:
        return None
    a = ModelArtifact.load_recorded(con, ch["artifact_path"])
    b = ModelArtifact.load_recorded(con, champ["artifact_path"])
    metric, higher = M.HEADLINE[a.kind]
    y, s_a = a.test.y, a.test.scores
    same = ch["test_set_hash"] == champ["test_set_hash"] and np.array_equal(np.asarray(a.test.ids), np.asarray(b.test.ids))
    note = ""
    if same:
        s_b = b.test.scores
    else:
        Xb = _align_features(a.test.X, a.feature_names, b.feature_names)
        if a.kind == "multilabel":
            s_b_full = b.estimator.predict_proba(Xb)
            common = [i for i in a.label_ids if i in set(b.label_ids)]
            if not common:
                raise PromotionRefused("champion and challenger share no labels (taxonomy changed completely); use --force")
            ia = [a.label_ids.index(i) for i in common]
            ib = [b.label_ids.index(i) for i in common]
            y, s_a, s_b = y[:, ia], s_a[:, ia], s_b_full[:, ib]
            note = f"champion re-scored on the challenger's test rows ({len(common)} shared families)"
        elif a.kind == "multiclass":
            s_b = proba_all_classes(b.estimator, Xb, len(b.label_ids))
            if a.label_ids != b.label_ids:
                raise PromotionRefused("champion and challenger predict different classes; use --force")
            note = "champion re-scored on the challenger's test rows"
        else:
            s_b = b.estimator.predict(Xb)
            note = "champion re-scored on the challenger's test rows"
    groups = a.test.groups if str(ch["split_id"]).startswith("artist-disjoint") else None
    fn = M.headline_fn(a.kind)
    if a.test.weights is not None:  # issue 16: the gate compares the untagged-like figure
        from ._protocols import packed, weighted_macro_auprc
        from ._robust import UNTAGGED_HEADLINE

        fn, metric, y = packed(weighted_macro_auprc), UNTAGGED_HEADLINE, np.column_stack([y, a.test.weights])
    pc = M.paired_bootstrap(fn, y, s_a, s_b, metric=metric, higher_is_better=higher,
                            n_boot=n_boot, groups=groups)
    return Comparison(ch["model_id"], champ["model_id"], metric, pc.challenger, pc.champion, pc.diff,
                      pc.ci_low, pc.ci_high, pc.n_rows, same, pc.challenger_better, note)


def _align_features(X: np.ndarray, have: list[str], want: list[str]) -> np.ndarray:
    out = np.full((len(X), len(want)), np.nan)
    pos = {n: i for i, n in enumerate(have)}
    for j, n in enumerate(want):
        if n in pos:
            out[:, j] = X[:, pos[n]]
    return out


def promote(writer, model_id: str, *, force: bool = False, n_boot: int = 300) -> Comparison | None:
    """Make ``model_id`` the champion of its task if it beats the champion beyond the CI margin.

    Raises :class:`PromotionRefused` (leaving the registry unchanged but for the model's recorded
    decision) when it does not, unless ``force``. Returns the comparison (None when there was no
    champion).
    """
    with writer.transaction() as con:
        row = model_row(con, model_id)
        if row["status"] == "champion":
            return None
        comparison = compare(con, row["model_id"], n_boot=n_boot)
    if comparison is not None and not comparison.challenger_better and not force:
        decision = "not promoted: " + comparison.describe()
        set_decision(writer, row["model_id"], decision)
        raise PromotionRefused(decision, comparison)
    decision = ("promoted: no champion to beat" if comparison is None else
                ("promoted: " if comparison.challenger_better else "promoted by force: ") + comparison.describe())
    set_champion(writer, row["model_id"], decision)
    return comparison
