"""The transport seam: what answers the send loop's ``("send", request)`` action.

The sans-IO loop in :mod:`send` builds an :class:`HttpRequest` and the client's driver
hands it to a transport; the transport returns a :class:`Response` or raises a
:class:`TransportError` (never a raw HTTP-library exception). Three implementations:

* :mod:`transport_urllib3` -- the sync default (urllib3 2.x, blocking pools);
* :mod:`transport_aiohttp` -- the async default (one ``aiohttp.ClientSession``);
* :mod:`transport_httpx`   -- used only when the caller passes ``http_client=`` an
  ``httpx.Client`` / ``httpx.AsyncClient`` (respx, custom httpx transports).

The protocol (:class:`SyncTransport` / :class:`AsyncTransport`)::

    response = transport.send(request, stream=False)        # sync
    response = await transport.send(request, stream=False)  # async
    transport.close() / await transport.close()

``request`` carries ``method``, ``url`` (no query), ``params`` (``(name, value)`` pairs),
``headers`` (``dict``; hooks may change it), ``content``, ``timeout`` (a :class:`Timeout`)
and ``deadline`` (a ``time.monotonic()`` instant no attempt may pass, or ``None``).

Streaming (the capability uploads and downloads build on):

* request bodies: ``content`` may be ``bytes``, an iterable of ``bytes`` (sync) or an
  async iterable of ``bytes`` (async). A streamed body is sent with
  ``Transfer-Encoding: chunked`` unless the caller sets ``Content-Length``. A streamed
  body can be sent only once, so the send loop must not replay it (the caller marks
  such a request non-idempotent, or supplies a fresh iterable per attempt).
* response bodies: ``send(request, stream=True)`` returns as soon as the status and
  headers arrived; read the body with ``response.iter_bytes(chunk_size)`` (sync) or
  ``async for chunk in response.aiter_bytes(chunk_size)`` (async), or all at once with
  ``read()`` / ``await aread()``; then ``close()`` / ``await aclose()`` (also done when the
  body is exhausted). Content-Encoding (gzip, deflate) is decoded. While streaming, the
  timeouts still apply: ``read`` per chunk and ``total`` (the ``deadline``) for the whole
  exchange. Failures while streaming raise :class:`TransportError` (sent=True) or
  :class:`~genesyscloud.ResponseDecodeError`.

Error mapping: every library exception becomes a :class:`TransportError` whose
``sent`` is ``False`` only when the request certainly never reached the server (refused
or timed-out connect, DNS failure, TLS handshake failure, proxy connect failure, pool
timeout): the no-duplicate-POST rule relies on it. A body that cannot be decoded
(garbage under ``Content-Encoding: gzip``) raises :class:`ResponseDecodeError`.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json as _json
import os
import threading
import time
from typing import Any, AsyncIterator, Iterable, Iterator, Mapping, Protocol

__all__ = [
    "Timeout", "HttpRequest", "Headers", "Response", "TransportError", "TransportConfig",
    "SyncTransport", "AsyncTransport", "DEFAULT_TIMEOUT",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Timeout:
    """Timeouts in seconds; never infinite.

    Attributes:
        connect: establishing a TCP (and TLS) connection (default 10).
        read: waiting for each piece of the response (default 30).
        write: sending each piece of the request (default 30).
        pool: waiting for a free connection from the pool (default 10).
        total: one attempt, from the pool wait to the last byte of the response
            (default 60, or the largest of ``read``/``write`` when that is larger).
            A server that drips one byte a second is cut off here.

    The whole call, retries and their waits included, is bounded separately by
    ``RetryPolicy.total_budget`` (default 300 s): no attempt runs past it.

    ``Timeout(5)`` sets all five to 5 seconds.

    Raises:
        ValueError: a value that is not a positive, finite number of seconds.
    """

    connect: float = 10.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0
    total: float | None = None

    def __init__(self, timeout: float | None = None, *, connect: float | None = None, read: float | None = None,
                 write: float | None = None, pool: float | None = None, total: float | None = None) -> None:
        base = {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 10.0}
        if timeout is not None:
            base = dict.fromkeys(base, _seconds("timeout", timeout))
            if total is None:
                total = timeout
        given = {"connect": connect, "read": read, "write": write, "pool": pool}
        for key, value in given.items():
            object.__setattr__(self, key, base[key] if value is None else _seconds(key, value))
        if total is None:
            total = max(DEFAULT_TOTAL, self.read, self.write)
        object.__setattr__(self, "total", _seconds("total", total))


DEFAULT_TOTAL = 60.0


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"timeout {name} must be seconds (a number), got {type(value).__name__}")
    if not 0 < value < float("inf"):
        raise ValueError(f"timeout {name} must be a positive, finite number of seconds, got {value!r}")
    return float(value)


DEFAULT_TIMEOUT = Timeout()


class HttpRequest:
    """One attempt's request, as hooks and transports see it.

    Attributes:
        method: ``GET``, ``POST``, ...
        url: scheme, host and path (no query).
        params: query parameters as ``(name, value)`` pairs.
        headers: a ``dict`` (a pre-request hook may change it).
        content: ``bytes``, ``None``, or an (async) iterable of ``bytes`` (streamed).
        timeout: the :class:`Timeout`.
        deadline: ``time.monotonic()`` instant this attempt must end by, or ``None``.
    """

    __slots__ = ("method", "url", "params", "headers", "content", "timeout", "deadline")

    def __init__(self, method: str, url: str, params: list[tuple[str, str]], headers: dict[str, str],
                 content: Any = None, timeout: Timeout = DEFAULT_TIMEOUT, deadline: float | None = None):
        self.method = method
        self.url = url
        self.params = params
        self.headers = headers
        self.content = content
        self.timeout = timeout
        self.deadline = deadline

    def full_url(self) -> str:
        """The URL with the query string (``application/x-www-form-urlencoded`` encoding)."""
        if not self.params:
            return self.url
        from urllib.parse import urlencode

        return self.url + "?" + urlencode(self.params)

    def remaining(self) -> float:
        """Seconds this attempt may still take (``timeout.total``, capped by the deadline)."""
        if self.deadline is None:
            return self.timeout.total  # type: ignore[return-value]
        return self.deadline - time.monotonic()

    def __repr__(self) -> str:
        return f"<HttpRequest {self.method} {self.url}>"


class Headers(Mapping[str, str]):
    """Response headers: a case-insensitive mapping (repeated headers joined with ``, ``);
    ``multi_items()`` keeps every ``(name, value)`` pair as received.

    A transport may build one over its HTTP library's own case-insensitive multi-dict
    (:meth:`over`): single headers are then looked up there, and the pairs are copied
    only when the whole mapping is wanted (iteration, ``len``, ``multi_items``)."""

    __slots__ = ("_items", "_map", "_source", "_getall")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._source: Any = None
        self._getall: Any = None
        self._build(list(items))

    @classmethod
    def over(cls, source: Any, getall: Any) -> Headers:
        """Headers read from ``source`` (an object with ``items()`` giving every pair in
        order); ``getall(name, None)`` gives a header's values in order, found
        case-insensitively (``None`` or empty when absent): aiohttp's ``CIMultiDictProxy.getall``,
        urllib3's ``HTTPHeaderDict.getlist``. ``source`` must not change afterwards."""
        headers = cls.__new__(cls)
        headers._items = None
        headers._map = None
        headers._source = source
        headers._getall = getall
        return headers

    def _build(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        found = {name.lower(): value for name, value in pairs}
        if len(found) != len(pairs):  # a repeated header: its values joined in order
            found = {}
            for name, value in pairs:
                low = name.lower()
                found[low] = f"{found[low]}, {value}" if low in found else value
        self._items = pairs
        self._map = found
        return found

    def _whole(self) -> dict[str, str]:
        found = self._map
        return self._build(list(self._source.items())) if found is None else found

    def __getitem__(self, key: str) -> str:
        found = self.get(key, _ABSENT)
        if found is _ABSENT:
            raise KeyError(key)
        return found

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._map
        if found is None:
            values = self._getall(key, None)
            if not values:
                return default
            return values[0] if len(values) == 1 else ", ".join(values)
        value = found.get(key)  # (the names are stored lower-case: most lookups are)
        return found.get(key.lower(), default) if value is None else value

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if self._map is None:
            return bool(self._getall(key, None))
        return key.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def multi_items(self) -> list[tuple[str, str]]:
        self._whole()
        return list(self._items)  # type: ignore[arg-type]

    def get_list(self, key: str) -> list[str]:
        if self._map is None:
            return list(self._getall(key, None) or ())
        low = key.lower()
        return [v for k, v in self._items if k.lower() == low]  # type: ignore[union-attr]

    def __reduce__(self) -> Any:
        return (Headers, (self.multi_items(),))  # (a library's multi-dict does not pickle)

    def __repr__(self) -> str:
        return f"Headers({self.multi_items()!r})"


_ABSENT: Any = object()


class Response:
    """A response as the transports return it, whatever the HTTP library.

    Attributes:
        status_code: the HTTP status (``int``).
        headers: :class:`Headers`.
        request: the :class:`HttpRequest` sent.
        url: the request URL (no query).
        content: the whole body (``bytes``; for a streamed response, available after
            :meth:`read`).
    """

    __slots__ = ("status_code", "headers", "request", "_content", "_stream", "_closer")

    def __init__(self, status_code: int, headers: Headers, request: HttpRequest, content: bytes | None = b"",
                 *, stream: Any = None, closer: Any = None) -> None:
        self.status_code = status_code
        self.headers = headers
        self.request = request
        self._content = content
        self._stream = stream  # a callable(chunk_size) -> iterator / async iterator of bytes
        self._closer = closer

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def content(self) -> bytes:
        if self._content is None:
            raise RuntimeError("a streamed response: call read() / await aread() first, or iterate its bytes")
        return self._content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` if it is not JSON)."""
        return _json.loads(self.content)

    # -- streaming (sync) --
    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        """The body in chunks of at most ``chunk_size`` bytes (decoded), then closes."""
        if self._content is not None:
            if self._content:
                yield self._content
            return
        try:
            yield from self._stream(chunk_size)
        finally:
            self.close()

    def read(self) -> bytes:
        if self._content is None:
            self._content = b"".join(self.iter_bytes())
        return self._content

    def close(self) -> None:
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()

    # -- streaming (async) --
    async def aiter_bytes(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """Async counterpart of :meth:`iter_bytes`."""
        if self._content is not None:
            if self._content:
                yield self._content
            return
        try:
            async for chunk in self._stream(chunk_size):
                yield chunk
        finally:
            await self.aclose()

    async def aread(self) -> bytes:
        if self._content is None:
            self._content = b"".join([chunk async for chunk in self.aiter_bytes()])
        return self._content

    async def aclose(self) -> None:
        closer, self._closer = self._closer, None
        if closer is not None:
            result = closer()
            if hasattr(result, "__await__"):
                await result

    def __repr__(self) -> str:
        return f"<Response {self.status_code} {self.request.method} {self.request.url}>"


class TransportError(Exception):
    """No HTTP response was received (internal: the send loop turns it into
    ``APIConnectionError`` / ``APITimeoutError``).

    Attributes:
        sent: ``False`` only when the request certainly never reached the server.
        timeout: a timeout (connect, read, write, pool or total) caused it.
    """

    def __init__(self, message: str, *, sent: bool, timeout: bool = False) -> None:
        from .logging import scrub_text

        super().__init__(scrub_text(message))  # a library's message may quote a header value
        self.hide_cause = False  # the library's exception quotes what must not be shown
        self.sent = sent
        self.timeout = timeout


def raised(error: TransportError, cause: BaseException) -> TransportError:
    """``error`` with ``cause`` as its ``__cause__`` unless the cause must stay hidden."""
    error.__cause__ = None if error.hide_cause else cause
    error.__suppress_context__ = True
    return error


class SyncTransport(Protocol):
    def send(self, request: HttpRequest, *, stream: bool = False) -> Response: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def send(self, request: HttpRequest, *, stream: bool = False) -> Response: ...

    async def close(self) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class TransportConfig:
    """How the default transports are built (proxy, TLS, pool size)."""

    proxy: str | None = dataclasses.field(default=None, repr=False)  # may hold inline credentials
    proxy_username: str | None = None
    proxy_password: str | None = dataclasses.field(default=None, repr=False)
    verify_ssl: bool = True
    ssl_ca_cert: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    ssl_context: Any = None
    max_connections: int = 100
    max_keepalive_connections: int = 100
    trust_env: bool = True


class SSLContexts:
    """The one ``ssl.SSLContext`` of a transport, built on first use (https origins only)."""

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self._context: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._context is None:
            with self._lock:
                if self._context is None:
                    self._context = build_ssl_context(self.config)
        return self._context


def build_ssl_context(config: TransportConfig) -> Any:
    """``config.ssl_context`` as given, or a context with the CA bundle (``ssl_ca_cert``,
    else certifi's, else the system's), the client certificate, and verification."""
    if config.ssl_context is not None:
        return config.ssl_context
    import ssl

    cafile = config.ssl_ca_cert
    if cafile is None:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:  # pragma: no cover - certifi is a dependency
            cafile = None
    context = ssl.create_default_context(cafile=cafile)
    if config.cert_file:
        context.load_cert_chain(config.cert_file, config.key_file)
    if not config.verify_ssl:
        import logging

        logging.getLogger("genesyscloud").warning("TLS certificate verification is off (verify_ssl=False)")
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def split_proxy(url: str) -> tuple[str, str | None, str | None]:
    """``http://user:pw@host:port`` -> (``http://host:port``, user, password) (percent-decoded)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.username is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl(), unquote(parts.username), unquote(parts.password or "")


def env_proxy_for(scheme: str, host: str) -> str | None:
    """The proxy ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` give for this origin, unless
    ``NO_PROXY`` excludes the host (the standard library's reading of them)."""
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy:
        return None
    if urllib.request.proxy_bypass_environment(host, proxies):
        return None
    return proxy if "://" in proxy else "http://" + proxy


# -- the deadline watchdog of blocking transports -----------------------------------------------

class Attempt:
    """One blocking attempt: whether bytes may have left, and the connection to cut
    when its deadline passes (see :class:`Watchdog`)."""

    __slots__ = ("sent", "conn", "expired", "done", "write")

    def __init__(self, write: float | None = None) -> None:
        self.write = write  # seconds per socket write while sending the request
        self.sent = False
        self.conn: Any = None
        self.expired = False
        self.done = False

    def expire(self) -> None:
        self.expired = True
        sock = getattr(self.conn, "sock", None)
        if sock is not None:
            import socket

            try:  # the plain socket's shutdown (not SSLSocket's): wakes a blocked recv/send
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


class Watchdog:
    """One daemon thread that cuts the connection of any attempt still running at its
    deadline (a blocking socket read cannot otherwise be bounded in total: each recv
    of a dripping server returns within the read timeout)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Attempt]] = []
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._counter = itertools.count()
        self._wakes_at = float("inf")  # when the thread wakes up next (monotonic; inf: not before a notify)

    def arm(self, deadline: float, attempt: Attempt) -> None:
        heap = self._heap
        with self._cond:
            while heap and heap[0][2].done:
                heapq.heappop(heap)
            heapq.heappush(heap, (deadline, next(self._counter), attempt))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="genesyscloud-deadlines", daemon=True)
                self._thread.start()
            elif deadline < self._wakes_at:
                # only a deadline earlier than the thread's next wake-up needs it now: waking
                # it for every attempt (a thread switch per request) would cost more than the
                # request itself; a later one is found when the thread wakes
                self._cond.notify()

    def _run(self) -> None:
        heap = self._heap
        with self._cond:
            while True:
                now = time.monotonic()
                while heap and (heap[0][2].done or heap[0][0] <= now):
                    attempt = heapq.heappop(heap)[2]
                    if not attempt.done:
                        attempt.expire()
                self._wakes_at = heap[0][0] if heap else float("inf")
                self._cond.wait(heap[0][0] - now if heap else None)

    def _after_fork(self) -> None:
        self._heap = []
        self._cond = threading.Condition(threading.Lock())
        self._thread = None
        self._wakes_at = float("inf")


WATCHDOG = Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WATCHDOG._after_fork)  # the thread does not survive a fork
