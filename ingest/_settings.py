"""The settings ingest reads: the API the crawler talks to (URL, token endpoint, credentials), the
``[crawl]`` section (rate limits, timeouts, concurrency) and the ``[imports]`` section.

Declared here, resolved by ``warehouse.settings`` (the one resolver) as part of ``jobs.Settings``;
see that module for the precedence. The TOML keys and environment names are those of the composed
object: ``api_url`` / ``GENRESTORE_API_URL``, ``[crawl] budget_per_window`` /
``GENRESTORE_CRAWL__BUDGET_PER_WINDOW``, ``SPOTIFY_CLIENT_ID`` / ``SPOTIFY_CLIENT_SECRET``,
``[imports] max_field_bytes`` / ``GENRESTORE_IMPORTS__MAX_FIELD_BYTES``.

They live at the top of ``ingest`` (re-exported by ``ingest.crawl`` and ``ingest.datasets``) because
every ``genrestore`` command loads the settings: ``ingest``'s own surface imports nothing else,
while importing ``ingest.crawl`` (httpx, tenacity) took 1.2 s and ``ingest.datasets`` (polars) 0.4 s
on the loaded 2-core machine.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr

from warehouse import WarehouseSettings

# Default of ``imports.max_field_bytes``; the importer functions take it as their default too.
MAX_FIELD_BYTES = 1 << 20

SPOTIFY_API_URL = "https://api.spotify.com/v1"
SPOTIFY_TOKEN_URL = "https://accounts.spotify.com/api/token"


class CrawlSettings(BaseModel):
    """The ``[crawl]`` section: how hard the client and the crawl loop may press the API."""

    budget_per_window: int = Field(
        90, ge=1, description="Requests the limiter allows per rolling window (Spotify publishes none)."
    )
    window_seconds: float = Field(30.0, gt=0, description="Length of the rolling rate-limit window.")
    budget_ceiling: int = Field(
        3000, ge=1, description="The limiter never allows more requests per window than this, however far "
        "budget discovery goes."
    )
    budget_ramp: bool = Field(
        True, description="Discover the limit: start from budget_per_window (or the budget an earlier run "
        "learned for these credentials and mode), double it after every window it was (three quarters) used "
        "in until the first 429, then adapt (AIMD). Off: budget_per_window is also the most the limiter allows."
    )
    max_retry_after: float = Field(
        900.0, ge=0, description="A Retry-After longer than this ends the run and records 'paused until'."
    )
    concurrency: int = Field(8, ge=1, le=64, description="In-flight requests at most.")
    timeout: float = Field(10.0, gt=0, description="Seconds before an HTTP call times out.")
    max_attempts: int = Field(6, ge=1, description="Attempts per request for timeouts, 5xx, bad bodies.")
    market: str | None = Field("US", description="Market passed on catalog calls (None: omit).")


class ImportSettings(BaseModel):
    """The ``[imports]`` section: limits of the data-set importers."""

    max_field_bytes: int = Field(
        MAX_FIELD_BYTES, ge=1,
        description="A data-set field longer than this many bytes (UTF-8) rejects its row "
        "(recorded in rejects with file, line and reason); default 1 MiB.",
    )


class CrawlerSettings(WarehouseSettings):
    """The warehouse's settings plus what the crawler needs: the API, its credentials, ``crawl``."""

    api_url: str = Field(SPOTIFY_API_URL, description="Spotify-compatible API base URL (or the emulator's).")
    token_url: str | None = Field(
        None, description="Token endpoint; follows from api_url when unset."
    )
    client_id: str | None = Field(
        None,
        description="Spotify client id (SPOTIFY_CLIENT_ID).",
        validation_alias=AliasChoices("client_id", "SPOTIFY_CLIENT_ID", "GENRESTORE_CLIENT_ID"),
    )
    client_secret: SecretStr | None = Field(
        None,
        description="Spotify client secret (SPOTIFY_CLIENT_SECRET); never printed.",
        validation_alias=AliasChoices("client_secret", "SPOTIFY_CLIENT_SECRET", "GENRESTORE_CLIENT_SECRET"),
    )
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)

    @property
    def resolved_token_url(self) -> str:
        if self.token_url:
            return self.token_url
        if self.api_url.rstrip("/") == SPOTIFY_API_URL:
            return SPOTIFY_TOKEN_URL
        # An emulator or proxy serves the token endpoint beside /v1, as Spotify's accounts host does.
        base = self.api_url.rstrip("/")
        if base.endswith("/v1"):
            base = base[: -len("/v1")]
        return base + "/api/token"

    def masked(self) -> dict[str, Any]:
        data = super().masked()
        data["token_url"] = self.resolved_token_url
        return data
