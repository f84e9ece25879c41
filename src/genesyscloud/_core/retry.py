"""Retry decisions as pure functions (no I/O, no sleeping).

Policy (see DESIGN.md "A call, end to end"):

* 429: wait for ``Retry-After`` (seconds; a default when absent), any method, since the
  server says the request was not processed; a ``Retry-After`` beyond ``max_retry_after``
  is not waited for.
* 502, 503, 504 and connection failures: exponential backoff with full jitter, for
  idempotent methods; for POST/PATCH only when the connection failed before the request
  was sent (connect errors and connect timeouts).
* At most ``max_retries`` retries, and never past the total time budget.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy", "retry_delay"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry settings.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff_base: first backoff ceiling in seconds (doubles each attempt).
        backoff_max: largest backoff ceiling in seconds.
        retry_after_default: seconds to wait on a 429 without ``Retry-After``.
        max_retry_after: the longest ``Retry-After`` (seconds) worth waiting for.
        total_budget: seconds all attempts of one call may take together, or ``None``.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_default: float = 3.0
    max_retry_after: float = 60.0
    total_budget: float | None = 300.0


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


def retry_delay(
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
) -> float | None:
    """Decide whether to retry and after how many seconds.

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
        The delay in seconds, or ``None`` to stop and raise.
    """
    if attempt >= policy.max_retries:
        return None
    if connection_error:
        if not idempotent and sent:
            return None
        delay = _backoff(policy, attempt, rng)
    elif status == 429:
        wait = parse_retry_after(retry_after)
        delay = policy.retry_after_default if wait is None else wait
        if delay > policy.max_retry_after:
            return None
    elif status in RETRYABLE_STATUSES:
        if not idempotent:
            return None
        wait = parse_retry_after(retry_after)
        delay = wait if wait is not None and wait <= policy.max_retry_after else _backoff(policy, attempt, rng)
    else:
        return None
    if policy.total_budget is not None and elapsed + delay > policy.total_budget:
        return None
    return delay


def _backoff(policy: RetryPolicy, attempt: int, rng: random.Random | None) -> float:
    ceiling = min(policy.backoff_max, policy.backoff_base * (2**attempt))
    return (rng or random).uniform(0, ceiling)
