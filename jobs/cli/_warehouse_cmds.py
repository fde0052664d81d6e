"""`config`, `schema`, `snapshot` and `sql`: the warehouse seen from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

import warehouse
from warehouse import UsageError

from . import app
from ._common import console, err_console, require_data, settings_of

config_app = typer.Typer(help="Show the resolved settings.", no_args_is_help=True)
snapshot_app = typer.Typer(help="Publish, list and prune read-only snapshots of the warehouse.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(snapshot_app, name="snapshot")
warehouse_app = typer.Typer(help="Move the live warehouse between backends.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")


@config_app.command("show")
def config_show(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print every setting after file, environment and options are applied (secrets masked)."""
    settings = settings_of(ctx)
    data = settings.masked()
    if not settings.warehouse_file.exists():  # on stderr: --json output stays parseable
        err_console.print(f"note: no warehouse at {settings.warehouse_file} yet", highlight=False, soft_wrap=True)
    if as_json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return
    table = Table("setting", "value", show_header=True)

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for k in sorted(value):
                walk(f"{prefix}.{k}" if prefix else k, value[k])
        else:
            table.add_row(prefix, "" if value is None else str(value))

    walk("", data)
    console.print(table)


@app.command("schema")
def schema(
    ctx: typer.Context,
    table: Optional[str] = typer.Argument(None, help="One table or view; all when omitted."),
    snapshot: Optional[str] = typer.Option(None, "--snapshot", help="Read this snapshot instead of the latest."),
    live: bool = typer.Option(False, "--live", help="Read the live file (only when no writer holds it)."),
) -> None:
    """Print the data dictionary (tables, columns, types, comments)."""
    settings = settings_of(ctx)
    try:
        path = warehouse.resolve_readable(settings, snapshot, live)
    except warehouse.SnapshotNotFound:
        if snapshot or live:
            raise
        # Nothing published yet: describe a fresh schema so the dictionary is always readable.
        import duckdb

        con = duckdb.connect(":memory:")
        warehouse.migrate(con)
        docs = warehouse.describe(con, table)
    else:
        con = warehouse.connect_readonly(path)
        try:
            docs = warehouse.describe(con, table)
        finally:
            con.close()
    for doc in docs:
        console.print(f"[bold]{doc.name}[/] ({doc.kind}) — {doc.comment or ''}", highlight=False)
        if table is not None or len(docs) == 1:
            t = Table("column", "type", "null", "description")
            for c in doc.columns:
                t.add_row(c.name, c.type, "yes" if c.nullable else "no", c.comment or "")
            console.print(t)
    if table is None and len(docs) > 1:
        console.print("\n`genrestore schema TABLE` shows a table's columns.")


@snapshot_app.command("create")
def snapshot_create(ctx: typer.Context) -> None:
    """Publish a consistent read-only copy of the live warehouse under var/snapshots/.

    Also removes temp files left by an interrupted `snapshot create` whose process is gone."""
    settings = settings_of(ctx)
    with warehouse.writer_for(settings, command="genrestore snapshot create", create=False) as writer:
        _report_leftovers(warehouse.remove_leftovers(settings.snapshots_path))
        info = warehouse.create_snapshot(writer, settings.snapshots_path)
    total = sum(info.row_counts.values())
    console.print(f"published snapshot [bold]{info.snapshot_id}[/] ({total:,} rows, hash {info.content_hash[:12]})")


def _report_leftovers(leftovers: "warehouse.Leftovers") -> None:
    if leftovers.files:
        console.print(leftovers.describe(), highlight=False)


@warehouse_app.command("migrate")
def warehouse_migrate(
    ctx: typer.Context,
    to: str = typer.Option(..., "--to", help="PostgreSQL URL of an empty database, e.g. "
                           "postgresql://genrestore@db:5432/genrestore (a password is better given in ~/.pgpass)."),
) -> None:
    """Copy the DuckDB warehouse (warehouse_path) into an empty PostgreSQL database, all or nothing.
    The DuckDB file is left as it was; then set warehouse.url (env GENRESTORE_WAREHOUSE__URL) to switch."""
    settings = settings_of(ctx)
    if not to.startswith(("postgresql://", "postgres://")):
        raise warehouse.UsageError(f"--to must be a postgresql:// URL (got {warehouse.redact_url(to)!r})")
    counts = warehouse.copy_duckdb_to_postgres(warehouse.require_warehouse(settings.warehouse_file), to)
    console.print(f"copied {sum(counts.values()):,} rows in {len(counts)} tables from {settings.warehouse_file} "
                  f"to {warehouse.redact_url(to)}; set warehouse.url to use it", highlight=False)


@snapshot_app.command("list")
def snapshot_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List published snapshots, newest last."""
    settings = settings_of(ctx)
    require_data(settings)
    snaps = warehouse.list_snapshots(settings.snapshots_path)
    if as_json:
        print(json.dumps([s.__dict__ for s in snaps], indent=2))
        return
    if not snaps:
        console.print("no snapshots published yet; run `genrestore snapshot create`")
        return
    t = Table("snapshot id", "created (UTC)", "rows", "content hash")
    for s in snaps:
        t.add_row(s.snapshot_id, s.created_at, f"{sum(s.row_counts.values()):,}", s.content_hash[:16])
    console.print(t)


@snapshot_app.command("prune")
def snapshot_prune(
    ctx: typer.Context,
    keep: Optional[int] = typer.Option(None, "--keep", min=1, help="Snapshots to keep (default: setting snapshot_keep)."),
) -> None:
    """Remove all but the newest N snapshots (readers of a removed one are not disturbed), and temp
    files left by an interrupted `snapshot create` whose process is gone."""
    settings = settings_of(ctx)
    require_data(settings)
    keep = keep or settings.snapshot_keep
    _report_leftovers(warehouse.remove_leftovers(settings.snapshots_path))
    removed = warehouse.prune_snapshots(settings.snapshots_path, keep)
    console.print(f"removed {len(removed)} snapshot(s), kept the newest {keep}")


@app.command("sql")
def sql(
    ctx: typer.Context,
    query: Optional[str] = typer.Argument(None, help="SQL to run; read from stdin when omitted."),
    snapshot: Optional[str] = typer.Option(None, "--snapshot", help="Snapshot id (default: the latest)."),
    live: bool = typer.Option(False, "--live", help="Query the live file (only when no writer holds it)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, json or parquet."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    allow_files: Optional[list[Path]] = typer.Option(
        None, "--allow-files", metavar="DIR",
        help="Let queries read (and write) files under DIR, e.g. read_csv('DIR/x.csv'); repeatable. "
        "Never var/, the warehouse or its snapshots."),
    timeout: Optional[float] = typer.Option(
        None, "--timeout", min=0, metavar="SECONDS", help="Interrupt the query after this long (default: setting sql.timeout_seconds; 0: no limit)."),
    max_rows: Optional[int] = typer.Option(
        None, "--max-rows", min=0, metavar="N", help="Refuse a result longer than N rows (default: setting sql.max_rows; 0: no cap)."),
) -> None:
    """Run SQL against the latest snapshot; DuckDB keeps it read-only and away from other files."""
    if fmt not in ("table", "csv", "json", "parquet"):
        raise UsageError(f"--format must be table, csv, json or parquet, not {fmt!r}")
    if query is None:
        query = sys.stdin.read()
    settings = settings_of(ctx)
    con = warehouse.open_readable(settings, snapshot, live, allow_files=allow_files or ())
    if not live:
        _note_if_live_is_newer(settings, snapshot)
    result = warehouse.run_query(
        con, query,
        timeout_seconds=settings.sql.timeout_seconds if timeout is None else timeout,
        max_rows=settings.sql.max_rows if max_rows is None else max_rows,
    )
    if fmt == "table":
        if output is not None:
            raise UsageError("--output needs --format csv, json or parquet")
        t = Table(*result.columns)
        for row in result.rows:
            t.add_row(*["NULL" if v is None else str(v) for v in row])
        console.print(t)
        console.print(f"{len(result.rows)} row(s)", style="dim")
        return
    text = warehouse.format_result(result, fmt, str(output) if output else None)
    if text is not None:
        if output is not None:
            output.write_text(text)
        else:
            sys.stdout.write(text)


# A publication records its own job run a moment after its snapshot; changes closer than this to
# the snapshot are that bookkeeping, not new data.
_STALE_MARGIN_SECONDS = 60


def _note_if_live_is_newer(settings, snapshot_id: Optional[str]) -> None:
    """One line on stderr when the live file was modified well after the snapshot just read.

    Cheap and lock-free: file modification times against the manifest's ``created_at``."""
    from datetime import datetime, timezone

    try:
        snap = warehouse.get_snapshot(settings.snapshots_path, snapshot_id)
        created = datetime.fromisoformat(snap.created_at)
    except (warehouse.WarehouseError, ValueError):
        return
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)  # manifests hold naive UTC
    live_file = Path(settings.warehouse_file)
    times = [p.stat().st_mtime for p in (live_file, Path(f"{live_file}.wal")) if p.exists()]
    if not times:
        return
    modified = datetime.fromtimestamp(max(times), timezone.utc)
    if (modified - created).total_seconds() > _STALE_MARGIN_SECONDS:
        err_console.print(
            f"note: read snapshot {snap.snapshot_id} (published {created:%Y-%m-%d %H:%M} UTC); the live warehouse "
            f"changed since ({modified:%Y-%m-%d %H:%M} UTC): `genrestore snapshot create` publishes it, "
            "--live reads it when no writer holds it", highlight=False, soft_wrap=True)
