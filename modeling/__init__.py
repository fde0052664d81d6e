"""Models of genrestore: tasks, estimators, metrics, the model registry, predictions, reproduction.

Tasks: ``artist-families`` (multi-label, from the feature views), ``track-genre`` (single label),
``popularity`` and ``duration`` (regression) on the imported data sets. Estimators: LightGBM
and baselines (prevalence/mean, logistic/linear, random forest). Public entry points are the
functions below; the scheduled retrain job calls :func:`retrain`.

Threads per model come from the ``modeling.jobs`` setting (passed down as ``n_jobs``). A process
that fits LightGBM models on a shared machine should set ``OMP_WAIT_POLICY=PASSIVE`` before
LightGBM loads; the ``genrestore`` command does (see ``jobs.cli.main``).
"""

from ._boosted import LightGBMClassifier, LightGBMFamilies, LightGBMRegressor
from ._errors import ModelingError
from ._estimators import ESTIMATORS, make_estimator
from ._fit import fit_and_score
from ._leakage import LeakageError, assert_fit_on_train
from ._metrics import (
    HEADLINE,
    Interval,
    PairedComparison,
    bootstrap_ci,
    multiclass_metrics,
    multilabel_metrics,
    paired_bootstrap,
    per_label_table,
    regression_metrics,
)
from ._predict import RetrainResult, explain_artist, predict, retrain
from ._preprocess import make_preprocessor
from ._promotion import Comparison, PromotionRefused, compare, promote
from ._registry import ModelNotFound, ModelRecord, champion_of, list_models, show_model
from ._reproduce import reproduce
from ._settings import ModelingSettings
from ._tasks import DATASETS, FEATURE_SETS, PROTOCOLS, TASKS, TaskData, dataset_task_data, load_task_data, split_rows
from ._thresholds import decode, tune_thresholds
from ._train import train

__all__ = [
    "Comparison", "DATASETS", "ESTIMATORS", "FEATURE_SETS", "HEADLINE", "Interval", "LeakageError",
    "LightGBMClassifier", "LightGBMFamilies", "LightGBMRegressor", "ModelNotFound", "ModelRecord",
    "ModelingError", "ModelingSettings",
    "PROTOCOLS", "PairedComparison", "PromotionRefused", "RetrainResult", "TASKS", "TaskData",
    "assert_fit_on_train", "bootstrap_ci", "champion_of", "compare", "dataset_task_data", "decode",
    "explain_artist", "fit_and_score", "list_models", "load_task_data", "make_estimator", "make_preprocessor",
    "multiclass_metrics", "multilabel_metrics", "paired_bootstrap", "per_label_table", "predict",
    "promote", "regression_metrics", "reproduce", "retrain", "show_model", "split_rows", "train",
    "tune_thresholds",
]
