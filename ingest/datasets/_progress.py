"""A step-wise rich progress bar on stderr (silent when disabled)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def steps(title: str, total: int, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield ``advance(label)``: marks one of ``total`` steps done and names the next one."""
    if not enabled:
        yield lambda label: None
        return
    progress = Progress(
        TextColumn("[bold]{task.fields[title]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        task = progress.add_task("reading", total=total, title=title)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=label)

        yield advance
        progress.update(task, completed=total, description="done")
