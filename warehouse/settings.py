"""One typed settings object for the whole system.

Resolved in one place, lowest precedence first:

1. defaults declared below (each field carries its help text),
2. ``genrestore.toml`` in the working directory, or the file given to :func:`load_settings` as
   ``config`` (``genrestore --config``), else named by ``GENRESTORE_CONFIG``; a relative path in
   it is relative to the file, not to the working directory,
3. environment variables ``GENRESTORE_*`` (nested keys with ``__``, e.g.
   ``GENRESTORE_CRAWL__BUDGET_PER_WINDOW=120``), plus ``SPOTIFY_CLIENT_ID`` /
   ``SPOTIFY_CLIENT_SECRET`` for the credentials,
4. keyword overrides, which is how command-line options arrive.

Every path setting is made absolute once, here: cron and systemd start commands in other working
directories, and a path recorded relative to where a command happened to run is wrong elsewhere.
An invalid value raises :class:`~warehouse.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError

SPOTIFY_API_URL = "https://api.spotify.com/v1"
SPOTIFY_TOKEN_URL = "https://accounts.spotify.com/api/token"

# The settings file load_settings was given; read by Settings' sources while it builds the object.
_config_file: ContextVar[Path | None] = ContextVar("genrestore_config_file", default=None)

_PATH_KEYS = ("var_dir", "warehouse_path", "snapshots_dir", "models_dir", "reports_dir", "data_dir")


def project_root() -> Path:
    """The checkout genrestore runs from (the folder holding its pyproject.toml), else the working
    directory (an installed copy has no checkout to be relative to)."""
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


def default_data_dir() -> Path:
    """``../shared/data`` next to the checkout, wherever the command runs from."""
    return _absolute(Path("../shared/data"), project_root())


def _absolute(path: Path, base: Path | None = None) -> Path:
    """``path`` made absolute against ``base`` (default: the working directory), ``~`` expanded,
    ``..`` folded; symlinks are kept as the user wrote them."""
    path = path.expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else (base or Path.cwd()) / path))


class _TomlSource(TomlConfigSettingsSource):
    """genrestore.toml, with its relative paths taken relative to the file itself."""

    def _read_file(self, file_path):
        data = super()._read_file(file_path)
        base = Path(file_path).resolve().parent
        for key in _PATH_KEYS:
            if isinstance(data.get(key), str):
                data[key] = str(_absolute(Path(data[key]), base))
        return data


class CrawlSettings(BaseModel):
    budget_per_window: int = Field(
        90, ge=1, description="Requests the limiter allows per rolling window (Spotify publishes none)."
    )
    window_seconds: float = Field(30.0, gt=0, description="Length of the rolling rate-limit window.")
    budget_ceiling: int = Field(
        3000, ge=1, description="The limiter never allows more requests per window than this, however far "
        "budget discovery goes."
    )
    budget_ramp: bool = Field(
        True, description="Discover the limit: start from budget_per_window (or the budget an earlier run "
        "learned for these credentials and mode), double it after every window it was (three quarters) used in until the first "
        "429, then adapt (AIMD). Off: budget_per_window is also the most the limiter allows."
    )
    max_retry_after: float = Field(
        900.0, ge=0, description="A Retry-After longer than this ends the run and records 'paused until'."
    )
    concurrency: int = Field(8, ge=1, le=64, description="In-flight requests at most.")
    timeout: float = Field(10.0, gt=0, description="Seconds before an HTTP call times out.")
    max_attempts: int = Field(6, ge=1, description="Attempts per request for timeouts, 5xx, bad bodies.")
    market: str | None = Field("US", description="Market passed on catalog calls (None: omit).")


# Default of ``imports.max_field_bytes``; the importer functions take it as their default too.
MAX_FIELD_BYTES = 1 << 20


class ImportSettings(BaseModel):
    max_field_bytes: int = Field(
        MAX_FIELD_BYTES, ge=1,
        description="A data-set field longer than this many bytes (UTF-8) rejects its row "
        "(recorded in rejects with file, line and reason); default 1 MiB.",
    )


class SqlSettings(BaseModel):
    """Limits of `genrestore sql` (each overridable per call with --timeout / --max-rows)."""

    timeout_seconds: float = Field(
        300.0, ge=0, description="Interrupt a query still running after this many seconds (0: no limit)."
    )
    max_rows: int = Field(
        1_000_000, ge=0, description="Refuse a result longer than this; add a LIMIT (0: no cap)."
    )


class ModelingSettings(BaseModel):
    jobs: int = Field(
        2, ge=1, description="Threads per model fit (LightGBM, random forests; artist families: boosters fit "
        "side by side). 1 on a busy machine."
    )


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


# Job names and options belong to the jobs package, which depends on this one: it registers a check
# here so that a schedule naming an unknown job or option fails when the settings load.
_schedule_checks: list[Callable[[dict[str, JobSchedule]], None]] = []


def register_schedule_check(check: Callable[[dict[str, JobSchedule]], None]) -> None:
    """Run ``check(schedules)`` whenever settings load; it raises ConfigError naming the bad key."""
    if check not in _schedule_checks:
        _schedule_checks.append(check)


class Settings(BaseSettings):
    """Every setting of genrestore, with its default and what it is for."""

    model_config = SettingsConfigDict(
        env_prefix="GENRESTORE_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    var_dir: Path = Field(Path("var"), description="Root of everything genrestore writes.")
    warehouse_path: Path | None = Field(None, description="Live DuckDB file (default var/warehouse.duckdb).")
    snapshots_dir: Path | None = Field(None, description="Published snapshots (default var/snapshots).")
    models_dir: Path | None = Field(None, description="Model artifacts (default var/models).")
    reports_dir: Path | None = Field(None, description="Nightly reports (default var/reports).")
    data_dir: Path = Field(
        Path("../shared/data"),
        description="Public data sets (MusicOSet, music_genre, ...); env GENRESTORE_DATA. The default is "
        "../shared/data beside the genrestore checkout (not the working directory).",
        validation_alias=AliasChoices("data_dir", "GENRESTORE_DATA", "GENRESTORE_DATA_DIR"),
    )
    api_url: str = Field(SPOTIFY_API_URL, description="Spotify-compatible API base URL (or the emulator's).")
    token_url: str | None = Field(
        None, description="Token endpoint; follows from api_url when unset."
    )
    client_id: str | None = Field(
        None,
        description="Spotify client id (SPOTIFY_CLIENT_ID).",
        validation_alias=AliasChoices("client_id", "SPOTIFY_CLIENT_ID", "GENRESTORE_CLIENT_ID"),
    )
    client_secret: SecretStr | None = Field(
        None,
        description="Spotify client secret (SPOTIFY_CLIENT_SECRET); never printed.",
        validation_alias=AliasChoices("client_secret", "SPOTIFY_CLIENT_SECRET", "GENRESTORE_CLIENT_SECRET"),
    )
    snapshot_keep: int = Field(7, ge=1, description="Snapshots kept by `snapshot prune` and the prune job.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log verbosity.")
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    sql: SqlSettings = Field(default_factory=SqlSettings)
    modeling: ModelingSettings = Field(default_factory=ModelingSettings)
    schedules: dict[str, JobSchedule] = Field(default_factory=default_schedules)

    @field_validator("schedules")
    @classmethod
    def _known_jobs(cls, schedules: dict[str, JobSchedule]) -> dict[str, JobSchedule]:
        for check in _schedule_checks:
            check(schedules)  # ConfigError, not ValueError: its message already names the key
        return schedules

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # This module is the only one that reads the environment.
        toml_path = _config_file.get() or Path(os.environ.get("GENRESTORE_CONFIG", "genrestore.toml"))
        toml = _TomlSource(settings_cls, toml_file=toml_path)
        # First wins: overrides > environment > toml file > defaults.
        return (init_settings, env_settings, toml)

    @model_validator(mode="after")
    def _absolute_paths(self) -> "Settings":
        # Given paths are relative to the working directory (genrestore.toml's are already absolute);
        # the default data directory is relative to the checkout.
        for key in _PATH_KEYS:
            value = getattr(self, key)
            if key == "data_dir" and key not in self.model_fields_set:
                value = default_data_dir()
            if value is not None:
                object.__setattr__(self, key, _absolute(Path(value)))
        return self

    # Derived paths: one place decides the layout under var/.
    @property
    def warehouse_file(self) -> Path:
        return self.warehouse_path or self.var_dir / "warehouse.duckdb"

    @property
    def snapshots_path(self) -> Path:
        return self.snapshots_dir or self.var_dir / "snapshots"

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.var_dir / "models"

    @property
    def reports_path(self) -> Path:
        return self.reports_dir or self.var_dir / "reports"

    @property
    def resolved_token_url(self) -> str:
        if self.token_url:
            return self.token_url
        if self.api_url.rstrip("/") == SPOTIFY_API_URL:
            return SPOTIFY_TOKEN_URL
        # An emulator or proxy serves the token endpoint beside /v1, as Spotify's accounts host does.
        base = self.api_url.rstrip("/")
        if base.endswith("/v1"):
            base = base[: -len("/v1")]
        return base + "/api/token"

    def masked(self) -> dict[str, Any]:
        """Every setting as plain data, secrets masked, derived paths filled in."""
        data = self.model_dump(mode="json")
        data["client_secret"] = "********" if self.client_secret else None
        data["warehouse_path"] = str(self.warehouse_file)
        data["snapshots_dir"] = str(self.snapshots_path)
        data["models_dir"] = str(self.models_path)
        data["reports_dir"] = str(self.reports_path)
        data["token_url"] = self.resolved_token_url
        return data


def load_settings(config: Path | str | None = None, **overrides: Any) -> Settings:
    """Resolve settings from defaults, the settings file, environment and ``overrides`` (None = not
    given). ``config`` names the settings file (default: ``GENRESTORE_CONFIG``, else genrestore.toml)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    token = _config_file.set(Path(config) if config is not None else None)
    try:
        return Settings(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "settings"
        value = err.get("input")
        shown = "" if isinstance(value, dict) or key.endswith("secret") else f" (got {value!r})"
        raise ConfigError(f"invalid setting {key}: {err['msg']}{shown}") from None
    except (OSError, ValueError) as exc:  # unreadable or malformed genrestore.toml
        raise ConfigError(f"cannot read configuration: {exc}") from None
    finally:
        _config_file.reset(token)
