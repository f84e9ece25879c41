"""The job engine: submit, wait with capped backoff, read results lazily, cancel on interrupt.

It runs every row of :data:`genesyscloud.jobs._kinds.KINDS` and knows none of them. The
waiting logic is one generator (:func:`_wait_flow`) that yields actions ("call this
operation", "wait this long"); :class:`Job` and :class:`AsyncJob` are thin sync and
asyncio drivers over it, as ``_core/send.py`` is for requests.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Generator, Iterator, Protocol

from .._core.errors import APIStatusError, GenesysCloudError
from ._kinds import KINDS, PAGES, RESULT_ITEMS, STATUS_ITEMS, STATUS_PAGES, JobKind

__all__ = [
    "JobError", "JobTimeoutError", "AnalyticsJobError", "NotificationSource", "Job", "AsyncJob",
    "submit_job", "asubmit_job", "run_job", "arun_job", "get_kind",
]

log = logging.getLogger("genesyscloud.jobs")

_PENDING = object()  # a status read that means "not ready yet" (an answer in ``pending_statuses``)
_LISTING_PAGE_SIZE = 100


class JobError(GenesysCloudError):
    """A job ended badly, or did not finish in time.

    Attributes:
        kind: the job kind's name (``"recording.batch"``).
        job_id: the job's id.
        state: its last state (``"FAILED"``...; ``"TIMEOUT"`` when we stopped waiting).
        error_message: the status's failure text, if any.
    """

    def __init__(self, kind: str, job_id: str, state: str, error_message: str | None = None) -> None:
        self.kind = kind
        self.job_id = job_id
        self.state = state
        self.error_message = error_message
        text = f"{kind} job {job_id} ended {state}"
        super().__init__(text + (f": {error_message}" if error_message else ""))


class JobTimeoutError(JobError):
    """The job did not finish within the wall-clock ``timeout`` (``state == "TIMEOUT"``)."""


class AnalyticsJobError(JobError):
    """An analytics job ended FAILED, CANCELLED or EXPIRED, or did not finish in time."""


class _AnalyticsJobTimeoutError(AnalyticsJobError, JobTimeoutError):
    pass


class NotificationSource(Protocol):
    """Hook for a notification-topic result source (the notifications listener).

    While a job whose kind has a ``topic`` waits, the engine calls ``wait(topic, job_id,
    seconds)`` instead of sleeping. It returns ``True`` as soon as an event for the job
    arrived on the topic (the engine then reads the status at once) or ``False`` after
    ``seconds``. ``topic`` is the kind's template (``v2.users.{id}.workforcemanagement...``);
    the source fills in the user id of its own channel. An async client's source returns
    an awaitable.
    """

    def wait(self, topic: str, job_id: str, seconds: float) -> bool | Awaitable[bool]: ...


def get_kind(kind: str | JobKind) -> JobKind:
    """The :class:`JobKind` row for a name (``"analytics.users.details"``).

    Raises:
        ValueError: an unknown name (the message suggests close ones).
    """
    if isinstance(kind, JobKind):
        return kind
    row = KINDS.get(kind)
    if row is None:
        close = difflib.get_close_matches(str(kind), KINDS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known kinds: {', '.join(sorted(KINDS))}"
        raise ValueError(f"unknown job kind {kind!r}{hint}")
    return row


def _get(obj: Any, wire: str | None) -> Any:
    """A wire field of a model or a dict (``None`` when absent)."""
    if obj is None or wire is None:
        return None
    try:
        return obj[wire]
    except (KeyError, TypeError, IndexError):
        return None


@dataclass
class _Call:
    op: str  # "group.method"
    kwargs: dict[str, Any]
    pending: tuple[int, ...] = ()


@dataclass
class _Wait:
    seconds: float
    topic: str | None = None
    job_id: str = ""


@dataclass
class _Options:
    timeout: float | None = 3600.0
    poll_interval: float | None = None
    max_poll_interval: float = 15.0
    clock: Callable[[], float] = time.monotonic
    notifications: Any = None


def _check_options(timeout: float | None, poll_interval: float | None, max_poll_interval: float) -> None:
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be a number of seconds >= 0, or None")
    if poll_interval is not None and poll_interval <= 0:
        raise ValueError("poll_interval must be a number of seconds > 0")
    if max_poll_interval <= 0:
        raise ValueError("max_poll_interval must be a number of seconds > 0")


class _JobBase:
    """What the sync and async job handles share: the row, the ids, the last status."""

    def __init__(self, client: Any, kind: JobKind, job_id: str, path_params: dict[str, Any], submitted: Any) -> None:
        self.client = client
        self.kind = kind
        self.job_id = job_id
        self.path_params = path_params
        #: the submit operation's answer (model).
        self.submitted = submitted
        #: the last status read (model), or ``None`` before the first read.
        self.status: Any = None
        #: the job ended badly or was cancelled (nothing left to cancel).
        self.finished = False
        self._done = False
        self._started = False

    def __repr__(self) -> str:
        state = _get(self.status, self.kind.state) if self.kind.state else None
        return f"<{type(self).__name__} {self.kind.name} {self.job_id} state={state!r}>"

    @property
    def state(self) -> str | None:
        """The last state read (``"FULFILLED"``...), or ``None``."""
        if self.kind.state is None:
            return "READY" if self._done else None
        value = _get(self.status, self.kind.state)
        return None if value is None else str(value)

    # -- the shared flow -------------------------------------------------------------------
    def _kwargs(self, **more: Any) -> dict[str, Any]:
        out = dict(self.path_params)
        if self.kind.job_id is not None:
            out[self.kind.id_param] = self.job_id
        out.update(more)
        return out

    def _status_flow(self) -> Generator[Any, Any, Any]:
        kind = self.kind
        if not kind.status_from_listing:
            return (yield _Call(kind.status, self._kwargs(), kind.pending_statuses))
        number = 1
        while True:
            page = yield _Call(kind.status, {"page_number": number, "page_size": _LISTING_PAGE_SIZE})
            entities = _get(page, "entities") or []
            for entity in entities:
                if _get(entity, "id") == self.job_id:
                    return entity
            count = _get(page, "pageCount") or 1
            if not entities or number >= count:
                return _PENDING  # not listed yet: the listing is eventually consistent
            number += 1

    def _outcome(self, status: Any) -> str:
        kind = self.kind
        if kind.state is None:
            return "done" if _get(status, kind.ready_field) else "pending"
        state = _get(status, kind.state)
        if state in kind.done:
            return "done"
        if state in kind.failed:
            return "failed"
        if kind.start is not None and state == kind.start[0] and not self._started:
            return "start"
        return "pending"

    def _error(self, state: str, message: str | None) -> JobError:
        analytics = self.kind.name.startswith("analytics.") and self.kind.results == PAGES
        if state == "TIMEOUT":
            cls: type[JobError] = _AnalyticsJobTimeoutError if analytics else JobTimeoutError
        else:
            cls = AnalyticsJobError if analytics else JobError
        return cls(self.kind.name, self.job_id, state, message)

    def _wait_flow(self, opts: _Options) -> Generator[Any, Any, Any]:
        kind = self.kind
        clock = opts.clock
        deadline = None if opts.timeout is None else clock() + opts.timeout
        interval = opts.poll_interval if opts.poll_interval is not None else kind.poll_interval
        while True:
            status = yield from self._status_flow()
            if status is not _PENDING:
                self.status = status
                outcome = self._outcome(status)
                if outcome == "done":
                    self._done = True
                    return status
                if outcome == "failed":
                    self.finished = True
                    state = _get(status, kind.state)
                    raise self._error(str(state), _get(status, kind.error_field))
                if outcome == "start":
                    assert kind.start is not None
                    self._started = True
                    self.status = yield _Call(kind.start[1], self._kwargs(body=dict(kind.start[2])))
                    continue
            now = clock()
            if deadline is not None and now >= deadline:
                raise self._error("TIMEOUT", f"not finished after {opts.timeout:g} s")
            seconds = interval if deadline is None else max(0.0, min(interval, deadline - now))
            topic = kind.topic if opts.notifications is not None else None
            yield _Wait(seconds, topic, self.job_id)
            interval = min(opts.max_poll_interval, interval * 1.5)

    def _results_op_kwargs(self, method: Any, page_size: int | None) -> dict[str, Any]:
        kwargs = self._kwargs()
        if page_size is not None:
            kwargs["page_size"] = page_size
        return _accepted(method, kwargs)


_SIGNATURES: dict[Any, frozenset[str]] = {}


def _accepted(method: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Only the keyword arguments ``method`` takes (path parameters go where they belong)."""
    key = getattr(method, "__func__", method)
    names = _SIGNATURES.get(key)
    if names is None:
        names = frozenset(inspect.signature(method).parameters)
        _SIGNATURES[key] = names
    return {k: v for k, v in kwargs.items() if k in names}


def _method(client: Any, op: str) -> Any:
    group, _, name = op.partition(".")
    method = getattr(getattr(client, group, None), name, None)
    if method is None:
        raise ValueError(f"this SDK version has no operation {op}")
    return method


def _prepare(kind: str | JobKind, body: Any, path_params: dict[str, Any]) -> tuple[JobKind, dict[str, Any]]:
    row = get_kind(kind)
    missing = [p for p in row.path_params if path_params.get(p) in (None, "")]
    unknown = sorted(set(path_params) - set(row.path_params))
    if unknown:
        raise TypeError(f"job kind {row.name} takes no argument {', '.join(unknown)}"
                        + (f" (it takes {', '.join(row.path_params)})" if row.path_params else ""))
    if missing:
        raise TypeError(f"job kind {row.name} needs {', '.join(missing)}")
    if row.body == "required" and body is None:
        raise ValueError(f"job kind {row.name} needs a body (the job's query or request)")
    if row.body == "none" and body is not None:
        raise ValueError(f"job kind {row.name} takes no body")
    return row, dict(path_params)


def _submit_kwargs(row: JobKind, body: Any, path_params: dict[str, Any]) -> dict[str, Any]:
    kwargs = dict(path_params)
    if body is not None:
        kwargs["body"] = body
    return kwargs


def _job_id(row: JobKind, submitted: Any, path_params: dict[str, Any]) -> str:
    if row.job_id is None:
        return "/".join(str(v) for v in path_params.values())
    job_id = _get(submitted, row.job_id)
    if not job_id:
        raise GenesysCloudError(f"the {row.name} submission returned no {row.job_id}: {submitted!r}")
    return str(job_id)


def _note(exc: BaseException, text: str) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(text)


# -- sync ------------------------------------------------------------------------------------
class Job(_JobBase):
    """A submitted job (sync client). Use :func:`submit_job` to get one.

    ``with job:`` cancels (or deletes) the job when the block raises, where the API can.

    Attributes:
        kind: the :class:`JobKind` row; job_id: the id; status: the last status (model);
        submitted: the submit operation's answer; finished: the job reached an end state.
    """

    def _call(self, call: _Call) -> Any:
        method = _method(self.client, call.op)
        try:
            return method(**_accepted(method, call.kwargs))
        except APIStatusError as exc:
            if exc.status in call.pending:
                return _PENDING
            raise

    def _drive(self, flow: Generator[Any, Any, Any], sleep: Callable[[float], None], opts: _Options) -> Any:
        value: Any = None
        while True:
            try:
                action = flow.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(action, _Call):
                value = self._call(action)
            else:
                value = None
                if action.topic is not None:
                    opts.notifications.wait(action.topic, action.job_id, action.seconds)
                else:
                    sleep(action.seconds)

    def refresh(self) -> Any:
        """Read the job's status once (one status request; more for listing-based kinds).

        Returns the status model (``None`` when the API says "not ready yet")."""
        status = self._drive(self._status_flow(), time.sleep, _Options())
        if status is _PENDING:
            return None
        self.status = status
        return status

    def wait(self, *, timeout: float | None = 3600.0, poll_interval: float | None = None,
             max_poll_interval: float = 15.0, sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic, notifications: NotificationSource | None = None) -> Any:
        """Poll until the job is done; return its final status (model).

        Args:
            timeout: wall-clock seconds from this call, status reads included (``None``: forever).
            poll_interval: first wait between status reads, seconds (grows 1.5x; default the kind's).
            max_poll_interval: cap of the wait between reads, seconds.
            sleep, clock: the wait function and the monotonic clock (for tests).
            notifications: a :class:`NotificationSource` that wakes the waiter early (kinds with a topic).

        Raises:
            JobError: the job ended in a failed state; JobTimeoutError: ``timeout`` passed
            (the job is left running: use ``with job:`` or :func:`run_job` to cancel it);
            APIStatusError and the other API errors of the status reads.
        """
        _check_options(timeout, poll_interval, max_poll_interval)
        if self._done:
            return self.status
        opts = _Options(timeout, poll_interval, max_poll_interval, clock, notifications)
        return self._drive(self._wait_flow(opts), sleep, opts)

    def results(self, *, page_size: int | None = None) -> Iterator[Any]:
        """Iterate the results of a finished job, lazily (one request per page).

        Items are typed models: analytics rows (``conversations``, ``userDetails``,
        ``results``), recording batch results (``resultUrl``), or the final status itself for
        kinds whose result is one document (an export with its ``downloadUrl``).

        Raises:
            JobError: the job is not done yet (call :meth:`wait` first).
        """
        if not self._done:
            raise JobError(self.kind.name, self.job_id, self.state or "PENDING", "results read before the job was done")
        kind = self.kind
        if kind.results == PAGES:
            assert kind.results_op is not None
            method = _method(self.client, kind.results_op)
            yield from method(**self._results_op_kwargs(method, page_size)).auto_paging_iter()
        elif kind.results == RESULT_ITEMS:
            assert kind.results_op is not None
            method = _method(self.client, kind.results_op)
            yield from (_get(method(**self._results_op_kwargs(method, None)), kind.items_field) or [])
        elif kind.results == STATUS_ITEMS:
            yield from (_get(self.status, kind.items_field) or [])
        elif kind.results == STATUS_PAGES:
            yield from self.status.auto_paging_iter()
        else:
            yield self.status

    def cancel(self) -> None:
        """Cancel or delete the job (its kind's cancel operation).

        Raises:
            ValueError: the API offers no way to cancel this kind; the API errors.
        """
        if self.kind.cancel is None:
            raise ValueError(f"job kind {self.kind.name} cannot be cancelled through the API")
        self._call(_Call(self.kind.cancel, self._kwargs()))
        self.finished = True

    def _cancel_after(self, exc: BaseException) -> None:
        if self.finished or self.kind.cancel is None:
            return
        try:
            self.cancel()
        except Exception as cancel_error:  # the original error wins; the failed cancel is logged and noted
            log.warning("could not cancel %s job %s: %s", self.kind.name, self.job_id, cancel_error)
            _note(exc, f"cancelling {self.kind.name} job {self.job_id} failed too: {cancel_error}")

    def __enter__(self) -> Job:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None:
            self._cancel_after(exc)

    def __iter__(self) -> Iterator[Any]:
        return self.results()


def submit_job(client: Any, kind: str | JobKind, body: Any = None, **path_params: Any) -> Job:
    """Start a job with a :class:`~genesyscloud.GenesysCloud` client; return its :class:`Job`.

    Args:
        client: the client.
        kind: a name of :data:`~genesyscloud.jobs.KINDS` (``"recording.batch"``) or a row.
        body: the job's query or request (a model or a dict), where the kind takes one.
        **path_params: what the kind addresses (``contact_list_id=...``, ``management_unit_id=...``).

    Raises:
        ValueError / TypeError: unknown kind, missing or extra arguments (before any request);
        the API errors of the submit operation.
    """
    row, params = _prepare(kind, body, path_params)
    method = _method(client, row.submit)
    submitted = method(**_submit_kwargs(row, body, params))
    return Job(client, row, _job_id(row, submitted, params), params, submitted)


def run_job(client: Any, kind: str | JobKind, body: Any = None, *, timeout: float | None = 3600.0,
            poll_interval: float | None = None, max_poll_interval: float = 15.0, page_size: int | None = None,
            sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
            notifications: NotificationSource | None = None, on_submit: Callable[[Job], None] | None = None,
            **path_params: Any) -> Iterator[Any]:
    """Submit a job, wait for it, and yield every result, lazily (sync client).

    The job is cancelled or deleted (where the API can) when anything interrupts it:
    ``KeyboardInterrupt``, closing the iterator before the end, an API error while
    polling, or the wall-clock ``timeout``. A job that ended FAILED is not touched.

    Args: as :func:`submit_job` and :meth:`Job.wait`; ``page_size`` for paged results;
    ``on_submit`` is called with the :class:`Job` right after submission (progress display).

    Raises:
        JobError, JobTimeoutError, the API errors; ValueError/TypeError for bad arguments.
    """
    _check_options(timeout, poll_interval, max_poll_interval)
    job = submit_job(client, kind, body, **path_params)
    with job:
        if on_submit is not None:
            on_submit(job)
        job.wait(timeout=timeout, poll_interval=poll_interval, max_poll_interval=max_poll_interval,
                 sleep=sleep, clock=clock, notifications=notifications)
        yield from job.results(page_size=page_size)


# -- asyncio ---------------------------------------------------------------------------------
class AsyncJob(_JobBase):
    """A submitted job (``AsyncGenesysCloud``). ``async with job:`` cancels it when the block
    raises or the task is cancelled; see :class:`Job` for the rest."""

    async def _call(self, call: _Call) -> Any:
        method = _method(self.client, call.op)
        try:
            return await method(**_accepted(method, call.kwargs))
        except APIStatusError as exc:
            if exc.status in call.pending:
                return _PENDING
            raise

    async def _drive(self, flow: Generator[Any, Any, Any], sleep: Callable[[float], Any], opts: _Options) -> Any:
        value: Any = None
        while True:
            try:
                action = flow.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(action, _Call):
                value = await self._call(action)
            else:
                value = None
                if action.topic is not None:
                    await opts.notifications.wait(action.topic, action.job_id, action.seconds)
                else:
                    await sleep(action.seconds)

    async def refresh(self) -> Any:
        """Async counterpart of :meth:`Job.refresh`."""
        status = await self._drive(self._status_flow(), asyncio.sleep, _Options())
        if status is _PENDING:
            return None
        self.status = status
        return status

    async def wait(self, *, timeout: float | None = 3600.0, poll_interval: float | None = None,
                   max_poll_interval: float = 15.0, sleep: Callable[[float], Any] = asyncio.sleep,
                   clock: Callable[[], float] = time.monotonic,
                   notifications: NotificationSource | None = None) -> Any:
        """Async counterpart of :meth:`Job.wait`."""
        _check_options(timeout, poll_interval, max_poll_interval)
        if self._done:
            return self.status
        opts = _Options(timeout, poll_interval, max_poll_interval, clock, notifications)
        return await self._drive(self._wait_flow(opts), sleep, opts)

    async def results(self, *, page_size: int | None = None) -> AsyncIterator[Any]:
        """Async counterpart of :meth:`Job.results` (``async for``)."""
        if not self._done:
            raise JobError(self.kind.name, self.job_id, self.state or "PENDING", "results read before the job was done")
        kind = self.kind
        if kind.results == PAGES:
            assert kind.results_op is not None
            method = _method(self.client, kind.results_op)
            first = await method(**self._results_op_kwargs(method, page_size))
            async for item in first.auto_paging_iter():
                yield item
        elif kind.results == RESULT_ITEMS:
            assert kind.results_op is not None
            method = _method(self.client, kind.results_op)
            for item in _get(await method(**self._results_op_kwargs(method, None)), kind.items_field) or []:
                yield item
        elif kind.results == STATUS_ITEMS:
            for item in _get(self.status, kind.items_field) or []:
                yield item
        elif kind.results == STATUS_PAGES:
            async for item in self.status.auto_paging_iter():
                yield item
        else:
            yield self.status

    async def cancel(self) -> None:
        """Async counterpart of :meth:`Job.cancel`."""
        if self.kind.cancel is None:
            raise ValueError(f"job kind {self.kind.name} cannot be cancelled through the API")
        await self._call(_Call(self.kind.cancel, self._kwargs()))
        self.finished = True

    async def _cancel_after(self, exc: BaseException) -> None:
        if self.finished or self.kind.cancel is None:
            return
        try:
            await asyncio.shield(self.cancel())
        except Exception as cancel_error:
            log.warning("could not cancel %s job %s: %s", self.kind.name, self.job_id, cancel_error)
            _note(exc, f"cancelling {self.kind.name} job {self.job_id} failed too: {cancel_error}")

    async def __aenter__(self) -> AsyncJob:
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None:
            await self._cancel_after(exc)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self.results()


async def asubmit_job(client: Any, kind: str | JobKind, body: Any = None, **path_params: Any) -> AsyncJob:
    """Async counterpart of :func:`submit_job` (``AsyncGenesysCloud``)."""
    row, params = _prepare(kind, body, path_params)
    method = _method(client, row.submit)
    submitted = await method(**_submit_kwargs(row, body, params))
    return AsyncJob(client, row, _job_id(row, submitted, params), params, submitted)


async def arun_job(client: Any, kind: str | JobKind, body: Any = None, *, timeout: float | None = 3600.0,
                   poll_interval: float | None = None, max_poll_interval: float = 15.0,
                   page_size: int | None = None, sleep: Callable[[float], Any] = asyncio.sleep,
                   clock: Callable[[], float] = time.monotonic, notifications: NotificationSource | None = None,
                   on_submit: Callable[[AsyncJob], None] | None = None, **path_params: Any) -> AsyncIterator[Any]:
    """Async counterpart of :func:`run_job`: task cancellation and closing the iterator early
    (wrap it in ``contextlib.aclosing``) cancel the job too."""
    _check_options(timeout, poll_interval, max_poll_interval)
    job = await asubmit_job(client, kind, body, **path_params)
    async with job:
        if on_submit is not None:
            on_submit(job)
        await job.wait(timeout=timeout, poll_interval=poll_interval, max_poll_interval=max_poll_interval,
                       sleep=sleep, clock=clock, notifications=notifications)
        async for item in job.results(page_size=page_size):
            yield item
