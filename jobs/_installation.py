"""The five packages of genrestore must come from one installation.

The distribution installs ``warehouse``, ``ingest``, ``features``, ``modeling`` and ``jobs`` as
top-level names (README, "Architecture": why they are not moved under one namespace). Another
package of one of these names earlier on ``sys.path`` would otherwise be imported in its place and
fail later in a confusing way; this check names the clash instead. It only locates the packages
(importlib's finder), it imports none of them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

PACKAGES = ("features", "ingest", "jobs", "modeling", "warehouse")


class InstallationClash(ImportError):
    """A package of one of genrestore's names comes from somewhere else."""


def check_installation() -> None:
    """Raise :class:`InstallationClash` if a package of genrestore's names lies outside the folder
    that holds ``jobs`` (this package)."""
    home = Path(__file__).resolve().parent.parent
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        if origin is None or origin.parent.parent != home:
            where = origin.parent if origin is not None else "nowhere (not installed)"
            raise InstallationClash(
                f"genrestore's package {name!r} is imported from {where}, not from {home / name}: another "
                f"package named {name!r} shadows it on sys.path; uninstall it or use a separate virtual environment"
            )
