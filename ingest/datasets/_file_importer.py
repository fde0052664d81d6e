"""The shape every one-file importer shares: read + validate, build table rows, write them and the
rejects in one transaction, report."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

import polars as pl

from warehouse import Writer

from .._settings import MAX_FIELD_BYTES
from ._duplicates import Unique
from ._validated_input import Loaded, load
from ._progress import steps
from ._report import ImportReport
from ._validate import Col
from ._writing import now, quiet_duckdb, sample_rejects, upsert_own, write_rejects

# table → (rows, primary key)
TableRows = dict[str, tuple[pl.DataFrame, list[str]]]


def import_file(
    writer: Writer,
    file: str | Path,
    *,
    source: str,
    spec: Sequence[Col],
    build: Callable[[Loaded, datetime], TableRows],
    separator: str = ",",
    progress: bool = True,
    max_reject_share: float = 0.01,
    max_field_bytes: int = MAX_FIELD_BYTES,
    refine: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    unique: Sequence[Unique] = (),
) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport(source)
    with steps(f"import {source}", 2, progress) as advance:
        loaded = load(file, spec, separator=separator, max_reject_share=max_reject_share,
                      max_field_bytes=max_field_bytes, refine=refine, unique=unique)
        report.rows_read[loaded.file] = loaded.raw.rows_read
        report.merged = loaded.merged
        report.first_rejects = sample_rejects(loaded.file, loaded.rejects)
        advance(f"read {Path(file).name}")
        tables = build(loaded, now())
        with writer.transaction() as con, quiet_duckdb(con):
            for table, (rows, key) in tables.items():
                report.tables[table] = upsert_own(con, table, rows, key, source)
            report.rejected = write_rejects(con, source, loaded.file, loaded.rejects)
        advance("written")
    report.seconds = time.perf_counter() - started
    return report
