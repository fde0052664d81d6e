"""The research bench: every experiment of the projects genrestore grew from, named and rerunnable.

Each experiment is an :class:`Experiment` in :data:`EXPERIMENTS` (name, source project, protocol,
parameters, the published figures it stands beside) whose ``run_fn(context, parameters)`` returns
figures and artifacts. :func:`run_experiment` times one run and turns it into an
:class:`ExperimentRun` (done, failed or skipped); :func:`record` stores it in the ``experiments``
table through the single ``warehouse.Writer``. Everything is fit on training rows only; pipelines
with imputers or scalers pass ``modeling.assert_fit_on_train``.
"""

from __future__ import annotations

import time
import traceback
import warnings

from sklearn.exceptions import ConvergenceWarning

from ._base import Context, DatasetMissing, Experiment, Outcome, families_from
from . import _store
from ._store import ExperimentRun, history, latest_runs, record
from . import _coarse_fine, _imputation, _lda, _multitask, _search, _text, _transfer

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    _multitask.EXPERIMENT,
    _text.EXPERIMENT,
    _lda.EXPERIMENT,
    _imputation.EXPERIMENT,
    _transfer.EXPERIMENT,
    _search.EXPERIMENT,
    _coarse_fine.EXPERIMENT,
)}


def get(name: str) -> Experiment:
    from warehouse import UsageError

    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UsageError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}") from None


def run_experiment(ctx: Context, name: str, overrides: dict | None = None) -> ExperimentRun:
    """Run one experiment; never raises for the experiment's own failure (status ``failed``)."""
    exp = get(name)
    params = exp.parameters(overrides)
    started = time.perf_counter()
    status, error, outcome = "done", None, Outcome({}, {})
    try:
        ctx.require(*exp.datasets)
        with warnings.catch_warnings():  # a net stopping at max_iter is a parameter choice, not news
            warnings.simplefilter("ignore", ConvergenceWarning)
            outcome = exp.run_fn(ctx, params)
    except DatasetMissing as exc:
        status, error = "skipped", str(exc)
    except Exception as exc:  # one broken experiment must not lose the others' results
        status = "failed"
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:400]}"
        outcome = Outcome({}, {"traceback": traceback.format_exc(limit=8)})
    figures = dict(outcome.figures)
    for k, v in exp.published.items():
        figures.setdefault(f"published_{k}", v)
    return ExperimentRun(
        run_id=_store.new_run_id(name), name=name, source=exp.source, protocol=exp.protocol, parameters=params,
        figures=figures if status == "done" else {}, artifacts=outcome.artifacts,
        seconds=time.perf_counter() - started, snapshot_id=ctx.snapshot_id, seed=ctx.seed, status=status,
        error=error, created_at=_store.utcnow(),
    )


__all__ = ["Context", "DatasetMissing", "EXPERIMENTS", "Experiment", "ExperimentRun", "Outcome", "families_from",
           "get", "history", "latest_runs", "record", "run_experiment"]
