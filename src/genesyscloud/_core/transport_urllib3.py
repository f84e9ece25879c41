"""The sync default transport: urllib3 2.x (see :mod:`transport` for the protocol).

* One blocking connection pool per origin, ``max_connections`` connections, all kept
  alive (HTTP/1.1 keep-alive): a caller waits up to ``timeout.pool`` for a free one
  instead of opening and dropping extra connections.
* Proxies: ``proxy=`` (with ``proxy_username``/``proxy_password`` or inline credentials),
  else ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` minus ``NO_PROXY`` when ``trust_env``;
  https origins are tunnelled with ``CONNECT``; ``socks5://`` needs PySocks.
* TLS: one ``ssl.SSLContext``, built on the first https request (none for http).
* "Certainly not sent" is tracked per attempt by the connection class itself: the
  flag flips just before the first byte of the request is written, so a failure to
  connect, resolve, handshake, tunnel or get a pooled connection is the only
  ``sent=False``.
* ``timeout.total`` / the call's deadline: a watchdog thread shuts the socket of an
  attempt that outlives it (a server dripping one byte a second stays within every
  per-read timeout).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import urllib3
from urllib3 import connection as _conn
from urllib3 import connectionpool as _pool
from urllib3 import exceptions as _exc

from .errors import ResponseDecodeError
from .logging import install_library_log_filters
from .transport import (
    raised as _raised,
    WATCHDOG,
    Attempt,
    Headers,
    HttpRequest,
    Response,
    SSLContexts,
    TransportConfig,
    TransportError,
    env_proxy_for,
    split_proxy,
)

__all__ = ["Urllib3Transport"]

_local = threading.local()
#: ``retries=False`` as urllib3 turns it into a Retry on every urlopen (and logs doing so)
_NO_RETRIES = urllib3.util.Retry(False, redirect=False)


# urllib3 logs every request line at DEBUG, query string included: the shared filter masks
# the values of query parameters that are not on the logging allowlist (``code``, tokens...)
install_library_log_filters()


class _Tracking:
    """Mixin for urllib3's connection classes: records the attempt's connection (for the
    watchdog) and whether any request byte was written."""

    _gc_connecting = False

    def connect(self) -> None:
        self._gc_connecting = True  # a CONNECT tunnel is written during connect: not the request
        try:
            super().connect()  # type: ignore[misc]
        finally:
            self._gc_connecting = False
        attempt = getattr(_local, "attempt", None)
        if attempt is not None and attempt.expired:
            raise TimeoutError("the attempt's total timeout passed while connecting")

    def request(self, *args: Any, **kwargs: Any) -> None:
        attempt = getattr(_local, "attempt", None)
        if attempt is not None:
            attempt.conn = self
        super().request(*args, **kwargs)  # type: ignore[misc]

    def send(self, data: Any) -> None:
        if not self._gc_connecting:
            if self.sock is None:  # type: ignore[attr-defined]
                self.connect()
            attempt = getattr(_local, "attempt", None)
            if attempt is not None:
                if not attempt.sent and attempt.write is not None:
                    sock = self.sock  # type: ignore[attr-defined]
                    if sock.gettimeout() != attempt.write:  # (a kept-alive socket often has it: no syscall)
                        sock.settimeout(attempt.write)  # urllib3 uses connect's
                attempt.sent = True
        super().send(data)  # type: ignore[misc]


class _HTTPConnection(_Tracking, _conn.HTTPConnection):
    pass


class _HTTPSConnection(_Tracking, _conn.HTTPSConnection):
    pass


class _HTTPPool(_pool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_pool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


def _origin(url: str) -> tuple[str, str]:
    """``("scheme://host:port", "/path")`` without urlsplit's cost."""
    start = url.find("://") + 3
    slash = url.find("/", start)
    if slash < 0:
        return url, "/"
    return url[:slash], url[slash:]


class Urllib3Transport:
    """The sync transport over urllib3 (thread-safe; one per client)."""

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self.ssl = SSLContexts(config)
        self._pools: dict[str, Any] = {}
        self._proxies: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._last_timeout: tuple[Any, Any] = (None, None)  # (our Timeout, its urllib3.Timeout)

    # -- pools --------------------------------------------------------------------------

    def _route(self, origin: str) -> Any:
        """The pool (or proxy manager) for an origin, created once."""
        found = self._pools.get(origin)
        if found is not None:
            return found
        with self._lock:
            found = self._pools.get(origin)
            if found is None:
                if self._closed:
                    raise RuntimeError("this client is closed")
                found = self._new_route(origin)
                self._pools[origin] = found
        return found

    def _new_route(self, origin: str) -> Any:
        from urllib3.util import parse_url

        parsed = parse_url(origin)
        scheme = parsed.scheme or "http"
        host = parsed.host or ""
        port = parsed.port or (443 if scheme == "https" else 80)
        cfg = self.config
        proxy = cfg.proxy
        username, password = cfg.proxy_username, cfg.proxy_password
        if proxy is None and cfg.trust_env:
            proxy = env_proxy_for(scheme, host)
            username = password = None
        if proxy:
            return ("proxy", self._proxy_manager(proxy, username, password, scheme))
        kwargs: dict[str, Any] = {"maxsize": cfg.max_connections, "block": True, "retries": False}
        if scheme == "https":
            kwargs["ssl_context"] = self.ssl.get()
            if not cfg.verify_ssl:
                kwargs.update(cert_reqs="CERT_NONE", assert_hostname=False)
        return ("pool", _POOLS[scheme](host, port, **kwargs))

    def _proxy_manager(self, proxy: str, username: str | None, password: str | None, scheme: str) -> Any:
        url, inline_user, inline_password = split_proxy(proxy)
        if username is None and inline_user is not None:
            username, password = inline_user, inline_password
        key = (f"{url}|{username}|{password}", scheme)
        manager = self._proxies.get(key)
        if manager is not None:
            return manager
        cfg = self.config
        kwargs: dict[str, Any] = {"maxsize": cfg.max_connections, "block": True, "retries": False}
        if scheme == "https" or url.startswith("https:"):
            kwargs["ssl_context"] = self.ssl.get()
            if not cfg.verify_ssl:
                kwargs.update(cert_reqs="CERT_NONE", assert_hostname=False)
        if url.startswith("socks"):
            try:
                from urllib3.contrib.socks import SOCKSProxyManager
            except ImportError as exc:  # PySocks missing
                raise TransportError(f"a SOCKS proxy needs PySocks (pip install pysocks): {exc}", sent=False) from exc
            manager = SOCKSProxyManager(url, username=username, password=password, num_pools=10, **kwargs)
            manager._gc_socks = True
        else:
            headers = {}
            if username is not None:
                headers = urllib3.util.make_headers(proxy_basic_auth=f"{username}:{password or ''}")
            if url.startswith("https:"):
                kwargs["proxy_ssl_context"] = self.ssl.get()
            manager = urllib3.ProxyManager(url, num_pools=10, proxy_headers=headers, **kwargs)
            manager.pool_classes_by_scheme = _POOLS
        self._proxies[key] = manager
        return manager

    # -- sending ------------------------------------------------------------------------

    def send(self, request: HttpRequest, *, stream: bool = False) -> Response:
        """Send one request (see :mod:`transport`); raises :class:`TransportError` or
        :class:`ResponseDecodeError`, never a urllib3 exception."""
        url = request.full_url()
        origin, path = _origin(url)
        timeout = request.timeout
        remaining = request.remaining()
        attempt = Attempt(min(timeout.write, remaining))
        if remaining <= 0:
            raise TransportError("the call's deadline passed before this attempt", sent=False, timeout=True)
        try:
            kind, target = self._route(origin)
        except TransportError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad proxy URL, TLS files that do not load...
            raise TransportError(f"{type(exc).__name__}: {exc}", sent=False) from exc
        if getattr(target, "_gc_socks", False):
            attempt.sent = True  # PySocks' connection classes are not tracked: assume the worst
        content = request.content
        chunked = content is not None and not isinstance(content, bytes | bytearray | memoryview) \
            and not any(k.lower() == "content-length" for k in request.headers)
        last = self._last_timeout
        if last[0] is timeout and remaining >= timeout.connect and remaining >= timeout.read:
            utimeout = last[1]  # the usual case: the same Timeout, and the attempt has more than both
        else:
            utimeout = urllib3.Timeout(connect=min(timeout.connect, remaining), read=min(timeout.read, remaining))
            if remaining >= timeout.connect and remaining >= timeout.read:
                self._last_timeout = (timeout, utimeout)  # (urllib3 clones it for each request)
        pool_timeout = min(timeout.pool, remaining)
        WATCHDOG.arm(time.monotonic() + remaining, attempt)
        _local.attempt = attempt
        response = None
        try:
            if kind == "pool":
                response = target.urlopen(request.method, path, body=content, headers=request.headers,
                                          retries=_NO_RETRIES, redirect=False, assert_same_host=False, timeout=utimeout,
                                          pool_timeout=pool_timeout, release_conn=False, chunked=chunked,
                                          preload_content=False, decode_content=True)
            else:
                response = target.urlopen(request.method, url, body=content, headers=request.headers,
                                          retries=_NO_RETRIES, redirect=False, timeout=utimeout,
                                          pool_timeout=pool_timeout, release_conn=False, chunked=chunked,
                                          preload_content=False, decode_content=True)
            headers = Headers.over(response.headers, response.headers.getlist)  # read on demand
            if stream:
                return Response(response.status, headers, request, None,
                                stream=lambda size: self._chunks(response, attempt, request, headers, size),
                                closer=lambda: self._release(response, attempt))
            try:
                data = response.read()
            except _exc.DecodeError as exc:
                raise _decode_error(request, response.status, headers, exc) from exc
            status = response.status
            self._release(response, attempt)
            response = None
            return Response(status, headers, request, data)
        except (TransportError, ResponseDecodeError):
            self._discard(response, attempt)
            raise
        except Exception as exc:  # noqa: BLE001 - every library failure is mapped
            self._discard(response, attempt)
            raise _raised(_map(exc, attempt), exc)
        finally:
            _local.attempt = None

    def _chunks(self, response: Any, attempt: Attempt, request: HttpRequest, headers: Headers, size: int) -> Any:
        try:
            if response.chunked and response.supports_chunked_reads():
                yield from response.stream(size, decode_content=True)
            else:  # what has arrived, up to size: bytes before a drop are not lost (resume)
                read1 = response.read1
                while chunk := read1(size):
                    yield chunk
        except _exc.DecodeError as exc:
            self._discard(response, attempt)
            raise _decode_error(request, response.status, headers, exc) from exc
        except Exception as exc:  # noqa: BLE001
            self._discard(response, attempt)
            raise _raised(_map(exc, attempt), exc)

    @staticmethod
    def _release(response: Any, attempt: Attempt) -> None:
        attempt.done = True
        if attempt.expired:
            response.close()
        response.release_conn()

    @staticmethod
    def _discard(response: Any, attempt: Attempt) -> None:
        attempt.done = True
        if response is not None:
            try:
                response.close()
                response.release_conn()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            routes, self._pools = list(self._pools.values()), {}
            managers, self._proxies = list(self._proxies.values()), {}
        for kind, target in routes:
            if kind == "pool":
                target.close()
        for manager in managers:
            manager.clear()


def _decode_error(request: HttpRequest, status: int, headers: Headers, exc: BaseException) -> ResponseDecodeError:
    return ResponseDecodeError(
        f"{request.method} {request.url}: the {status} response body could not be decoded "
        f"(Content-Encoding {headers.get('content-encoding', 'none')!r}): {exc}",
        status=status, headers=headers, text="")


def _map(exc: BaseException, attempt: Attempt) -> TransportError:
    """A urllib3 / socket / ssl exception as a :class:`TransportError`."""
    name = type(exc).__name__
    if attempt.expired:
        return TransportError(f"total timeout: the attempt's deadline passed ({name}: {exc})",
                              sent=attempt.sent, timeout=True)
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        # http.client / aiohttp refusing a header or URL: never quote it (it may hold a token)
        refused = TransportError(f"the request could not be encoded ({type(exc).__name__}): a header or the URL "
                                 "holds characters HTTP does not allow", sent=False)
        refused.hide_cause = True
        return refused
    if isinstance(exc, _exc.EmptyPoolError):
        return TransportError(f"pool timeout: no free connection ({exc})", sent=False, timeout=True)
    if isinstance(exc, _exc.NewConnectionError):
        return TransportError(f"connection failed: {_reason(exc)}", sent=False)
    if isinstance(exc, _exc.ConnectTimeoutError):
        return TransportError(f"connect timeout: {_reason(exc)}", sent=False, timeout=True)
    if isinstance(exc, _exc.ReadTimeoutError | TimeoutError):
        return TransportError(f"read timeout: {_reason(exc)}", sent=attempt.sent, timeout=True)
    cause = exc
    while isinstance(cause, _exc.ProxyError | _exc.ProtocolError | _exc.SSLError) and cause.args \
            and isinstance(cause.args[-1], BaseException):
        cause = cause.args[-1]
    if isinstance(cause, TimeoutError):
        return TransportError(f"timeout: {_reason(exc)}", sent=attempt.sent, timeout=True)
    return TransportError(f"{name}: {_reason(exc)}", sent=attempt.sent)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text if text else type(exc).__name__
