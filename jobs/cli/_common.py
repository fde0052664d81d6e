"""Shared pieces of the CLI: the settings in the context, output helpers."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from warehouse import Settings

console = Console()
err_console = Console(stderr=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings resolved by the top-level callback."""
    root = ctx.find_root()
    return root.obj["settings"]


def resolve(ctx: typer.Context, **overrides) -> Settings:
    """Settings with per-command overrides applied on top (command-line options win)."""
    from warehouse import load_settings

    base = ctx.find_root().obj["overrides"]
    return load_settings(**{**base, **{k: v for k, v in overrides.items() if v is not None}})


def is_tty() -> bool:
    return sys.stderr.isatty()
