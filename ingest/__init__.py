"""Getting data in: the Spotify client (``ingest.spotify``), the crawler (``ingest.crawl``), the local
emulator (``ingest.emulator``) and the data-set importers (``ingest.datasets``).

Every error they raise derives from :class:`IngestError` (itself a ``warehouse.GenrestoreError``).
"""

from ._errors import IngestError

__all__ = ["IngestError"]
