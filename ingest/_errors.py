"""``IngestError``: the base of every error the ingest packages raise (Spotify client, crawl,
emulator, data-set importers), below the project's root ``warehouse.GenrestoreError``."""

from __future__ import annotations

from warehouse.errors import GenrestoreError


class IngestError(GenrestoreError):
    """Anything ingest refuses or fails at; the message is one line for a person."""
