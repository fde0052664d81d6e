"""The ``schedules`` section: when each job runs (``[schedules.crawl] interval_seconds = 3600``).

Declared here, composed into ``jobs.Settings`` and resolved by ``warehouse.settings``. Kept apart from
the composed object because the scheduler needs it at import, and the composed object imports
modeling (and so LightGBM, which must load after ``jobs.cli.main`` prepared the process).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError


class JobSchedule(BaseModel):
    """When a job runs: every ``interval_seconds`` or on a ``cron`` expression."""

    interval_seconds: float | None = Field(None, gt=0)
    cron: str | None = None
    enabled: bool = True
    misfire_grace_seconds: float | None = Field(
        None, gt=0, description="How late a missed run may still start (default chosen per job by jobs)."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Keyword options for the job, e.g. max_minutes for crawl."
    )

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, cron: str | None) -> str | None:
        # APScheduler's own parser, so what loads here is exactly what the scheduler accepts.
        from datetime import timezone

        from apscheduler.triggers.cron import CronTrigger

        if cron is not None:
            try:
                CronTrigger.from_crontab(cron, timezone=timezone.utc)
            except ValueError as exc:
                raise PydanticCustomError("cron", "{reason}", {"reason": str(exc)}) from None
        return cron

    @model_validator(mode="after")
    def _one_timing(self) -> "JobSchedule":
        if self.enabled and (self.interval_seconds is None) == (self.cron is None):
            got = (f"interval_seconds={self.interval_seconds:g} and cron={self.cron!r}" if self.cron
                   else "neither; a configured schedule replaces the default one")
            raise PydanticCustomError(
                "schedule_timing", "give exactly one of interval_seconds or cron (got {got})", {"got": got}
            )
        return self


def default_schedules() -> dict[str, JobSchedule]:
    """The schedule of each job when the settings name none (a configured one replaces its entry)."""
    return {
        "crawl": JobSchedule(interval_seconds=3600),
        "refresh": JobSchedule(cron="0 3 * * *"),
        "snapshot": JobSchedule(cron="30 4 * * *"),
        "build": JobSchedule(cron="0 5 * * *"),
        "retrain": JobSchedule(cron="30 5 * * *"),
        "report": JobSchedule(cron="0 6 * * *"),
        "publish": JobSchedule(cron="30 6 * * *"),
        "prune": JobSchedule(cron="0 7 * * *"),
    }
