"""Rows of one file that share a key: identical ones are merged, conflicting ones rejected.

Nothing is resolved silently. A file key (``instance_id`` of music_genre, ``artist_id`` of
MusicOSet's artists.csv, ...) that repeats with the same values everywhere is one row listed
twice: the first occurrence is kept and the others are counted as *merged*. A key that repeats
with different values has no right answer, so every row holding it is rejected with a reason
naming the other lines and the columns that differ, e.g.
``duplicate key instance_id=10010 (also at line 1502), conflicting values in popularity``.

The same check covers values that depend on a key without being a file key (spotify_songs lists a
track once per playlist, and its name, popularity and audio features must agree in every row);
there identical repeats are kept, since each row is a membership of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import polars as pl

from ._reading import LINE
from ._validate import REASON, Col

SHOWN = 3  # other lines, and differing columns, named in a reason; more are summarised as "and N more"


@dataclass(frozen=True)
class Unique:
    """``key`` (output column names) determines ``values`` (default: every other spec column).

    :param merge_identical: drop identical repeats (a file key), counting them as merged; when
        False they are all kept (e.g. one row per playlist membership).
    """

    key: tuple[str, ...]
    values: tuple[str, ...] | None = None
    merge_identical: bool = True


def _name_of(spec: Sequence[Col]) -> dict[str, str]:
    return {c.out: c.name for c in spec}


def _some(items: list) -> str:
    more = f" and {len(items) - SHOWN:,} more" if len(items) > SHOWN else ""
    return ", ".join(str(i) for i in items[:SHOWN]) + more


def resolve_duplicates(frame: pl.DataFrame, spec: Sequence[Col], rule: Unique) -> tuple[pl.DataFrame, int]:
    """``frame`` (typed rows with ``_line`` and ``_reason``) with conflicting repeats of
    ``rule.key`` given a reject reason and identical repeats dropped; and how many were dropped.

    Rows already bad, and rows with a NULL key part, take no part.
    """
    key = list(rule.key)
    values = list(rule.values) if rule.values is not None else [c.out for c in spec if c.out not in key]
    candidates = pl.col(REASON).is_null() & pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    repeated = frame.filter(candidates & pl.struct(key).is_duplicated())
    if repeated.height == 0:  # the usual case: one vectorised pass and done
        return frame, 0
    names = _name_of(spec)
    groups: dict[tuple, list[tuple[int, tuple]]] = {}
    for row in repeated.select(*key, *values, LINE).sort(LINE).iter_rows():
        groups.setdefault(row[: len(key)], []).append((row[-1], row[len(key):-1]))
    drop: list[int] = []
    reason_lines: list[int] = []
    reasons: list[str] = []
    for key_values, rows in groups.items():
        first = rows[0][1]
        differing = [names.get(v, v) for i, v in enumerate(values) if any(r[1][i] != first[i] for r in rows)]
        if not differing:
            if rule.merge_identical:
                drop.extend(line for line, _ in rows[1:])
            continue
        shown_key = ", ".join(f"{names.get(k, k)}={v}" for k, v in zip(key, key_values))
        lines = [line for line, _ in rows]
        columns = _some(differing)
        head = lines[: SHOWN + 1]  # enough to name SHOWN others of any line (not O(n²) for a big group)
        for line in lines:
            others = [n for n in head if n != line][:SHOWN]
            more = len(lines) - 1 - len(others)
            shown_lines = ", ".join(map(str, others)) + (f" and {more:,} more" if more else "")
            reason_lines.append(line)
            reasons.append(f"duplicate key {shown_key} (also at line{'s' if len(lines) > 2 else ''} "
                           f"{shown_lines}), conflicting values in {columns}")
    out = frame.filter(~pl.col(LINE).is_in(drop)) if drop else frame
    if reasons:
        extra = pl.DataFrame({LINE: pl.Series(reason_lines, dtype=pl.Int64),
                              "_dup_reason": pl.Series(reasons, dtype=pl.Utf8)})
        out = (
            out.join(extra, on=LINE, how="left", maintain_order="left")
            .with_columns(pl.coalesce(REASON, "_dup_reason").alias(REASON))
            .drop("_dup_reason")
        )
    return out, len(drop)
