"""What an import did: rows per table, rejected rows, time taken."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportReport:
    """The outcome of one import (one transaction).

    :ivar source: the ``source`` value the rows carry (``musicoset``, ``music_genre``, ...).
    :ivar tables: rows written per table (valid incoming rows; unchanged rows count too, since
        re-importing is a no-op that still "lands" them).
    :ivar rejected: rows of the input files that failed validation (stored in ``rejects``).
    :ivar rows_read: data rows read per input file.
    :ivar seconds: wall time of the whole import.
    """

    source: str
    tables: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    rows_read: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{t} {n:,}" for t, n in self.tables.items())
        return f"{self.source}: {counts}; {self.rejected:,} rejected; {self.seconds:.1f} s"
