"""The settings resolver: the one place that turns defaults, files and the environment into settings.

Each package owns the settings it reads and declares them beside its code (``warehouse`` the paths,
``sql`` and logging below; ``ingest`` the API, the ``crawl`` and the ``imports`` sections;
``modeling`` the ``modeling`` section; ``jobs`` the ``schedules``). The classes compose upwards,
the way the packages import: :class:`WarehouseSettings` here is the base,
``ingest.CrawlerSettings`` extends it with what the crawler needs, and the top package,
``jobs``, composes the full ``jobs.Settings`` and offers ``jobs.load_settings``. Code that reads only
a lower layer types its parameter with that layer's class, so nothing imports upwards.

Resolution happens here alone, for whichever composed class is asked for, lowest precedence first:

1. the defaults each section declares (each field carries its help text),
2. ``genrestore.toml`` in the working directory, or the file given as ``config``
   (``genrestore --config``), else named by ``GENRESTORE_CONFIG``; a relative path in it is relative
   to the file, not to the working directory,
3. environment variables ``GENRESTORE_*`` (nested keys with ``__``, e.g.
   ``GENRESTORE_CRAWL__BUDGET_PER_WINDOW=120``), plus the aliases a field declares
   (``SPOTIFY_CLIENT_ID`` / ``SPOTIFY_CLIENT_SECRET``, ``GENRESTORE_DATA``),
4. keyword overrides, which is how command-line options arrive.

Every path setting is made absolute once, here: cron and systemd start commands in other working
directories, and a path recorded relative to where a command happened to run is wrong elsewhere.
An invalid value raises :class:`~warehouse.errors.ConfigError` naming the key; secret values are
never shown (:meth:`WarehouseSettings.masked`).

This module is also the only one in the packages that reads or writes the process environment
(``tests/test_environment.py`` holds the others to that): :func:`environment_value` serves entry
points that take one documented variable without loading the settings (the emulator subprocess), and
:func:`prepare_process` sets what native libraries read once, when they load.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError

# The settings file resolve() was given; read by the sources while they build the object.
_config_file: ContextVar[Path | None] = ContextVar("genrestore_config_file", default=None)

_PATH_KEYS = ("var_dir", "warehouse_path", "snapshots_dir", "models_dir", "reports_dir", "data_dir")

# What native libraries read once, when they load: set before anything imports them.
# LightGBM's OpenMP threads spin while idle; on a shared, busy 2-core machine a 2-thread fit took
# 68.8 s against 5.9 s with 1 thread, 11.2 s with passive waiting.
_PROCESS_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}

S = TypeVar("S", bound="WarehouseSettings")


def project_root() -> Path:
    """The checkout genrestore runs from (the folder holding its pyproject.toml), else the working
    directory (an installed copy has no checkout to be relative to)."""
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


def default_data_dir() -> Path:
    """``../shared/data`` next to the checkout, wherever the command runs from."""
    return _absolute(Path("../shared/data"), project_root())


def default_var_dir() -> Path:
    """``var`` in the working directory; from a directory that has none, the checkout's ``var/``
    when it holds a warehouse or snapshots. So after ``make demo`` (run in the checkout)
    ``genrestore sql`` finds the demo's warehouse from any directory, while a directory that has
    its own ``var/`` (or a given ``--var``, ``GENRESTORE_VAR_DIR`` or settings file) keeps it."""
    here = _absolute(Path("var"))
    checkout = project_root() / "var"
    if here.exists() or checkout == here:
        return here
    if (checkout / "warehouse.duckdb").is_file() or any(checkout.glob("snapshots/*.json")):
        return checkout
    return here


def _absolute(path: Path, base: Path | None = None) -> Path:
    """``path`` made absolute against ``base`` (default: the working directory), ``~`` expanded,
    ``..`` folded; symlinks are kept as the user wrote them."""
    path = path.expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else (base or Path.cwd()) / path))


def environment_value(name: str) -> str | None:
    """The environment variable ``name``, or None: for an entry point that takes one documented
    variable without loading the settings (``python -m ingest.emulator serve`` and
    ``GENRESTORE_EMULATOR_SECRET``, which its parent passes there rather than on the command line)."""
    return os.environ.get(name)


def prepare_process() -> None:
    """Set what native libraries read once, when they load (``OMP_WAIT_POLICY=PASSIVE``), unless the
    environment already says otherwise. Call it first thing in an entry point, before anything
    imports scikit-learn or LightGBM (``genrestore`` does, in ``jobs.cli.main``)."""
    for key, value in _PROCESS_DEFAULTS.items():
        os.environ.setdefault(key, value)


class _TomlSource(TomlConfigSettingsSource):
    """genrestore.toml, with its relative paths taken relative to the file itself."""

    def _read_file(self, file_path):
        data = super()._read_file(file_path)
        base = Path(file_path).resolve().parent
        for key in _PATH_KEYS:
            if isinstance(data.get(key), str):
                data[key] = str(_absolute(Path(data[key]), base))
        return data


class SqlSettings(BaseModel):
    """Limits of `genrestore sql` (each overridable per call with --timeout / --max-rows)."""

    timeout_seconds: float = Field(
        300.0, ge=0, description="Interrupt a query still running after this many seconds (0: no limit)."
    )
    max_rows: int = Field(
        1_000_000, ge=0, description="Refuse a result longer than this; add a LIMIT (0: no cap)."
    )


class BackendSettings(BaseModel):
    """Which engine holds the live warehouse: the embedded DuckDB file, or a shared PostgreSQL."""

    url: str | None = Field(
        None, description="PostgreSQL URL of a shared live warehouse (postgresql://user@host:port/db; env "
        "GENRESTORE_WAREHOUSE__URL) for several crawl workers; unset: the embedded DuckDB file "
        "(warehouse_path). Snapshots are DuckDB files either way.",
    )
    lease_seconds: float = Field(
        60.0, gt=0, description="PostgreSQL only: how long a crawl worker's claim on frontier units lasts "
        "without its heartbeat (renewed every third of it); a dead worker's units return after it.",
    )

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("postgresql://", "postgres://")):
            raise PydanticCustomError("warehouse_url", "must start with postgresql:// (or be unset for DuckDB)")
        return url


class WarehouseSettings(BaseSettings):
    """The settings of the bottom layer (where everything is written and read, logging, `sql`), and
    the resolution every composed settings class inherits (:meth:`resolve`)."""

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
    snapshot_keep: int = Field(7, ge=1, description="Snapshots kept by `snapshot prune` and the prune job.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log verbosity.")
    sql: SqlSettings = Field(default_factory=SqlSettings)
    warehouse: BackendSettings = Field(default_factory=BackendSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _config_file.get() or Path(os.environ.get("GENRESTORE_CONFIG", "genrestore.toml"))
        toml = _TomlSource(settings_cls, toml_file=toml_path)
        # First wins: overrides > environment > toml file > defaults.
        return (init_settings, env_settings, toml)

    @model_validator(mode="after")
    def _absolute_paths(self) -> "WarehouseSettings":
        # Given paths are relative to the working directory (genrestore.toml's are already absolute);
        # the default data directory is relative to the checkout.
        for key in _PATH_KEYS:
            value = getattr(self, key)
            if key == "data_dir" and key not in self.model_fields_set:
                value = default_data_dir()
            if key == "var_dir" and key not in self.model_fields_set:
                value = default_var_dir()
            if value is not None:
                object.__setattr__(self, key, _absolute(Path(value)))
        return self

    @classmethod
    def resolve(cls: type[S], config: Path | str | None = None, **overrides: Any) -> S:
        """Resolve this class from defaults, the settings file, environment and ``overrides`` (None =
        not given). ``config`` names the settings file (default: ``GENRESTORE_CONFIG``, else
        genrestore.toml)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        token = _config_file.set(Path(config) if config is not None else None)
        try:
            return cls(**given)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"]) or "settings"
            value = err.get("input")
            shown = "" if isinstance(value, dict) or key.endswith("secret") or key == "warehouse.url" else f" (got {value!r})"
            raise ConfigError(f"invalid setting {key}: {err['msg']}{shown}") from None
        except (OSError, ValueError) as exc:  # unreadable or malformed genrestore.toml
            raise ConfigError(f"cannot read configuration: {exc}") from None
        finally:
            _config_file.reset(token)

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

    def masked(self) -> dict[str, Any]:
        """Every setting as plain data, secrets masked, derived values filled in."""
        data = self.model_dump(mode="json")
        for key in type(self).model_fields:
            if isinstance(getattr(self, key), SecretStr):
                data[key] = "********"
        if self.warehouse.url:
            # the password of user:password@ never leaves the process
            data["warehouse"]["url"] = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:****@", self.warehouse.url)
        data["warehouse_path"] = str(self.warehouse_file)
        data["snapshots_dir"] = str(self.snapshots_path)
        data["models_dir"] = str(self.models_path)
        data["reports_dir"] = str(self.reports_path)
        return data
