"""What an import did: rows inserted, updated and unchanged per table, rows rejected and merged,
time taken."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SAMPLE_REJECTS = 5  # rejects an import report carries as examples (all are in `rejects`)


@dataclass(frozen=True)
class TableCounts:
    """What an import did to one table.

    :ivar inserted: new rows.
    :ivar updated: rows of this source whose values changed (rewritten).
    :ivar unchanged: rows of this source already holding these values (not rewritten).
    :ivar other_source: rows left alone because another source (the crawler, another data set)
        wrote that key first.
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    other_source: int = 0

    @property
    def stored(self) -> int:
        """Rows of this import the table now holds: inserted + updated + unchanged."""
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class Reject:
    file: str
    line: int | None
    reason: str


@dataclass
class ImportReport:
    """The outcome of one import (one transaction).

    :ivar source: the ``source`` value the rows carry (``musicoset``, ``music_genre``, ...).
    :ivar tables: per table, rows inserted, updated, unchanged and left to another source.
    :ivar rows_read: data rows read per input file.
    :ivar rejected: rows of the input files that were not imported (stored in ``rejects`` with
        file, line and reason): failed validation, a field over the size limit, or a key repeated
        with conflicting values.
    :ivar merged: rows that repeated an earlier row of the same file exactly (same key, same
        values) and were merged into it.
    :ivar first_rejects: the first few rejects, as examples.
    :ivar seconds: wall time of the whole import.
    """

    source: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    merged: int = 0
    first_rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = "; ".join(
            f"{t} {c.inserted:,} inserted, {c.updated:,} updated, {c.unchanged:,} unchanged"
            + (f", {c.other_source:,} left to another source" if c.other_source else "")
            for t, c in self.tables.items()
        )
        return (f"{self.source}: {counts}; {sum(self.rows_read.values()):,} rows read, {self.rejected:,} rejected, "
                f"{self.merged:,} merged; {self.seconds:.1f} s")

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for ``--json``)."""
        return {
            "source": self.source,
            "tables": {t: asdict(c) for t, c in self.tables.items()},
            "rows_read": dict(self.rows_read),
            "rejected": self.rejected,
            "merged": self.merged,
            "first_rejects": [asdict(r) for r in self.first_rejects],
            "seconds": round(self.seconds, 3),
        }
