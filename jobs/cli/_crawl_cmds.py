"""`crawl`, `crawl plan`, `crawl status`: the crawler from the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Optional

import typer
from rich.table import Table

from . import app
from ._common import console, err_console, resolve, settings_of

crawl_app = typer.Typer(
    help="Crawl the Spotify Web API (or the emulator) into the warehouse. Without a subcommand: run a "
    "crawl from the given seeds plus whatever the frontier still holds.",
    invoke_without_command=True,
)
app.add_typer(crawl_app, name="crawl")


@crawl_app.callback()
def crawl(
    ctx: typer.Context,
    seeds: Optional[str] = typer.Option(
        None, "--seeds",
        help="Comma-separated seeds: genre:NAME (genre snowball), artist:ID (discography), playlist:ID "
        "(playlist items), track:ID (fetched in batches of 50, then its artists and album), query:WORDS "
        "(artist and playlist search). Quote values with spaces or commas: 'genre:\"dance pop\"'. IDs are "
        "22-character Spotify ids, spotify:artist:ID URIs or open.spotify.com links. Omit to resume the frontier."),
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1,
                                               help="Stop taking new work after this many API requests."),
    max_minutes: Optional[float] = typer.Option(
        None, "--max-minutes", min=0,
        help="End the run after this many minutes, even while it waits out a pause (requests in flight "
        "get a few seconds to finish)."),
    refresh_days: Optional[float] = typer.Option(
        None, "--refresh-older-than", min=0,
        help="Also re-fetch stored artists last fetched more than this many days ago (observations "
        "record what changed)."),
    api_url: Optional[str] = typer.Option(
        None, "--api-url", help="Spotify-compatible API base URL, e.g. the emulator's http://127.0.0.1:PORT/v1 "
        "(env GENRESTORE_API_URL)."),
    token_url: Optional[str] = typer.Option(
        None, "--token-url", help="Token endpoint; follows from --api-url unless set (env GENRESTORE_TOKEN_URL)."),
    reprobe: bool = typer.Option(False, "--reprobe",
                                 help="Probe the credentials' capabilities again even if a probe < 24 h old is stored."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress",
                                            help="Live display on stderr (default: when stderr is a terminal)."),
    workers: int = typer.Option(
        1, "--workers", min=1,
        help="Start this many crawl processes sharing the frontier (needs a PostgreSQL warehouse.url; "
        "each prints its own summary)."),
) -> None:
    """Run a crawl: probe capabilities, then fetch, commit and expand units until the frontier is empty,
    a limit is reached, SIGINT/SIGTERM arrives (requests in flight get a few seconds, then what completed
    is committed) or the API asks for a pause longer than crawl.max_retry_after (the run ends at once
    with exit code 3; later runs refuse to start before the pause ends)."""
    if ctx.invoked_subcommand is not None:
        return
    import warehouse
    from ingest.crawl import parse_seeds, run_crawl

    from ._common import is_tty

    seed_list = parse_seeds(seeds)  # a mistyped seed fails here, before anything is opened
    settings = resolve(ctx, api_url=api_url, token_url=token_url)
    if workers > 1:
        if not settings.warehouse.url:
            raise warehouse.UsageError("--workers needs a shared PostgreSQL warehouse (set warehouse.url, env "
                                       "GENRESTORE_WAREHOUSE__URL); a DuckDB file has one writer")
        import sys

        from ingest.crawl import run_fleet

        raise typer.Exit(run_fleet(workers, sys.argv[1:]))
    with warehouse.writer_for(settings, command="genrestore crawl") as writer:
        result = run_crawl(
            settings, writer, seeds=seed_list, max_requests=max_requests, max_minutes=max_minutes,
            refresh_older_than=timedelta(days=refresh_days) if refresh_days is not None else None,
            progress=is_tty() if progress is None else progress, reprobe=reprobe,
        )
    inserted = ", ".join(f"{k} {v:,}" for k, v in result.inserted.items()) or "none"
    updated = ", ".join(f"{k} {v:,}" for k, v in result.updated.items()) or "none"
    share = result.responses_429 / result.requests if result.requests else 0.0
    err_console.print(
        f"crawl {result.run_id}: [bold]{result.status}[/] ({result.message}); mode {result.mode}; "
        f"{result.requests:,} requests in {result.seconds:,.1f} s, {result.responses_429:,} answered 429 "
        f"({share:.1%}), {result.errors:,} failed units; rows inserted: {inserted}; rows updated: {updated}; "
        f"{result.pending:,} units pending",
        highlight=False, soft_wrap=True)
    if result.status == "paused":
        raise typer.Exit(3)


@crawl_app.command("plan")
def plan(
    ctx: typer.Context,
    artists: int = typer.Option(..., "--artists", min=0, help="How many artists the crawl should cover."),
    releases: float = typer.Option(6.0, "--releases-per-artist", min=0, help="Average releases per artist."),
    tracks: float = typer.Option(8.0, "--tracks-per-release", min=0, help="Average tracks per release."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Estimate requests and duration of a crawl in each API mode, at the configured budget
    (crawl.budget_per_window per crawl.window_seconds) and at the budget an earlier crawl learned
    for that mode at the configured API URL, if any."""
    from ingest.crawl import plan_crawl

    settings = settings_of(ctx)
    estimates = plan_crawl(artists, releases_per_artist=releases, tracks_per_release=tracks,
                           budget_per_window=settings.crawl.budget_per_window,
                           window_seconds=settings.crawl.window_seconds)
    learned = _learned_budgets(settings)
    if as_json:
        print(json.dumps([{**e.as_dict(), "learned_budget": _plan_learned(e, learned.get(e.mode), settings)}
                          for e in estimates], indent=2, default=str))
        return
    for e in estimates:
        t = Table("step", "requests", title=f"{e.mode} mode", title_justify="left")
        for step, n in e.steps.items():
            t.add_row(step, f"{n:,}")
        t.add_row("[bold]total[/]", f"[bold]{e.requests:,}[/]")
        console.print(t)
        console.print(f"≈ {timedelta(seconds=round(e.seconds))} at {settings.crawl.budget_per_window} requests "
                      f"per {settings.crawl.window_seconds:g} s", highlight=False)
        got = _plan_learned(e, learned.get(e.mode), settings)
        if got is not None:
            console.print(f"≈ {timedelta(seconds=round(got['seconds']))} at the learned budget of "
                          f"{got['budget']:.0f} per {settings.crawl.window_seconds:g} s (run {got['run_id']})",
                          highlight=False, soft_wrap=True)
        console.print()


def _learned_budgets(settings) -> dict[str, dict]:
    """mode -> the newest budget learned at the configured API URL (none without a warehouse, or while
    another process holds the writer lock: a plan never waits for one)."""
    import warehouse
    from ingest.crawl import learned_budgets

    if not settings.warehouse.url and not settings.warehouse_file.exists():
        return {}
    try:
        with warehouse.writer_for(settings, command="genrestore crawl plan", create=False) as writer:
            rows = learned_budgets(writer.con)
    except (warehouse.WriterLockedError, warehouse.WarehouseNotFound):
        return {}
    out: dict[str, dict] = {}
    for row in rows:
        if row["api_url"] == settings.api_url.rstrip("/"):
            out.setdefault(row["mode"], row)
    return out


def _plan_learned(estimate, row: dict | None, settings) -> dict | None:
    """The estimate's duration at a learned budget (rescaled to the configured window), or None."""
    if row is None:
        return None
    window = settings.crawl.window_seconds
    budget = min(row["budget"] * window / row["window_seconds"], settings.crawl.budget_ceiling)
    return {"budget": budget, "window_seconds": window, "seconds": estimate.requests / budget * window,
            "run_id": row["run_id"], "learned_at": row["learned_at"]}


@crawl_app.command("status")
def status(
    ctx: typer.Context,
    runs: int = typer.Option(5, "--runs", min=1, help="How many recent runs to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the frontier by kind and state, the last runs, a pause in force, the latest capability probe
    and the rate budgets learned (per API URL and mode).
    While a crawl holds the writer lock (DuckDB lets no other process open the file), show the live
    progress it publishes instead: rate, ETA at the current limits, errors by kind, rows stored."""
    import warehouse
    from ingest.crawl import crawl_status

    settings = settings_of(ctx)
    try:
        with warehouse.writer_for(settings, command="genrestore crawl status", create=False) as writer:
            writer.run(warehouse.close_abandoned_runs)  # runs of killed workers (PostgreSQL) show as failed
            st = crawl_status(writer.con, runs=runs)
    except warehouse.WriterLockedError:
        live = _live_progress(settings.warehouse_file)
        if live is None:  # the writer is not a crawl (or publishes nothing): say who is in the way
            raise
        _print_live(live, as_json)
        return
    if as_json:
        print(json.dumps({"live": False, "queue": st.queue, "runs": st.runs, "paused_until": st.paused_until,
                          "capabilities": st.capabilities, "budgets": st.budgets}, indent=2, default=str))
        return
    if st.paused_until is not None:
        console.print(f"[yellow]paused until {st.paused_until:%Y-%m-%d %H:%M:%S} UTC[/] (a crawl will not start before)")
    q = Table("kind", "pending", "done", "failed", title="frontier", title_justify="left")
    for kind, states in sorted(st.queue.items()):
        q.add_row(kind, *(f"{states.get(s, 0):,}" for s in ("pending", "done", "failed")))
    console.print(q if st.queue else "frontier empty: run `genrestore crawl --seeds genre:rock`")
    if st.runs:
        r = Table("run", "started (UTC)", "status", "mode", "requests", "429s", "failed units", "rows inserted",
                  "rows updated", "message", title="recent runs", title_justify="left")

        def rows(counts):  # runs before migration 0031 have no such counts
            return "-" if counts is None else f"{sum(counts.values()):,}"
        for run in st.runs:
            r.add_row(run["run_id"], f"{run['started_at']:%Y-%m-%d %H:%M:%S}", run["status"], run["mode"] or "",
                      f"{run['requests'] or 0:,}", f"{run['responses_429'] or 0:,}", f"{run['errors'] or 0:,}",
                      rows(run["rows_inserted"]), rows(run["rows_updated"]), (run["message"] or "")[:60])
        console.print(r)
    if st.capabilities:
        c = st.capabilities
        names = ("batch_artists", "batch_tracks", "batch_albums", "audio_features", "genres", "popularity",
                 "genre_filter", "playlist_items")
        removed = [k for k in names if c.get(k) is False]
        unknown = [k for k in names if k in c and c[k] is None]  # the probe saw no evidence either way
        console.print(f"capabilities ({c['mode']} mode, probed {c['probed_at']:%Y-%m-%d %H:%M} UTC at {c['api_url']}): "
                      f"search page {c.get('search_limit')}, album page {c.get('album_page')}; "
                      f"missing: {', '.join(removed) or 'nothing'}"
                      + (f"; unknown: {', '.join(unknown)}" if unknown else ""), highlight=False)
    for b in st.budgets:
        seen = (f"last 429 at {b['limit_seen']:.0f} answered" if b["limit_seen"] is not None
                else "no 429 yet, still ramping" if b["ramping"] else "no 429 seen")
        console.print(f"learned budget ({b['mode']} mode at {b['api_url']}): {b['budget']:.0f} requests per "
                      f"{b['window_seconds']:g} s, {seen}; run {b['run_id']}, {b['learned_at']:%Y-%m-%d %H:%M} UTC "
                      "(the next crawl starts from it)", highlight=False, soft_wrap=True)


def _live_progress(warehouse_file) -> dict | None:
    """The progress published by the crawl that holds the writer lock now, or None."""
    import warehouse
    from ingest.crawl import progress_path, read_progress

    holder = warehouse.read_holder(warehouse_file)
    live = read_progress(progress_path(warehouse_file))
    if holder is None or live is None or live.get("pid") != holder.get("pid") or live.get("state") != "running":
        return None  # a file left by an earlier run, while another process writes
    return live


def _print_live(p: dict, as_json: bool) -> None:
    from ingest.crawl import format_eta

    if as_json:
        print(json.dumps({"live": True, **p}, indent=2))
        return
    w = p["window"]
    errors = ", ".join(f"{kind} {n:,}" for kind, n in p["errors_by_kind"].items())
    console.print(
        f"[bold]crawl {p['run_id']} is running[/] (pid {p['pid']}, mode {p['mode'] or 'probing'}, "
        f"{format_eta(p['elapsed_seconds'])} so far): live progress, {p['age_seconds']:.0f} s old",
        highlight=False)
    console.print(
        f"requests {p['requests']:,} ({p['responses_429']:,} answered 429); rate {p['rate_per_second']:.1f} req/s "
        f"now ({w['sent']} in the last {w['seconds']:g} s, budget {w['budget']:.0f} of {w['ceiling']}), "
        f"{p['average_per_second']:.1f} on average", highlight=False)
    console.print(f"units done {p['units_done']:,}; errors {p['errors']:,}" + (f" ({errors})" if errors else ""),
                  highlight=False)
    if p["paused_for_seconds"] > 0:
        console.print(f"[yellow]waiting out a Retry-After: {p['paused_for_seconds']:.0f} s[/]")
    console.print(f"pending {p['pending_units']:,} units ≈ {p['pending_requests']:,} requests: ETA "
                  f"{format_eta(p['eta_seconds'])} at the current budget (the frontier still grows)", highlight=False)
    t = Table("kind", "pending", title="frontier (pending)", title_justify="left")
    for kind, n in p["pending"].items():
        t.add_row(kind, f"{n:,}")
    console.print(t)
    rows = Table("table", "inserted", "updated", title="rows stored by this run", title_justify="left")
    for table in sorted(set(p["inserted"]) | set(p["updated"])):
        rows.add_row(table, f"{p['inserted'].get(table, 0):,}", f"{p['updated'].get(table, 0):,}")
    console.print(rows)
