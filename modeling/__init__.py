"""Models of genrestore: tasks, estimators, metrics, the model registry, predictions, reproduction.

Tasks: ``artist-families`` (multi-label, from the feature views), ``track-genre`` (single label),
``popularity`` and ``duration`` (regression) on the imported data sets. Estimators: LightGBM
and baselines (prevalence/mean, logistic/linear, random forest). Public entry points are the
functions below; the scheduled retrain job calls :func:`retrain`.
"""

import os as _os

# LightGBM's OpenMP threads spin while idle; on a shared 2-core machine that starves every other
# process (measured: 12x slower fits). Passive waiting must be chosen before OpenMP starts.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._estimators import (  # noqa: E402
    ESTIMATORS,
    LightGBMClassifier,
    LightGBMFamilies,
    LightGBMRegressor,
    decode,
    make_estimator,
    tune_thresholds,
)
from ._metrics import (  # noqa: E402
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
from ._predict import RetrainResult, predict, retrain  # noqa: E402
from ._preprocess import LeakageError, assert_fit_on_train, make_preprocessor  # noqa: E402
from ._registry import (  # noqa: E402
    Comparison,
    ModelNotFound,
    ModelRecord,
    PromotionRefused,
    champion_of,
    compare,
    fit_and_score,
    list_models,
    load_task_data,
    promote,
    show_model,
    train,
)
from ._tasks import DATASETS, FEATURE_SETS, PROTOCOLS, TASKS, TaskData, dataset_task_data, split_rows  # noqa: E402
from ._reproduce import reproduce  # noqa: E402

__all__ = [
    "Comparison", "DATASETS", "ESTIMATORS", "FEATURE_SETS", "HEADLINE", "Interval", "LeakageError",
    "LightGBMClassifier", "LightGBMFamilies", "LightGBMRegressor", "ModelNotFound", "ModelRecord",
    "PROTOCOLS", "PairedComparison", "PromotionRefused", "RetrainResult", "TASKS", "TaskData",
    "assert_fit_on_train", "bootstrap_ci", "champion_of", "compare", "dataset_task_data", "decode",
    "fit_and_score", "list_models", "load_task_data", "make_estimator", "make_preprocessor",
    "multiclass_metrics", "multilabel_metrics", "paired_bootstrap", "per_label_table", "predict",
    "promote", "regression_metrics", "reproduce", "retrain", "show_model", "split_rows", "train",
    "tune_thresholds",
]
