"""The ``[imports]`` section: limits of the data-set importers.

Declared here, resolved by ``warehouse.settings`` as part of ``jobs.Settings``
(``[imports] max_field_bytes`` / ``GENRESTORE_IMPORTS__MAX_FIELD_BYTES``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

# Default of ``imports.max_field_bytes``; the importer functions take it as their default too.
MAX_FIELD_BYTES = 1 << 20


class ImportSettings(BaseModel):
    max_field_bytes: int = Field(
        MAX_FIELD_BYTES, ge=1,
        description="A data-set field longer than this many bytes (UTF-8) rejects its row "
        "(recorded in rejects with file, line and reason); default 1 MiB.",
    )
