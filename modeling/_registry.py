"""The model registry: train and record a model, compare challenger with champion, promote.

A model is a row in ``models`` (what it was trained on, its parameters, its status), rows in
``model_metrics`` (test-set metrics, the headline metric with a bootstrap interval, a per-label
table) and a joblib artifact under ``settings.models_path`` holding the fitted estimator and its
test-set rows and scores, so a later challenger can be compared on exactly the same rows.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np

from warehouse import (GenrestoreError, SnapshotNotFound, UsageError, connect_readonly, database_dir, get_snapshot,
                       insert_rows, record_path, resolve_recorded)

from . import _metrics as M
from ._estimators import make_estimator
from ._preprocess import assert_fit_on_train
from ._tasks import TaskData, artist_families_data, dataset_task_data, kind_of


class ModelNotFound(GenrestoreError):
    exit_code = 2


class PromotionRefused(GenrestoreError):
    """The challenger did not beat the champion beyond the bootstrap margin."""


@dataclass
class ModelRecord:
    model_id: str
    task: str
    dataset: str
    estimator: str
    snapshot_id: str | None
    status: str
    headline_metric: str
    headline_value: float
    ci_low: float
    ci_high: float
    artifact_path: str
    metrics: dict[str, float]
    n_train: int
    n_test: int
    train_seconds: float
    decision: str | None = None
    per_label: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _new_id(task: str, dataset: str, estimator: str) -> str:
    return f"{task}-{dataset}-{estimator}-{_now().strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"


def load_artifact(con, recorded: str):
    """A model artifact, its path recorded relative to the warehouse ``con`` is open on (var/)."""
    return joblib.load(resolve_recorded(recorded, database_dir(con)))


def resolve_snapshot_id(settings, snapshot_id: str | None) -> str | None:
    """The id of the given (or latest) snapshot; None when nothing is published yet."""
    try:
        return get_snapshot(settings.snapshots_path, snapshot_id).snapshot_id
    except SnapshotNotFound:
        if snapshot_id is not None:
            raise
        return None


def load_task_data(writer, settings, task: str, snapshot_id: str | None, *, dataset: str | None = None,
                   protocol: str | None = None, feature_set: str | None = None) -> TaskData:
    """Task data for a snapshot: feature views (artist-families) or a data-set table."""
    kind_of(task)
    if task == "artist-families":
        if dataset not in (None, "warehouse"):
            raise UsageError("artist-families trains on the warehouse feature views; drop --dataset")
        if snapshot_id is None:
            raise UsageError("artist-families needs a snapshot with features built; run `genrestore snapshot create` and the build job")
        with writer.transaction() as con:
            return artist_families_data(con, snapshot_id)
    dataset = dataset or "music_genre"
    kwargs = dict(protocol=protocol or "artist-disjoint", feature_set=feature_set, snapshot_id=snapshot_id)
    if snapshot_id is not None:  # pinned: read the immutable snapshot file
        con = connect_readonly(get_snapshot(settings.snapshots_path, snapshot_id).path)
        try:
            return dataset_task_data(con, task, dataset, **kwargs)
        finally:
            con.close()
    with writer.transaction() as con:
        return dataset_task_data(con, task, dataset, **kwargs)


def fit_and_score(data: TaskData, estimator: str = "lightgbm", params: dict | None = None, *,
                  n_boot: int = 200, n_jobs: int | None = None):
    """Fit on the training rows, score the test rows; returns (model, scores, metrics, interval, per_label, seconds)."""
    from ._robust import ROBUST_ESTIMATORS, make_robust, protocol_metrics, untagged_interval

    if estimator in ROBUST_ESTIMATORS and data.kind == "multilabel":
        est = make_robust(data, params, n_jobs)
    else:
        est = make_estimator(data.kind, estimator, categorical=data.categorical, n_jobs=n_jobs, **(params or {}))
    tr, te = data.train, data.test
    started = time.perf_counter()
    if data.fold_X is not None:
        est.fit(data.X[tr], data.y[tr], data.cv_fold[tr], {f: M[tr] for f, M in data.fold_X.items()})
    else:
        est.fit(data.X[tr], data.y[tr], data.cv_fold[tr])
    seconds = time.perf_counter() - started
    assert_fit_on_train(est, data.X[tr])  # raises LeakageError if any statistic saw test rows
    scores, metrics, per_label = score(est, data.kind, data.X[te], data.y[te], data.label_names)
    groups = data.groups[te] if data.split_id.startswith("artist-disjoint") else None
    if data.kind == "multilabel":  # issue 16: calibration, decisions and the untagged-like protocol
        metrics.update(protocol_metrics(data, scores, est.predict(data.X[te])))
    if data.kind == "multilabel" and data.eval_weights is not None:  # the gate's headline
        interval = untagged_interval(data.y[te], scores, data.eval_weights[te], n_boot, groups)
    else:
        interval = M.bootstrap_ci(M.headline_fn(data.kind), data.y[te], scores, n_boot=n_boot, groups=groups)
    return est, scores, metrics, interval, per_label, seconds


def score(est, kind: str, X: np.ndarray, y: np.ndarray, label_names: list[str]):
    """(scores used by the headline metric, metrics dict, per-label rows)."""
    if kind == "multilabel":
        P = est.predict_proba(X)
        D = est.predict(X)
        metrics = M.multilabel_metrics(y, P, D)
        per_label = [dict(label=n, threshold=float(t), **row)
                     for n, t, row in zip(label_names, est.thresholds_, M.per_label_table(y, P, D))]
        return P, metrics, per_label
    if kind == "multiclass":
        P = _proba_all_classes(est, X, len(label_names))
        metrics = M.multiclass_metrics(y, P)
        per_label = []
        pred = P.argmax(axis=1)
        for j, n in enumerate(label_names):
            Yj = (y == j).astype(int)
            per_label.append(dict(label=n, support=int(Yj.sum()), recall=float((pred[y == j] == j).mean()) if Yj.any() else float("nan"),
                                  auroc=float(M.macro_auroc_ml(Yj[:, None], P[:, [j]]))))
        return P, metrics, per_label
    pred = est.predict(X)
    return pred, M.regression_metrics(y, pred), []


def _proba_all_classes(est, X, n_classes: int) -> np.ndarray:
    P = est.predict_proba(X)
    classes = np.asarray(getattr(est, "classes_", np.arange(P.shape[1]))).astype(int)
    out = np.zeros((len(X), n_classes))
    out[:, classes] = P
    return out


def train(writer, settings, task: str, snapshot_id: str | None = None, *, dataset: str | None = None,
          estimator: str = "lightgbm", protocol: str | None = None, feature_set: str | None = None,
          params: dict | None = None, n_boot: int = 200, n_jobs: int | None = None,
          data: TaskData | None = None) -> ModelRecord:
    """Train one model, evaluate it on the test rows, store artifact + registry rows.

    The model is recorded as a challenger; when its task and data set have no champion yet it
    becomes the champion (there is nothing to beat).
    """
    snap = resolve_snapshot_id(settings, snapshot_id)
    data = data or load_task_data(writer, settings, task, snap, dataset=dataset, protocol=protocol,
                                  feature_set=feature_set)
    est, scores, metrics, interval, per_label, seconds = fit_and_score(data, estimator, params, n_boot=n_boot, n_jobs=n_jobs)
    from ._robust import headline_of

    headline = headline_of(data)
    model_id = _new_id(task, data.dataset, estimator)
    models_dir = Path(settings.models_path)
    models_dir.mkdir(parents=True, exist_ok=True)
    artifact = models_dir / f"{model_id}.joblib"
    te = data.test
    joblib.dump({
        "model_id": model_id, "task": task, "kind": data.kind, "dataset": data.dataset, "estimator": est,
        "feature_names": data.feature_names, "categorical": data.categorical,
        "label_ids": data.label_ids, "label_names": data.label_names,
        "test": {"ids": data.ids[te], "y": data.y[te], "scores": scores, "X": data.X[te], "groups": data.groups[te],
                 "weights": None if data.eval_weights is None else data.eval_weights[te]},
        "split_id": data.split_id, "test_set_hash": data.test_set_hash(),
    }, artifact, compress=3)
    record = ModelRecord(
        model_id=model_id, task=task, dataset=data.dataset, estimator=estimator, snapshot_id=data.snapshot_id,
        status="challenger", headline_metric=headline, headline_value=interval.value, ci_low=interval.low,
        ci_high=interval.high, artifact_path=str(artifact), metrics=metrics, n_train=int(data.train.sum()),
        n_test=int(te.sum()), train_seconds=round(seconds, 3), per_label=per_label,
    )
    with writer.transaction() as con:
        con.execute(
            "INSERT INTO models (model_id, task, dataset, estimator, snapshot_id, taxonomy_version, feature_versions, "
            "split_id, params, artifact_path, status, headline_metric, headline_value, test_set_hash, n_train, n_test, "
            "train_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [model_id, task, data.dataset, estimator, data.snapshot_id, data.taxonomy_version,
             json.dumps(data.feature_versions, sort_keys=True), data.split_id,
             json.dumps({**_jsonable(est.get_params()), "feature_set": data.feature_set}, sort_keys=True),
             record_path(artifact, writer.path.parent), "challenger", headline, interval.value, data.test_set_hash(),
             record.n_train, record.n_test, record.train_seconds, _now()],
        )
        rows = []
        for name, value in metrics.items():
            is_head = name == headline
            rows.append(dict(model_id=model_id, metric=name, value=_f(value), ci_low=_f(interval.low) if is_head else None,
                             ci_high=_f(interval.high) if is_head else None, family_id=None, label=None,
                             support=record.n_test))
        for lid, row in zip(data.label_ids, per_label):
            for name, value in row.items():
                if name in ("label", "support"):
                    continue
                rows.append(dict(model_id=model_id, metric=name, value=_f(value), ci_low=None, ci_high=None,
                                 family_id=lid if data.kind == "multilabel" else None, label=row["label"],
                                 support=row["support"]))
        insert_rows(con, "model_metrics", rows)
        has_champion = con.execute(
            "SELECT count(*) FROM models WHERE task = ? AND dataset = ? AND status = 'champion'", [task, data.dataset]
        ).fetchall()[0][0]
    if not has_champion:
        _set_champion(writer, model_id, "first model of its task: no champion to beat")
        record.status, record.decision = "champion", "first model of its task: no champion to beat"
    return record


def _f(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def _jsonable(params: dict) -> dict:
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else list(v) if isinstance(v, tuple) else str(v))
            for k, v in params.items()}


# ───────────────────────────── compare and promote ─────────────────────────────

def _model_row(con, model_id: str) -> dict:
    rows = con.execute("SELECT * FROM models WHERE model_id = ?", [model_id]).fetchall()
    if not rows:
        matches = con.execute("SELECT model_id FROM models WHERE model_id LIKE ? || '%'", [model_id]).fetchall()
        if len(matches) != 1:
            raise ModelNotFound(f"{'no' if not matches else 'more than one'} model matches {model_id!r}")
        rows = con.execute("SELECT * FROM models WHERE model_id = ?", [matches[0][0]]).fetchall()
    cols = [d[0] for d in con.description]
    return dict(zip(cols, rows[0]))


def champion_of(con, task: str, dataset: str) -> dict | None:
    rows = con.execute(
        "SELECT model_id FROM models WHERE task = ? AND dataset = ? AND status = 'champion'", [task, dataset]
    ).fetchall()
    return _model_row(con, rows[0][0]) if rows else None


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


def compare(con, challenger_id: str, champion_id: str | None = None, *, n_boot: int = 300) -> Comparison | None:
    """Challenger vs champion on the challenger's test rows (paired bootstrap of the headline difference).

    When the two were tested on the same rows the stored test scores are used; otherwise the
    champion re-scores the challenger's test rows (features aligned by name, labels by id).
    Returns None when there is no champion to compare with.
    """
    ch = _model_row(con, challenger_id)
    champ = _model_row(con, champion_id) if champion_id else champion_of(con, ch["task"], ch["dataset"])
    if champ is None or champ["model_id"] == ch["model_id"]:
        return None
    a = load_artifact(con, ch["artifact_path"])
    b = load_artifact(con, champ["artifact_path"])
    kind = a["kind"]
    metric, higher = M.HEADLINE[kind]
    test = a["test"]
    y, s_a = test["y"], test["scores"]
    same = ch["test_set_hash"] == champ["test_set_hash"] and np.array_equal(np.asarray(test["ids"]), np.asarray(b["test"]["ids"]))
    note = ""
    if same:
        s_b = b["test"]["scores"]
    else:
        Xb = _align_features(test["X"], a["feature_names"], b["feature_names"])
        if kind == "multilabel":
            s_b_full = b["estimator"].predict_proba(Xb)
            common = [i for i in a["label_ids"] if i in set(b["label_ids"])]
            if not common:
                raise PromotionRefused("champion and challenger share no labels (taxonomy changed completely); use --force")
            ia = [a["label_ids"].index(i) for i in common]
            ib = [b["label_ids"].index(i) for i in common]
            y, s_a, s_b = y[:, ia], s_a[:, ia], s_b_full[:, ib]
            note = f"champion re-scored on the challenger's test rows ({len(common)} shared families)"
        elif kind == "multiclass":
            s_b = _proba_all_classes(b["estimator"], Xb, len(b["label_ids"]))
            if list(a["label_ids"]) != list(b["label_ids"]):
                raise PromotionRefused("champion and challenger predict different classes; use --force")
            note = "champion re-scored on the challenger's test rows"
        else:
            s_b = b["estimator"].predict(Xb)
            note = "champion re-scored on the challenger's test rows"
    groups = test["groups"] if str(ch["split_id"]).startswith("artist-disjoint") else None
    fn = M.headline_fn(kind)
    if test.get("weights") is not None:  # issue 16: the gate compares the untagged-like figure
        from ._protocols import packed, weighted_macro_auprc
        from ._robust import UNTAGGED_HEADLINE

        fn, metric, y = packed(weighted_macro_auprc), UNTAGGED_HEADLINE, np.column_stack([y, test["weights"]])
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

    Raises :class:`PromotionRefused` (leaving the registry unchanged) when it does not, unless
    ``force``. Returns the comparison (None when there was no champion).
    """
    with writer.transaction() as con:
        row = _model_row(con, model_id)
        if row["status"] == "champion":
            return None
        comparison = compare(con, row["model_id"], n_boot=n_boot)
    if comparison is not None and not comparison.challenger_better and not force:
        decision = "not promoted: " + comparison.describe()
        with writer.transaction() as con:
            con.execute("UPDATE models SET decision = ? WHERE model_id = ?", [decision, row["model_id"]])
        refused = PromotionRefused(decision)
        refused.comparison = comparison
        raise refused
    decision = ("promoted: no champion to beat" if comparison is None else
                ("promoted: " if comparison.challenger_better else "promoted by force: ") + comparison.describe())
    _set_champion(writer, row["model_id"], decision)
    return comparison


def _set_champion(writer, model_id: str, decision: str) -> None:
    with writer.transaction() as con:
        row = _model_row(con, model_id)
        con.execute("UPDATE models SET status = 'retired' WHERE task = ? AND dataset = ? AND status = 'champion'",
                    [row["task"], row["dataset"]])
        con.execute("UPDATE models SET status = 'champion', promoted_at = ?, decision = ? WHERE model_id = ?",
                    [_now(), decision, model_id])


# ───────────────────────────── reading the registry ─────────────────────────────

def list_models(con, task: str | None = None) -> list[dict]:
    sql = ("SELECT model_id, task, dataset, estimator, status, snapshot_id, headline_metric, headline_value, "
           "n_train, n_test, train_seconds, created_at FROM models")
    params = []
    if task:
        sql += " WHERE task = ?"
        params.append(task)
    cur = con.execute(sql + " ORDER BY created_at, model_id", params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def show_model(con, model_id: str) -> dict:
    row = _model_row(con, model_id)
    cur = con.execute(
        "SELECT metric, value, ci_low, ci_high, family_id, label, support FROM model_metrics WHERE model_id = ? "
        "ORDER BY label NULLS FIRST, metric", [row["model_id"]])
    cols = [d[0] for d in cur.description]
    metrics = [dict(zip(cols, r)) for r in cur.fetchall()]
    row["params"] = json.loads(row["params"])
    row["feature_versions"] = json.loads(row["feature_versions"] or "{}")
    row["metrics"] = [m for m in metrics if m["label"] is None]
    row["per_label"] = [m for m in metrics if m["label"] is not None]
    return row
