"""Models of genrestore: tasks, estimators, metrics, the model registry, predictions, reproduction.

Tasks: ``artist-families`` (multi-label, from the feature views), ``track-genre`` (single label),
``popularity`` and ``duration`` (regression) on the imported data sets. Estimators: LightGBM
and baselines (prevalence/mean, logistic/linear, random forest). Public entry points are the
functions below; the scheduled retrain job calls :func:`retrain`.

Threads per model come from the ``modeling.jobs`` setting (passed down as ``n_jobs``). A process
that fits LightGBM models on a shared machine should set ``OMP_WAIT_POLICY=PASSIVE`` before
LightGBM loads; the ``genrestore`` command does (see ``jobs.cli.main``).
"""

from warehouse import lazy_getattr

from ._errors import ModelingError
from ._settings import ModelingSettings

# Everything else loads on first use. Every `genrestore` command loads the settings, and so this
# package for ModelingSettings; importing the models with it (LightGBM, scikit-learn, SciPy) took
# 8 s of each command's start on the loaded 2-core machine, and OpenMP must load only after
# `warehouse.prepare_process()`.
_LAZY = {
    "HeldOutRows": "_artifacts", "ModelArtifact": "_artifacts",
    "LightGBMClassifier": "_boosted", "LightGBMFamilies": "_boosted", "LightGBMRegressor": "_boosted",
    "ESTIMATORS": "_estimators", "make_estimator": "_estimators",
    "fit_and_score": "_fit",
    "LeakageError": "_leakage", "assert_fit_on_train": "_leakage",
    "HEADLINE": "_metrics", "Interval": "_metrics", "PairedComparison": "_metrics",
    "bootstrap_ci": "_metrics", "multiclass_metrics": "_metrics", "multilabel_metrics": "_metrics",
    "paired_bootstrap": "_metrics", "per_label_table": "_metrics", "regression_metrics": "_metrics",
    "MetricRow": "_model_reads", "RegisteredModel": "_model_reads", "champion_before": "_model_reads",
    "find_model": "_model_reads", "load_artifact": "_model_reads", "model_metrics": "_model_reads",
    "newest_model": "_model_reads",
    "RETRAIN_ESTIMATOR": "_predict", "RetrainResult": "_predict", "explain_artist": "_predict",
    "predict": "_predict", "retrain": "_predict",
    "PredictedArtist": "_prediction_summary", "PredictionSummary": "_prediction_summary",
    "TopFamily": "_prediction_summary", "predicted_artists": "_prediction_summary",
    "prediction_summary": "_prediction_summary",
    "make_preprocessor": "_preprocess",
    "Comparison": "_promotion", "PromotionRefused": "_promotion", "compare": "_promotion",
    "promote": "_promotion",
    "PROTOCOL_ORDER": "_protocol_figures", "calibration_figures": "_protocol_figures",
    "protocol_figures": "_protocol_figures",
    "ModelNotFound": "_registry", "ModelRecord": "_registry", "champion_of": "_registry",
    "list_models": "_registry", "show_model": "_registry",
    "reproduce": "_reproduce",
    "DATASETS": "_tasks", "FEATURE_SETS": "_tasks", "PROTOCOLS": "_tasks", "TASKS": "_tasks",
    "TaskData": "_tasks", "artist_families_data": "_tasks", "dataset_task_data": "_tasks",
    "load_task_data": "_tasks", "split_rows": "_tasks",
    "decode": "_thresholds", "tune_thresholds": "_thresholds",
    "train": "_train",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = [
    "Comparison", "DATASETS", "ESTIMATORS", "FEATURE_SETS", "HEADLINE", "HeldOutRows", "Interval",
    "LeakageError", "LightGBMClassifier", "LightGBMFamilies", "LightGBMRegressor", "MetricRow",
    "ModelArtifact", "ModelNotFound", "ModelRecord", "ModelingError", "ModelingSettings", "PROTOCOLS",
    "PROTOCOL_ORDER", "PairedComparison", "PredictedArtist", "PredictionSummary", "PromotionRefused",
    "RETRAIN_ESTIMATOR", "RegisteredModel", "RetrainResult", "TASKS", "TaskData", "TopFamily",
    "artist_families_data", "assert_fit_on_train", "bootstrap_ci", "calibration_figures", "champion_before",
    "champion_of", "compare", "dataset_task_data", "decode", "explain_artist", "find_model", "fit_and_score",
    "list_models", "load_artifact", "load_task_data", "make_estimator", "make_preprocessor", "model_metrics",
    "multiclass_metrics", "multilabel_metrics", "newest_model", "paired_bootstrap", "per_label_table",
    "predict", "predicted_artists", "prediction_summary", "promote", "protocol_figures", "regression_metrics",
    "reproduce", "retrain", "show_model", "split_rows", "train", "tune_thresholds",
]
