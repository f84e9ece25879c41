"""The opt-in transport over a caller's ``httpx.Client`` / ``httpx.AsyncClient``
(``http_client=``; for respx or custom httpx transports). See :mod:`transport`.

The caller's client keeps its own proxy, TLS and pool settings. Timeouts are passed
per request; ``total`` (the deadline) is enforced with ``asyncio.timeout`` on the async
client and between body chunks on the sync client (httpx offers no total timeout, so a
sync server dripping its *headers* is bounded only by the read timeout there).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from .errors import ResponseDecodeError
from .transport import Headers, HttpRequest, Response, TransportError

__all__ = ["HttpxTransport", "AsyncHttpxTransport"]

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)


def _timeout(request: HttpRequest, remaining: float) -> httpx.Timeout:
    t = request.timeout
    return httpx.Timeout(connect=min(t.connect, remaining), read=min(t.read, remaining),
                         write=min(t.write, remaining), pool=min(t.pool, remaining))


def _map(exc: BaseException, request: HttpRequest) -> BaseException:
    if isinstance(exc, httpx.DecodingError):
        return ResponseDecodeError(f"{request.method} {request.url}: the response body could not be decoded: {exc}",
                                   status=0, headers={}, text="")
    timeout = isinstance(exc, httpx.TimeoutException | TimeoutError)
    return TransportError(f"{type(exc).__name__}: {exc}", sent=not isinstance(exc, _NOT_SENT), timeout=timeout)


def _check_deadline(request: HttpRequest, deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TransportError("total timeout: the attempt's deadline passed while reading the body",
                             sent=True, timeout=True)


class HttpxTransport:
    """Sync transport over a caller-owned ``httpx.Client`` (not closed here)."""

    def __init__(self, client: httpx.Client, owns: bool = False) -> None:
        self.client = client
        self.owns = owns

    def send(self, request: HttpRequest, *, stream: bool = False) -> Response:
        remaining = request.remaining()
        if remaining <= 0:
            raise TransportError("the call's deadline passed before this attempt", sent=False, timeout=True)
        deadline = time.monotonic() + remaining
        try:
            built = self.client.build_request(request.method, request.url, params=request.params or None,
                                              headers=request.headers, content=request.content,
                                              timeout=_timeout(request, remaining))
            response = self.client.send(built, stream=True, follow_redirects=False)
        except httpx.TransportError as exc:
            raise _map(exc, request) from exc
        headers = Headers(response.headers.multi_items())

        def chunks(size: int) -> Any:
            try:
                for chunk in response.iter_bytes(size):
                    _check_deadline(request, deadline)
                    yield chunk
            except (httpx.TransportError, httpx.DecodingError, httpx.StreamError) as exc:
                raise _map(exc, request) from exc

        result = Response(response.status_code, headers, request, None, stream=chunks, closer=response.close)
        if not stream:
            try:
                result.read()
            except ResponseDecodeError as exc:
                raise ResponseDecodeError(str(exc), status=response.status_code, headers=headers, text="") from exc
        return result

    def close(self) -> None:
        if self.owns:
            self.client.close()


class AsyncHttpxTransport:
    """Async transport over a caller-owned ``httpx.AsyncClient`` (not closed here)."""

    def __init__(self, client: httpx.AsyncClient, owns: bool = False) -> None:
        self.client = client
        self.owns = owns

    async def send(self, request: HttpRequest, *, stream: bool = False) -> Response:
        remaining = request.remaining()
        if remaining <= 0:
            raise TransportError("the call's deadline passed before this attempt", sent=False, timeout=True)
        deadline = time.monotonic() + remaining
        try:
            built = self.client.build_request(request.method, request.url, params=request.params or None,
                                              headers=request.headers, content=request.content,
                                              timeout=_timeout(request, remaining))
            response = await asyncio.wait_for(self.client.send(built, stream=True, follow_redirects=False),
                                              remaining)
        except (httpx.TransportError, asyncio.TimeoutError) as exc:
            raise _map(exc, request) from exc
        headers = Headers(response.headers.multi_items())

        async def chunks(size: int) -> Any:
            try:
                iterator = response.aiter_bytes(size).__aiter__()
                while True:
                    try:
                        chunk = await asyncio.wait_for(iterator.__anext__(), max(deadline - time.monotonic(), 0))
                    except StopAsyncIteration:
                        return
                    yield chunk
            except (httpx.TransportError, httpx.DecodingError, httpx.StreamError, asyncio.TimeoutError) as exc:
                raise _map(exc, request) from exc

        result = Response(response.status_code, headers, request, None, stream=chunks, closer=response.aclose)
        if not stream:
            try:
                await result.aread()
            except ResponseDecodeError as exc:
                raise ResponseDecodeError(str(exc), status=response.status_code, headers=headers, text="") from exc
        return result

    async def close(self) -> None:
        if self.owns:
            await self.client.aclose()
