"""Result objects of the other packages turned into the JSON stored in ``job_runs.counts``."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any


def plain(obj: Any) -> Any:
    """A result object (dataclass, pydantic model, mapping) as JSON-ready data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    elif hasattr(obj, "model_dump"):
        obj = obj.model_dump()
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, (datetime, timedelta)):
        return str(obj)
    if hasattr(obj, "item"):  # numpy scalars
        try:
            return obj.item()
        except (TypeError, ValueError):
            pass
    return str(obj)


def summarize(data: Any, limit: int = 40) -> dict[str, Any]:
    """Keep a result's scalar and small fields for job_runs.counts (not megabytes of tables)."""
    data = plain(data)
    if not isinstance(data, dict):
        return {"result": data}
    out = {}
    for k, v in data.items():
        if isinstance(v, (dict, list)) and len(json.dumps(v, default=str)) > 4000:
            out[k] = f"<{type(v).__name__} of {len(v)}>"
        else:
            out[k] = v
        if len(out) >= limit:
            break
    return out
