"""Client-credentials tokens from spotipy's auth manager, kept in memory and refreshed early.

spotipy does the token exchange (Basic auth, form body, `expires_at` bookkeeping, refresh when
less than 60 s remain). We point it at the configured token URL, keep the token in a
MemoryCacheHandler (never a `.cache` file on disk) and call it in a worker thread, because it is
blocking `requests` code and the crawler is asyncio.
"""

from __future__ import annotations

import asyncio
import logging
import time

import requests
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from ._errors import AuthError, TransportError

# spotipy logs the Basic authorization header at DEBUG; keep its logger above that so the
# client secret can never reach a log, whatever level the application runs at.
logging.getLogger("spotipy").setLevel(logging.INFO)
logging.getLogger("spotipy.oauth2").setLevel(logging.INFO)


class _TransientTokenError(Exception):
    pass


class TokenProvider:
    """Hands out a valid bearer token; one refresh at a time however many requests wait.

    :param client_id: Spotify client id.
    :param client_secret: the secret (plain string; kept only inside spotipy's auth manager).
    :param token_url: token endpoint (Spotify's accounts host or the emulator's).
    :param timeout: seconds for the token request.
    :param max_attempts: attempts on timeouts, connection errors and 5xx of the token endpoint.
    """

    def __init__(self, client_id: str, client_secret: str, token_url: str, *, timeout: float = 10.0,
                 max_attempts: int = 4):
        self._manager = SpotifyClientCredentials(
            client_id=client_id,
            client_secret=client_secret,
            cache_handler=MemoryCacheHandler(),
            requests_timeout=timeout,
        )
        # spotipy reads the URL from the instance attribute, so the emulator's endpoint works unchanged.
        self._manager.OAUTH_TOKEN_URL = token_url
        self._lock = asyncio.Lock()
        self._max_attempts = max_attempts
        self.refreshes = 0

    def _fetch(self, force: bool) -> str:
        try:
            return self._manager.get_access_token(as_dict=False, check_cache=not force)
        except SpotifyOauthError as exc:
            status = getattr(exc, "http_status", None) or 400
            if status >= 500:
                raise _TransientTokenError(f"token endpoint answered {status}") from None
            raise AuthError(
                f"the token endpoint refused the client credentials ({exc.error}: "
                f"{exc.error_description or 'no description'})"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _TransientTokenError(f"token endpoint unreachable: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise _TransientTokenError(f"token request failed: {type(exc).__name__}") from None
        except (ValueError, KeyError, TypeError):
            raise _TransientTokenError("token endpoint sent a malformed body") from None

    def _cached(self) -> str | None:
        info = self._manager.cache_handler.get_cached_token()
        if info and not self._manager.is_token_expired(info):
            return info["access_token"]
        return None

    async def token(self, *, force: bool = False, stale: str | None = None) -> str:
        """A valid token. ``force`` fetches a new one unless another caller already replaced ``stale``."""
        if not force:
            cached = self._cached()
            if cached:
                return cached
        async with self._lock:
            cached = self._cached()
            if cached and (not force or (stale is not None and cached != stale)):
                return cached
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self._max_attempts),
                    wait=wait_exponential_jitter(multiplier=0.5, max=10),
                    retry=retry_if_exception_type(_TransientTokenError),
                    reraise=True,
                ):
                    with attempt:
                        token = await asyncio.to_thread(self._fetch, force or cached is None)
            except _TransientTokenError as exc:
                raise TransportError(f"cannot get an access token: {exc}") from None
            self.refreshes += 1
            return token

    def expires_in(self) -> float | None:
        info = self._manager.cache_handler.get_cached_token()
        return None if not info else info["expires_at"] - time.time()
