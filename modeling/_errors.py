"""``ModelingError``: the base of every error the modeling package raises (below
``warehouse.GenrestoreError``): ``ModelNotFound`` (exit code 2), ``LeakageError``,
``PromotionRefused``, and the experiments' ``DatasetMissing`` (also a ``UsageError``, exit code 2)."""

from __future__ import annotations

from warehouse import GenrestoreError


class ModelingError(GenrestoreError):
    """A model cannot be trained, found, promoted or scored; the message is one line for a person."""
