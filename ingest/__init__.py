"""Getting data in: the Spotify client (``ingest.spotify``), the crawler (``ingest.crawl``), the local
emulator (``ingest.emulator``) and the data-set importers (``ingest.datasets``).

Every error they raise derives from :class:`IngestError` (itself a ``warehouse.GenrestoreError``).
The settings they read are declared here too (:class:`CrawlerSettings` with ``[crawl]``,
:class:`ImportSettings`), so loading the settings does not import the sub-packages.
"""

from ._errors import IngestError
from ._settings import MAX_FIELD_BYTES, CrawlerSettings, CrawlSettings, ImportSettings

__all__ = ["CrawlSettings", "CrawlerSettings", "ImportSettings", "IngestError", "MAX_FIELD_BYTES"]
