"""The ``[modeling]`` section: how model fits use the machine.

Declared here, resolved by ``warehouse.settings`` as part of ``jobs.Settings``
(``[modeling] jobs`` / ``GENRESTORE_MODELING__JOBS``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ModelingSettings(BaseModel):
    jobs: int = Field(
        2, ge=1, description="Threads per model fit (LightGBM, random forests; artist families: boosters fit "
        "side by side). 1 on a busy machine."
    )
