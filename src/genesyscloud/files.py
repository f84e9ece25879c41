"""Files: stream downloads to disk (resuming with ``Range``) and uploads to presigned URLs.

Genesys Cloud hands out files as URLs: ``/api/v2/downloads/{downloadId}`` (exports, which
redirect to the object store), the ``mediaUris`` of a recording, a batch request's
``resultUrl``, an export's ``downloadUrl`` or ``uri``; and takes uploads on presigned URLs
with required headers (the ``/api/v2/uploads/...`` operations: ``url``, ``headers``,
``uploadKey``).

* :func:`download` / :func:`adownload` stream to ``path`` through ``path.part`` and rename
  it when complete (``os.replace``), verify ``Content-Length``, resume with ``Range`` (and
  ``If-Range``) after a dropped connection, retry 429/502/503/504 by the client's
  :class:`~genesyscloud.RetryPolicy`, and report progress.
* :func:`upload` / :func:`aupload` stream a path or file object (no whole-file read) to a
  presigned URL with its required headers (returning the upload key), or as a
  ``multipart/form-data`` POST to a content management document's
  ``uploadDestinationUri`` or a prompt resource's legacy ``uploadUri`` (returning the
  resource read again).

**The bearer token goes only to the hosts it is for.** API URLs (a download id, or an
``/api/...`` URL on the client's API host) and the multipart upload URLs go through the
client's own ``request()``, which sends the token only where
:meth:`genesyscloud.Hosts.carries_token` allows (the API's origin, or the region's
``https://apps.<domain>``) and refuses any other host before sending; every other URL
(presigned object-store URLs) is fetched by a separate HTTP client that has no
credentials at all, so neither the URL nor a redirect from it can carry the token.

Object-store requests go over the transport seam (urllib3 sync, aiohttp async: no httpx
needed) on transports of their own; redirects are followed (at most 5) and carry nothing
but this module's own headers.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import unquote, urlsplit

from ._core.binary import BinaryResponse, filename_from_disposition, safe_filename
from ._core.errors import APIConnectionError, APITimeoutError, GenesysCloudError, status_error
from ._core.retry import RETRYABLE_STATUSES, RetryPolicy, decide_retry
from ._core.transport import DEFAULT_TIMEOUT, HttpRequest, Timeout, TransportConfig, TransportError

__all__ = ["DownloadResult", "download", "adownload", "download_all", "adownload_all", "upload", "aupload",
           "BinaryResponse", "fetch", "afetch", "safe_filename",
           "filename_from_disposition", "DownloadError"]

Progress = Callable[[int, "int | None"], None]
_CHUNK = 256 * 1024
_URL_FIELDS = ("media_uri", "result_url", "download_url", "uri", "url", "mediaUri", "resultUrl", "downloadUrl")
_DOWNLOAD_PATH = re.compile(r"^(?:/platform)?/api/v2/downloads/([^/?#]+)$")


class DownloadError(GenesysCloudError):
    """A download could not be completed (size mismatch, too many drops)."""


@dataclass
class DownloadResult:
    """What :func:`download` wrote.

    Attributes:
        path: the final file.
        size: bytes written.
        content_type: the response's ``Content-Type``.
        filename: the sanitised ``Content-Disposition`` file name, if any.
        resumes: how many times the transfer resumed after a drop.
        url: the URL fetched, without its query (presigned signatures are not kept).
    """

    path: Path
    size: int
    content_type: str | None
    filename: str | None
    resumes: int
    url: str


def _public(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _source_url(source: Any) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, Mapping):
        for key in _URL_FIELDS:
            if isinstance(source.get(key), str):
                return source[key]
    for key in _URL_FIELDS:
        value = getattr(source, key, None)
        if isinstance(value, str):
            return value
    raise TypeError(f"cannot download {type(source).__name__}: give a download id, a URL, or an object "
                    f"with one of {', '.join(_URL_FIELDS[:5])}")


def _classify(client: Any, source: Any) -> tuple[str, str]:
    """``("download", id)``, ``("api", path)`` or ``("object", url)``."""
    text = _source_url(source).strip()
    if not text:
        raise ValueError("empty download source")
    if "://" not in text and "/" not in text:
        return "download", text
    if "://" not in text:
        if not text.startswith("/api/"):
            raise ValueError(f"a relative source must be an /api/ path, got {text!r}")
        path = text
    else:
        if _origin(text) != _origin(client.hosts.api):
            if urlsplit(text).scheme not in ("http", "https"):
                raise ValueError(f"only http and https URLs can be downloaded, got {_public(text)!r}")
            return "object", text
        parts = urlsplit(text)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    match = _DOWNLOAD_PATH.match(path.split("?", 1)[0])
    if match:
        return "download", unquote(match.group(1))
    return "api", path


def _target(path: str | os.PathLike[str] | None, filename: str | None, url: str) -> Path:
    name = filename or safe_filename(unquote(urlsplit(url).path.rsplit("/", 1)[-1])) or "download"
    if path is None:
        return Path.cwd() / name
    target = Path(path)
    if isinstance(path, str) and path.endswith(("/", os.sep)):  # "calls/" names a directory: made if missing
        target.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        return target / name
    return target


def _progress_callback(progress: Any, label: str) -> tuple[Progress | None, Callable[[], None]]:
    if progress is None or progress is False:
        return None, lambda: None
    if callable(progress):
        return progress, lambda: None
    try:
        from rich.progress import DownloadColumn, Progress as RichProgress, TransferSpeedColumn
    except ImportError:
        return None, lambda: None
    bar = RichProgress(*RichProgress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), transient=True)
    task = bar.add_task(label, total=None)
    bar.start()

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


class _State:
    """One transfer's bookkeeping, shared by the sync and async loops."""

    def __init__(self, url: str, policy: RetryPolicy, max_resumes: int) -> None:
        self.url, self.policy, self.max_resumes = url, policy, max_resumes
        self.written = 0
        self.total: int | None = None
        self.etag: str | None = None
        self.ranges = False
        self.resumes = 0
        self.attempt = 0
        self.started = time.monotonic()
        self.content_type: str | None = None
        self.filename: str | None = None

    def request_headers(self) -> dict[str, str]:
        if not self.written:
            return {}
        headers = {"Range": f"bytes={self.written}-"}
        if self.etag:
            headers["If-Range"] = self.etag
        return headers

    def retry_after_status(self, status: int, headers: Mapping[str, str], text: str) -> float:
        """Seconds to wait before retrying ``status``; raises the API error when not retryable."""
        decision = decide_retry(self.policy, attempt=self.attempt, idempotent=True, status=status,
                                retry_after=headers.get("retry-after"), elapsed=time.monotonic() - self.started)
        if status not in RETRYABLE_STATUSES or decision.delay is None:
            raise status_error(status, method="GET", url=_public(self.url), headers=headers, text=text)
        self.attempt += 1
        return decision.delay

    def start_body(self, status: int, headers: Mapping[str, str]) -> bool:
        """Check a 200/206 answer; return ``True`` when writing restarts from byte 0."""
        restart = False
        if status == 206:
            match = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", headers.get("content-range", ""))
            if not match or int(match.group(1)) != self.written:
                raise DownloadError(f"the server answered the range request for byte {self.written} with "
                                    f"{headers.get('content-range')!r} ({_public(self.url)})")
            if match.group(3) != "*":
                self.total = int(match.group(3))
        else:
            restart = self.written > 0  # the server ignored Range (or the object changed: If-Range)
            self.written = 0
            length = headers.get("content-length")
            self.total = int(length) if length and length.isdigit() else None
        self.etag = headers.get("etag") or self.etag
        self.ranges = headers.get("accept-ranges", "").lower() == "bytes" or status == 206
        self.content_type = headers.get("content-type") or self.content_type
        self.filename = filename_from_disposition(headers.get("content-disposition")) or self.filename
        return restart

    def complete(self) -> bool:
        return self.total is None or self.written == self.total

    def dropped(self, exc: BaseException | None, progressed: bool) -> float:
        """Seconds to wait before resuming after a drop; raises when resuming is pointless."""
        self.resumes += 1
        if not self.ranges:
            self.written = 0  # no Range support: start again
        if self.resumes > self.max_resumes:
            text = f"download of {_public(self.url)} dropped {self.resumes} times; giving up at byte {self.written}"
            if exc is None:
                raise DownloadError(text)
            error = _connection_error(exc, self.url)
            error.args = (f"{text}: {error}",)
            raise error from exc
        if progressed:
            return 0.0
        return random.uniform(0, min(self.policy.backoff_max, self.policy.backoff_base * 2 ** (self.resumes - 1)))


class _ObjectHTTP:
    """HTTP for object-store URLs over the transport seam (urllib3 for sync, aiohttp for
    asyncio; :mod:`genesyscloud._core.transport`), on transports of their own that hold no
    credentials of any kind (no token, no cookies): a presigned URL and any redirect from it
    get only the headers this module sets.

    Sync downloads and uploads share one pooled transport per process (built on first use);
    async ones make one per call or per ``adownload_all`` (an aiohttp session belongs to one
    event loop)."""

    _shared: Any = None
    _lock = threading.Lock()

    @classmethod
    def shared(cls) -> Any:
        with cls._lock:
            if cls._shared is None:
                import atexit

                cls._shared = cls.sync(32)
                atexit.register(cls._shared.close)
            return cls._shared

    @staticmethod
    def sync(pool: int = 10) -> Any:
        from ._core.transport_urllib3 import Urllib3Transport

        return Urllib3Transport(TransportConfig(max_connections=max(pool, 1)))

    @staticmethod
    def asynchronous(pool: int = 10) -> Any:
        from ._core.transport_aiohttp import AiohttpTransport

        return AiohttpTransport(TransportConfig(max_connections=max(pool, 10)))

    @staticmethod
    def timeout(client: Any) -> Timeout:
        """The client's connect/read/write/pool timeouts; ``total`` per attempt is
        :data:`_TRANSFER_TOTAL` (a large file takes longer than an API call; a stalled
        transfer is still cut off by ``read``/``write``)."""
        value = getattr(client.options, "timeout", None)
        if value is None:
            value = DEFAULT_TIMEOUT
        elif not isinstance(value, Timeout):
            from ._client import _check_timeout

            value = _check_timeout(value) or DEFAULT_TIMEOUT
        return Timeout(connect=value.connect, read=value.read, write=value.write, pool=value.pool,
                       total=max(_TRANSFER_TOTAL, value.total or 0))


_TRANSFER_TOTAL = 6 * 3600.0  # seconds one object-store attempt may take at most
_MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_CROSS_ORIGIN_DROP = ("authorization", "proxy-authorization", "cookie")


def _scrub(text: str, url: str) -> str:
    """``text`` without ``url``'s query (a presigned URL's signature)."""
    query = urlsplit(url).query
    return text.replace(query, "[query removed]") if query else text


def _connection_error(exc: BaseException, url: str, method: str = "GET") -> APIConnectionError:
    """A :class:`TransportError` as the public error (``APITimeoutError`` for timeouts)."""
    cls = APITimeoutError if getattr(exc, "timeout", False) else APIConnectionError
    return cls(f"{method} {_public(url)}: {_scrub(str(exc), url)}", method=method, url=_public(url))


def _redirect(method: str, url: str, headers: dict[str, str], status: int,
              location: str) -> tuple[str, str, dict[str, str]]:
    """The next hop of a redirect (RFC 9110 section 15.4): 303 turns into a bodiless GET;
    headers that could carry a credential are dropped when the origin changes."""
    from urllib.parse import urljoin

    target = urljoin(url, location)
    if urlsplit(target).scheme not in ("http", "https"):
        raise APIConnectionError(f"{_public(url)} redirected to a non-HTTP URL", method=method, url=_public(url))
    if _origin(target) != _origin(url):
        headers = {k: v for k, v in headers.items() if k.lower() not in _CROSS_ORIGIN_DROP}
    if status == 303 and method != "HEAD":
        method = "GET"
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "content-type")}
    return method, target, headers


def _open_sync(http: Any, method: str, url: str, headers: Mapping[str, str], timeout: Timeout,
               body: Callable[[], Any] | None = None) -> tuple[Any, str]:
    """Send and follow up to :data:`_MAX_REDIRECTS` redirects; return the streamed
    :class:`~genesyscloud._core.transport.Response` (status and headers read, body not)
    and the final URL. ``body()`` gives a fresh request body per hop. Raises
    :class:`TransportError` (the caller maps it)."""
    sent = dict(headers)
    for _ in range(_MAX_REDIRECTS + 1):
        content = body() if body is not None and method != "GET" else None
        request = HttpRequest(method, url, [], dict(sent), content, timeout, time.monotonic() + timeout.total)
        response = http.send(request, stream=True)
        location = response.headers.get("location")
        if response.status_code not in _REDIRECTS or not location:
            return response, url
        response.close()
        method, url, sent = _redirect(method, url, sent, response.status_code, location)
    raise APIConnectionError(f"{_public(url)}: more than {_MAX_REDIRECTS} redirects", method=method, url=_public(url))


async def _open_async(http: Any, method: str, url: str, headers: Mapping[str, str], timeout: Timeout,
                      body: Callable[[], Any] | None = None) -> tuple[Any, str]:
    """Asyncio counterpart of :func:`_open_sync`."""
    sent = dict(headers)
    for _ in range(_MAX_REDIRECTS + 1):
        content = body() if body is not None and method != "GET" else None
        request = HttpRequest(method, url, [], dict(sent), content, timeout, time.monotonic() + timeout.total)
        response = await http.send(request, stream=True)
        location = response.headers.get("location")
        if response.status_code not in _REDIRECTS or not location:
            return response, url
        await response.aclose()
        method, url, sent = _redirect(method, url, sent, response.status_code, location)
    raise APIConnectionError(f"{_public(url)}: more than {_MAX_REDIRECTS} redirects", method=method, url=_public(url))


def _resolve_sync(client: Any, source: Any) -> tuple[str, Any]:
    kind, value = _classify(client, source)
    if kind == "download":
        answer = client.request("GET", f"/api/v2/downloads/{value}", params={"issueRedirect": "false"}).json()
        url = (answer or {}).get("url")
        if not isinstance(url, str):
            raise DownloadError(f"GET /api/v2/downloads/{value} returned no url")
        return "object", url
    return kind, value


async def _resolve_async(client: Any, source: Any) -> tuple[str, Any]:
    kind, value = _classify(client, source)
    if kind == "download":
        answer = (await client.request("GET", f"/api/v2/downloads/{value}", params={"issueRedirect": "false"})).json()
        url = (answer or {}).get("url")
        if not isinstance(url, str):
            raise DownloadError(f"GET /api/v2/downloads/{value} returned no url")
        return "object", url
    return kind, value


def _finish(part: Path, target: Path, state: _State, fh: IO[bytes]) -> DownloadResult:
    fh.flush()
    os.fsync(fh.fileno())  # the data is on disk before the rename makes it visible
    fh.close()
    os.replace(part, target)
    return DownloadResult(target, state.written, state.content_type, state.filename, state.resumes,
                          _public(state.url))


class _ApiSink:
    """Where an API response body goes: ``path.part`` (renamed when complete), progress,
    and the ``Content-Length`` check; shared by the sync and async writers."""

    def __init__(self, response: BinaryResponse, path: Any, progress: Any, url: str) -> None:
        self.response, self.url = response, url
        self.report, self.stop = _progress_callback(progress, "download")
        length = response.headers.get("content-length")
        self.size = int(length) if length and length.isdigit() else None
        self.written = 0
        self.target = _target(path, response.filename, url)
        self.part = self.target.with_name(self.target.name + ".part")
        self.fh: IO[bytes] = open(self.part, "wb")

    def write(self, chunk: bytes) -> None:
        self.fh.write(chunk)
        self.written += len(chunk)
        if self.report is not None:
            self.report(self.written, self.size)

    def commit(self) -> DownloadResult:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        self.stop()
        if self.size is not None and self.size != self.written:
            raise DownloadError(f"GET {self.url}: Content-Length says {self.size} bytes, {self.written} arrived")
        os.replace(self.part, self.target)
        return DownloadResult(self.target, self.written, self.response.content_type, self.response.filename, 0,
                              self.url)

    def discard(self) -> None:
        self.fh.close()
        self.stop()
        self.part.unlink(missing_ok=True)


def _write_api_body(response: BinaryResponse, path: Any, progress: Any, url: str) -> DownloadResult:
    """Stream an API response body (the client's auth, retries and logging) to disk."""
    with response:
        sink = _ApiSink(response, path, progress, url)
        try:
            for chunk in response.iter_bytes(_CHUNK):
                sink.write(chunk)
            return sink.commit()
        except BaseException:
            sink.discard()
            raise


async def _awrite_api_body(response: BinaryResponse, path: Any, progress: Any, url: str) -> DownloadResult:
    """Asyncio counterpart of :func:`_write_api_body`."""
    async with response:
        sink = _ApiSink(response, path, progress, url)
        try:
            async for chunk in response.aiter_bytes(_CHUNK):
                sink.write(chunk)
            return sink.commit()
        except BaseException:
            sink.discard()
            raise


def download(client: Any, source: Any, path: str | os.PathLike[str] | None = None, *,
             progress: Progress | bool | None = None, max_resumes: int = 5,
             sleep: Callable[[float], None] = time.sleep, _http: Any = None) -> DownloadResult:
    """Download a file to disk in flat memory (sync client).

    Args:
        client: a :class:`~genesyscloud.GenesysCloud`.
        source: a download id (``GET /api/v2/downloads/{downloadId}``), an ``/api/`` URL or path
            on the API host, a presigned URL, or an object with one of them (a recording's
            ``mediaUris["S"]``, a batch result, an export).
        path: the file, or a directory for the server's (sanitised) file name (a path that
            ends with ``/`` is a directory, created when missing); default the
            current directory.
        progress: ``callback(bytes_done, total_or_None)``, or ``True`` for a Rich bar.
        max_resumes: dropped connections to resume from before giving up.

    Returns:
        :class:`DownloadResult`.

    Raises:
        APIStatusError (403 for an expired or wrong presigned URL...), APIConnectionError,
        DownloadError (size mismatch, range answered wrongly); TypeError/ValueError for a bad
        source. The partial ``.part`` file is removed on failure.
    """
    kind, value = _resolve_sync(client, source)
    if kind == "api":
        return _write_api_body(client.request("GET", value, stream=True), path, progress, value)
    url = value
    state = _State(url, client.options.retry, max_resumes)
    report, stop = _progress_callback(progress, "download")
    http = _http or _ObjectHTTP.shared()
    timeout = _ObjectHTTP.timeout(client)
    part: Path | None = None
    fh: IO[bytes] | None = None
    try:
        while True:
            progressed = False
            try:
                response, _ = _open_sync(http, "GET", url, state.request_headers(), timeout)
                try:
                    if response.status_code >= 300:
                        text = response.read().decode("utf-8", "replace")
                        sleep(state.retry_after_status(response.status_code, response.headers, text))
                        continue
                    restart = state.start_body(response.status_code, response.headers)
                    if fh is None:
                        target = _target(path, state.filename, url)
                        part = target.with_name(target.name + ".part")
                        fh = open(part, "wb")
                    if restart or state.written == 0:
                        fh.seek(0)
                        fh.truncate()
                    for chunk in response.iter_bytes(_CHUNK):
                        fh.write(chunk)
                        state.written += len(chunk)
                        progressed = True
                        if report is not None:
                            report(state.written, state.total)
                finally:
                    response.close()
            except TransportError as exc:
                sleep(state.dropped(exc, progressed))
                continue
            if not state.complete():
                sleep(state.dropped(None, progressed))
                continue
            assert fh is not None and part is not None
            result = _finish(part, target, state, fh)
            fh = None
            return result
    finally:
        stop()
        if fh is not None:
            fh.close()
            if part is not None and part.exists():
                part.unlink()


async def adownload(client: Any, source: Any, path: str | os.PathLike[str] | None = None, *,
                    progress: Progress | bool | None = None, max_resumes: int = 5,
                    sleep: Callable[[float], Any] | None = None, _http: Any = None) -> DownloadResult:
    """Asyncio counterpart of :func:`download` (``AsyncGenesysCloud``)."""
    import asyncio

    wait = sleep or asyncio.sleep
    kind, value = await _resolve_async(client, source)
    if kind == "api":
        return await _awrite_api_body(await client.request("GET", value, stream=True), path, progress, value)
    url = value
    state = _State(url, client.options.retry, max_resumes)
    report, stop = _progress_callback(progress, "download")
    http = _http or _ObjectHTTP.asynchronous()
    timeout = _ObjectHTTP.timeout(client)
    part: Path | None = None
    fh: IO[bytes] | None = None
    try:
        while True:
            progressed = False
            try:
                response, _ = await _open_async(http, "GET", url, state.request_headers(), timeout)
                try:
                    if response.status_code >= 300:
                        text = (await response.aread()).decode("utf-8", "replace")
                        await wait(state.retry_after_status(response.status_code, response.headers, text))
                        continue
                    restart = state.start_body(response.status_code, response.headers)
                    if fh is None:
                        target = _target(path, state.filename, url)
                        part = target.with_name(target.name + ".part")
                        fh = open(part, "wb")
                    if restart or state.written == 0:
                        fh.seek(0)
                        fh.truncate()
                    async for chunk in response.aiter_bytes(_CHUNK):
                        fh.write(chunk)
                        state.written += len(chunk)
                        progressed = True
                        if report is not None:
                            report(state.written, state.total)
                finally:
                    await response.aclose()
            except TransportError as exc:
                await wait(state.dropped(exc, progressed))
                continue
            if not state.complete():
                await wait(state.dropped(None, progressed))
                continue
            assert fh is not None and part is not None
            result = _finish(part, target, state, fh)
            fh = None
            return result
    finally:
        stop()
        if _http is None:
            await http.close()
        if fh is not None:
            fh.close()
            if part is not None and part.exists():
                part.unlink()


def download_all(client: Any, sources: Iterable[Any], directory: str | os.PathLike[str], *,
                 concurrency: int = 8, max_resumes: int = 5) -> list[DownloadResult]:
    """Download many files into ``directory`` with at most ``concurrency`` at a time (threads
    sharing one connection pool), e.g. every ``result`` of a ``recording.batch`` job.

    Returns the results in the order of ``sources``. Raises the first error after the
    downloads already running have finished (files completed before it stay).
    """
    from concurrent.futures import ThreadPoolExecutor

    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError("concurrency must be an int >= 1")
    items = list(sources)
    Path(directory).mkdir(parents=True, exist_ok=True)
    http = _ObjectHTTP.sync(concurrency)
    try:
        with ThreadPoolExecutor(concurrency) as pool:
            futures = [pool.submit(download, client, item, directory, max_resumes=max_resumes, _http=http)
                       for item in items]
            return [f.result() for f in futures]
    finally:
        http.close()


async def adownload_all(client: Any, sources: Iterable[Any], directory: str | os.PathLike[str], *,
                        concurrency: int = 8, max_resumes: int = 5) -> list[DownloadResult]:
    """Asyncio counterpart of :func:`download_all` (a semaphore bounds the transfers)."""
    import asyncio

    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError("concurrency must be an int >= 1")
    items = list(sources)
    Path(directory).mkdir(parents=True, exist_ok=True)
    limit = asyncio.Semaphore(concurrency)
    http = _ObjectHTTP.asynchronous(concurrency)

    async def one(item: Any) -> DownloadResult:
        async with limit:
            return await adownload(client, item, directory, max_resumes=max_resumes, _http=http)

    try:
        return list(await asyncio.gather(*(one(item) for item in items)))
    finally:
        await http.close()


# -- binary responses ------------------------------------------------------------------------
def fetch(client: Any, path: str, *, params: Any = None) -> BinaryResponse:
    """``GET`` an API path with the client's auth and retries and return the body unparsed
    and *streaming* (for operations that produce ``text/calendar``, ``text/plain``, CSV...):
    status and headers have arrived, the body is read as you consume it (``iter_bytes``,
    ``write_to``, or ``read()`` then ``content``); use it in a ``with`` block or ``close()``
    it when not reading to the end.

    Raises: the client's API errors (an error status is read and raised); ValueError for a
    path that is not ``/api/...``.
    """
    return client.request("GET", path, params=params, stream=True)  # type: ignore[no-any-return]


async def afetch(client: Any, path: str, *, params: Any = None) -> BinaryResponse:
    """Asyncio counterpart of :func:`fetch` (``async for``, ``awrite_to``, ``aread``; ``async with``)."""
    return await client.request("GET", path, params=params, stream=True)  # type: ignore[no-any-return]


# -- uploads ---------------------------------------------------------------------------------
@dataclass
class _Plan:
    """How to upload to one target.

    ``kind`` is ``"put"`` (a presigned URL: a PUT of the raw bytes with its required
    headers, no credentials) or ``"multipart"`` (a ``multipart/form-data`` POST with the
    access token, through the client). ``reread`` gives the resource after a multipart
    upload (``None`` when there is nothing to read back)."""

    kind: str
    url: str
    headers: dict[str, str]
    key: str | None = None
    name: str | None = None
    reread: Callable[[Any], Any] | None = None


def _wire(target: Any) -> Mapping[str, Any] | None:
    if isinstance(target, Mapping):
        return target
    to_dict = getattr(target, "to_dict", None)
    return to_dict() if callable(to_dict) else None


def _reread(kind: str, wire: Mapping[str, Any]) -> Callable[[Any], Any] | None:
    """The typed read of the resource an upload changed (``client -> model``, sync or async)."""
    if kind == "document" and isinstance(wire.get("id"), str):
        document_id = wire["id"]
        return lambda client: client.content_management.get_contentmanagement_document(document_id)
    prompt, language = wire.get("promptId"), wire.get("language")
    if kind == "prompt" and isinstance(prompt, str) and isinstance(language, str):
        if "/systemprompts/" in str(wire.get("selfUri") or ""):
            return lambda client: client.architect.get_architect_systemprompt_resource(prompt, language)
        return lambda client: client.architect.get_architect_prompt_resource(prompt, language)
    return None


def _upload_plan(target: Any) -> _Plan:
    """Work out the upload flow of ``target`` (see :func:`upload`)."""
    if isinstance(target, str):
        return _Plan("put", target, {})
    wire = _wire(target)
    if wire is None:
        raise TypeError(f"cannot upload to {type(target).__name__}: give an upload URL answer (url, headers, "
                        "uploadKey), a Document / ReplaceResponse / FaxSendResponse (uploadDestinationUri), "
                        "a PromptAsset (uploadUri), or a presigned URL")
    if isinstance(wire.get("uploadDestinationUri"), str):
        url = wire["uploadDestinationUri"]
        method = str(wire.get("uploadMethod") or wire.get("uploadMethodType") or "MULTIPART_POST").upper()
        if method == "SINGLE_PUT":  # a presigned object-store URL: no token
            return _Plan("put", url, {})
        if method != "MULTIPART_POST":
            raise ValueError(f"unknown upload method {method!r} (expected MULTIPART_POST or SINGLE_PUT)")
        kind = "fax" if "uploadMethodType" in wire else "document"
        return _Plan("multipart", url, {}, name=wire.get("name") if kind == "document" else None,
                     reread=_reread(kind, wire))
    if isinstance(wire.get("url"), str):
        headers = wire.get("headers") or {}
        return _Plan("put", wire["url"], {str(k): str(v) for k, v in dict(headers).items()}, key=wire.get("uploadKey"))
    if isinstance(wire.get("uploadUri"), str):  # a prompt resource's legacy (deprecated) upload
        return _Plan("multipart", wire["uploadUri"], {}, reread=_reread("prompt", wire))
    raise TypeError("upload target has none of url, uploadDestinationUri, uploadUri")


def _open_source(data: Any) -> tuple[IO[bytes], int, bool]:
    if isinstance(data, (str, os.PathLike)):
        fh = open(data, "rb")
        return fh, os.fstat(fh.fileno()).st_size, True
    if isinstance(data, (bytes, bytearray, memoryview)):
        import io

        return io.BytesIO(bytes(data)), len(data), True
    if hasattr(data, "read"):
        try:
            start = data.tell()
            data.seek(0, os.SEEK_END)
            size = data.tell() - start
            data.seek(start)
        except (OSError, AttributeError, ValueError) as exc:
            raise TypeError("an upload file object must be seekable (its size is sent as Content-Length)") from exc
        return data, size, False
    raise TypeError(f"cannot upload {type(data).__name__}: give a path, bytes or a binary file object")


def _chunks(fh: IO[bytes], size: int, chunk_size: int, report: Progress | None) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        chunk = fh.read(min(chunk_size, size - sent))
        if not chunk:
            break
        sent += len(chunk)
        if report is not None:
            report(sent, size)
        yield chunk


def _source_name(data: Any, filename: str | None, fallback: str | None) -> str:
    if filename:
        return filename
    if isinstance(data, (str, os.PathLike)):
        return Path(data).name
    name = getattr(data, "name", None)
    if isinstance(name, str) and name:
        return Path(name).name
    return fallback or "upload.bin"


class _Multipart:
    """A ``multipart/form-data`` body (RFC 7578) with one file part named ``file``, streamed:
    the part's headers come from urllib3 (``RequestField``, which quotes the file name as
    HTML5 forms do), the file is read in chunks, and the length is known up front so the
    request has a ``Content-Length`` (no chunked encoding)."""

    def __init__(self, fh: IO[bytes], size: int, filename: str, content_type: str) -> None:
        from urllib3.fields import RequestField
        from urllib3.filepost import choose_boundary

        boundary = choose_boundary()
        field = RequestField(name="file", data=b"", filename=filename)
        field.make_multipart(content_type=content_type)
        self.head = f"--{boundary}\r\n".encode("latin-1") + field.render_headers().encode("utf-8")
        self.tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
        self.fh, self.size, self.start = fh, size, fh.tell()
        self.headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Content-Length": str(len(self.head) + size + len(self.tail))}

    def parts(self, chunk_size: int, report: Progress | None) -> Iterator[bytes]:
        self.fh.seek(self.start)  # every attempt sends the whole body
        yield self.head
        yield from _chunks(self.fh, self.size, chunk_size, report)
        yield self.tail


def _content_type(name: str, content_type: str | None) -> str:
    if content_type:
        return content_type
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _transfer_client(client: Any) -> Any:
    """``client`` with the transfer timeouts (:meth:`_ObjectHTTP.timeout`) and a whole-call
    budget to match: a large upload takes longer than an API call's ``total``."""
    import dataclasses

    retry = client.options.retry
    budget = None if retry.total_budget is None else max(retry.total_budget, _TRANSFER_TOTAL)
    return client.with_options(timeout=_ObjectHTTP.timeout(client),
                               retry_policy=dataclasses.replace(retry, total_budget=budget))


def _check_put(response: Any, final: str, text: str) -> None:
    if response.status_code >= 300:
        raise status_error(response.status_code, method="PUT", url=_public(final), headers=response.headers, text=text)


def upload(client: Any, target: Any, data: Any, *, filename: str | None = None, content_type: str | None = None,
           headers: Mapping[str, str] | None = None, progress: Progress | bool | None = None,
           chunk_size: int = _CHUNK) -> Any:
    """Stream ``data`` to an upload target of the API, in flat memory (no whole-file read).

    Targets and their flows:

    * the answer of an ``/api/v2/uploads/...`` operation, of the outbound contact/DNC list
      upload operations or of ``post_architect_prompt_resource_uploads`` (``url``,
      ``headers``, ``uploadKey``), or a bare presigned URL: a ``PUT`` of the bytes with the
      required headers and **no credentials**; returns the ``uploadKey`` (``None`` for a
      bare URL);
    * a content management ``Document`` (``POST /api/v2/contentmanagement/documents``) or
      ``ReplaceResponse`` (``POST /api/v2/contentmanagement/documents/{documentId}/content``):
      a ``multipart/form-data`` ``POST`` of one part ``file`` to its
      ``uploadDestinationUri`` with the access token (as Genesys Cloud's upload examples
      do); returns the document read again (``get_contentmanagement_document``);
    * a ``FaxSendResponse`` (``POST /api/v2/conversations/faxes``): the same multipart POST
      (or a presigned ``PUT`` when its ``uploadMethodType`` is ``SINGLE_PUT``); returns ``None``;
    * a ``PromptAsset`` / ``SystemPromptAsset`` (``POST /api/v2/architect/prompts/{promptId}/resources``):
      the multipart POST to its legacy ``uploadUri``; returns the resource read again.

    The token goes only where :meth:`genesyscloud.Hosts.carries_token` allows (the API's
    origin, or the region's ``https://apps.<domain>``); an upload URL anywhere else raises
    :class:`~genesyscloud.ForeignHostError` before anything is sent.

    Args:
        client: a :class:`~genesyscloud.GenesysCloud`.
        target: one of the above (a model or its wire dict), or a presigned URL.
        data: a path, bytes, or a seekable binary file object (read in chunks of ``chunk_size`` bytes).
        filename: the file name of a multipart part (default: the path's name, then the document's name).
        content_type: the part's ``Content-Type`` (default: guessed from the file name).
        headers: more request headers (a presigned target's required ones are always sent).
        progress: ``callback(bytes_sent, total)`` or ``True`` for a Rich bar.

    Raises:
        APIStatusError (403 when a presigned URL's required header is missing or it expired;
        401 when the upload host refuses the token), APIConnectionError, ForeignHostError;
        TypeError/ValueError for a bad target or data.
    """
    plan = _upload_plan(target)
    fh, size, owned = _open_source(data)
    report, stop = _progress_callback(progress, "upload")
    try:
        if plan.kind == "multipart":
            name = _source_name(data, filename, plan.name)
            body = _Multipart(fh, size, name, _content_type(name, content_type))
            answer = _transfer_client(client).request(
                "POST", plan.url, content=lambda: body.parts(chunk_size, report),
                headers={**dict(headers or {}), **body.headers, "Accept": "application/json"})
            return plan.reread(client) if plan.reread is not None else _answer(answer)
        start = fh.tell()
        http = _ObjectHTTP.shared()

        def chunks() -> Iterator[bytes]:
            fh.seek(start)  # a redirect replays the body from its start
            return _chunks(fh, size, chunk_size, report)

        sent_headers = {**dict(headers or {}), **plan.headers, "Content-Length": str(size)}
        try:
            response, final = _open_sync(http, "PUT", plan.url, sent_headers, _ObjectHTTP.timeout(client), chunks)
            try:
                text = response.read().decode("utf-8", "replace")
            finally:
                response.close()
        except TransportError as exc:
            raise _connection_error(exc, plan.url, "PUT") from exc
        _check_put(response, final, text)
        return plan.key
    finally:
        stop()
        if owned:
            fh.close()


def _async_body(make: Callable[[], Iterator[bytes]]) -> Callable[[], Any]:
    """A body factory for the async transport: each call gives an async iterator over a
    fresh ``make()`` (the file is read in chunks on the event loop)."""
    def factory() -> Any:
        async def stream() -> Any:
            for chunk in make():
                yield chunk

        return stream()

    return factory


def _answer(response: Any) -> Any:
    """The JSON answer of an upload endpoint, or ``None`` for an empty or non-JSON one."""
    from ._core.binary import is_json_type

    if not response.content or not is_json_type(response.headers.get("content-type")):
        return None
    return response.json()


async def aupload(client: Any, target: Any, data: Any, *, filename: str | None = None,
                  content_type: str | None = None, headers: Mapping[str, str] | None = None,
                  progress: Progress | bool | None = None, chunk_size: int = _CHUNK) -> Any:
    """Asyncio counterpart of :func:`upload` (``AsyncGenesysCloud``; the file is read in
    chunks on the event loop)."""
    plan = _upload_plan(target)
    fh, size, owned = _open_source(data)
    report, stop = _progress_callback(progress, "upload")
    try:
        if plan.kind == "multipart":
            name = _source_name(data, filename, plan.name)
            body = _Multipart(fh, size, name, _content_type(name, content_type))

            answer = await _transfer_client(client).request(
                "POST", plan.url, content=_async_body(lambda: body.parts(chunk_size, report)),
                headers={**dict(headers or {}), **body.headers, "Accept": "application/json"})
            return await plan.reread(client) if plan.reread is not None else _answer(answer)
        start = fh.tell()
        http = _ObjectHTTP.asynchronous()

        def chunks() -> Iterator[bytes]:
            fh.seek(start)
            return _chunks(fh, size, chunk_size, report)

        try:
            sent_headers = {**dict(headers or {}), **plan.headers, "Content-Length": str(size)}
            try:
                response, final = await _open_async(http, "PUT", plan.url, sent_headers, _ObjectHTTP.timeout(client),
                                                    _async_body(chunks))
                try:
                    text = (await response.aread()).decode("utf-8", "replace")
                finally:
                    await response.aclose()
            except TransportError as exc:
                raise _connection_error(exc, plan.url, "PUT") from exc
            _check_put(response, final, text)
            return plan.key
        finally:
            await http.close()
    finally:
        stop()
        if owned:
            fh.close()
