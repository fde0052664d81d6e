"""Names a package loads from its own modules on first use (a module ``__getattr__``, PEP 562).

``modeling`` and ``ingest.emulator`` load this way: every ``genrestore`` command imports them
when it starts, and importing their models (LightGBM, scikit-learn) or server (Starlette, Polars)
with them cost seconds of each command's start (their ``__init__`` modules record the figures).
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any, Callable


def lazy_getattr(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: a name of ``names`` (name → module of the package that
    defines it) is imported on its first use and then kept in the package, like any other name;
    any other name is an ``AttributeError``."""

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(import_module(f"{package}.{names[name]}"), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
