"""Train one model: load the task's rows, fit and score, write the artifact, record it in the registry.

The model is recorded as a challenger; when its task and data set have no champion yet it
becomes the champion (there is nothing to beat).
"""

from __future__ import annotations

from pathlib import Path

from ._artifacts import ModelArtifact
from ._fit import fit_and_score
from ._registry import ModelRecord, champion_of, new_model_id, record_model, set_champion
from ._tasks import TaskData, load_task_data, resolve_snapshot_id

FIRST_MODEL = "first model of its task: no champion to beat"


def train(writer, settings, task: str, snapshot_id: str | None = None, *, dataset: str | None = None,
          estimator: str = "lightgbm", protocol: str | None = None, feature_set: str | None = None,
          params: dict | None = None, n_boot: int = 200, n_jobs: int | None = None,
          data: TaskData | None = None, development_mode: bool = True) -> ModelRecord:
    """Train one model, evaluate it on the test rows, store artifact + registry rows.

    ``n_jobs`` defaults to the ``modeling.jobs`` setting. An artist-families model also gets
    its figures per protocol with intervals, and (``development_mode``) is fit once more on the
    development-mode columns for the ``development_mode_*`` figures
    (:func:`modeling._protocol_figures.protocol_extras`).
    """
    snap = resolve_snapshot_id(settings, snapshot_id)
    data = data or load_task_data(writer, settings, task, snap, dataset=dataset, protocol=protocol,
                                  feature_set=feature_set)
    est, scores, metrics, interval, per_label, seconds = fit_and_score(
        data, estimator, params, n_boot=n_boot, n_jobs=n_jobs or settings.modeling.jobs)
    from ._protocol_figures import protocol_extras
    from ._robust import headline_of

    intervals: dict = {}
    if data.kind == "multilabel":
        extra, intervals = protocol_extras(data, estimator, params, scores, n_boot=n_boot,
                                           n_jobs=n_jobs or settings.modeling.jobs, development_mode=development_mode)
        metrics = {**metrics, **extra}

    model_id = new_model_id(task, data.dataset, estimator)
    models_dir = Path(settings.models_path)
    models_dir.mkdir(parents=True, exist_ok=True)
    artifact = ModelArtifact.of(model_id, data, est, scores).save(models_dir / f"{model_id}.joblib")
    record = ModelRecord(
        model_id=model_id, task=task, dataset=data.dataset, estimator=estimator, snapshot_id=data.snapshot_id,
        status="challenger", headline_metric=headline_of(data), headline_value=interval.value,
        ci_low=interval.low, ci_high=interval.high, artifact_path=str(artifact), metrics=metrics,
        n_train=int(data.train.sum()), n_test=int(data.test.sum()), train_seconds=round(seconds, 3),
        per_label=per_label, intervals=intervals,
    )
    record_model(writer, record, data, est.get_params())
    with writer.transaction() as con:
        has_champion = champion_of(con, task, data.dataset) is not None
    if not has_champion:
        set_champion(writer, model_id, FIRST_MODEL)
        record.status, record.decision = "champion", FIRST_MODEL
    return record
