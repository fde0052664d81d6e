"""``FeaturesError``: the base of every error the features package raises (below
``warehouse.GenrestoreError``); e.g. ``TaxonomyError``."""

from __future__ import annotations

from warehouse import GenrestoreError


class FeaturesError(GenrestoreError):
    """Features cannot be built from what the snapshot holds; the message is one line for a person."""
