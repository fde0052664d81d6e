"""`catalog build` and `emulator serve`: the local Spotify Web API from the command line."""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Optional

import typer

from warehouse import UsageError

from . import app
from ._common import console, err_console, settings_of

catalog_app = typer.Typer(help="Build catalogs (Parquet directories) for the local Spotify emulator.",
                          no_args_is_help=True)
emulator_app = typer.Typer(help="Run the local Spotify Web API emulator.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(emulator_app, name="emulator")


# Choices are checked here rather than with Enum/min= types: typer's own parameter errors would
# escape jobs.cli.main() as tracebacks (it catches click's exceptions, typer 0.29 vendors click).
SOURCES = ("musicoset", "synthetic")


def _check(name: str, value, ok: bool, expected: str) -> None:
    if not ok:
        raise UsageError(f"{name} must be {expected}, not {value!r}")


@catalog_app.command("build")
def catalog_build(
    ctx: typer.Context,
    source: str = typer.Option(..., "--from", help="musicoset: real ids, names, genres and audio "
                                         "features from the MusicOSet data set; synthetic: generated, any size."),
    out: Path = typer.Option(..., "--out", help="Directory to write the catalog to (Parquet tables + manifest.json)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Data-set directory holding musicoset/ "
                                        "(default: the --data/GENRESTORE_DATA setting, ../shared/data)."),
    artists: int = typer.Option(2000, "--artists", help="Number of artists (synthetic only)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (synthetic only); same seed, same catalog."),
) -> None:
    """Build a catalog directory the emulator can serve."""
    _check("--from", source, source in SOURCES, " or ".join(SOURCES))
    _check("--artists", artists, artists >= 1, "at least 1")
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ingest.emulator import build_musicoset_catalog, build_synthetic_catalog

    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        progress.add_task(f"building {source} catalog in {out}", total=None)
        if source == "synthetic":
            manifest = build_synthetic_catalog(out, artists=artists, seed=seed)
        else:
            data_dir = data or settings_of(ctx).data_dir
            manifest = build_musicoset_catalog(data_dir, out)
    counts = ", ".join(f"{k} {v:,}" for k, v in manifest["counts"].items())
    console.print(f"catalog {out} ({manifest['source']}) built in {time.perf_counter() - started:.1f} s: {counts}",
                  highlight=False, soft_wrap=True)


def emulator_serve(**options) -> None:
    """Serve a catalog as the Spotify Web API on 127.0.0.1 until interrupted; prints the URLs and credentials."""
    from ingest.emulator import check_serve_options, parse_faults, read_manifest, serve

    check_serve_options(options)
    read_manifest(options["catalog"])  # fail fast with a one-line error on a wrong directory
    parse_faults(options["faults"])
    mode, client_id, client_secret = options["mode"], options["client_id"], options["client_secret"]

    # The default secret is public (documented); a secret the user chose is never echoed.
    shown_secret = client_secret if client_secret == "emulator-secret" else "(as given; not shown)"

    def announce(base: str) -> None:
        console.print(f"emulator ({mode} mode) listening on {base}\n"
                      f"  api url        {base}/v1\n  token url      {base}/api/token\n"
                      f"  client id      {client_id}\n  client secret  {shown_secret}\n"
                      f"  stats          {base}/_emulator/stats\n"
                      f"Point genrestore at it with GENRESTORE_API_URL={base}/v1 SPOTIFY_CLIENT_ID={client_id} "
                      f"SPOTIFY_CLIENT_SECRET=...", highlight=False, soft_wrap=True)

    try:
        serve(options.pop("catalog"), announce=announce, **options)
    except OSError as exc:
        raise UsageError(f"cannot listen on {options['host']}:{options['port']}: {exc.strerror or exc}") from None


def _typer_parameters() -> inspect.Signature:
    """The options of ``ingest.emulator.SERVE_OPTIONS`` as typer options (declared there, once)."""
    from ingest.emulator import REQUIRED, SERVE_OPTIONS

    params = []
    for option in SERVE_OPTIONS:
        default = ... if option.default is REQUIRED else option.default
        params.append(inspect.Parameter(
            option.name, inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(default, option.flag, help=option.help, envvar=option.env),
            annotation=Optional[option.type] if option.optional else option.type,
        ))
    return inspect.Signature(params, return_annotation=None)


emulator_serve.__signature__ = _typer_parameters()  # type: ignore[attr-defined]
emulator_app.command("serve")(emulator_serve)
