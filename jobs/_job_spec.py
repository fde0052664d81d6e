"""What a job is: its spec (name, help, options, grace time), its context and its outcome.

Each job is a function of a :class:`JobContext` (settings, the open writer, its options, a stop
event) returning a :class:`JobOutcome`. :func:`jobs.run_job` opens the writer, records the run and
calls it; the CLI and the scheduler both go through ``run_job``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from warehouse import UsageError, Writer

if TYPE_CHECKING:  # the composed settings load modeling: see jobs._settings
    from ._settings import Settings


@dataclass
class JobContext:
    settings: Settings
    writer: Writer
    options: dict[str, Any]
    run_id: str
    trigger: str = "manual"
    progress: bool = False
    stop_event: threading.Event = field(default_factory=threading.Event)


@dataclass
class JobOutcome:
    status: str = "succeeded"
    counts: dict[str, Any] = field(default_factory=dict)
    snapshot_id: str | None = None
    message: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class JobOption:
    name: str
    type: type | Callable[[Any], Any]
    help: str
    default: Any = None


@dataclass(frozen=True)
class JobSpec:
    name: str
    help: str
    fn: Callable[[JobContext], JobOutcome]
    options: tuple[JobOption, ...] = ()
    default_grace_seconds: float = 3600.0  # how late a missed scheduled run may still start

    def parse_options(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Options with their defaults, coerced from strings (env, command line) to their types."""
        known = {o.name: o for o in self.options}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise UsageError(f"job {self.name} has no option {unknown[0]!r} (options: {allowed})")
        out = {}
        for name, opt in known.items():
            value = raw.get(name, opt.default)
            if value is None:
                out[name] = None
                continue
            try:
                out[name] = _coerce(value, opt.type)
            except (TypeError, ValueError):
                raise UsageError(f"job {self.name} option {name}: {value!r} is not a valid {opt.type.__name__}") from None
            except UsageError as exc:  # the option's own parser said what is wrong (e.g. a bad seed)
                raise UsageError(f"job {self.name} option {name}: {exc}") from None
        return out


def _coerce(value: Any, typ: Any) -> Any:
    if typ is list:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return list(value)
    if typ is bool and isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(value)
    return typ(value)
