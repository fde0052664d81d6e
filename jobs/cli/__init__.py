"""The `genrestore` command: a thin skin over the library functions the jobs also call.

Each command group lives in its own module and registers itself on :data:`app`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from warehouse import GenrestoreError, prepare_process

from ._common import err_console

app = typer.Typer(
    name="genrestore",
    help="Crawl Spotify metadata into a DuckDB warehouse, build genre-family features and models, "
    "and report on them nightly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(
        None, "--config", help="Settings file (default genrestore.toml; env GENRESTORE_CONFIG).",
        envvar="GENRESTORE_CONFIG",
    ),
    var_dir: Optional[Path] = typer.Option(None, "--var", help="Root directory for everything written (default var/)."),
    data_dir: Optional[Path] = typer.Option(None, "--data", help="Data-set directory (default ../shared/data; env GENRESTORE_DATA)."),
) -> None:
    """Settings come from genrestore.toml, then GENRESTORE_* variables, then these options."""
    if config is not None:
        if not config.exists():
            raise GenrestoreError(f"settings file {config} does not exist")
    overrides = {"config": config, "var_dir": var_dir, "data_dir": data_dir}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    # Imported now, after main() prepared the process: the settings load modeling (LightGBM).
    from .._settings import load_settings

    settings = load_settings(**overrides)
    here = Path.cwd() / "var"
    if settings.var_dir != here and not here.exists() and "var_dir" not in settings.model_fields_set:
        # found beside the checkout (warehouse.settings.default_var_dir): say which var/ is used
        print(f"note: using {settings.var_dir} (the checkout's var/; there is none here)", file=sys.stderr)
    ctx.obj = {"overrides": overrides, "settings": settings}


def _register() -> None:
    from . import _warehouse_cmds  # noqa: F401  (config, schema, snapshot, sql)
    from . import _features_cmds  # noqa: F401  (features, taxonomy)
    from . import _import_cmds  # noqa: F401  (import musicoset|music-genre|spotify-songs|fma-genres|all)
    from . import _emulator_cmds  # noqa: F401  (catalog build, emulator serve)
    from . import _crawl_cmds  # noqa: F401  (crawl, crawl plan, crawl status)
    from . import _modeling_cmds  # noqa: F401  (train, models, predict, reproduce)
    from . import _experiments_cmds  # noqa: F401  (experiments list|run)
    from . import _jobs_cmds  # noqa: F401  (jobs, scheduler, report, demo)


_register()


def _click_flavours():
    """Exception classes of click and of typer's vendored copy (typer >= 0.29 raises its own)."""
    import click

    usage, aborts = [click.ClickException], [click.exceptions.Abort]
    try:
        import typer
        from typer._click import exceptions as vendored

        usage.append(vendored.ClickException)
        aborts.append(typer.Abort)
    except ImportError:  # older typer uses click itself
        pass
    return tuple(usage), tuple(aborts)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes print one line and exit non-zero, never a traceback."""
    # OpenMP reads OMP_WAIT_POLICY once, when it loads: set before any command imports LightGBM.
    prepare_process()
    usage_errors, aborts = _click_flavours()
    try:
        code = app(args=argv, standalone_mode=False)
        # Without standalone mode click returns typer.Exit's code instead of exiting with it.
        if isinstance(code, int) and code:
            sys.exit(code)
    except GenrestoreError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except usage_errors as exc:  # bad option values, unknown commands: click's own one-line messages
        exc.show()
        sys.exit(exc.exit_code)
    except aborts:
        sys.exit(130)


if __name__ == "__main__":
    main()
