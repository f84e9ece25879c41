"""Rate-limit pacing: delay a request rather than send it into a 429 (no I/O here).

Genesys Cloud counts requests per access token (``client.credentials.token.rate.per.minute``,
300 a minute), per user (3,000 a minute) and, for some APIs, per resource. Every response
carries ``inin-ratelimit-count`` (requests counted in the current window, by every process
using the token), ``inin-ratelimit-allowed`` (the limit) and ``inin-ratelimit-reset``
(seconds until the window resets); a 429 adds ``Retry-After`` and a ``limit`` object
(``key``, ``namespace``, ``value``) in its body.

The send loop (:mod:`.send`) consults a :class:`Pacer` before each send
(:meth:`Pacer.acquire` returns the seconds to wait; the loop yields its ordinary
``("sleep", seconds)`` action, so any driver works) and feeds it every response
(:meth:`Pacer.observe`). The pacer keeps one window per bucket (by default the access
token, hashed: the token itself is never kept):

* ``"adaptive"`` (the default) learns the limit and the window from the headers and acts
  only when this process's estimate of the count (the last count the server reported plus
  the requests still in flight, or what this process sent in the window, whichever is
  larger) would pass the limit: a lone script far from the limit never waits.
* ``(limit, seconds)``: a fixed budget the process holds itself to (e.g. ``(300, 60)``, to
  leave room for other applications), in windows of its own; a 429 still holds the bucket.
* ``"off"``: no pacing (429s are still retried after ``Retry-After``).

An optional shared window store (``shared=``, see :mod:`genesyscloud._pacing_redis`)
makes every process of a fleet draw from one count; when it fails, the pacer falls back to
its own windows (the store warns once) and no call fails.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

__all__ = ["Pacer", "PacingMode", "parse_rate_limit", "SharedWindows", "Grant", "bucket_of", "StoreUnavailable"]

log = logging.getLogger("genesyscloud.pacing")

#: seconds added to a computed wake-up time so the request lands after the server's reset
WAKE_SLACK = 0.005
#: seconds between looks at a shared store whose answer is not in yet (asyncio)
POLL_INTERVAL = 0.003
#: the per-token limit keys (a 429 for any other key limits a single API, not the token)
TOKEN_LIMIT_KEYS = ("client.credentials.token.rate.per.minute", "token.rate.per.minute", "user.rate.per.minute")


@dataclass(frozen=True, slots=True)
class PacingMode:
    """How a client paces: ``mode`` is ``"off"``, ``"adaptive"`` or ``"fixed"``; a fixed
    budget allows ``limit`` requests per ``window`` seconds."""

    mode: str = "adaptive"
    limit: int | None = None
    window: float | None = None

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


def parse_rate_limit(value: Any) -> PacingMode:
    """``rate_limit=`` of the clients: ``"off"`` (or ``False``/``None``), ``"adaptive"``
    (or ``True``, the default) or ``(limit, seconds)``.

    Raises:
        TypeError, ValueError: anything else.
    """
    if isinstance(value, PacingMode):
        return value
    if value is None or value is False or value == "off":
        return PacingMode("off")
    if value is True or value == "adaptive":
        return PacingMode("adaptive")
    if isinstance(value, tuple | list) and len(value) == 2:
        limit, window = value
        if (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
                or not isinstance(window, int | float) or isinstance(window, bool) or window <= 0):
            raise ValueError(f"rate_limit=(limit, seconds) needs an int >= 1 and seconds > 0, got {value!r}")
        return PacingMode("fixed", int(limit), float(window))
    if isinstance(value, str):
        raise ValueError(f"rate_limit must be 'off', 'adaptive' or (limit, seconds), got {value!r}")
    raise TypeError(f"rate_limit must be 'off', 'adaptive' or (limit, seconds), got {type(value).__name__}")


_BUCKETS: dict[int, tuple[str, str]] = {}  # id(token string) -> (the string, its bucket): hashing once per token


def bucket_of(access_token: str) -> str:
    """The default bucket of a request: a short hash of its access token (not the token)."""
    found = _BUCKETS.get(id(access_token))
    if found is not None and found[0] is access_token:
        return found[1]
    bucket = hashlib.sha256(access_token.encode("utf-8")).hexdigest()[:20]
    if len(_BUCKETS) >= 256:
        _BUCKETS.clear()
    _BUCKETS[id(access_token)] = (access_token, bucket)
    return bucket


@dataclass(slots=True)
class Grant:
    """A shared store's answer: ``granted`` slots (0 = none) and, when none, ``wait`` seconds
    (``None``: the answer is not in yet; ask again shortly); ``limit`` and ``window``
    (seconds) as the fleet learned them, or ``None``."""

    granted: int
    wait: float | None = None
    limit: int | None = None
    window: float | None = None


class StoreUnavailable(Exception):
    """Raised by a :class:`SharedWindows` store that cannot answer (it has logged why): the
    pacer paces on its own windows."""


class SharedWindows(Protocol):
    """A window store shared by a fleet (``genesyscloud._pacing_redis``).

    ``reserve`` takes one slot of ``bucket``'s current window, learning the window from
    the arguments (``limit`` requests; ``remaining``: seconds until the window ends as this
    process last saw it; ``window``: the window length in seconds; ``seen``: the server's
    last reported count; ``None``: not known yet). It returns a :class:`Grant`, or raises when the store
    is unavailable (the pacer then paces on its own).
    """

    def reserve(self, bucket: str, *, limit: int | None, remaining: float | None, window: float | None,
                seen: int) -> Grant: ...

    def block(self, bucket: str, seconds: float) -> None: ...


class _Window:
    """One bucket's window, in this process's monotonic clock."""

    __slots__ = ("limit", "length", "start", "end", "end_known", "count", "seen", "inflight", "blocked_until",
                 "answered", "learned", "alone")

    def __init__(self) -> None:
        self.limit: int | None = None  # learned (inin-ratelimit-allowed) or fixed
        self.length: float = 60.0  # window length, seconds (the largest reset seen)
        self.start: float = 0.0  # monotonic time this process saw the window start
        self.end: float = 0.0  # monotonic time the window ends
        self.end_known = False  # end comes from a header, not a guess
        self.count = 0  # requests this process sent in the window
        self.seen = 0  # the largest count the server reported for the window
        self.inflight = 0  # requests sent, not yet answered
        self.blocked_until = 0.0  # Retry-After of a 429
        self.answered = False  # a response came back (before that, one request probes the limit)
        self.learned = False  # limit and length are known (from headers, the fleet, or a fixed budget)
        self.alone = False  # paced without the shared store in this window (it failed): rejoin at the next

    def closing(self, now: float) -> bool:
        """In the last 5 % of a known window (at most 250 ms): a request sent now could land in
        the server's next window, which this process would start counting from zero."""
        return self.end_known and now >= self.end - min(0.25, 0.05 * self.length)

    def roll(self, now: float) -> None:
        if now >= self.end:
            self.start = now
            self.end = now + self.length
            self.end_known = False
            self.count = self.inflight  # answers still on their way may count in the new window
            self.seen = 0
            self.alone = False


class Pacer:
    """Rate-limit windows per bucket for one client (thread-safe; shared by its copies).

    Args:
        mode: a :class:`PacingMode` (see :func:`parse_rate_limit`).
        shared: a :class:`SharedWindows` store for a fleet, or ``None`` (per process).
    """

    #: the bucket of a request sent with this access token (see :func:`bucket_of`)
    bucket = staticmethod(bucket_of)

    def __init__(self, mode: PacingMode, shared: SharedWindows | None = None) -> None:
        self.mode = mode
        self.shared = shared
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._routes: dict[tuple[str, str], float] = {}  # (bucket, route) -> blocked until
        #: counters: requests granted at once, delays issued, 429s seen, shared store use
        self.stats = {"granted": 0, "delayed": 0, "rate_limited": 0, "shared_grants": 0, "local_grants": 0}

    def _window(self, bucket: str) -> _Window:
        found = self._windows.get(bucket)
        if found is None:
            if len(self._windows) >= 64:  # tokens come and go: forget idle windows of old ones
                idle = time.monotonic() - 600
                for key in [k for k, w in self._windows.items() if w.end < idle and not w.inflight]:
                    del self._windows[key]
            found = self._windows[bucket] = _Window()
            if self.mode.mode == "fixed":
                found.limit = self.mode.limit
                found.length = float(self.mode.window or 60.0)
                found.learned = True
        return found

    def acquire(self, bucket: str, route: str = "", slept_until: float = 0.0) -> float:
        """Take a slot for one request, or say how long to wait first.

        ``slept_until`` (monotonic seconds): the caller already slept until then for a 429's
        ``Retry-After``; a block that ended by then does not delay it again.

        Returns:
            0.0 when the request may go now (its slot is taken: call :meth:`observe` or
            :meth:`abandon` afterwards), else the seconds to wait before asking again.
        """
        now = time.monotonic()
        with self._lock:
            w = self._windows.get(bucket) or self._window(bucket)
            block = w.blocked_until
            if self._routes:  # an API's own limit was met: its route may be held
                block = max(block, self._routes.get((bucket, route), 0.0))
            wait = block - now
            if wait > 0 and block > slept_until + 0.05:
                self.stats["delayed"] += 1
                return wait + WAKE_SLACK
            if now >= w.end:
                w.roll(now)
            limit = w.limit
            if not w.answered and w.inflight and not w.learned and self.mode.mode == "adaptive":
                # the limit is not known yet: let the first request learn it before a burst
                self.stats["delayed"] += 1
                return POLL_INTERVAL
            if self.shared is not None and not w.alone:
                remaining = (w.end - now) if w.end_known and w.learned else None
                length = w.length if w.learned else None
                seen = max(w.seen, w.count)
            else:
                remaining = None
                if limit is not None and (max(w.count, w.seen + w.inflight) + 1 > limit or w.closing(now)):
                    self.stats["delayed"] += 1
                    return max(w.end - now, 0.0) + WAKE_SLACK
                w.count += 1
                w.inflight += 1
                self.stats["granted"] += 1
                if self.shared is not None:
                    self.stats["local_grants"] += 1
                return 0.0
        # the shared store, outside the lock (it may do I/O on the sync path)
        try:
            answer = self.shared.reserve(bucket, limit=limit, remaining=remaining, window=length, seen=seen)  # type: ignore[union-attr]
        except StoreUnavailable:  # the store warned once; pace on our own (see below)
            answer = None
        with self._lock:
            now = time.monotonic()
            w.roll(now)
            if answer is not None and not w.learned and answer.limit is not None and answer.window is not None:
                w.limit, w.length, w.learned = answer.limit, answer.window, True  # learned by the fleet
            if answer is None:  # per-process fallback, until the window ends (the store missed its count)
                w.alone = True
                if w.limit is not None and (max(w.count, w.seen + w.inflight) + 1 > w.limit or w.closing(now)):
                    self.stats["delayed"] += 1
                    return max(w.end - now, 0.0) + WAKE_SLACK
                self.stats["local_grants"] += 1
            elif not answer.granted:
                self.stats["delayed"] += 1
                if answer.wait is None:  # the store's answer is on its way (async refill)
                    return POLL_INTERVAL
                return max(answer.wait, 0.0) + WAKE_SLACK
            else:
                self.stats["shared_grants"] += 1
            w.count += 1
            w.inflight += 1
            self.stats["granted"] += 1
            return 0.0

    def abandon(self, bucket: str) -> None:
        """The request whose slot was taken got no response (a connection failure)."""
        with self._lock:
            w = self._windows.get(bucket)
            if w is not None and w.inflight > 0:
                w.inflight -= 1

    def observe(self, bucket: str, route: str, status: int, headers: Mapping[str, str],
                body: bytes | None = None, retry_after: float | None = None) -> None:
        """Learn from one response: the ``inin-ratelimit-*`` headers, and on a 429 its
        ``Retry-After`` (``retry_after``, seconds) and the body's ``limit`` object."""
        now = time.monotonic()
        text = headers.get("inin-ratelimit-count")
        count = None if text is None else _int(text)
        w = self._windows.get(bucket)
        if (status != 429 and count is not None and w is not None and w.limit is not None and w.end_known
                and count < w.limit // 2 and now < w.end - 0.5 * w.length and self.mode.mode == "adaptive"):
            with self._lock:  # far from the limit, early in a known window: the count is all we need
                if w.inflight > 0:
                    w.inflight -= 1
                w.seen = max(w.seen, count)
            return
        text = headers.get("inin-ratelimit-allowed")
        allowed = None if text is None else _int(text)
        reset = None if count is None else _float(headers.get("inin-ratelimit-reset"))  # (used with the count only)
        with self._lock:
            w = self._windows.get(bucket) or self._window(bucket)
            w.answered = True
            if w.inflight > 0:
                w.inflight -= 1
            if allowed is not None and allowed > 0 and self.mode.mode == "adaptive":
                w.limit = allowed
            if reset is not None and count is not None:
                self._learn_window(w, now, count, reset)
            if status == 429:
                self.stats["rate_limited"] += 1
                self._learn_429(bucket, route, w, now, body, retry_after)

    def _learn_window(self, w: _Window, now: float, count: int, reset: float) -> None:
        if self.mode.mode == "fixed":  # our own windows (a 429 still holds the bucket)
            return
        w.length = max(w.length if w.learned else 0.0, reset, 1.0)
        w.learned = w.limit is not None
        ends = now + reset  # >= the server's end: the header was written before we read it
        half = w.length / 2
        if not w.end_known:  # our guess, replaced by the server's word (unless it is about the window before)
            if ends > w.start + half:
                w.end, w.end_known, w.seen = ends, True, max(w.seen, count)
            return
        if ends < w.end - half:  # a late answer from the window before: nothing to learn
            return
        if ends > w.end + half:  # the server is already in a newer window
            w.count = w.inflight
            w.start, w.end, w.seen = ends - w.length, ends, count
        else:
            w.end = min(w.end, ends)  # integer resets: the smallest is the closest
            w.seen = max(w.seen, count)

    def _learn_429(self, bucket: str, route: str, w: _Window, now: float, body: bytes | None,
                   retry_after: float | None) -> None:
        key = None
        if body:
            try:
                limit = json.loads(body).get("limit")
            except (ValueError, AttributeError):
                limit = None
            if isinstance(limit, dict):
                key = limit.get("key")
        wait = retry_after if retry_after is not None else max(w.end - now, 1.0)
        if key is not None and key not in TOKEN_LIMIT_KEYS:  # one API's own limit
            self._routes[(bucket, route)] = now + wait
            log.debug("rate limit %s on %s: holding its requests for %.3f s", key, route, wait)
            return
        w.blocked_until = now + wait
        if w.limit is not None:
            w.seen = max(w.seen, w.limit)
        if self.shared is not None:
            try:
                self.shared.block(bucket, wait)
            except StoreUnavailable:  # the store already warned; the local block holds
                pass


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        result = float(value)
    except ValueError:
        return None
    return result if result >= 0 else None
