"""Bodies that are not JSON: :class:`BinaryResponse`, and safe file names.

Operations whose definition produces something other than JSON (``text/calendar``,
``text/plain``, audio, CSV, zip), and any response whose ``Content-Type`` is not JSON,
return a :class:`BinaryResponse`: the bytes as received, never parsed.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any, AsyncIterator, Iterator, Mapping

__all__ = ["BinaryResponse", "safe_filename", "filename_from_disposition", "is_json_type"]


def safe_filename(name: str | None) -> str | None:
    """A file name safe to create in a directory: no directory parts, no ``..``, no control
    characters, at most 255 bytes; ``None`` when nothing usable is left."""
    if not name:
        return None
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name or name in (".", ".."):
        return None
    while len(name.encode()) > 255:
        name = name[:-1]
    return name


def filename_from_disposition(header: str | None) -> str | None:
    """The file name of a ``Content-Disposition`` header (``filename*`` of RFC 6266 /
    RFC 5987 first, then ``filename``), made safe by :func:`safe_filename`."""
    if not header:
        return None
    from email.message import Message

    msg = Message()
    msg["content-disposition"] = header
    return safe_filename(msg.get_filename())


def is_json_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` names JSON (``application/json``, ``+json`` suffixes of
    RFC 6839 such as ``application/scim+json``, ``text/json``)."""
    if not content_type:
        return False
    found = _JSON_TYPES.get(content_type)
    if found is None:
        media = content_type.split(";", 1)[0].strip().lower()
        found = media.endswith("/json") or media.endswith("+json")
        if len(_JSON_TYPES) < 64:  # the few a server sends, not whatever it could
            _JSON_TYPES[content_type] = found
    return found


_JSON_TYPES: dict[str, bool] = {}  # Content-Type value -> is_json_type (every response asks)


def target_path(path: str | os.PathLike[str] | None, filename: str | None, fallback: str = "download") -> Path:
    """Where to write: ``path`` itself, or ``path/filename`` when ``path`` is a directory
    (the current directory for ``None``)."""
    name = filename or fallback
    if path is None:
        return Path.cwd() / name
    target = Path(path)
    return target / name if target.is_dir() else target


class BinaryResponse:
    """A response body that is not JSON (audio, ``text/calendar``, ``text/plain``, CSV, zip),
    never parsed.

    A generated operation that produces no JSON returns it *streaming*: the status and
    headers have arrived, the body is read as you iterate (``iter_bytes`` / ``async for``)
    or write it (``write_to`` / ``awrite_to``), or all at once with ``read()`` /
    ``await aread()`` (then ``content``). Use it as a context manager (``with`` /
    ``async with``) or call ``close()`` / ``await aclose()`` when not reading to the end.

    Attributes:
        status_code: the HTTP status.
        content: the whole body (``bytes``); for a streamed body, after ``read()`` / ``await aread()``.
        content_type: the ``Content-Type`` header, or ``None``.
        filename: the sanitised ``Content-Disposition`` file name (:func:`safe_filename`), or ``None``.
        headers: the response headers (case-insensitive); correlation_id: ``ININ-Correlation-Id``.

    Raises (while streaming): ``APIConnectionError`` / ``APITimeoutError`` when the
    connection fails mid-body, ``ResponseDecodeError`` for a body that cannot be decoded.
    """

    def __init__(self, content: bytes | None, headers: Mapping[str, str], *, status_code: int = 200,
                 stream: Any = None, method: str = "GET", url: str = "") -> None:
        self._content = content
        self._stream = stream  # a transport Response whose body is not read yet
        self.status_code = status_code
        self.headers = headers
        self.content_type: str | None = headers.get("content-type")
        self.filename = filename_from_disposition(headers.get("content-disposition"))
        self.correlation_id: str | None = headers.get("inin-correlation-id")
        self._method, self._url = method, url

    @classmethod
    def streaming(cls, response: Any) -> BinaryResponse:
        """Wrap a streamed transport :class:`~genesyscloud._core.transport.Response`."""
        return cls(None, response.headers, status_code=response.status_code, stream=response,
                   method=response.request.method, url=response.url)

    @property
    def content(self) -> bytes:
        if self._content is None:
            raise RuntimeError("a streamed body: call read() / await aread() first, or iterate its bytes")
        return self._content

    @property
    def text(self) -> str:
        """The body decoded with the ``charset`` of its ``Content-Type`` (UTF-8 by default)."""
        charset = "utf-8"
        for part in (self.content_type or "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, "replace")
        except LookupError:
            return self.content.decode("utf-8", "replace")

    def _consumed(self) -> Any:
        stream, self._stream = self._stream, None
        if stream is None:
            raise RuntimeError("this streamed body was already read")
        return stream

    def _error(self, exc: BaseException) -> BaseException:
        from .errors import APIConnectionError, APITimeoutError

        cls = APITimeoutError if getattr(exc, "timeout", False) else APIConnectionError
        return cls(f"{self._method} {self._url}: reading the body: {exc}", method=self._method, url=self._url)

    # -- sync --
    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        """The body in chunks of at most ``chunk_size`` bytes, read from the connection as
        they are consumed (a streamed body can be iterated once)."""
        if self._content is not None:
            view = memoryview(self._content)
            for start in range(0, len(view), chunk_size):
                yield bytes(view[start:start + chunk_size])
            return
        from .transport import TransportError

        stream = self._consumed()
        try:
            yield from stream.iter_bytes(chunk_size)
        except TransportError as exc:
            raise self._error(exc) from exc
        finally:
            stream.close()

    def read(self) -> bytes:
        """Read the whole body (once) and return it; ``content`` afterwards."""
        if self._content is None:
            self._content = b"".join(self.iter_bytes(256 * 1024))
        return self._content

    def write_to(self, path: str | os.PathLike[str], *, chunk_size: int = 256 * 1024) -> Path:
        """Stream the body to ``path`` (a directory gets :attr:`filename`) through ``.part``
        and a rename; the ``.part`` file is removed on failure. Returns the path written."""
        target = target_path(path, self.filename)
        part = target.with_name(target.name + ".part")
        try:
            with open(part, "wb") as fh:
                for chunk in self.iter_bytes(chunk_size):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return target

    def close(self) -> None:
        """Release the connection of a body not read to the end (idempotent)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def __enter__(self) -> BinaryResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- async --
    async def aiter_bytes(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """Asyncio counterpart of :meth:`iter_bytes`."""
        if self._content is not None:
            for chunk in self.iter_bytes(chunk_size):
                yield chunk
            return
        from .transport import TransportError

        stream = self._consumed()
        try:
            async for chunk in stream.aiter_bytes(chunk_size):
                yield chunk
        except TransportError as exc:
            raise self._error(exc) from exc
        finally:
            await stream.aclose()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    async def aread(self) -> bytes:
        """Asyncio counterpart of :meth:`read`."""
        if self._content is None:
            self._content = b"".join([chunk async for chunk in self.aiter_bytes(256 * 1024)])
        return self._content

    async def awrite_to(self, path: str | os.PathLike[str], *, chunk_size: int = 256 * 1024) -> Path:
        """Asyncio counterpart of :meth:`write_to`."""
        target = target_path(path, self.filename)
        part = target.with_name(target.name + ".part")
        try:
            with open(part, "wb") as fh:
                async for chunk in self.aiter_bytes(chunk_size):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return target

    async def aclose(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()

    async def __aenter__(self) -> BinaryResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        size = "streamed" if self._content is None else f"{len(self._content)} bytes"
        return f"<BinaryResponse {self.status_code} {self.content_type!r} {size} filename={self.filename!r}>"
