"""Vectorised row validation: cast string columns to their types, collect a reason per bad row.

A :class:`Col` says what a column must hold and which sentinel strings mean "missing". ``coerce``
casts every column with polars (no per-row Python) and adds ``_reason`` (NULL for good rows), after
rejecting rows with a field over the size limit;
importers may add their own reasons with :func:`add_reason`, then :func:`split` separates the good
rows from the rejects and :func:`check_share` fails the file when too many rows are bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import polars as pl


from ._errors import ImportFailed
from ._reading import LINE, RECORD, ROW, RawTable

REASON = "_reason"
Kind = Literal["str", "id", "int", "float", "bool"]
_TRUE = ("true", "t", "1", "yes")
_FALSE = ("false", "f", "0", "no")
RECORD_KEPT_CHARS = 1_000  # of a reject's record over the field limit


@dataclass(frozen=True)
class Col:
    """A column of an input file.

    :param name: header name in the file.
    :param kind: ``id`` (required non-empty string), ``str``, ``int``, ``float`` or ``bool``.
    :param nulls: sentinel strings that mean "missing" (become NULL, not a reject).
    :param rename: column name in the output frame (default: ``name``).
    :param required: a missing value rejects the row (``id`` columns always are required).
    """

    name: str
    kind: Kind = "str"
    nulls: tuple[str, ...] = ()
    rename: str | None = None
    required: bool = False

    @property
    def out(self) -> str:
        return self.rename or self.name


def _missing(raw: pl.Expr, nulls: Sequence[str]) -> pl.Expr:
    m = raw.is_null() | (raw == "")
    if nulls:
        m = m | raw.is_in(list(nulls))
    return m


def _typed(col: Col) -> tuple[pl.Expr, pl.Expr]:
    """(value expression, reason expression) for one column."""
    value, reason = _typed_value(col)
    if col.required and col.kind != "id":
        missing = _missing(pl.col(col.name).str.strip_chars(), col.nulls)
        reason = pl.when(missing).then(pl.lit(f"{col.name}: missing")).otherwise(reason)
    return value, reason


def _typed_value(col: Col) -> tuple[pl.Expr, pl.Expr]:
    raw = pl.col(col.name).str.strip_chars()
    missing = _missing(raw, col.nulls)
    if col.kind in ("str", "id"):
        value = pl.when(missing).then(None).otherwise(pl.col(col.name))
        bad = missing if col.kind == "id" else pl.lit(False)
        reason = pl.when(bad).then(pl.lit(f"{col.name}: missing"))
        return value.alias(col.out), reason
    if col.kind == "bool":
        low = raw.str.to_lowercase()
        value = (
            pl.when(missing).then(None)
            .when(low.is_in(list(_TRUE))).then(True)
            .when(low.is_in(list(_FALSE))).then(False)
            .otherwise(None)
        )
        bad = ~missing & value.is_null()
        reason = pl.when(bad).then(pl.format(f"{col.name}: not a boolean ({{}})", raw))
        return value.alias(col.out), reason
    num = raw.cast(pl.Float64, strict=False)
    ok_number = num.is_not_null() & num.is_finite()
    if col.kind == "int":
        ok = ok_number & (num == num.floor()) & (num.abs() < 2.0**53)
        value = pl.when(~missing & ok).then(num).otherwise(None).cast(pl.Int64)
        what = "an integer"
    else:
        ok = ok_number
        value = pl.when(~missing & ok).then(num).otherwise(None)
        what = "a number"
    bad = ~missing & ~ok
    reason = pl.when(bad).then(pl.format(f"{col.name}: not {what} ({{}})", raw))
    return value.alias(col.out), reason


def _oversize_reasons(frame: pl.DataFrame, columns: Sequence[str], max_field_bytes: int) -> pl.Series | None:
    """A reason for each row holding a field over ``max_field_bytes`` (NULL elsewhere); None when
    no row does (the usual case costs one vectorised pass)."""
    sizes = frame.select(pl.col(c).str.len_bytes().fill_null(0).alias(c) for c in columns)
    big = sizes.select(pl.any_horizontal(pl.col(c) > max_field_bytes for c in columns)).to_series()
    if not big.any():
        return None
    reasons: list[str | None] = [None] * frame.height
    for i in big.arg_true().to_list():
        over = [(c, sizes[c][i]) for c in columns if sizes[c][i] > max_field_bytes]
        reasons[i] = "; ".join(
            f"{c}: field of {n:,} bytes, over the limit of {max_field_bytes:,} (imports.max_field_bytes)"
            for c, n in over
        )
    return pl.Series(REASON, reasons, dtype=pl.Utf8)


def coerce(raw: RawTable, spec: Sequence[Col], max_field_bytes: int) -> pl.DataFrame:
    """Typed columns named by ``spec`` plus ``_line``, ``_row``, ``_record`` and ``_reason``.

    A row whose fields are all empty gets the reason ``empty row`` instead of one per column; a
    row with a field (any column of the file) over ``max_field_bytes`` gets that as its only reason.
    """
    frame = raw.frame
    oversize = _oversize_reasons(frame, raw.columns, max_field_bytes)
    if oversize is not None:
        # The row is rejected for its size: its fields are not parsed (no literal_eval of 30 MB).
        frame = frame.with_columns(
            pl.when(oversize.is_not_null()).then(None).otherwise(pl.col(c)).alias(c) for c in raw.columns
        )
    values, reasons = zip(*(_typed(c) for c in spec))
    all_empty = pl.all_horizontal([_missing(pl.col(c).str.strip_chars(), ()) for c in raw.columns])
    joined = pl.concat_str(list(reasons), separator="; ", ignore_nulls=True)
    reason = (
        pl.when(all_empty).then(pl.lit("empty row"))
        .when(joined != "").then(joined)
        .otherwise(None)
    )
    typed = frame.select(*values, pl.col(LINE), pl.col(ROW), pl.col(RECORD), reason.alias(REASON))
    if oversize is not None:
        typed = typed.with_columns(pl.coalesce(pl.lit(oversize), REASON).alias(REASON))
    return typed


def add_reason(frame: pl.DataFrame, reason: pl.Expr | pl.Series) -> pl.DataFrame:
    """Add another reason (NULL where fine) to the rows' ``_reason``."""
    extra = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
    return frame.with_columns(
        pl.concat_str([pl.col(REASON), extra], separator="; ", ignore_nulls=True)
        .replace("", None)
        .alias(REASON)
    )


def cut_record(record: pl.Expr, max_bytes: int) -> pl.Expr:
    """A reject's record, cut to its first ``RECORD_KEPT_CHARS`` characters when it is longer than
    ``max_bytes``: ``rejects`` must not store the oversized field it was rejected for."""
    size = record.str.len_bytes()
    return (
        pl.when(size > max_bytes)
        .then(pl.format("{}… [record cut: {} bytes]", record.str.slice(0, RECORD_KEPT_CHARS), size))
        .otherwise(record)
    )


def split(frame: pl.DataFrame, raw: RawTable, max_field_bytes: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good rows without the helper columns, rejects as line/reason/record incl. ragged rows)."""
    bad_mask = pl.col(REASON).is_not_null()
    good = frame.filter(~bad_mask).drop(RECORD, REASON)
    bad = frame.filter(bad_mask).select(
        pl.col(LINE).alias("line"), pl.col(REASON).alias("reason"), pl.col(RECORD).alias("record")
    )
    bad = pl.concat([raw.ragged, bad]).sort("line")
    bad = bad.with_columns(cut_record(pl.col("record"), max_field_bytes).alias("record"))
    return good, bad


def check_share(raw: RawTable, rejects: pl.DataFrame, max_share: float) -> None:
    """Fail the file when more than ``max_share`` of its rows are bad (e.g. a column that is
    non-numeric throughout means the file is not what we think it is)."""
    total = raw.rows_read
    if total == 0 or rejects.height == 0 or rejects.height / total <= max_share:
        return
    first = rejects.row(0, named=True)
    common = (
        rejects.select(pl.col("reason").str.split("; ").explode().str.replace(r" \(.*\)$", "")
                       # one kind per column, whatever the key or size
                       .str.replace(r"^duplicate key ([^=]+)=.*$", "duplicate key ${1} with conflicting values")
                       .str.replace(r": field of [\d,]+ bytes, over the limit of .*$", ": field over the size limit")
                       .alias("r"))
        .group_by("r").len().sort("len", descending=True).row(0)
    )
    raise ImportFailed(
        f"{raw.file}: {rejects.height:,} of {total:,} rows are bad "
        f"({rejects.height / total:.1%}, at most {max_share:.1%} allowed); "
        f"most common: {common[0]} ({common[1]:,} rows); first at line {first['line']}: {first['reason']}"
    )
