"""Reading a delimited data-set file into a frame of strings, with the file line of every row.

Everything that makes a whole file unusable raises :class:`~ingest.datasets.ImportFailed` with one
line naming the file: missing, unreadable, truncated or corrupt gzip, not UTF-8, empty, or missing
columns. Rows with the wrong number of fields are not fatal: they come back as rejects.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import polars as pl

from ._errors import ImportFailed

LINE = "_line"
ROW = "_row"
RECORD = "_record"


@dataclass
class RawTable:
    """A data-set file as strings: one Utf8 column per header column plus ``_line`` and ``_record``.

    ``_line`` is the 1-based line of the row in the (uncompressed) file, ``_row`` its 1-based
    number among the data rows (they differ after blank lines or quoted line breaks), ``_record``
    the row as it was read (fields joined by the separator), for ``rejects``.
    """

    path: Path
    frame: pl.DataFrame
    ragged: pl.DataFrame  # rows with the wrong number of fields: line, reason, record
    columns: list[str]

    @property
    def file(self) -> str:
        """The file as recorded in ``rejects``: absolute, so re-imports from another working
        directory match the rejects already recorded."""
        return os.path.abspath(self.path)

    @property
    def rows_read(self) -> int:
        return self.frame.height + self.ragged.height


def read_bytes(path: str | Path) -> bytes:
    """The uncompressed bytes of ``path`` (gzip is detected by its magic number)."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path}: no such file")
    if path.is_dir():
        raise ImportFailed(f"{path}: is a directory, expected a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read ({exc.strerror or exc})") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except EOFError:
            raise ImportFailed(f"{path}: truncated gzip file (compressed stream ends early)") from None
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise ImportFailed(f"{path}: corrupt gzip file ({exc})") from None
    return data


def _header(path: Path, text: str, separator: str, quoting: bool, required: Sequence[str]) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise ImportFailed(f"{path}: empty file (no header line)")
    quote = csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE
    header = [h.strip() for h in next(csv.reader([first], delimiter=separator, quoting=quote))]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFailed(f"{path}: missing column(s) {', '.join(missing)} (found {', '.join(header)})")
    return header


def read_delimited(
    path: str | Path,
    *,
    separator: str,
    required: Sequence[str],
    quoting: bool = True,
) -> RawTable:
    """Read ``path`` (plain or gzip) into a :class:`RawTable` of strings.

    :param separator: field separator (``"\\t"`` or ``","``).
    :param required: columns the file must have; a missing one fails the whole file.
    :param quoting: honour ``"`` quoting (CSV); off for MusicOSet's TSV, whose names contain quotes.

    The usual case is vectorised (lines split in polars, or polars' CSV reader once every line
    is known to hold one whole record); files with quoted line breaks go through the ``csv``
    module, which knows the line each record starts on.
    """
    path = Path(path)
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text (byte {exc.start})") from None
    header = _header(path, text, separator, quoting, required)
    table = _read_by_lines(path, text, header, separator, quoting)
    if table is None:
        table = _read_by_records(path, text, header, separator, quoting)
    if table.rows_read == 0:
        raise ImportFailed(f"{path}: no data rows after the header")
    return table


def _empty_ragged() -> pl.DataFrame:
    return pl.DataFrame({"line": pl.Series([], dtype=pl.Int64), "reason": pl.Series([], dtype=pl.Utf8),
                         "record": pl.Series([], dtype=pl.Utf8)})


def _read_by_lines(path: Path, text: str, header: list[str], separator: str, quoting: bool) -> RawTable | None:
    """The fast path: one record per line. None when a quoted field spans lines."""
    width = len(header)
    lines = pl.Series("text", text.split("\n")[1:], pl.Utf8).str.strip_suffix("\r")
    frame = pl.DataFrame({"text": lines}).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias(LINE)
    ).filter(pl.col("text").str.strip_chars() != "")  # blank lines carry no data
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))
    body = pl.col("text")
    if quoting:
        if frame.select((body.str.count_matches('"', literal=True) % 2 == 1).any()).item():
            return None  # an odd number of quotes on a line: a quoted field spans lines
        body = body.str.replace_all(r'"(?:[^"]|"")*"', "")
    frame = frame.with_columns((body.str.count_matches(separator, literal=True) + 1).alias("_fields"))
    ragged = frame.filter(pl.col("_fields") != width).select(
        pl.col(LINE).alias("line"),
        pl.format("has {} fields, expected {}", pl.col("_fields"), pl.lit(width)).alias("reason"),
        pl.col("text").alias("record"),
    )
    good = frame.filter(pl.col("_fields") == width)
    if quoting and good.select(pl.col("text").str.contains('"', literal=True).any()).item():
        # Quoted fields: polars' CSV reader on exactly these lines, row i = good line i.
        try:
            parsed = pl.read_csv(
                io.StringIO("\n".join([separator.join(header), *good["text"].to_list()])),
                separator=separator, quote_char='"', infer_schema=False, has_header=True,
                new_columns=header,
            )
        except Exception:  # noqa: BLE001 (any parse problem: let the csv module decide)
            return None
        if parsed.height != good.height or parsed.width != width:
            return None
        columns = parsed
    else:
        split = good.select(pl.col("text").str.split(separator).alias("f"))
        columns = split.select(pl.col("f").list.get(i).alias(name) for i, name in enumerate(header))
    out = pl.concat([columns, good.select(LINE, ROW, pl.col("text").alias(RECORD))], how="horizontal")
    return RawTable(path=path, frame=out, ragged=ragged.sort("line"), columns=header)


def _read_by_records(path: Path, text: str, header: list[str], separator: str, quoting: bool) -> RawTable:
    """The general path (quoted line breaks): Python's csv module, record by record."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=separator,
        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
        strict=False,
    )
    next(reader)
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    numbers: list[int] = []
    count = 0
    ragged_lines: list[int] = []
    ragged_reasons: list[str] = []
    ragged_records: list[str] = []
    start = reader.line_num + 1
    # The csv module refuses fields over 128 KiB; size is checked later, per row, against
    # imports.max_field_bytes, so a long field rejects its row instead of failing the file.
    old_limit = csv.field_size_limit(2**31 - 1)
    try:
        for fields in reader:
            line = start
            start = reader.line_num + 1
            if not fields or not any(f.strip() for f in fields) and len(fields) == 1:
                continue  # a blank line carries no data
            count += 1
            if len(fields) != width:
                ragged_lines.append(line)
                ragged_reasons.append(f"has {len(fields)} fields, expected {width}")
                ragged_records.append(separator.join(fields))
                continue
            rows.append(fields)
            lines.append(line)
            numbers.append(count)
    except csv.Error as exc:
        raise ImportFailed(f"{path}: cannot parse line {reader.line_num} ({exc})") from None
    finally:
        csv.field_size_limit(old_limit)
    if rows:
        columns = list(zip(*rows))
        frame = pl.DataFrame({name: pl.Series(name, col, pl.Utf8) for name, col in zip(header, columns)})
    else:
        frame = pl.DataFrame({name: pl.Series(name, [], pl.Utf8) for name in header})
    frame = frame.with_columns(
        pl.Series(LINE, lines, pl.Int64),
        pl.Series(ROW, numbers, pl.Int64),
        pl.Series(RECORD, [separator.join(r) for r in rows], pl.Utf8),
    )
    ragged = pl.DataFrame(
        {"line": pl.Series(ragged_lines, dtype=pl.Int64), "reason": pl.Series(ragged_reasons, dtype=pl.Utf8),
         "record": pl.Series(ragged_records, dtype=pl.Utf8)}
    )
    return RawTable(path=path, frame=frame, ragged=ragged, columns=header)
