"""Read + validate one input file: the step every importer starts with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import polars as pl

from ._reading import RawTable, read_delimited
from ._validate import Col, check_share, coerce, split


@dataclass
class Loaded:
    """Good rows (typed, with ``_line``), the rejects, and the file they came from."""

    raw: RawTable
    rows: pl.DataFrame
    rejects: pl.DataFrame

    @property
    def file(self) -> str:
        return self.raw.file


def load(
    path: str | Path,
    spec: Sequence[Col],
    *,
    separator: str = ",",
    quoting: bool = True,
    max_reject_share: float = 0.01,
    refine: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> Loaded:
    """Read ``path``, cast its columns per ``spec``, optionally ``refine`` (add reasons or derived
    columns), split good rows from rejects and fail the file if too many are bad."""
    raw = read_delimited(path, separator=separator, required=[c.name for c in spec], quoting=quoting)
    typed = coerce(raw, spec)
    if refine is not None:
        typed = refine(typed)
    good, bad = split(typed, raw)
    check_share(raw, bad, max_reject_share)
    return Loaded(raw, good, bad)
