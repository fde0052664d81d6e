"""Shared pieces of the CLI: the settings in the context, output helpers."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from .._settings import Settings

console = Console()
err_console = Console(stderr=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings resolved by the top-level callback."""
    root = ctx.find_root()
    return root.obj["settings"]


def resolve(ctx: typer.Context, **overrides) -> Settings:
    """Settings with per-command overrides applied on top (command-line options win)."""
    from .._settings import load_settings

    base = ctx.find_root().obj["overrides"]
    return load_settings(**{**base, **{k: v for k, v in overrides.items() if v is not None}})


def require_data(settings: Settings) -> None:
    """Refuse (one line, exit 1) when there is neither a warehouse nor a snapshot where the settings
    point: a read-only command run in the wrong directory says so instead of creating one."""
    import warehouse

    if not settings.warehouse_file.exists() and not warehouse.list_snapshots(settings.snapshots_path):
        warehouse.require_warehouse(settings.warehouse_file)


def is_tty() -> bool:
    return sys.stderr.isatty()


def format_figure(v) -> str:
    """A metric or parameter for a table cell: 4 decimals for floats, "-" for missing."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4f}"
    return str(v)
