"""The options of ``emulator serve``, declared once.

Both entry points are generated from :data:`SERVE_OPTIONS`: the light ``python -m ingest.emulator
serve`` (argparse, :func:`add_serve_arguments`, used by ``running_emulator`` in a subprocess) and
``genrestore emulator serve`` (typer, built by ``jobs.cli``); :func:`check_serve_options` holds both
to the same limits. Each option is a keyword of :func:`ingest.emulator.serve` (and, beyond
``catalog``/``host``/``port``, of :func:`ingest.emulator.create_app`, whose defaults
``tests/emulator/test_emulator_options.py`` holds to this table).

This module imports nothing of the server: ``genrestore`` builds every command when it starts, this
one's options included (see ``ingest.emulator``'s lazy surface).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse import UsageError, environment_value

MODES = ("extended", "development")
REQUIRED = ...  # the default of an option that must be given


@dataclass(frozen=True)
class ServeOption:
    """One option: its keyword, type and default, its help, and the limits its value must keep."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    env: str | None = None  # a documented environment variable that gives the default

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def optional(self) -> bool:
        """None is a value (``--rate`` unset: unlimited)."""
        return self.default is None

    def check(self, value: Any) -> None:
        """UsageError naming the flag when ``value`` breaks this option's limits."""
        if value is None or value is REQUIRED:
            return
        if self.choices and value not in self.choices:
            expected = " or ".join(self.choices)
        elif self.minimum is not None and self.maximum is not None and not self.minimum <= value <= self.maximum:
            expected = f"{self.minimum:g}..{self.maximum:g}"
        elif self.minimum is not None and value < self.minimum:
            expected = f"at least {self.minimum:g}{' ' + self.unit if self.unit else ''}"
        else:
            return
        raise UsageError(f"{self.flag} must be {expected}, not {value!r}")


SERVE_OPTIONS: tuple[ServeOption, ...] = (
    ServeOption("catalog", Path, REQUIRED, "Catalog directory (see `genrestore catalog build`)."),
    ServeOption("host", str, "127.0.0.1", "Address to listen on (127.0.0.1: this machine only)."),
    ServeOption("port", int, 8765, "Port to listen on (0 = any free port).", minimum=0, maximum=65535),
    ServeOption("mode", str, "extended", "extended: every endpoint and field (extended quota mode); "
                "development: the 2026 development-mode restrictions.", choices=MODES),
    ServeOption("dev_genres", bool, False, "In development mode, still return artist genres."),
    ServeOption("rate", int, None, "Requests allowed per rolling window (--window-seconds) per client; "
                "beyond it 429 with Retry-After (default: unlimited).", minimum=1),
    ServeOption("daily_quota", int, None, "Requests per client per UTC day; beyond it 429 with reason "
                "QUOTA_EXCEEDED.", minimum=1),
    ServeOption("faults", str, None, "Fault spec, e.g. "
                "'5xx=0.05,hang=0.02,malformed=0.01,truncated=0.01,latency=0.005,token_ttl=120'."),
    ServeOption("seed", int, 0, "Seed of the fault sequence."),
    ServeOption("client_id", str, "genrestore-emulator", "Client id the token endpoint accepts."),
    ServeOption("client_secret", str, "emulator-secret", "Client secret the token endpoint accepts "
                "(env GENRESTORE_EMULATOR_SECRET).", env="GENRESTORE_EMULATOR_SECRET"),
    ServeOption("token_ttl", int, 3600, "expires_in of issued tokens, seconds.", minimum=1, unit="second"),
    ServeOption("offset_cap", int, 1000, "Largest search offset accepted (Spotify's is 1000)."),
    ServeOption("window_seconds", float, 30.0, "Length of the rolling rate-limit window, seconds."),
    ServeOption("penalty_step", float, 1.0, "Seconds added to Retry-After for each call made while limited."),
    ServeOption("premium_lapsed", bool, False, "In development mode, answer every call 403 with Spotify's "
                "Premium message (switchable at run time: POST /_emulator/premium?lapsed=1)."),
)


def check_serve_options(values: dict[str, Any]) -> None:
    """UsageError (one line, naming the flag) for the first value outside its option's limits."""
    for option in SERVE_OPTIONS:
        option.check(values.get(option.name))


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option of :data:`SERVE_OPTIONS` as an argparse argument."""
    for option in SERVE_OPTIONS:
        if option.type is bool:
            parser.add_argument(option.flag, action="store_true", help=option.help)
            continue
        default = option.default
        if option.env:
            default = environment_value(option.env) or default
        parser.add_argument(option.flag, type=option.type, required=default is REQUIRED,
                            default=None if default is REQUIRED else default, help=option.help)
