"""Run one API method over many inputs: bounded concurrency, one failure never aborts the rest.

.. code-block:: python

    from genesyscloud.bulk import run_many, arun_many

    results = run_many(gc.users.get_user, user_ids, concurrency=20, progress=True)  # input order
    for item in results:
        print(item.input, item.value if item.ok else item.error)

    for item in run_many(gc.users.get_user, user_ids, as_completed=True):         # as they finish
        ...

    results = await arun_many(agc.users.get_user, user_ids, concurrency=50)
    async for item in arun_many(agc.users.get_user, user_ids, as_completed=True):
        ...

Every call goes through the client as usual: rate-limit pacing, retries (only what the
client's retry policy allows) and token renewal apply. :func:`run_many` uses threads and
:func:`arun_many` tasks; at most ``concurrency`` calls are in flight, and inputs are read
lazily (a generator of a million ids is fine).

Stopping: Ctrl-C during :func:`run_many` stops starting calls, lets the calls in flight
finish, and raises :class:`BulkInterrupted` (a ``KeyboardInterrupt``) whose ``results``
holds every finished call; cancelling :func:`arun_many` cancels the calls in flight and
re-raises ``CancelledError``. What finished stays finished.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Result", "run_many", "arun_many", "BulkInterrupted"]

T = TypeVar("T")

DEFAULT_CONCURRENCY = 10


@dataclass(slots=True)
class Result(Generic[T]):
    """The outcome of one call: ``index`` (position in the input), ``input``, and either
    ``value`` (the call's return value) or ``error`` (the exception it raised)."""

    index: int
    input: Any
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> T:
        """The value, or raise the call's error."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class BulkInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped :func:`run_many`; ``results`` are the calls that finished (input order)."""

    def __init__(self, results: list[Result[Any]]) -> None:
        super().__init__(f"interrupted after {len(results)} finished calls")
        self.results = results


def _check(concurrency: int) -> None:
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")


class _Progress:
    """``progress=True``: a rich progress bar (stderr) when rich is installed, else a line
    on stderr at most once a second; a callable gets ``(done, total, result)`` (``total``
    is ``None`` for inputs without a length)."""

    def __init__(self, progress: Any, total: int | None, description: str) -> None:
        self.callback = progress if callable(progress) else None
        self.total = total
        self.done = 0
        self.failed = 0
        self.bar: Any = None
        self.last = 0.0
        self.enabled = bool(progress)
        if progress is True:
            try:
                from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                           TimeElapsedColumn, TimeRemainingColumn)
            except ImportError:
                self.bar = None
            else:
                self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                    TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                                    TimeRemainingColumn(), transient=False)
                self.bar.start()
                self.task = self.bar.add_task(description, total=total, failed=0)

    def update(self, result: Result[Any]) -> None:
        self.done += 1
        if not result.ok:
            self.failed += 1
        if self.callback is not None:
            self.callback(self.done, self.total, result)
        elif self.bar is not None:
            self.bar.update(self.task, advance=1, failed=self.failed)
        elif self.enabled:
            now = time.monotonic()
            if now - self.last >= 1.0 or self.done == self.total:
                self.last = now
                of = f"/{self.total}" if self.total is not None else ""
                sys.stderr.write(f"{self.done}{of} done, {self.failed} failed\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _total(items: Any) -> int | None:
    try:
        return len(items)
    except TypeError:
        return None


def run_many(fn: Callable[[Any], T], items: Iterable[Any], *, concurrency: int = DEFAULT_CONCURRENCY,
             as_completed: bool = False, progress: bool | Callable[[int, int | None, Result[T]], Any] = False,
             description: str = "calls") -> Any:
    """Call ``fn(item)`` for every item on up to ``concurrency`` threads.

    Args:
        fn: a sync callable of one argument (e.g. ``gc.users.get_user``; use a lambda or
            ``functools.partial`` for more arguments).
        items: the inputs (any iterable; read lazily).
        concurrency: calls in flight at most (threads).
        as_completed: return an iterator of :class:`Result` in completion order instead of
            the list in input order.
        progress: ``True`` for a progress display (rich when installed), or a callable
            ``(done, total, result)``.

    Returns:
        ``list[Result]`` in input order, or (``as_completed=True``) an iterator of them.

    Raises:
        ValueError: ``concurrency`` < 1. BulkInterrupted: Ctrl-C (``results`` has what finished).
    """
    _check(concurrency)
    if not callable(fn):
        raise TypeError("run_many: fn must be callable")
    runner = _ThreadRun(fn, items, concurrency, _Progress(progress, _total(items), description))
    if as_completed:
        return runner.iterate()
    finished = {r.index: r for r in runner.iterate()}
    return [finished[i] for i in sorted(finished)]


class _ThreadRun:
    def __init__(self, fn: Callable[[Any], Any], items: Iterable[Any], concurrency: int, progress: _Progress) -> None:
        self.fn = fn
        self.items = iter(enumerate(items))
        self.concurrency = concurrency
        self.progress = progress
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ready: list[Result[Any]] = []
        self.cond = threading.Condition(self.lock)
        self.running = 0
        self.input_error: BaseException | None = None

    def _next(self) -> tuple[int, Any] | None:
        with self.lock:
            if self.stop.is_set():
                return None
            try:
                return next(self.items)
            except StopIteration:
                return None
            except Exception as exc:  # the input iterator failed: stop and re-raise in the caller
                self.input_error = exc
                self.stop.set()
                return None

    def _worker(self) -> None:
        try:
            while True:
                job = self._next()
                if job is None:
                    return
                index, item = job
                try:
                    result = Result(index, item, value=self.fn(item))
                except Exception as exc:  # one failure never aborts the rest: kept in the result
                    result = Result(index, item, error=exc)
                with self.cond:
                    self.ready.append(result)
                    self.cond.notify()
        finally:
            with self.cond:
                self.running -= 1
                self.cond.notify()

    def iterate(self) -> Iterator[Result[Any]]:
        threads = [threading.Thread(target=self._worker, name=f"run_many-{i}", daemon=True)
                   for i in range(self.concurrency)]
        self.running = len(threads)
        for t in threads:
            t.start()
        finished: list[Result[Any]] = []
        batch: list[Result[Any]] = []
        try:
            while True:
                with self.cond:
                    while not self.ready and self.running:
                        self.cond.wait(0.25)  # a timeout keeps Ctrl-C responsive in the main thread
                    batch, self.ready = self.ready, []
                    done = not self.running and not batch
                while batch:
                    result = batch.pop(0)
                    finished.append(result)
                    self.progress.update(result)
                    yield result
                if done:
                    break
            if self.input_error is not None:
                raise self.input_error
        except KeyboardInterrupt:
            self.stop.set()  # no new calls; the ones in flight finish
            for t in threads:
                t.join()
            with self.cond:
                finished.extend(batch)  # taken from the workers but not yet handed out
                finished.extend(self.ready)
                self.ready = []
            raise BulkInterrupted(sorted(finished, key=lambda r: r.index)) from None
        finally:
            self.stop.set()
            self.progress.close()


def arun_many(fn: Callable[[Any], Awaitable[T]], items: Iterable[Any] | AsyncIterator[Any], *,
              concurrency: int = DEFAULT_CONCURRENCY, as_completed: bool = False,
              progress: bool | Callable[[int, int | None, Result[T]], Any] = False, description: str = "calls") -> Any:
    """Await ``fn(item)`` for every item with up to ``concurrency`` tasks.

    Arguments as :func:`run_many` (``items`` may also be an async iterable).

    Returns:
        an awaitable of ``list[Result]`` in input order, or (``as_completed=True``) an async
        iterator of :class:`Result` in completion order.

    Raises:
        ValueError: ``concurrency`` < 1. ``asyncio.CancelledError`` when cancelled (the calls
        in flight are cancelled too).
    """
    _check(concurrency)
    if not callable(fn):
        raise TypeError("arun_many: fn must be callable")
    progress_ = _Progress(progress, _total(items), description)
    if as_completed:
        return _aiterate(fn, items, concurrency, progress_)

    async def ordered() -> list[Result[T]]:
        finished = {}
        async for result in _aiterate(fn, items, concurrency, progress_):
            finished[result.index] = result
        return [finished[i] for i in sorted(finished)]

    return ordered()


async def _aiterate(fn: Callable[[Any], Awaitable[Any]], items: Any, concurrency: int,
                    progress: _Progress) -> AsyncIterator[Result[Any]]:
    queue: asyncio.Queue[Result[Any] | None] = asyncio.Queue()
    if hasattr(items, "__aiter__"):
        source = items.__aiter__()

        async def take() -> Any:
            return await source.__anext__()
    else:
        plain = iter(items)

        async def take() -> Any:
            try:
                return next(plain)
            except StopIteration:
                raise StopAsyncIteration from None

    counter = 0
    lock = asyncio.Lock()
    failure: list[BaseException] = []

    async def worker() -> None:
        nonlocal counter
        try:
            while True:
                async with lock:
                    try:
                        item = await take()
                    except StopAsyncIteration:
                        return
                    except Exception as exc:  # the input failed: re-raised in the caller
                        failure.append(exc)
                        return
                    index = counter
                    counter += 1
                try:
                    result = Result(index, item, value=await fn(item))
                except Exception as exc:  # one failure never aborts the rest: kept in the result
                    result = Result(index, item, error=exc)
                queue.put_nowait(result)
        finally:
            queue.put_nowait(None)

    tasks = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    alive = len(tasks)
    try:
        while alive:
            result = await queue.get()
            if result is None:
                alive -= 1
                continue
            progress.update(result)
            yield result
        if failure:
            raise failure[0]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        progress.close()
