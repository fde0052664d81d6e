"""``JobsError``: the base of every error the jobs package raises (below ``warehouse.GenrestoreError``);
e.g. ``SchedulerLockedError``."""

from __future__ import annotations

from warehouse import GenrestoreError


class JobsError(GenrestoreError):
    """A job, the scheduler or the report refused something; the message is one line for a person."""
