"""Reading a delimited data-set file into a frame of strings, with the file line of every row.

Everything that makes a whole file unusable raises :class:`~warehouse.errors.ImportFailed` with one
line naming the file: missing, unreadable, truncated or corrupt gzip, not UTF-8, empty, or missing
columns. Rows with the wrong number of fields are not fatal: they come back as rejects.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import polars as pl

from warehouse.errors import ImportFailed

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
        return str(self.path)

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
    """
    path = Path(path)
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=separator,
        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
        strict=False,
    )
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(f"{path}: empty file (no header line)") from None
    except csv.Error as exc:
        raise ImportFailed(f"{path}: cannot parse the header ({exc})") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFailed(
            f"{path}: missing column(s) {', '.join(missing)} "
            f"(found {', '.join(header) if any(header) else 'no columns'})"
        )
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    numbers: list[int] = []
    count = 0
    ragged_lines: list[int] = []
    ragged_reasons: list[str] = []
    ragged_records: list[str] = []
    start = reader.line_num + 1
    try:
        for fields in reader:
            line = start
            start = reader.line_num + 1
            if not fields:
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
    if not rows and not ragged_lines:
        raise ImportFailed(f"{path}: no data rows after the header")
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
