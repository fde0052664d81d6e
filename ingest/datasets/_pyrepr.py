"""Safe parsing of the Python-repr lists and dicts in MusicOSet (``ast.literal_eval``, never eval)."""

from __future__ import annotations

import ast
from typing import Iterable

import polars as pl
import pyarrow as pa


def parse_str_list(values: Iterable[str | None]) -> tuple[list[list[str] | None], list[str | None]]:
    """``"['dance pop', 'pop']"`` → ``['dance pop', 'pop']``; NULL stays NULL (unknown).

    Returns (parsed values, error per value or None).
    """
    parsed: list[list[str] | None] = []
    errors: list[str | None] = []
    cache: dict[str, list[str]] = {}
    for text in values:
        if text is None or text.strip() == "":
            parsed.append(None)
            errors.append(None)
            continue
        if text in cache:
            parsed.append(cache[text])
            errors.append(None)
            continue
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed.append(None)
            errors.append("not a Python list literal")
            continue
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            parsed.append(None)
            errors.append("not a list of strings")
            continue
        out = [v.strip() for v in value if v.strip()]
        cache[text] = out
        parsed.append(out)
        errors.append(None)
    return parsed, errors


def parse_str_dict(values: Iterable[str | None]) -> tuple[list[list[tuple[str, str]] | None], list[str | None]]:
    """``"{'id1': 'Name', 'id2': 'Other'}"`` → ``[('id1', 'Name'), ('id2', 'Other')]`` (order kept)."""
    parsed: list[list[tuple[str, str]] | None] = []
    errors: list[str | None] = []
    for text in values:
        if text is None or text.strip() == "":
            parsed.append(None)
            errors.append(None)
            continue
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed.append(None)
            errors.append("not a Python dict literal")
            continue
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
        ):
            parsed.append(None)
            errors.append("not a dict of id → name strings")
            continue
        parsed.append(list(value.items()))
        errors.append(None)
    return parsed, errors


def list_series(name: str, values: list[list[str] | None]) -> pl.Series:
    """A polars List(Utf8) series built through Arrow offsets (much faster than from nested lists)."""
    offsets = [0]
    flat: list[str] = []
    nulls: list[bool] = []
    for v in values:
        nulls.append(v is None)
        if v is not None:
            flat.extend(v)
        offsets.append(len(flat))
    array = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), pa.array(flat, pa.string()), mask=pa.array(nulls, pa.bool_())
    )
    return pl.Series(name, pl.from_arrow(array)).cast(pl.List(pl.Utf8))
