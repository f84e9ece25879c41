"""The one send loop, written once as a generator and driven by a sync and an async driver.

``call_flow`` yields actions and receives their results:

* ``("token", force)``   -> the driver returns a :class:`Token` (renewing if needed)
* ``("send", request)``  -> the driver returns an ``httpx.Response`` or the ``httpx`` exception
* ``("sleep", seconds)`` -> the driver sleeps (``time.sleep`` / ``asyncio.sleep``)

and finally returns the ``httpx.Response`` to decode, or raises. Retry decisions come
from :mod:`retry`; a 401 renews the token once and replays once.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Generator

from .errors import APIConnectionError, APITimeoutError, AuthError, status_error
from .request import encode_json
from .retry import RetryPolicy, decide_retry

if TYPE_CHECKING:
    import httpx

    from ..auth import Token
    from .logging import HttpLogger
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

    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError)


def _log_exchange(logger: HttpLogger | None, request: HttpRequest, result: Any, elapsed: float) -> None:
    if logger is None:
        return
    if isinstance(result, BaseException):
        logger.exchange(request, error=result, elapsed=elapsed)
    else:
        logger.exchange(request, result, elapsed=elapsed)


def _log_retry(logger: HttpLogger | None, method: str, url: str, attempt: int, delay: float, reason: str) -> None:
    if logger is not None:
        logger.retry(method, url, attempt, delay, reason)
    elif log.isEnabledFor(logging.DEBUG):
        log.debug("retrying %s %s in %.3f s (retry %d): %s", method, url, delay, attempt, reason)


def _exchange(logger: Any, request: HttpRequest) -> Generator[tuple[str, Any], Any, Any]:
    """Send one request through the driver and log it; return the response or the
    transport error (any other exception from the driver is raised)."""
    import httpx

    sent_at = time.monotonic()
    result = yield ("send", request)
    _log_exchange(logger, request, result, time.monotonic() - sent_at)
    if isinstance(result, BaseException) and not isinstance(result, httpx.TransportError):
        raise result
    return result


def call_flow(
    prepared: PreparedRequest,
    *,
    base_url: str,
    default_headers: dict[str, str],
    policy: RetryPolicy,
    secured: bool,
    idempotent: bool,
    logger: HttpLogger | None = None,
) -> Generator[tuple[str, Any], Any, httpx.Response]:
    """The send loop for one API call (see the module docstring for the protocol).

    Every attempt is logged through ``logger`` (redacted); every retry is logged at
    debug level with its reason.
    """

    url = base_url + prepared.path
    headers = {**default_headers, **prepared.headers}
    content = None
    if prepared.has_body:
        # refuses NaN, Infinity and lone surrogates (ValueError naming the field) before any traffic
        content = encode_json(prepared.json, f"{prepared.operation.method_name if prepared.operation else 'request'}(): body")
        headers.setdefault("Content-Type", "application/json")
    started = time.monotonic()
    attempt = 0
    replayed_401 = False
    while True:
        token: Token | None = None
        if secured:
            token = yield ("token", None)
            headers["Authorization"] = f"{token.token_type.capitalize() if token.token_type.lower() == 'bearer' else token.token_type} {token.access_token}"
        result = yield from _exchange(logger, HttpRequest(prepared.method, url, prepared.query, headers, content))
        elapsed = time.monotonic() - started
        if isinstance(result, BaseException):
            delay, reason = decide_retry(policy, attempt=attempt, idempotent=idempotent, connection_error=True,
                                         sent=not _not_sent(result), elapsed=elapsed)
            if delay is None:
                cls = APITimeoutError if _is_timeout(result) else APIConnectionError
                raise cls(f"{prepared.method} {url}: {type(result).__name__}: {result} ({reason})",
                          method=prepared.method, url=url) from result
            attempt += 1
            _log_retry(logger, prepared.method, url, attempt, delay, f"{type(result).__name__}: {reason}")
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
                _log_retry(logger, prepared.method, url, attempt, 0.0,
                           "401: renewing the access token and replaying once")
                continue
        delay, reason = decide_retry(policy, attempt=attempt, idempotent=idempotent, status=status,
                                     retry_after=response.headers.get("retry-after"), elapsed=elapsed)
        if delay is None:
            raise status_error(status, method=prepared.method, url=url, headers=response.headers,
                               text=response.content.decode("utf-8", "replace"))
        attempt += 1
        _log_retry(logger, prepared.method, url, attempt, delay, reason)
        yield ("sleep", delay)


def token_flow(
    login_base: str,
    token_request: Any,
    *,
    default_headers: dict[str, str],
    policy: RetryPolicy,
    logger: HttpLogger | None = None,
) -> Generator[tuple[str, Any], Any, httpx.Response]:
    """The send loop for one token request: ``POST {login_base}/oauth/token`` (form).

    Retries 429 and 5xx like API calls (a token request is safe to replay: it creates
    nothing the caller holds yet). Connection failures raise :class:`AuthError`.
    """
    from urllib.parse import urlencode

    url = login_base + token_request.path
    headers = {**default_headers, "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               **token_request.headers}
    content = urlencode(token_request.form).encode("ascii")
    started = time.monotonic()
    attempt = 0
    while True:
        result = yield from _exchange(logger, HttpRequest("POST", url, [], headers, content))
        elapsed = time.monotonic() - started
        if isinstance(result, BaseException):
            delay, reason = decide_retry(policy, attempt=attempt, idempotent=True, connection_error=True,
                                         elapsed=elapsed)
            if delay is None:
                raise AuthError("connection_error", f"POST {url}: {type(result).__name__}: {result}") from result
        else:
            if result.status_code < 500 and result.status_code != 429:
                return result
            delay, reason = decide_retry(policy, attempt=attempt, idempotent=True, status=result.status_code,
                                         retry_after=result.headers.get("retry-after"), elapsed=elapsed)
            if delay is None:
                return result
        attempt += 1
        _log_retry(logger, "POST", url, attempt, delay, reason)
        yield ("sleep", delay)
