"""The one send loop, written once as a generator and driven by a sync and an async driver.

``call_flow`` yields actions and receives their results:

* ``("token", force)``   -> the driver returns a :class:`Token` (renewing if needed)
* ``("send", request)``  -> the driver returns an ``httpx.Response`` or the ``httpx`` exception
* ``("sleep", seconds)`` -> the driver sleeps (``time.sleep`` / ``asyncio.sleep``)

and finally returns the ``httpx.Response`` to decode, or raises. Retry decisions come
from :mod:`retry`; a 401 renews the token once and replays once.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, Generator

from .errors import APIConnectionError, APITimeoutError, AuthError, status_error
from .retry import RetryPolicy, retry_delay

if TYPE_CHECKING:
    import httpx

    from ..auth import Token
    from .request import PreparedRequest

__all__ = ["call_flow", "HttpRequest", "token_flow"]

log = logging.getLogger("genesyscloud")


class HttpRequest:
    """Arguments for ``httpx.Client.request`` (kept transport-agnostic for logging)."""

    __slots__ = ("method", "url", "params", "headers", "content")

    def __init__(self, method: str, url: str, params: list[tuple[str, str]], headers: dict[str, str], content: bytes | None):
        self.method = method
        self.url = url
        self.params = params
        self.headers = headers
        self.content = content


def _is_timeout(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, httpx.TimeoutException)


def _not_sent(exc: BaseException) -> bool:
    """Whether the request certainly never reached the server."""
    import httpx

    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def call_flow(
    prepared: PreparedRequest,
    *,
    base_url: str,
    default_headers: dict[str, str],
    policy: RetryPolicy,
    secured: bool,
    idempotent: bool,
) -> Generator[tuple[str, Any], Any, httpx.Response]:
    """The send loop for one API call (see the module docstring for the protocol)."""
    import httpx

    url = base_url + prepared.path
    headers = {**default_headers, **prepared.headers}
    content = None
    if prepared.has_body:
        content = json.dumps(prepared.json, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    started = time.monotonic()
    attempt = 0
    replayed_401 = False
    while True:
        token: Token | None = None
        if secured:
            token = yield ("token", None)
            headers["Authorization"] = f"{token.token_type.capitalize() if token.token_type.lower() == 'bearer' else token.token_type} {token.access_token}"
        result = yield ("send", HttpRequest(prepared.method, url, prepared.query, headers, content))
        elapsed = time.monotonic() - started
        if isinstance(result, BaseException):
            if not isinstance(result, httpx.TransportError):
                raise result
            delay = retry_delay(policy, attempt=attempt, idempotent=idempotent, connection_error=True,
                                sent=not _not_sent(result), elapsed=elapsed)
            if delay is None:
                cls = APITimeoutError if _is_timeout(result) else APIConnectionError
                raise cls(f"{prepared.method} {url}: {type(result).__name__}: {result}",
                          method=prepared.method, url=url) from result
            log.debug("retrying %s %s in %.2f s after %s (attempt %d)", prepared.method, url, delay,
                      type(result).__name__, attempt + 1)
            attempt += 1
            yield ("sleep", delay)
            continue
        response: httpx.Response = result
        status = response.status_code
        if status < 400:
            return response
        if status == 401 and secured and not replayed_401 and token is not None:
            replayed_401 = True
            renewable = yield ("invalidate", token)
            if renewable:
                log.debug("401 from %s %s: renewing the access token and replaying once", prepared.method, url)
                continue
        delay = retry_delay(policy, attempt=attempt, idempotent=idempotent, status=status,
                            retry_after=response.headers.get("retry-after"), elapsed=elapsed)
        if delay is None:
            raise status_error(status, method=prepared.method, url=url, headers=response.headers,
                               text=response.content.decode("utf-8", "replace"))
        log.debug("retrying %s %s in %.2f s after status %d (attempt %d)", prepared.method, url, delay, status,
                  attempt + 1)
        attempt += 1
        yield ("sleep", delay)


def token_flow(
    login_base: str,
    token_request: Any,
    *,
    default_headers: dict[str, str],
    policy: RetryPolicy,
) -> Generator[tuple[str, Any], Any, httpx.Response]:
    """The send loop for one token request: ``POST {login_base}/oauth/token`` (form).

    Retries 429 and 5xx like API calls (a token request is safe to replay: it creates
    nothing the caller holds yet). Connection failures raise :class:`AuthError`.
    """
    import httpx
    from urllib.parse import urlencode

    url = login_base + token_request.path
    headers = {**default_headers, "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               **token_request.headers}
    content = urlencode(token_request.form).encode("ascii")
    started = time.monotonic()
    attempt = 0
    while True:
        result = yield ("send", HttpRequest("POST", url, [], headers, content))
        elapsed = time.monotonic() - started
        if isinstance(result, BaseException):
            if not isinstance(result, httpx.TransportError):
                raise result
            delay = retry_delay(policy, attempt=attempt, idempotent=True, connection_error=True, elapsed=elapsed)
            if delay is None:
                raise AuthError("connection_error", f"POST {url}: {type(result).__name__}: {result}") from result
        else:
            if result.status_code < 500 and result.status_code != 429:
                return result
            delay = retry_delay(policy, attempt=attempt, idempotent=True, status=result.status_code,
                                retry_after=result.headers.get("retry-after"), elapsed=elapsed)
            if delay is None:
                return result
        attempt += 1
        yield ("sleep", delay)
