"""The one send loop, written once as a generator and driven by a sync and an async driver.

``call_flow`` yields actions and receives their results:

* ``("token", force)``   -> the driver returns a :class:`Token` (renewing if needed)
* ``("send", request)``  -> the driver hands the :class:`~.transport.HttpRequest` to its
  transport (:mod:`transport`) and returns the :class:`~.transport.Response`, or the
  exception the transport raised (a :class:`~.transport.TransportError` is retried
  according to the policy; anything else is raised as is)
* ``("stream", request)`` -> the same with ``send(request, stream=True)``: the body of
  a status >= 400 is read (so that it can be logged, retried and raised), a success
  body is left to the caller
* ``("sleep", seconds)`` -> the driver sleeps (``time.sleep`` / ``asyncio.sleep``)

and finally returns the :class:`~.transport.Response` to decode, or raises. Retry
decisions come from :mod:`retry`; a 401 renews the token once and replays once.

Deadlines: each attempt carries ``timeout.total`` as its deadline, capped by the call's
own deadline (``RetryPolicy.total_budget`` seconds after the call started); an attempt
never starts after the call's deadline.

Before each send the loop asks the client's :class:`~.pacing.Pacer` (if any) for a slot
and sleeps (the same ``"sleep"`` action) while the rate-limit bucket is full; every
response feeds the pacer its ``inin-ratelimit-*`` headers.

"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Generator

from .errors import APIConnectionError, APITimeoutError, AuthError, status_error
from .logging import redact_exception_request
from .request import encode_json
from .retry import RetryPolicy, decide_retry, decide_token_rate_limit_retry, parse_retry_after
from .transport import DEFAULT_TIMEOUT, HttpRequest, Response, Timeout, TransportError

if TYPE_CHECKING:
    from ..auth import Token
    from .logging import HttpLogger
    from .pacing import Pacer
    from .request import PreparedRequest

__all__ = ["call_flow", "HttpRequest", "token_flow"]

log = logging.getLogger("genesyscloud")


def _header_safe(value: str) -> bool:
    """Visible ASCII only (RFC 9110 field-value without white space; RFC 6750 b64token is a subset)."""
    return value.isascii() and value.isprintable() and " " not in value and "\t" not in value


def _authorization(token: Token) -> str:
    """The ``Authorization`` header value for ``token``.

    Raises:
        AuthError: ``invalid_token`` when the token (or its type) holds characters an HTTP
            header cannot carry; the request is not sent (so not retried) and the token is
            never quoted.
    """
    scheme = "Bearer" if token.token_type.lower() == "bearer" else token.token_type
    if not (token.access_token and _header_safe(token.access_token) and _header_safe(scheme)):
        raise AuthError("invalid_token", "the access token holds characters an HTTP header cannot carry "
                        "(RFC 6750 section 2.1: visible ASCII only); the request was not sent")
    return f"{scheme} {token.access_token}"


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TransportError) and exc.timeout


def _not_sent(exc: BaseException) -> bool:
    """Whether the request certainly never reached the server."""
    return isinstance(exc, TransportError) and not exc.sent


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, TransportError) else f"{type(exc).__name__}: {exc}"


def _deadline(started: float, policy: RetryPolicy) -> float | None:
    return None if policy.total_budget is None else started + policy.total_budget


def _attempt_deadline(timeout: Timeout, call_deadline: float | None) -> float:
    own = time.monotonic() + timeout.total  # type: ignore[operator]
    return own if call_deadline is None else min(own, call_deadline)


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


def _exchange(logger: Any, request: HttpRequest, kind: str = "send") -> Generator[tuple[str, Any], Any, Any]:
    """Send one request through the driver and log it; return the response or the
    transport error (any other exception from the driver is raised). ``kind`` is
    ``"stream"`` for a response whose body the caller streams (the driver reads the
    body of an error status, and leaves a success body unread)."""
    sent_at = time.monotonic()
    result = yield (kind, request)
    _log_exchange(logger, request, result, time.monotonic() - sent_at)
    if isinstance(result, BaseException) and not isinstance(result, TransportError):
        raise result
    return result


def _pace(pacer: Pacer, bucket: str, route: str, policy: RetryPolicy, started: float, method: str,
          url: str, slept_until: float, wait: float) -> Generator[tuple[str, Any], Any, None]:
    """Wait (``"sleep"`` actions) until the pacer grants a slot; ``wait`` is what its first
    ``acquire`` answered (> 0)."""
    while True:
        if wait <= 0:
            return
        elapsed = time.monotonic() - started
        if policy.total_budget is not None and elapsed + wait > policy.total_budget:
            raise APITimeoutError(f"{method} {url}: the rate-limit window is full; waiting {wait:.3f} s for it "
                                  f"would exceed the total budget of {policy.total_budget:g} s",
                                  method=method, url=url)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("pacing %s %s: waiting %.3f s for the rate-limit window", method, url, wait)
        yield ("sleep", wait)
        wait = pacer.acquire(bucket, route, slept_until)


def _feed_429(pacer: Pacer, bucket: str, route: str, response: Any) -> None:
    """A 429 teaches the pacer more than its headers: the body's ``limit`` and ``Retry-After``."""
    pacer.observe(bucket, route, 429, response.headers, response.content,
                  parse_retry_after(response.headers.get("retry-after")))


def _token_rate_limited(response: Any) -> bool:
    """A 400 or 429 from ``/oauth/token`` that says the rate limit was exceeded (the login
    service answers 400 for its own limit; Terraform provider PR #1004)."""
    if response.status_code == 429:
        return True
    if response.status_code != 400:
        return False
    text = response.content[:2048].decode("utf-8", "replace").lower()
    return "rate limit" in text or "rate_limit" in text or "too many requests" in text


def call_flow(
    prepared: PreparedRequest,
    *,
    base_url: str,
    default_headers: dict[str, str],
    policy: RetryPolicy,
    secured: bool,
    idempotent: bool,
    logger: HttpLogger | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    pacer: Pacer | None = None,
    stream: bool = False,
    auth_memo: list[tuple[str, str, str]] | None = None,
) -> Generator[tuple[str, Any], Any, Response]:
    """The send loop for one API call (see the module docstring for the protocol).

    Every attempt is logged through ``logger`` (redacted); every retry is logged at
    debug level with its reason. With a ``pacer``, each attempt first waits for a slot in
    its token's rate-limit window (logged at debug level); the waits count against the
    policy's ``total_budget``, and a wait beyond it raises :class:`APITimeoutError`.
    ``stream=True`` yields ``("stream", request)`` instead
    of ``("send", request)``: the returned success response's body is not read yet.
    ``default_headers`` is not changed (a client passes the same dict to every call);
    ``auth_memo`` is the client's memo of its last ``Authorization`` value.
    """

    url = base_url + prepared.path
    headers = {**default_headers, **prepared.headers} if prepared.headers else default_headers
    content = None
    replay = prepared.content if callable(prepared.content) else None
    if prepared.content is not None and replay is None:
        content = prepared.content
    elif prepared.has_body:
        # refuses NaN, Infinity and lone surrogates (ValueError naming the field) before any traffic
        content = encode_json(prepared.json, f"{prepared.operation.method_name if prepared.operation else 'request'}(): body")
        if headers is default_headers:
            headers = dict(default_headers)
        headers.setdefault("Content-Type", "application/json")
    method = prepared.method
    kind = "stream" if stream else "send"
    started = time.monotonic()
    call_deadline = None if policy.total_budget is None else started + policy.total_budget
    attempt = 0
    replayed_401 = False
    route = f"{method} {prepared.operation.path if prepared.operation is not None else prepared.path}"
    slept_until = 0.0  # the end of the last Retry-After sleep (the pacer does not wait for it twice)
    while True:
        token: Token | None = None
        if secured:
            token = yield ("token", None)
            # the client's memo of its last (access token, token type, value): one token
            # serves many calls, and the same (immutable) strings need no second check
            last = auth_memo[0] if auth_memo is not None else None
            if last is not None and last[0] is token.access_token and last[1] is token.token_type:  # type: ignore[union-attr]
                authorization = last[2]
            else:
                authorization = _authorization(token)  # type: ignore[arg-type]
                if auth_memo is not None:
                    auth_memo[0] = (token.access_token, token.token_type, authorization)  # type: ignore[union-attr]
            attempt_headers = {**headers, "Authorization": authorization}
        else:
            attempt_headers = dict(headers)
        now = time.monotonic()
        if call_deadline is not None and now >= call_deadline:
            raise APITimeoutError(f"{method} {url}: the call's total budget of {policy.total_budget:g} s "
                                  "passed", method=method, url=url)
        bucket = None
        if pacer is not None and token is not None:
            bucket = pacer.bucket(token.access_token)
            wait = pacer.acquire(bucket, route, slept_until)
            if wait > 0:
                yield from _pace(pacer, bucket, route, policy, started, method, url, slept_until, wait)
                now = time.monotonic()
        if replay is not None:
            content = replay()  # a streamed body is sent whole on every attempt
        own = now + timeout.total  # type: ignore[operator]
        request = HttpRequest(method, url, prepared.query, attempt_headers, content, timeout,
                              own if call_deadline is None or own < call_deadline else call_deadline)
        # one attempt, logged (what _exchange does, inline: this is every call's path)
        result = yield (kind, request)
        if isinstance(result, BaseException):
            if logger is not None:
                logger.exchange(request, error=result, elapsed=time.monotonic() - now)
            if not isinstance(result, TransportError):
                raise result
        elif logger is not None:
            logger.exchange(request, result, elapsed=time.monotonic() - now)
        if bucket is not None:
            if isinstance(result, BaseException):
                pacer.abandon(bucket)  # type: ignore[union-attr]
            elif result.status_code == 429:
                _feed_429(pacer, bucket, route, result)
            else:
                pacer.observe(bucket, route, result.status_code, result.headers)  # type: ignore[union-attr]
        if isinstance(result, BaseException):
            delay, reason = decide_retry(policy, attempt=attempt, idempotent=idempotent, connection_error=True,
                                         sent=not _not_sent(result), elapsed=time.monotonic() - started)
            if delay is None:
                redact_exception_request(result)  # the cause's request headers hold the token
                cls = APITimeoutError if _is_timeout(result) else APIConnectionError
                raise cls(f"{method} {url}: {_describe(result)} ({reason})",
                          method=method, url=url) from result
            attempt += 1
            _log_retry(logger, method, url, attempt, delay, f"{_describe(result)}: {reason}")
            yield ("sleep", delay)
            continue
        response: Response = result
        status = response.status_code
        if status < 400:
            return response
        if status == 401 and secured and not replayed_401 and token is not None:
            replayed_401 = True
            renewable = yield ("invalidate", token)
            if renewable:
                _log_retry(logger, method, url, attempt, 0.0,
                           "401: renewing the access token and replaying once")
                continue
        delay, reason = decide_retry(policy, attempt=attempt, idempotent=idempotent, status=status,
                                     retry_after=response.headers.get("retry-after"),
                                     elapsed=time.monotonic() - started)
        if delay is None:
            raise status_error(status, method=method, url=url, headers=response.headers,
                               text=response.content.decode("utf-8", "replace"))
        attempt += 1
        _log_retry(logger, method, url, attempt, delay, reason)
        slept_until = time.monotonic() + delay
        yield ("sleep", delay)


def token_flow(
    login_base: str,
    token_request: Any,
    *,
    default_headers: dict[str, str],
    policy: RetryPolicy,
    logger: HttpLogger | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> Generator[tuple[str, Any], Any, Response]:
    """The send loop for one token request: ``POST {login_base}/oauth/token`` (form).

    Retries 5xx like API calls (a token request is safe to replay: it creates nothing
    the caller holds yet). The login service's own rate limit (a 429, or a 400 whose body
    says "rate limit exceeded") is retried with backoff (see :func:`~.retry.decide_token_rate_limit_retry`), never
    in a tight loop. Connection failures raise :class:`APIConnectionError`
    (:class:`APITimeoutError` for timeouts), like an API call's: ``AuthError`` means the
    login service answered and refused.
    """
    from urllib.parse import urlencode

    url = login_base + token_request.path
    headers = {**default_headers, "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               **token_request.headers}
    content = urlencode(token_request.form).encode("ascii")
    started = time.monotonic()
    call_deadline = _deadline(started, policy)
    attempt = 0
    while True:
        if call_deadline is not None and time.monotonic() >= call_deadline:
            raise APITimeoutError(f"token request POST {url}: the call's total budget of "
                                  f"{policy.total_budget:g} s passed", method="POST", url=url)
        result = yield from _exchange(logger, HttpRequest("POST", url, [], dict(headers), content, timeout,
                                                          _attempt_deadline(timeout, call_deadline)))
        elapsed = time.monotonic() - started
        if isinstance(result, BaseException):
            delay, reason = decide_retry(policy, attempt=attempt, idempotent=True, connection_error=True,
                                         elapsed=elapsed)
            if delay is None:
                # no answer from the login service: a connection error, not a refusal (AuthError)
                redact_exception_request(result)  # the cause's request headers hold the client secret
                cls = APITimeoutError if _is_timeout(result) else APIConnectionError
                raise cls(f"token request POST {url}: {_describe(result)} ({reason})",
                          method="POST", url=url) from result
        elif _token_rate_limited(result):
            delay, reason = decide_token_rate_limit_retry(policy, attempt=attempt,
                                                          retry_after=result.headers.get("retry-after"),
                                                          elapsed=elapsed)
            if delay is None:
                return result
        else:
            if result.status_code < 500:
                return result
            delay, reason = decide_retry(policy, attempt=attempt, idempotent=True, status=result.status_code,
                                         retry_after=result.headers.get("retry-after"), elapsed=elapsed)
            if delay is None:
                return result
        attempt += 1
        _log_retry(logger, "POST", url, attempt, delay, reason)
        yield ("sleep", delay)
