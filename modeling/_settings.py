"""The ``[modeling]`` section: how model fits use the machine, and the precision `predicted` is stated at.

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
    target_precision: float = Field(
        0.7, gt=0, lt=1, description="The stated precision the retrain job's model assigns `predicted` at: per "
        "family, the lowest calibrated probability whose out-of-fold precision reaches it (see docs/modeling.md)."
    )
