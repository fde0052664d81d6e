"""Threads per model fit: the caller's ``n_jobs``, else the default of the ``modeling.jobs`` setting.

Callers that hold the settings (``train``, ``retrain``, the CLI) pass ``settings.modeling.jobs``
down as ``n_jobs``; a library caller that passes nothing gets the setting's declared default.
The environment is read by the settings alone, never here.
"""

from __future__ import annotations

from ._settings import ModelingSettings

DEFAULT_JOBS = ModelingSettings().jobs


def n_threads(n_jobs: int | None) -> int:
    return n_jobs or DEFAULT_JOBS
