"""`experiments list | run NAME | run --all`: the research bench (modeling.experiments)."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

import warehouse
from warehouse import UsageError

from . import app
from ._common import console, err_console, format_figure, is_tty, require_data, settings_of

experiments_app = typer.Typer(help="Named, reproducible research experiments on the imported data sets.",
                              no_args_is_help=True)
app.add_typer(experiments_app, name="experiments")


def _open_reader(settings):
    """(connection, snapshot id or None): the live file when no writer holds it, else the latest snapshot."""
    require_data(settings)
    try:
        path = warehouse.resolve_readable(settings, live=True)
        snapshot_id = None
    except (warehouse.WarehouseError, warehouse.UsageError):  # busy, or the live warehouse is PostgreSQL
        path = warehouse.resolve_readable(settings, None)
        snapshot_id = path.stem
        err_console.print(f"note: the warehouse is busy; reading snapshot {snapshot_id}", highlight=False)
    return warehouse.connect_readonly(path), snapshot_id


def _headline(name: str, figures: dict) -> str:
    """Two or three figures that say what the run found, for the table."""
    import modeling.experiments as ex

    keys = [k for k in ex.get(name).headline if k in figures]
    return "\n".join(f"{k} {format_figure(figures[k])}" for k in keys)


@experiments_app.command("list")
def experiments_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of {name, source, protocol, parameters, published, last_run}."),
) -> None:
    """List the experiments, where each comes from, and its latest stored run (if any)."""
    import modeling.experiments as ex

    settings = settings_of(ctx)
    latest = {}
    if settings.warehouse_file.exists() or warehouse.list_snapshots(settings.snapshots_path):
        con, _snap = _open_reader(settings)
        try:
            latest = ex.latest_runs(con)
        finally:
            con.close()
    rows = []
    for name, e in ex.EXPERIMENTS.items():
        run = latest.get(name)
        rows.append({"name": name, "source": e.source, "protocol": e.protocol, "datasets": list(e.datasets),
                     "parameters": e.defaults, "published": e.published,
                     "last_run": None if run is None else {k: v for k, v in run.as_dict().items() if k != "artifacts"}})
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    t = Table("experiment", "last run (UTC)", "status", "headline figures")
    t.columns[0].no_wrap = True
    for r in rows:
        last = r["last_run"]
        t.add_row(r["name"], last["created_at"].replace("T", " ")[:16] if last else "never",
                  last["status"] if last else "-", _headline(r["name"], last["figures"]) if last and last["figures"] else "")
    console.print(t)


@experiments_app.command("run")
def experiments_run(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Experiment to run (see `genrestore experiments list`)."),
    run_all: bool = typer.Option(False, "--all", help="Run every experiment, one after the other."),
    seed: int = typer.Option(0, "--seed", help="Seed of every split and model (same seed, same figures)."),
    param: Optional[list[str]] = typer.Option(None, "--param", help="Override a parameter of the named experiment: KEY=VALUE (JSON value), repeatable."),
    as_json: bool = typer.Option(False, "--json", help='Print a JSON list of {"name", "seed", "status", "figures", "seconds"}.'),
) -> None:
    """Run experiments on the imported data sets and store each run in the `experiments` table.

    The data-set tables are copied into memory first, so the warehouse stays free while models
    fit; each finished run is written at once. Exit code 1 when any run failed."""
    import modeling.experiments as ex
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if run_all == (name is not None):
        raise UsageError("give one experiment name or --all (see `genrestore experiments list`)")
    names = list(ex.EXPERIMENTS) if run_all else [ex.get(name).name]
    overrides = _parse_params(param or [])
    if overrides and run_all:
        raise UsageError("--param applies to one named experiment, not to --all")
    if overrides:
        ex.get(names[0]).parameters(overrides)  # unknown keys: one line before any work
    settings = settings_of(ctx)
    warehouse.require_embedded(settings, "genrestore experiments run")  # before any work: it records into the live file
    con, snapshot_id = _open_reader(settings)
    runs = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                  transient=True) as progress:
        bar = progress.add_task("copying the data sets", total=None)

        def report(msg: str) -> None:
            progress.update(bar, description=msg)
            if not is_tty():  # a log, not a spinner, when stderr is a file
                err_console.print(f"... {msg}", highlight=False)

        try:
            families = ex.families_from(settings.warehouse_file if snapshot_id is None else
                                        warehouse.resolve_readable(settings, snapshot_id))
            bench = ex.Context(con, seed=seed, n_jobs=settings.modeling.jobs, snapshot_id=snapshot_id,
                               progress=report, families=families)
        finally:
            con.close()
        with bench:
            for n in names:
                report(f"{n}: running")
                run = ex.run_experiment(bench, n, overrides)
                with warehouse.Writer(settings.warehouse_file, command="genrestore experiments run", create=False) as writer:
                    ex.record(writer, run)
                runs.append(run)
                if not as_json:
                    err_console.print(f"{n}: {run.status} in {run.seconds:.1f} s" + (f" ({run.error})" if run.error else ""),
                                      highlight=False)
    if as_json:
        print(json.dumps([r.summary() for r in runs], indent=2, default=str))
    else:
        for run in runs:
            _print_run(run)
    if any(r.status == "failed" for r in runs):
        raise typer.Exit(1)


def _print_run(run) -> None:
    published = {k[len("published_"):]: v for k, v in run.figures.items() if k.startswith("published_")}
    t = Table("figure", "ours", "published", title=f"{run.name} ({run.status}, {run.seconds:.1f} s, seed {run.seed})")
    for k, v in run.figures.items():
        if k.startswith("published_") or k.endswith(("_ci_low", "_ci_high")):
            continue
        ci = ""
        if f"{k}_ci_low" in run.figures:
            ci = f" ({format_figure(run.figures[f'{k}_ci_low'])}..{format_figure(run.figures[f'{k}_ci_high'])})"
        t.add_row(k, format_figure(v) + ci, format_figure(published.get(k)) if k in published else "")
    console.print(t)


def _parse_params(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value  # a bare word is a string
    return out
