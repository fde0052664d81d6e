"""The ``experiments`` table (migration 0029): write a run through the single writer, read runs back."""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

COLUMNS = ("run_id", "name", "source", "protocol", "parameters", "figures", "artifacts", "seconds",
           "snapshot_id", "seed", "status", "error", "created_at")


@dataclass
class ExperimentRun:
    """One run of one experiment, as stored in ``experiments``."""

    run_id: str
    name: str
    source: str
    protocol: str
    parameters: dict
    figures: dict
    artifacts: dict
    seconds: float
    snapshot_id: str | None
    seed: int
    status: str                   # done | failed | skipped
    error: str | None
    created_at: datetime

    def summary(self) -> dict[str, Any]:
        """What ``experiments run --json`` prints per experiment."""
        return {"name": self.name, "seed": self.seed, "status": self.status, "figures": self.figures,
                "seconds": round(self.seconds, 3), **({"error": self.error} if self.error else {})}

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat(timespec="seconds")
        return d


def new_run_id(name: str) -> str:
    return f"{name}-{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_json(value: Any) -> str:
    """JSON with numpy scalars/arrays as numbers/lists and NaN/inf as null (valid JSON everywhere)."""
    return json.dumps(clean(value), sort_keys=False)


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def record(writer, run: ExperimentRun) -> None:
    """Insert one run (one transaction through ``warehouse.Writer``)."""
    with writer.transaction() as con:
        con.execute(f"INSERT INTO experiments ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", [
            run.run_id, run.name, run.source, run.protocol, to_json(run.parameters), to_json(run.figures),
            to_json(run.artifacts), float(run.seconds), run.snapshot_id, int(run.seed), run.status, run.error,
            run.created_at,
        ])


def has_table(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'experiments' "
                            "AND database_name = current_database()").fetchall()[0][0])


def latest_runs(con, *, status: str | None = None) -> dict[str, ExperimentRun]:
    """The latest run of each experiment name (of one status when given); {} without the table."""
    if not has_table(con):
        return {}
    where = "WHERE status = ?" if status else ""
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM experiments {where} "
        "QUALIFY row_number() OVER (PARTITION BY name ORDER BY created_at DESC, run_id DESC) = 1 ORDER BY name",
        [status] if status else []).fetchall()
    return {r[1]: _run(r) for r in rows}


def history(con, name: str | None = None, limit: int = 50) -> list[ExperimentRun]:
    if not has_table(con):
        return []
    where, args = ("WHERE name = ?", [name]) if name else ("", [])
    rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM experiments {where} ORDER BY created_at DESC, run_id DESC "
                       f"LIMIT {int(limit)}", args).fetchall()
    return [_run(r) for r in rows]


def _run(row) -> ExperimentRun:
    d = dict(zip(COLUMNS, row))
    for k in ("parameters", "figures", "artifacts"):
        d[k] = json.loads(d[k])
    return ExperimentRun(**d)
