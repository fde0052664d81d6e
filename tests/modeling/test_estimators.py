"""Estimators by name: unknown parameters are refused, and the thread count is a setting."""

from __future__ import annotations

import pytest

import modeling
import modeling._estimators
from modeling._estimators import _FACTORIES
from jobs import load_settings
from warehouse import ConfigError, UsageError


def test_an_unknown_parameter_is_a_usage_error_naming_the_valid_ones():
    with pytest.raises(UsageError, match=r"unknown parameter 'n_estimators' for the logistic estimator "
                                         r"\(multiclass\); valid: categorical, n_jobs$"):
        modeling.make_estimator("multiclass", "logistic", n_estimators=5)
    with pytest.raises(UsageError, match=r"'mlp_seeds'.*valid: .*learning_rate.*num_leaves"):
        modeling.make_estimator("multilabel", "lightgbm", n_estimators=5, mlp_seeds=2)
    est = modeling.make_estimator("multiclass", "lightgbm+mlp", n_estimators=5, mlp_seeds=2)
    assert (est.n_estimators, est.mlp_seeds) == (5, 2)


def test_every_estimator_class_loads_by_the_name_older_artifacts_pickled():
    """Artifacts written before the estimators moved into their own modules name them
    ``modeling._estimators.<class>``; champions trained then must still load."""
    classes = {cls for by_name in _FACTORIES.values() for cls in by_name.values()}
    for cls in classes:
        assert getattr(modeling._estimators, cls.__name__) is cls
    from modeling._multilabel import WithConstants

    assert modeling._estimators._WithConstants is WithConstants  # inside fitted LogisticFamilies


def test_model_threads_are_the_modeling_jobs_setting(settings, monkeypatch):
    assert settings.modeling.jobs == 2
    monkeypatch.setenv("GENRESTORE_MODELING__JOBS", "1")
    assert load_settings().modeling.jobs == 1
    monkeypatch.setenv("GENRESTORE_MODELING__JOBS", "0")
    with pytest.raises(ConfigError, match=r"modeling\.jobs"):
        load_settings()
