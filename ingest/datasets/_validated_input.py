"""Read + validate one input file: the step every importer starts with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import polars as pl

from .._settings import MAX_FIELD_BYTES
from ._duplicates import Unique, resolve_duplicates
from ._reading import RawTable, read_delimited
from ._validate import Col, check_share, coerce, split


@dataclass
class Loaded:
    """Good rows (typed, with ``_line``), the rejects, identical repeats merged away, and the file
    they came from."""

    raw: RawTable
    rows: pl.DataFrame
    rejects: pl.DataFrame
    merged: int = 0

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
    max_field_bytes: int = MAX_FIELD_BYTES,
    refine: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    unique: Sequence[Unique] = (),
) -> Loaded:
    """Read ``path``, cast its columns per ``spec`` (a field over ``max_field_bytes`` rejects its
    row), optionally ``refine`` (add reasons or derived columns), apply the ``unique`` rules
    (identical repeats merged, conflicting ones rejected), split good rows from rejects and fail
    the file if too many are bad."""
    raw = read_delimited(path, separator=separator, required=[c.name for c in spec], quoting=quoting)
    typed = coerce(raw, spec, max_field_bytes)
    if refine is not None:
        typed = refine(typed)
    merged = 0
    for rule in unique:
        typed, dropped = resolve_duplicates(typed, spec, rule)
        merged += dropped
    good, bad = split(typed, raw, max_field_bytes)
    check_share(raw, bad, max_reject_share)
    return Loaded(raw, good, bad, merged)
