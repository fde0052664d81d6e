"""The live crawl display (stderr): requests, rate against the budget, 429s, rows stored, queue depth."""

from __future__ import annotations

import time

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text


class LiveDisplay:
    def __init__(self, crawl, settings):
        self.crawl = crawl
        self.window = settings.crawl.window_seconds
        self.console = Console(stderr=True)
        self.started = time.monotonic()
        self._live: Live | None = None

    def render(self):
        c = self.crawl
        stats = c.client.stats
        lim = c.client.limiter
        elapsed = max(1e-6, time.monotonic() - self.started)
        in_window = lim.sent_in_window()
        head = Table.grid(padding=(0, 2))
        head.add_row(
            Text(f"requests {stats.requests:,}", style="bold"),
            Text(f"rate {in_window}/{lim.ceiling} per {self.window:g}s (budget now {lim.budget:.0f})"),
            Text(f"429s {stats.responses_429:,}", style="red" if stats.responses_429 else ""),
            Text(f"errors {c.errors:,}"),
            Text(f"units {c.units_done:,}"),
            Text(f"{stats.requests / elapsed:.1f} req/s"),
        )
        if lim.paused_for > 0:
            head.add_row(Text(f"paused {lim.paused_for:.0f}s (Retry-After)", style="yellow"))
        ent = Table("table", "inserted", "updated", box=None, pad_edge=False)
        for table in sorted(set(c.inserted) | set(c.updated)):
            ent.add_row(table, f"{c.inserted.get(table, 0):,}", f"{c.updated.get(table, 0):,}")
        queue = Table("queue (pending)", "units", box=None, pad_edge=False)
        for kind, n in sorted(c.pending.items()):
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
