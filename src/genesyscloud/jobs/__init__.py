"""Long-running jobs: submit, wait, stream the results, cancel on interrupt.

Every submit-then-poll API of the Platform API is a row of one table
(:data:`KINDS`, in :mod:`genesyscloud.jobs._kinds`); one engine runs them all, sync and
asyncio::

    from genesyscloud.jobs import run_job
    for result in run_job(gc, "recording.batch", {"batchDownloadRequestList": [...]}):
        print(result.result_url)

:func:`run_analytics_job` / :func:`arun_analytics_job` are the analytics rows under their
first name.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Callable, Iterator

from ._engine import (
    AnalyticsJobError, AsyncJob, Job, JobError, JobTimeoutError, NotificationSource, arun_job, asubmit_job,
    get_kind, run_job, submit_job,
)
from ._kinds import AGGREGATE_DOMAINS, DETAIL_DOMAINS, KINDS, JobKind

__all__ = [
    "KINDS", "JobKind", "Job", "AsyncJob", "JobError", "JobTimeoutError", "AnalyticsJobError",
    "NotificationSource", "submit_job", "asubmit_job", "run_job", "arun_job", "get_kind",
    "run_analytics_job", "arun_analytics_job", "job_operations", "AGGREGATE_DOMAINS", "DETAIL_DOMAINS",
]


def job_operations(domain: str, kind: str = "details") -> tuple[str, str, str, str]:
    """Method names ``(submit, status, results, delete)`` of an analytics job kind.

    Args:
        domain: ``conversations``, ``users``, or for aggregates any of :data:`AGGREGATE_DOMAINS`.
        kind: ``details`` or ``aggregates``.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in ("details", "aggregates"):
        raise ValueError("kind must be 'details' or 'aggregates'")
    base = f"analytics_{domain}_{kind}"
    return f"post_{base}_jobs", f"get_{base}_job", f"get_{base}_job_results", f"delete_{base}_job"


def _analytics_kind(domain: str, kind: str) -> str:
    job_operations(domain, kind)
    name = f"analytics.{domain}.{kind}"
    if name not in KINDS:
        raise ValueError(f"no analytics {kind} jobs for domain {domain!r} in this SDK version")
    return name


def run_analytics_job(client: Any, domain: str, query: Any, *, kind: str = "details", poll_interval: float = 1.0,
                      max_poll_interval: float = 15.0, timeout: float | None = 3600.0, page_size: int | None = None,
                      sleep: Callable[[float], None] = time.sleep,
                      clock: Callable[[], float] = time.monotonic) -> Iterator[Any]:
    """Run an analytics job (``POST /api/v2/analytics/{domain}/{kind}/jobs``) and yield every result.

    The row ``analytics.{domain}.{kind}`` of :data:`KINDS` run by :func:`run_job`: polls
    ``GET .../jobs/{jobId}`` with backoff (``poll_interval`` growing 1.5x up to
    ``max_poll_interval``, seconds), reads ``GET .../jobs/{jobId}/results`` by cursor, and
    deletes the job (``DELETE .../jobs/{jobId}``) on interrupt, early close, an API error
    while polling, or the wall-clock ``timeout`` (seconds, status reads included).

    Raises:
        AnalyticsJobError: FAILED, CANCELLED or EXPIRED, or TIMEOUT; the API errors;
        ValueError for an unknown domain or kind.
    """
    name = _analytics_kind(domain, kind)
    return run_job(client, name, query, timeout=timeout, poll_interval=poll_interval,
                   max_poll_interval=max_poll_interval, page_size=page_size, sleep=sleep, clock=clock)


def arun_analytics_job(client: Any, domain: str, query: Any, *, kind: str = "details", poll_interval: float = 1.0,
                       max_poll_interval: float = 15.0, timeout: float | None = 3600.0,
                       page_size: int | None = None, sleep: Callable[[float], Any] = asyncio.sleep,
                       clock: Callable[[], float] = time.monotonic) -> AsyncIterator[Any]:
    """Asyncio counterpart of :func:`run_analytics_job` (``AsyncGenesysCloud``); task
    cancellation and closing the iterator early delete the job."""
    name = _analytics_kind(domain, kind)
    return arun_job(client, name, query, timeout=timeout, poll_interval=poll_interval,
                    max_poll_interval=max_poll_interval, page_size=page_size, sleep=sleep, clock=clock)
