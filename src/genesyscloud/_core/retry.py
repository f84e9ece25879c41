"""Retry decisions as pure functions (no I/O, no sleeping).

Policy (RFC 9110 sections 10.2.3 and 15.6.4; RFC 6585 section 4):

* 429: wait for ``Retry-After`` (seconds; a default when absent), any method, since the
  server says the request was not processed; a ``Retry-After`` beyond ``max_retry_after``
  is not waited for.
* 502, 503, 504 and connection failures: exponential backoff with full jitter, for
  idempotent methods; for POST/PATCH only when the connection failed before the request
  was sent (connect errors and connect timeouts). A ``Retry-After`` on a 502/503/504 is
  honoured like a 429's: waited for up to ``max_retry_after``, and beyond it the call
  gives up at once with the server's error (RFC 9110 section 10.2.3).
* At most ``max_retries`` retries, and never past the total time budget.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["RetryPolicy", "RetryDecision", "decide_retry", "decide_token_rate_limit_retry", "retry_delay",
           "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry settings.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff_base: first backoff ceiling in seconds (doubles each attempt).
        backoff_max: largest backoff ceiling in seconds.
        retry_after_default: seconds to wait on a 429 without ``Retry-After``.
        max_retry_after: the longest ``Retry-After`` (seconds) worth waiting for, on a 429
            and on a 502/503/504; a longer one raises the server's error at once.
        total_budget: seconds all attempts of one call may take together, or ``None``.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_default: float = 3.0
    max_retry_after: float = 60.0
    total_budget: float | None = 300.0

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or isinstance(self.max_retries, bool) or self.max_retries < 0:
            raise ValueError(f"RetryPolicy.max_retries must be an int >= 0, got {self.max_retries!r}")
        for name in ("backoff_base", "backoff_max", "retry_after_default", "max_retry_after"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"RetryPolicy.{name} must be a number of seconds >= 0, got {value!r}")
        if self.total_budget is not None and (not isinstance(self.total_budget, int | float)
                                              or self.total_budget <= 0):
            raise ValueError(f"RetryPolicy.total_budget must be seconds > 0 or None, got {self.total_budget!r}")


class RetryDecision(NamedTuple):
    """What :func:`decide_retry` concluded: ``delay`` seconds (``None``: do not retry) and why."""

    delay: float | None
    reason: str


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), ``None`` if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    import datetime as _dt

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return max(0.0, (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds())


def retry_delay(policy: RetryPolicy, **kwargs: object) -> float | None:
    """The delay of :func:`decide_retry` (seconds, or ``None`` to stop and raise)."""
    return decide_retry(policy, **kwargs).delay  # type: ignore[arg-type]


def decide_retry(
    policy: RetryPolicy,
    *,
    attempt: int,
    idempotent: bool,
    status: int | None = None,
    retry_after: str | None = None,
    connection_error: bool = False,
    sent: bool = True,
    elapsed: float = 0.0,
    rng: random.Random | None = None,
) -> RetryDecision:
    """Decide whether to retry, after how many seconds, and why (a pure function).

    Args:
        attempt: retries already made for this call (0 after the first attempt).
        idempotent: whether the HTTP method may be replayed.
        status: the response status, or ``None`` for a connection failure.
        retry_after: the raw ``Retry-After`` header, if any.
        connection_error: no response was received.
        sent: whether the request may have reached the server (``False`` for a
            failure to connect).
        elapsed: seconds spent on this call so far.

    Returns:
        A :class:`RetryDecision`: the delay in seconds (``None`` to stop and raise) and
        a short human-readable reason (logged at debug level).
    """
    what = "connection failure" if connection_error else f"status {status}"
    if connection_error:
        if not idempotent and sent:
            return RetryDecision(None, f"{what} after the request may have reached the server; "
                                       "not replaying a non-idempotent request")
        why = "connection failed before the request was sent" if not sent else "connection failure"
        delay = _backoff(policy, attempt, rng)
        reason = f"{why}; exponential backoff with full jitter"
    elif status == 429:
        wait = parse_retry_after(retry_after)
        delay = policy.retry_after_default if wait is None else wait
        if delay > policy.max_retry_after:
            return RetryDecision(None, f"429 with Retry-After {delay:g} s beyond the cap of "
                                       f"{policy.max_retry_after:g} s")
        reason = f"429 Too Many Requests; Retry-After {delay:g} s" if wait is not None else \
            f"429 Too Many Requests without Retry-After; waiting the default {delay:g} s"
    elif status in RETRYABLE_STATUSES:
        if not idempotent:
            return RetryDecision(None, f"{what} on a non-idempotent request; not replaying it")
        wait = parse_retry_after(retry_after)
        if wait is not None and wait > policy.max_retry_after:
            return RetryDecision(None, f"status {status} with Retry-After {wait:g} s beyond the cap of "
                                       f"{policy.max_retry_after:g} s")
        if wait is not None:
            delay, reason = wait, f"status {status}; Retry-After {wait:g} s"
        else:
            delay, reason = _backoff(policy, attempt, rng), f"status {status}; exponential backoff with full jitter"
    else:
        return RetryDecision(None, f"{what} is not retryable")
    if attempt >= policy.max_retries:
        return RetryDecision(None, f"{what}: max_retries ({policy.max_retries}) reached")
    if policy.total_budget is not None and elapsed + delay > policy.total_budget:
        return RetryDecision(None, f"{what}: waiting {delay:g} s would exceed the total budget of "
                                   f"{policy.total_budget:g} s")
    return RetryDecision(delay, reason)


def _backoff(policy: RetryPolicy, attempt: int, rng: random.Random | None) -> float:
    ceiling = min(policy.backoff_max, policy.backoff_base * (2**attempt))
    return (rng or random).uniform(0, ceiling)


#: the token endpoint's own limit: retried with backoff for at most this long (seconds)
TOKEN_RATE_LIMIT_WINDOW = 60.0
TOKEN_RATE_LIMIT_RETRIES = 6


def decide_token_rate_limit_retry(policy: RetryPolicy, *, attempt: int, retry_after: str | None,
                                  elapsed: float) -> RetryDecision:
    """Retry for the token endpoint's own rate limit (a pure function; Terraform provider
    PR #1004 in GENESYS-FACTS.md): ``Retry-After`` when given, else
    exponential from 1 s (capped at 30 s), each wait 50-100 % of it (jitter); at most
    ``TOKEN_RATE_LIMIT_RETRIES`` retries (none when ``max_retries`` is 0) within
    ``TOKEN_RATE_LIMIT_WINDOW`` seconds (or the total budget, if smaller)."""
    retries = 0 if policy.max_retries == 0 else max(policy.max_retries, TOKEN_RATE_LIMIT_RETRIES)
    if attempt >= retries:
        return RetryDecision(None, f"token endpoint rate limit: {retries} retries made")
    wait = parse_retry_after(retry_after)
    delay = wait if wait is not None else random.uniform(0.5, 1.0) * min(30.0, 2.0 ** attempt)
    window = min(TOKEN_RATE_LIMIT_WINDOW, policy.total_budget or TOKEN_RATE_LIMIT_WINDOW)
    if elapsed + delay > window:
        return RetryDecision(None, f"token endpoint rate limit: waiting {delay:.3g} s would pass {window:g} s")
    return RetryDecision(delay, f"token endpoint rate limit exceeded; backing off {delay:.3g} s")
