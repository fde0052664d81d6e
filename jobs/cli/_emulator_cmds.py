"""`catalog build` and `emulator serve`: the local Spotify Web API from the command line."""

from __future__ import annotations

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
MODES = ("extended", "development")


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


@emulator_app.command("serve")
def emulator_serve(
    catalog: Path = typer.Option(..., "--catalog", help="Catalog directory (see `genrestore catalog build`)."),
    mode: str = typer.Option("extended", "--mode", help="extended: every endpoint and field "
                                 "(extended quota mode); development: the 2026 development-mode restrictions."),
    dev_genres: bool = typer.Option(False, "--dev-genres", help="In development mode, still return artist genres."),
    rate: Optional[int] = typer.Option(None, "--rate", help="Requests allowed per rolling 30-s window "
                                       "per client; beyond it 429 with Retry-After (default: unlimited)."),
    daily_quota: Optional[int] = typer.Option(None, "--daily-quota", help="Requests per client per UTC "
                                              "day; beyond it 429 with reason QUOTA_EXCEEDED."),
    faults: Optional[str] = typer.Option(None, "--faults", help="Fault spec, e.g. "
                                         "'5xx=0.05,hang=0.02,malformed=0.01,truncated=0.01,latency=0.005,token_ttl=120'."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fault sequence."),
    port: int = typer.Option(8765, "--port", help="Port on 127.0.0.1 (0 = any free port)."),
    client_id: str = typer.Option("genrestore-emulator", "--client-id", help="Client id the token endpoint accepts."),
    client_secret: str = typer.Option("emulator-secret", "--client-secret", envvar="GENRESTORE_EMULATOR_SECRET",
                                      help="Client secret the token endpoint accepts (env GENRESTORE_EMULATOR_SECRET)."),
    token_ttl: int = typer.Option(3600, "--token-ttl", help="expires_in of issued tokens, seconds."),
) -> None:
    """Serve a catalog as the Spotify Web API on 127.0.0.1 until interrupted; prints the URLs and credentials."""
    from ingest.emulator import parse_faults, read_manifest, serve

    _check("--mode", mode, mode in MODES, " or ".join(MODES))
    _check("--rate", rate, rate is None or rate >= 1, "at least 1")
    _check("--daily-quota", daily_quota, daily_quota is None or daily_quota >= 1, "at least 1")
    _check("--port", port, 0 <= port <= 65535, "0..65535")
    _check("--token-ttl", token_ttl, token_ttl >= 1, "at least 1 second")
    read_manifest(catalog)  # fail fast with a one-line error on a wrong directory
    parse_faults(faults)

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
        serve(catalog, port=port, announce=announce, mode=mode, dev_genres=dev_genres, rate=rate,
              daily_quota=daily_quota, faults=faults, seed=seed, client_id=client_id,
              client_secret=client_secret, token_ttl=token_ttl)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
