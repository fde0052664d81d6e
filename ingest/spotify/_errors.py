"""Errors of the Spotify client, rooted in the project's one-line-message hierarchy.

    GenrestoreError                    (warehouse.errors) one line, no traceback in the CLI
    └── IngestError                    (ingest) anything ingest raises
        └── SpotifyError               anything the Spotify client raises
            ├── AuthError              the token endpoint refused the credentials (exit code 2)
            ├── CrawlPaused            a Retry-After beyond crawl.max_retry_after: stop until `.until`
            ├── ClientStopped          the request was not sent: the client was told to stop
            ├── RequestFailed          a request that failed after all its attempts
            │   ├── TransportError     timeouts and connection errors
            │   ├── ServerError        5xx answers
            │   └── MalformedResponse  a body that is not the JSON the endpoint promises
            └── ClientError            a 4xx answer (not retried); `.status` and `.url`
                └── EndpointUnavailable  403/404 from an endpoint these credentials cannot use

Catch at the level you care about, as with httpx's HTTPError → RequestError → TimeoutException.
Messages never contain tokens or the client secret.
"""

from __future__ import annotations

from datetime import datetime

from .._errors import IngestError


class SpotifyError(IngestError):
    """Base class of every error the Spotify client raises."""


class AuthError(SpotifyError):
    exit_code = 2


class CrawlPaused(SpotifyError):
    """The API asked us to stay away longer than we are willing to sleep in-process."""

    def __init__(self, until: datetime, retry_after: float, message: str | None = None):
        self.until = until
        self.retry_after = retry_after
        super().__init__(
            message
            or f"the API asked to pause for {retry_after:,.0f} s; crawling is paused until "
            f"{until:%Y-%m-%d %H:%M:%S} UTC"
        )


class ClientStopped(SpotifyError):
    """Raised instead of sending a request once :meth:`SpotifyClient.stop` was called (a crawl ending)."""


class RequestFailed(SpotifyError):
    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        self.url = url
        self.status = status
        super().__init__(message)


class TransportError(RequestFailed):
    pass


class ServerError(RequestFailed):
    pass


class MalformedResponse(RequestFailed):
    pass


class ClientError(SpotifyError):
    def __init__(self, message: str, *, url: str, status: int):
        self.url = url
        self.status = status
        super().__init__(message)


class EndpointUnavailable(ClientError):
    pass
