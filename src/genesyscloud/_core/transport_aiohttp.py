"""The async default transport: aiohttp (see :mod:`transport` for the protocol).

* One ``aiohttp.ClientSession`` per client, created on the first request inside the
  running event loop; its connector holds at most ``max_connections`` connections in
  all and keeps every idle one (HTTP/1.1 keep-alive), so ``n`` tasks in flight use at
  most ``n`` connections.
* Timeouts map onto ``aiohttp.ClientTimeout``: ``connect`` -> ``sock_connect``,
  ``pool + connect`` -> ``connect`` (aiohttp's includes the pool wait), ``read`` ->
  ``sock_read``, and ``total`` (capped by the call's deadline) -> ``total``, which also
  bounds reading the body.
* Proxies: ``proxy=`` with credentials, or the environment (``HTTP(S)_PROXY``,
  ``NO_PROXY``) when ``trust_env``; SOCKS is not offered by aiohttp itself.
* TLS: one ``ssl.SSLContext`` built on the first https request.
* ``sent=False`` only for connector errors (refused, DNS, TLS handshake, proxy
  connect or tunnel refusal) and connect timeouts.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from yarl import URL  # aiohttp's own URL type (imported by aiohttp already)

from .errors import ResponseDecodeError
from .transport import raised as _raised
from .transport import Headers, HttpRequest, Response, SSLContexts, TransportConfig, TransportError, split_proxy

__all__ = ["AiohttpTransport"]

_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ClientHttpProxyError, aiohttp.InvalidURL)
_CONNECT_TIMEOUT = getattr(aiohttp, "ConnectionTimeoutError", ())
_DECODE_ERRORS = (aiohttp.ClientPayloadError,)
_NO_USER_AGENT = ("User-Agent",)


class AiohttpTransport:
    """The async transport over one ``aiohttp.ClientSession`` (one per client)."""

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self.ssl = SSLContexts(config)
        self._session: aiohttp.ClientSession | None = None
        self._loop: Any = None
        self._closed = False
        self._proxy: str | None = None
        self._proxy_headers: dict[str, str] | None = None
        self._socks = False
        if config.proxy:
            url, user, password = split_proxy(config.proxy)
            if config.proxy_username is not None:
                user, password = config.proxy_username, config.proxy_password
            self._proxy = url
            self._socks = url.startswith("socks")
            if user is not None:
                self._proxy_headers = _basic(user, password)
        self._env_proxies: dict[str, tuple[str | None, dict[str, str] | None]] = {}
        self._timeouts: dict[Any, aiohttp.ClientTimeout] = {}
        self._last_timeout: tuple[Any, aiohttp.ClientTimeout | None] = (None, None)
        self._last_origin: tuple[str, tuple[str | None, dict[str, str] | None]] = ("\x00", (None, None))

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        loop = asyncio.get_running_loop()
        if session is not None and self._loop is not loop:
            # a session belongs to the event loop it was made in; a client used from a
            # new loop (a second asyncio.run) gets a new one
            old, session = session, None
            connector, old._connector = old._connector, None
            if connector is not None:
                try:  # its connections died with their loop: drop them
                    connector._close()
                except Exception:  # noqa: BLE001 - transports of a closed loop
                    connector._closed = True
        if session is None:
            if self._closed:
                raise RuntimeError("this client is closed")
            connector = aiohttp.TCPConnector(limit=self.config.max_connections, limit_per_host=0,
                                             keepalive_timeout=60.0)
            # trust_env is handled here, once per origin (aiohttp's own reading of the
            # environment hops to a thread on every request)
            # no session-wide skip_auto_headers: aiohttp would merge it into every request's
            # headers (a CIMultiDict built and copied per request); send() skips aiohttp's
            # User-Agent only for a request that carries none of its own
            session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                            auto_decompress=True, raise_for_status=False)
            self._session = session
            self._loop = loop
        return session

    def _proxy_for(self, url: str) -> tuple[str | None, dict[str, str] | None]:
        """The proxy URL and its credentials header for this URL's origin (cached)."""
        if self._proxy is not None or not self.config.trust_env:
            return self._proxy, self._proxy_headers
        origin, found = self._last_origin
        if url.startswith(origin) and url[len(origin):len(origin) + 1] in ("/", "?", ""):
            return found  # the same origin as the last request
        cut = url.find("/", url.find("://") + 3)
        origin = url if cut < 0 else url[:cut]
        found = self._env_proxies.get(origin)
        if found is None:
            from urllib.parse import urlsplit

            from .transport import env_proxy_for

            parts = urlsplit(origin)
            proxy = env_proxy_for(parts.scheme, parts.hostname or "")
            headers = None
            if proxy is not None:
                proxy, user, password = split_proxy(proxy)
                if user is not None:
                    headers = _basic(user, password)
            found = self._env_proxies[origin] = (proxy, headers)
        self._last_origin = (origin, found)
        return found

    async def send(self, request: HttpRequest, *, stream: bool = False) -> Response:
        """Send one request (see :mod:`transport`); raises :class:`TransportError` or
        :class:`ResponseDecodeError`, never an aiohttp exception."""
        if self._socks:
            raise TransportError("the async client does not support SOCKS proxies (use an HTTP proxy)", sent=False)
        remaining = request.remaining()
        if remaining <= 0:
            raise TransportError("the call's deadline passed before this attempt", sent=False, timeout=True)
        t = request.timeout
        last = self._last_timeout
        if last[0] is t:  # the same Timeout as the last request (a client's own, usually)
            cached = last[1]
        else:
            cached = self._timeouts.get(t)
            if cached is not None:
                self._last_timeout = (t, cached)
        if cached is not None and remaining >= cached.total - 0.05:
            timeout = cached  # the usual case: the attempt has its whole total (within 50 ms)
        else:
            timeout = _client_timeout(t, remaining)
            if remaining >= t.total - 0.05 and len(self._timeouts) < 64:  # type: ignore[operator]
                self._timeouts[t] = _client_timeout(t, t.total)  # type: ignore[arg-type]
        url = request.full_url() if request.params else request.url
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop():
            session = self._get_session()
        kwargs: dict[str, Any] = {}
        https = url.startswith("https:")
        if https:
            kwargs["ssl"] = self.ssl.get()
        proxy, proxy_headers = self._proxy_for(url)
        if proxy is not None:
            kwargs["proxy"] = proxy
            if proxy_headers is not None:
                kwargs["proxy_headers"] = proxy_headers  # the CONNECT tunnel of https origins
        headers = request.headers
        if proxy_headers is not None and not https:
            headers = {**headers, **proxy_headers}  # plain http goes to the proxy itself
        if "User-Agent" not in headers and not any(k.lower() == "user-agent" for k in headers):
            kwargs["skip_auto_headers"] = _NO_USER_AGENT  # never aiohttp's own
        response = None
        try:
            # already encoded by urlencode / quote: yarl keeps it byte for byte
            response = await session.request(request.method, URL(url, encoded=True), data=request.content,
                                             headers=headers, timeout=timeout, allow_redirects=False,
                                             **kwargs)
            headers = Headers.over(response.headers, response.headers.getall)  # read on demand
            if stream:
                return Response(response.status, headers, request, None,
                                stream=lambda size: _chunks(response, request, headers, size),
                                closer=response.release)
            try:
                data = await response.read()
            except _DECODE_ERRORS as exc:
                if _is_decoding(exc):
                    raise _decode_error(request, response.status, headers, exc) from exc
                raise
            finally:
                response.release()
            return Response(response.status, headers, request, data)
        except (TransportError, ResponseDecodeError):
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every library failure is mapped
            if response is not None:
                response.release()
            raise _raised(_map(exc), exc)

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _client_timeout(t: Any, remaining: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=remaining, connect=min(t.connect + t.pool, remaining),
                                 sock_connect=min(t.connect, remaining), sock_read=min(t.read, remaining))


def _basic(user: str, password: str | None) -> dict[str, str]:
    import base64

    pair = f"{user}:{password or ''}".encode("latin-1")
    return {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


def _is_decoding(exc: BaseException) -> bool:
    text = f"{exc} {exc.__cause__!r}"
    return "ContentEncodingError" in text or "decompress" in text.lower() or "encoding" in text.lower()


async def _chunks(response: Any, request: HttpRequest, headers: Headers, size: int) -> Any:
    try:
        async for chunk in response.content.iter_chunked(size):
            yield chunk
    except asyncio.CancelledError:
        raise
    except _DECODE_ERRORS as exc:
        if _is_decoding(exc):
            raise _decode_error(request, response.status, headers, exc) from exc
        raise _raised(_map(exc), exc)
    except Exception as exc:  # noqa: BLE001
        raise _raised(_map(exc), exc)


def _decode_error(request: HttpRequest, status: int, headers: Headers, exc: BaseException) -> ResponseDecodeError:
    return ResponseDecodeError(
        f"{request.method} {request.url}: the {status} response body could not be decoded "
        f"(Content-Encoding {headers.get('content-encoding', 'none')!r}): {exc}",
        status=status, headers=headers, text="")


def _map(exc: BaseException) -> TransportError:
    name = type(exc).__name__
    text = str(exc) or name
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        # http.client / aiohttp refusing a header or URL: never quote it (it may hold a token)
        refused = TransportError(f"the request could not be encoded ({type(exc).__name__}): a header or the URL "
                                 "holds characters HTTP does not allow", sent=False)
        refused.hide_cause = True
        return refused
    if _CONNECT_TIMEOUT and isinstance(exc, _CONNECT_TIMEOUT):
        return TransportError(f"connect timeout: {text}", sent=False, timeout=True)
    if isinstance(exc, _NOT_SENT):
        return TransportError(f"{name}: {text}", sent=False)
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return TransportError(f"timeout ({name}): {text if text != name else 'total or read timeout'}",
                              sent=True, timeout=True)
    return TransportError(f"{name}: {text}", sent=True)
