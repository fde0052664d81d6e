"""A trained model's file: the fitted estimator and its test rows, as written under ``models_path``.

The file is a joblib dump of a plain dict (the keys below), so artifacts written by earlier
versions load unchanged. It keeps the test rows' ids, targets, scores and features, so a later
challenger can be compared with this model on exactly the same rows, or the model re-scored on
another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import BaseEstimator

from warehouse import database_dir, resolve_recorded

from ._tasks import TaskData


@dataclass
class HeldOutRows:
    """The test rows a model was scored on."""

    ids: np.ndarray
    y: np.ndarray
    scores: np.ndarray
    X: np.ndarray
    groups: np.ndarray
    # Issue 16: the untagged-like importance weights of these rows; None when the task has none.
    weights: np.ndarray | None = None


@dataclass
class ModelArtifact:
    model_id: str
    task: str
    kind: str
    dataset: str
    estimator: BaseEstimator
    feature_names: list[str]
    categorical: list[int]
    label_ids: list[str]
    label_names: list[str]
    test: HeldOutRows
    split_id: str
    test_set_hash: str

    @classmethod
    def of(cls, model_id: str, data: TaskData, estimator: BaseEstimator, scores: np.ndarray) -> ModelArtifact:
        """The artifact of ``estimator`` fit on ``data``'s training rows, ``scores`` on its test rows."""
        te = data.test
        return cls(model_id, data.task, data.kind, data.dataset, estimator, data.feature_names, data.categorical,
                   data.label_ids, data.label_names,
                   HeldOutRows(data.ids[te], data.y[te], scores, data.X[te], data.groups[te],
                               None if data.eval_weights is None else data.eval_weights[te]),
                   data.split_id, data.test_set_hash())

    def save(self, path: Path) -> Path:
        t = self.test
        joblib.dump({
            "model_id": self.model_id, "task": self.task, "kind": self.kind, "dataset": self.dataset,
            "estimator": self.estimator, "feature_names": self.feature_names, "categorical": self.categorical,
            "label_ids": self.label_ids, "label_names": self.label_names,
            "test": {"ids": t.ids, "y": t.y, "scores": t.scores, "X": t.X, "groups": t.groups,
                     "weights": t.weights},
            "split_id": self.split_id, "test_set_hash": self.test_set_hash,
        }, path, compress=3)
        return path

    @classmethod
    def load_recorded(cls, con, recorded: str) -> ModelArtifact:
        """The artifact whose path the registry on ``con`` recorded (relative to its var/)."""
        return cls.load(resolve_recorded(recorded, database_dir(con)))

    @classmethod
    def load(cls, path: str | Path) -> ModelArtifact:
        raw = joblib.load(path)
        t = raw["test"]
        return cls(raw["model_id"], raw["task"], raw["kind"], raw["dataset"], raw["estimator"],
                   list(raw["feature_names"]), list(raw["categorical"]), list(raw["label_ids"]),
                   list(raw["label_names"]), HeldOutRows(t["ids"], t["y"], t["scores"], t["X"], t["groups"],
                                                          t.get("weights")),
                   raw["split_id"], raw["test_set_hash"])
