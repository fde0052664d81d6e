"""The live crawl display (stderr): requests, rate against the budget, ETA, 429s, errors by kind, rows
stored, queue depth (the figures of the progress file, ``_progress.snapshot``)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ._progress import format_eta, snapshot


class LiveDisplay:
    def __init__(self, crawl):
        self.crawl = crawl
        self.console = Console(stderr=True)
        self._live: Live | None = None

    def render(self):
        p = snapshot(self.crawl)
        w = p["window"]
        head = Table.grid(padding=(0, 2))
        head.add_row(
            Text(f"requests {p['requests']:,}", style="bold"),
            Text(f"rate {w['sent']}/{w['ceiling']} per {w['seconds']:g}s (budget now {w['budget']:.0f})"),
            Text(f"429s {p['responses_429']:,}", style="red" if p["responses_429"] else ""),
            Text(f"units {p['units_done']:,}"),
            Text(f"{p['rate_per_second']:.1f} req/s now, {p['average_per_second']:.1f} on average"),
            Text(f"ETA {format_eta(p['eta_seconds'])} for {p['pending_requests']:,} pending requests"),
        )
        errors = ", ".join(f"{kind} {n:,}" for kind, n in p["errors_by_kind"].items())
        head.add_row(Text(f"errors {p['errors']:,}" + (f" ({errors})" if errors else ""),
                          style="red" if p["errors"] else ""))
        if p["paused_for_seconds"] > 0:
            head.add_row(Text(f"paused {p['paused_for_seconds']:.0f}s (Retry-After)", style="yellow"))
        ent = Table("table", "inserted", "updated", box=None, pad_edge=False)
        for table in sorted(set(p["inserted"]) | set(p["updated"])):
            ent.add_row(table, f"{p['inserted'].get(table, 0):,}", f"{p['updated'].get(table, 0):,}")
        queue = Table("queue (pending)", "units", box=None, pad_edge=False)
        for kind, n in p["pending"].items():
            queue.add_row(kind, f"{n:,}")
        grid = Table.grid(padding=(0, 4))
        grid.add_row(ent, queue)
        return Group(head, grid)

    def start(self) -> None:
        self._live = Live(console=self.console, get_renderable=self.render, refresh_per_second=2,
                          transient=False, redirect_stdout=False, redirect_stderr=False)
        self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
