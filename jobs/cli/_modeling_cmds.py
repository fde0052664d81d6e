"""`train`, `models list|show|promote`, `predict` and `reproduce`: the modeling package's commands."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Optional

import typer
from rich.table import Table

import warehouse
from warehouse import UsageError

from . import app
from ._common import console, err_console, format_figure, is_tty, settings_of

models_app = typer.Typer(help="List, inspect and promote trained models (the model registry).", no_args_is_help=True)
app.add_typer(models_app, name="models")


@contextmanager
def _status(message: str):
    with err_console.status(message, spinner="dots"):
        yield


@contextmanager
def _reader(settings):
    """The live file read-only when no writer holds it, else the latest snapshot (registry may lag)."""
    try:
        path = warehouse.resolve_readable(settings, live=True)
    except (warehouse.WarehouseError, warehouse.UsageError):  # busy, or the live warehouse is PostgreSQL
        path = warehouse.resolve_readable(settings, None)
        err_console.print(f"note: the warehouse is busy; reading snapshot {path.stem}", highlight=False)
    con = warehouse.connect_readonly(path)
    try:
        yield con
    finally:
        con.close()


@app.command("train")
def train_cmd(
    ctx: typer.Context,
    task: str = typer.Option(..., "--task", help="artist-families (multi-label, from the feature views), "
                             "track-genre (single label), popularity or duration (regression, log scale)."),
    snapshot: Optional[str] = typer.Option(None, "--snapshot", help="Snapshot id (or unique prefix) to train on; default the latest."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="For track tasks: music_genre (default) or spotify_songs."),
    estimator: str = typer.Option("lightgbm", "--estimator", help="lightgbm, or a baseline: prevalence (mean), logistic (linear), random-forest; track-genre also takes lightgbm+mlp (LightGBM and neural nets, soft vote); artist-families also lightgbm-calibrated (trained for missing groups, calibrated, what retrain uses)."),
    protocol: Optional[str] = typer.Option(None, "--protocol", help="Track tasks' split: artist-disjoint (default), dedup or random-80-20."),
    as_json: bool = typer.Option(False, "--json", help="Print the model record as JSON."),
) -> None:
    """Train a model, evaluate it on the held-out test rows and record it in the registry.

    The new model is a challenger; it becomes champion at once only when its task has none.
    Use `genrestore models promote ID` to promote it (it must beat the champion)."""
    import modeling

    settings = settings_of(ctx)
    warehouse.require_embedded(settings, "genrestore train")
    with warehouse.Writer(settings.warehouse_file, command="genrestore train", create=False) as writer:
        with _status(f"training {estimator} for {task}..."):
            record = modeling.train(writer, settings, task, snapshot, dataset=dataset, estimator=estimator,
                                    protocol=protocol)
    if as_json:
        print(json.dumps(record.as_dict(), default=str, indent=2))
        return
    console.print(f"trained [bold]{record.model_id}[/] ({record.status}) in {record.train_seconds:.1f} s "
                  f"on {record.n_train:,} rows; test {record.n_test:,} rows", highlight=False)
    console.print(f"{record.headline_metric} = {record.headline_value:.4f} "
                  f"(95% bootstrap CI {record.ci_low:.4f}..{record.ci_high:.4f})", highlight=False)
    t = Table("metric", "value")
    for k, v in record.metrics.items():
        t.add_row(k, format_figure(v))
    console.print(t)


@models_app.command("list")
def models_list(
    ctx: typer.Context,
    task: Optional[str] = typer.Option(None, "--task", help="Only this task."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List every model with its task, status and headline test metric."""
    import modeling

    with _reader(settings_of(ctx)) as con:
        rows = modeling.list_models(con, task)
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
        return
    if not rows:
        console.print("no models yet; run `genrestore train --task TASK`")
        return
    t = Table("model id", "status", "task", "dataset", "estimator", "headline", "value", "test rows")
    for r in rows:
        t.add_row(r["model_id"], r["status"], r["task"], r["dataset"], r["estimator"], r["headline_metric"],
                  format_figure(r["headline_value"]), str(r["n_test"]))
    console.print(t)


@models_app.command("show")
def models_show(
    ctx: typer.Context,
    model_id: str = typer.Argument(..., help="Model id (or a unique prefix)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one model: what it was trained on, parameters, metrics and the per-family table."""
    import modeling

    with _reader(settings_of(ctx)) as con:
        info = modeling.show_model(con, model_id)
    if as_json:
        print(json.dumps(info, default=str, indent=2))
        return
    for key in ("model_id", "status", "task", "dataset", "estimator", "snapshot_id", "taxonomy_version",
                "split_id", "n_train", "n_test", "train_seconds", "artifact_path", "created_at", "decision"):
        console.print(f"[bold]{key}[/]: {format_figure(info.get(key))}", highlight=False)
    console.print(f"[bold]params[/]: {json.dumps(info['params'], sort_keys=True)}", highlight=False)
    t = Table("metric", "value", "95% CI")
    for m in info["metrics"]:
        ci = f"{format_figure(m['ci_low'])}..{format_figure(m['ci_high'])}" if m["ci_low"] is not None else ""
        t.add_row(m["metric"], format_figure(m["value"]), ci)
    console.print(t)
    if info["per_label"]:
        metrics = sorted({m["metric"] for m in info["per_label"]})
        by_label: dict = {}
        for m in info["per_label"]:
            by_label.setdefault((m["label"], m["support"]), {})[m["metric"]] = m["value"]
        t = Table("label", "support", *metrics)
        for (label, support), vals in by_label.items():
            t.add_row(str(label), str(support), *[format_figure(vals.get(k)) for k in metrics])
        console.print(t)


@models_app.command("promote")
def models_promote(
    ctx: typer.Context,
    model_id: str = typer.Argument(..., help="Model id (or a unique prefix) of the challenger."),
    force: bool = typer.Option(False, "--force", help="Promote even if it does not beat the champion."),
) -> None:
    """Make a challenger the champion of its task, if it beats the current champion.

    Both are scored on the challenger's test rows; the 95% paired-bootstrap interval of the
    headline improvement must lie entirely above zero (--force overrides)."""
    import modeling

    settings = settings_of(ctx)
    warehouse.require_embedded(settings, "genrestore models promote")
    with warehouse.Writer(settings.warehouse_file, command="genrestore models promote", create=False) as writer:
        comparison = modeling.promote(writer, model_id, force=force)
    console.print("promoted" + (": " + comparison.describe() if comparison else " (no champion to beat)"),
                  highlight=False)


@app.command("predict")
def predict_cmd(
    ctx: typer.Context,
    snapshot: Optional[str] = typer.Option(None, "--snapshot", help="Snapshot whose artists to score; default the latest."),
    explain: Optional[str] = typer.Option(None, "--explain", metavar="ARTIST_ID",
                                          help="Print why the champion predicts what it does for this artist; writes nothing."),
) -> None:
    """Score every artist without genres with the artist-families champion.

    Writes one row per artist and family into `predictions`: probability, assigned or not, its
    rank, whether the artist is low-confidence, the feature groups it had, the model's protocol,
    and why the artist needed it (untagged: genres empty; unknown: genres not known)."""
    import modeling

    settings = settings_of(ctx)
    if explain is not None:
        warehouse.require_embedded(settings, "genrestore predict --explain")
        with warehouse.Writer(settings.warehouse_file, command="genrestore predict --explain", create=False) as writer:
            typer.echo(modeling.explain_artist(writer, settings, explain, snapshot))  # plain: no wrapping
        return
    warehouse.require_embedded(settings, "genrestore predict")
    with warehouse.Writer(settings.warehouse_file, command="genrestore predict", create=False) as writer:
        with _status("scoring artists without genres..."):
            n = modeling.predict(writer, settings, snapshot)
    console.print(f"wrote {n:,} prediction rows (artist × family)")


@app.command("reproduce")
def reproduce_cmd(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of {dataset, task, protocol, metric, published, ours, ...}."),
    dataset: Optional[list[str]] = typer.Option(None, "--dataset", help="Only these: music_genre, spotify_songs, musicoset (repeatable)."),
    snapshot: Optional[str] = typer.Option(None, "--snapshot", help="Snapshot for the MusicOSet artist families (default: latest with features)."),
) -> None:
    """Run the published protocols on the imported data sets, our figures beside theirs.

    Protocols: random 80/20 with and without popularity (as published), de-duplicated, and
    artist-disjoint; plus MusicOSet artist families on the stored split once features are built."""
    import modeling
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    chosen = tuple(dataset) if dataset else ("music_genre", "spotify_songs", "musicoset")
    bad = [d for d in chosen if d not in ("music_genre", "spotify_songs", "musicoset")]
    if bad:
        raise UsageError(f"unknown data set {bad[0]!r}; choose music_genre, spotify_songs or musicoset")
    settings = settings_of(ctx)
    with _reader(settings) as con, Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                            console=err_console, transient=True) as progress:
        bar = progress.add_task("reproducing", total=None)

        def report(msg: str) -> None:
            progress.update(bar, description=msg)
            if not is_tty():  # a log, not a spinner, when stderr is a file
                err_console.print(f"... {msg}", highlight=False)

        rows = modeling.reproduce(con, datasets=chosen, snapshot_id=snapshot, progress=report,
                                n_jobs=settings.modeling.jobs)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    t = Table("dataset", "task", "protocol", "model", "metric", "published", "ours", "95% CI", "target")
    for r in rows:
        ci = f"{format_figure(r['ci_low'])}..{format_figure(r['ci_high'])}" if r.get("ci_low") is not None else ""
        target = r.get("target") or ""
        if "target_met" in r:
            target += " ✓" if r["target_met"] else " ✗"
        t.add_row(r["dataset"], r["task"], r["protocol"], format_figure(r.get("model")), r["metric"], format_figure(r["published"]),
                  format_figure(r["ours"]) if "note" not in r else r["note"], ci, target)
    console.print(t)
