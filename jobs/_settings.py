"""``Settings``: every setting of genrestore, composed here, at the top, from the sections the packages own.

Each package declares its own settings beside its code and ``warehouse.settings`` resolves them (one
resolver: defaults < genrestore.toml < ``GENRESTORE_*`` environment < overrides, secrets masked):

====================  =========================================  ===============================
keys                  declared in                                read by
====================  =========================================  ===============================
paths, ``sql``, ...   ``warehouse.WarehouseSettings``            every package
``api_url``, ...,     ``ingest.CrawlerSettings``,                the Spotify client, the crawl
``crawl``             ``ingest.CrawlSettings``
``imports``           ``ingest.ImportSettings``                  the data-set importers
``modeling``          ``modeling.ModelingSettings``              model fits
``schedules``         ``jobs.JobSchedule``                       the scheduler
====================  =========================================  ===============================

Only this package may import all of them (it is the only one that imports every other), so the full
object is composed here; a lower package's code types its ``settings`` parameter with the class of
its own layer (``CrawlerSettings``, ``WarehouseSettings``) and receives this one.

Importing this module imports modeling, and with it LightGBM, whose OpenMP reads
``OMP_WAIT_POLICY`` once, when it loads: so the rest of jobs imports it for types only
(``TYPE_CHECKING``) and ``jobs`` exports it on first use, after ``warehouse.prepare_process``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from ingest import CrawlerSettings, ImportSettings
from modeling import ModelingSettings

from ._schedule_settings import JobSchedule, default_schedules
from ._scheduler import check_schedules


class Settings(CrawlerSettings):
    """Every setting of genrestore, with its default and what it is for."""

    imports: ImportSettings = Field(default_factory=ImportSettings)
    modeling: ModelingSettings = Field(default_factory=ModelingSettings)
    schedules: dict[str, JobSchedule] = Field(default_factory=default_schedules)

    @field_validator("schedules")
    @classmethod
    def _known_jobs(cls, schedules: dict[str, JobSchedule]) -> dict[str, JobSchedule]:
        check_schedules(schedules)  # ConfigError, not ValueError: its message already names the key
        return schedules


def load_settings(config: Path | str | None = None, **overrides: Any) -> Settings:
    """:class:`Settings` resolved from defaults, the settings file, environment and ``overrides``
    (None = not given); ``config`` names the settings file (default: ``GENRESTORE_CONFIG``, else
    genrestore.toml). Raises ``ConfigError`` naming the key of an invalid value."""
    return Settings.resolve(config, **overrides)
