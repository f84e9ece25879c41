"""Analytics asynchronous jobs: submit, wait, read every result, cancel on interrupt.

The Platform API runs large analytics queries as jobs (GENESYS-FACTS.md section 5):

1. ``POST /api/v2/analytics/{domain}/{details|aggregates}/jobs`` -> ``{"jobId": ...}``
2. ``GET  .../jobs/{jobId}`` -> ``AsyncQueryStatus.state``: QUEUED, PENDING, FULFILLED,
   FAILED, CANCELLED or EXPIRED
3. ``GET  .../jobs/{jobId}/results?cursor=...`` until no cursor is returned
4. ``DELETE .../jobs/{jobId}`` cancels the job

:func:`run_analytics_job` (sync) and :func:`arun_analytics_job` (asyncio) do all four:
they poll with exponential backoff, raise :class:`AnalyticsJobError` when the job ends
badly, yield the result items (``conversations``, ``userDetails``, ``results``) across
every page, and delete the job when the caller interrupts them (``KeyboardInterrupt``,
task cancellation, or closing the iterator before the results were all read).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Callable, Iterator

from ._core.errors import GenesysCloudError

__all__ = ["AnalyticsJobError", "run_analytics_job", "arun_analytics_job", "job_operations"]

_DONE_BADLY = ("FAILED", "CANCELLED", "EXPIRED")


class AnalyticsJobError(GenesysCloudError):
    """An analytics job ended FAILED, CANCELLED or EXPIRED, or did not finish in time.

    Attributes:
        job_id: the job's id.
        state: its last state (``"FAILED"``...; ``"TIMEOUT"`` when we stopped waiting).
        error_message: the job status's ``errorMessage``, if any.
    """

    def __init__(self, job_id: str, state: str, error_message: str | None = None) -> None:
        self.job_id = job_id
        self.state = state
        self.error_message = error_message
        text = f"analytics job {job_id} ended {state}"
        super().__init__(text + (f": {error_message}" if error_message else ""))


def job_operations(domain: str, kind: str = "details") -> tuple[str, str, str, str]:
    """Method names ``(submit, status, results, delete)`` for a domain and kind.

    Args:
        domain: ``conversations``, ``users``, or for aggregates any of the 18 domains
            (``actions``, ``flows``, ``queues``... as named in the API paths).
        kind: ``details`` or ``aggregates``.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in ("details", "aggregates"):
        raise ValueError("kind must be 'details' or 'aggregates'")
    base = f"analytics_{domain}_{kind}"
    return f"post_{base}_jobs", f"get_{base}_job", f"get_{base}_job_results", f"delete_{base}_job"


def _methods(client: Any, domain: str, kind: str) -> tuple[Callable[..., Any], ...]:
    names = job_operations(domain, kind)
    methods = tuple(getattr(client.analytics, n, None) for n in names)
    if any(m is None for m in methods):
        raise ValueError(f"no analytics {kind} jobs for domain {domain!r} in this SDK version")
    return methods


def _job_id(submitted: Any) -> str:
    job_id = submitted.job_id if hasattr(submitted, "job_id") else None
    if not job_id:
        raise GenesysCloudError(f"the job submission returned no jobId: {submitted!r}")
    return job_id


def _check_state(job_id: str, status: Any) -> bool:
    state = status.state
    if state == "FULFILLED":
        return True
    if state in _DONE_BADLY:
        raise AnalyticsJobError(job_id, state, status.error_message)
    return False


def run_analytics_job(
    client: Any,
    domain: str,
    query: Any,
    *,
    kind: str = "details",
    poll_interval: float = 1.0,
    max_poll_interval: float = 15.0,
    timeout: float | None = 3600.0,
    page_size: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Any]:
    """Run an analytics job with a :class:`GenesysCloud` client and yield every result item.

    Args:
        client: the client.
        domain: ``"conversations"`` or ``"users"`` for details jobs; any aggregate domain.
        query: the job's query (a model such as ``AsyncConversationQuery``, or a dict).
        kind: ``"details"`` (default) or ``"aggregates"``.
        poll_interval: first wait between status polls, seconds (grows 1.5x each poll).
        max_poll_interval: longest wait between polls, seconds.
        timeout: seconds to wait for the job to finish before raising (``None``: forever).
        page_size: results page size (``pageSize``), when the results operation has one.
        sleep: the function used to wait (for tests).

    Raises:
        AnalyticsJobError: the job ended FAILED, CANCELLED or EXPIRED, or timed out
            (the job is deleted on timeout).
        APIStatusError and the rest of the API errors.
    """
    submit, status, results, delete = _methods(client, domain, kind)
    job_id = _job_id(submit(query))
    try:
        waited, interval = 0.0, poll_interval
        while not _check_state(job_id, status(job_id)):
            if timeout is not None and waited >= timeout:
                raise AnalyticsJobError(job_id, "TIMEOUT", f"not finished after {waited:.0f} s")
            sleep(interval)
            waited += interval
            interval = min(max_poll_interval, interval * 1.5)
        kwargs = {"page_size": page_size} if page_size is not None else {}
        yield from results(job_id, **kwargs).auto_paging_iter()
    except AnalyticsJobError as exc:
        if exc.state == "TIMEOUT":
            delete(job_id)
        raise
    except (KeyboardInterrupt, GeneratorExit):
        delete(job_id)
        raise


async def arun_analytics_job(
    client: Any,
    domain: str,
    query: Any,
    *,
    kind: str = "details",
    poll_interval: float = 1.0,
    max_poll_interval: float = 15.0,
    timeout: float | None = 3600.0,
    page_size: int | None = None,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> AsyncIterator[Any]:
    """Asyncio counterpart of :func:`run_analytics_job` (``AsyncGenesysCloud``).

    Task cancellation and closing the iterator early delete the job.
    """
    submit, status, results, delete = _methods(client, domain, kind)
    job_id = _job_id(await submit(query))
    try:
        waited, interval = 0.0, poll_interval
        while not _check_state(job_id, await status(job_id)):
            if timeout is not None and waited >= timeout:
                raise AnalyticsJobError(job_id, "TIMEOUT", f"not finished after {waited:.0f} s")
            await sleep(interval)
            waited += interval
            interval = min(max_poll_interval, interval * 1.5)
        kwargs = {"page_size": page_size} if page_size is not None else {}
        first = await results(job_id, **kwargs)
        async for item in first.auto_paging_iter():
            yield item
    except AnalyticsJobError as exc:
        if exc.state == "TIMEOUT":
            await delete(job_id)
        raise
    except (KeyboardInterrupt, asyncio.CancelledError, GeneratorExit):
        await asyncio.shield(delete(job_id))
        raise
