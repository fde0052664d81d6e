"""Seeded, reproducible fault injection.

A spec string such as "5xx=0.05,hang=0.02,malformed=0.01,truncated=0.01,latency=0.005,token_ttl=120"
gives per-request probabilities for each fault kind, plus settings:

  5xx        answer 500, 502 or 503 (502 with a non-JSON HTML body, as gateways do)
  hang       sleep `hang_s` seconds (default 30, longer than any sane client timeout), then answer
  latency    sleep `latency_s` seconds (default 1.5), then answer normally
  malformed  200 with a body that is not JSON
  truncated  200 whose body stops half-way and the connection closes (Content-Length not met)
  spurious401  401 on a valid token (reported since July 2026; a retry after refresh succeeds)
  bare429    429 without a Retry-After header (reported in 2026 write-ups, docs §5.2)
  nulls      a null entry is put into search result pages (as Spotify does for playlists)
  token_ttl  tokens really expire after this many seconds although expires_in says otherwise
  hang_s, latency_s  durations for hang and latency

The decision for a request is a hash of (seed, method and URL, how many times that URL was asked
before), so the same sequence of requests per URL sees the same faults, even under concurrency.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

from warehouse.errors import UsageError

KINDS = ("5xx", "hang", "malformed", "truncated", "latency", "spurious401", "bare429")


@dataclass(frozen=True)
class FaultSpec:
    p_5xx: float = 0.0
    hang: float = 0.0
    malformed: float = 0.0
    truncated: float = 0.0
    latency: float = 0.0
    spurious401: float = 0.0
    bare429: float = 0.0
    nulls: float = 0.0
    token_ttl: float | None = None
    hang_s: float = 30.0
    latency_s: float = 1.5

    @property
    def any_request_fault(self) -> bool:
        return any(getattr(self, _attr(k)) > 0 for k in KINDS) or self.nulls > 0

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _attr(kind: str) -> str:
    return "p_5xx" if kind == "5xx" else kind


def parse_faults(spec: str | dict | FaultSpec | None) -> FaultSpec:
    """Parse "kind=value,..." (or a dict) into a FaultSpec; unknown kinds are a usage error."""
    if spec is None or spec == "":
        return FaultSpec()
    if isinstance(spec, FaultSpec):
        return spec
    items = spec.items() if isinstance(spec, dict) else (
        part.split("=", 1) if "=" in part else (part, "") for part in str(spec).split(",") if part.strip())
    values: dict = {}
    names = {f.name for f in fields(FaultSpec)}
    for key, raw in items:
        key = str(key).strip()
        name = _attr(key)
        if name not in names:
            raise UsageError(f"unknown fault kind {key!r} (known: {', '.join(KINDS)}, nulls, token_ttl, hang_s, latency_s)")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise UsageError(f"fault {key} needs a number, got {raw!r}") from None
        if name in ("p_5xx", "hang", "malformed", "truncated", "latency", "spurious401", "bare429", "nulls") and not 0 <= value <= 1:
            raise UsageError(f"fault {key} is a probability in [0, 1], got {value}")
        if value < 0:
            raise UsageError(f"fault {key} must be >= 0")
        values[name] = value
    total = sum(values.get(_attr(k), 0.0) for k in KINDS)
    if total > 1:
        raise UsageError(f"fault probabilities add up to {total:.3f} > 1")
    return FaultSpec(**values)


class FaultInjector:
    """Decides, reproducibly, which fault (if any) a request gets."""

    def __init__(self, spec: FaultSpec, seed: int = 0) -> None:
        self.spec = spec
        self.seed = seed
        self.seen: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def reset(self) -> None:
        self.seen.clear()
        self.counts.clear()

    def _uniform(self, key: str, salt: str = "") -> float:
        h = hashlib.blake2b(f"{self.seed}|{salt}|{key}".encode(), digest_size=8).digest()
        return int.from_bytes(h, "big") / 2**64

    def decide(self, request_key: str) -> tuple[str | None, float]:
        """(fault kind or None, a second uniform number for sub-choices) for this request."""
        if not self.spec.any_request_fault:
            return None, 0.0
        n = self.seen.get(request_key, 0)
        self.seen[request_key] = n + 1
        key = f"{request_key}#{n}"
        u = self._uniform(key)
        v = self._uniform(key, "sub")
        acc = 0.0
        for kind in KINDS:
            acc += getattr(self.spec, _attr(kind))
            if u < acc:
                self.counts[kind] = self.counts.get(kind, 0) + 1
                return kind, v
        if self.spec.nulls > 0 and v < self.spec.nulls:
            return "nulls", v
        return None, v
