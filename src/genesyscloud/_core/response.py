"""Decoding responses, and the raw response wrapper.

``decode(op, status, headers, content)`` turns a success response into the operation's
declared type: a model (resolved lazily), a list or dict of models, a primitive, or
``None`` for bodiless answers; a :class:`~genesyscloud._core.binary.BinaryResponse` for
an operation that produces no JSON (type spec ``binary``) and for any body whose
``Content-Type`` is not JSON.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Generic, Mapping, TypeVar

from .binary import BinaryResponse, is_json_type
from .errors import ResponseDecodeError
from .models import codec
from .operation import Operation

__all__ = ["decode", "APIResponse"]

T = TypeVar("T")
_OBJECT_OR_ARRAY = (b"{", b"[")


def decode(op: Operation | None, status: int, headers: Mapping[str, str], content: bytes) -> Any:
    """Decode a 2xx response body for ``op``.

    Raises:
        ResponseDecodeError: the body is not valid JSON where JSON is expected
            (for example a truncated response).
    """
    spec = op.response if op is not None else "any"
    content_type = headers.get("content-type", "")
    if spec == "binary" or (content and content_type and not is_json_type(content_type)):
        # a body that is not JSON is never parsed as JSON
        return BinaryResponse(content, headers, status_code=status)
    if status == 204 or not content or spec is None:
        return None
    try:
        if content[:1] in _OBJECT_OR_ARRAY and content[1:2] != b"\x00":
            # what json.loads(bytes) would detect (RFC 8259: UTF-8), without detecting it
            data = json.loads(content.decode("utf-8", "surrogatepass"))
        else:  # a BOM, UTF-16/32, a bare value...: json.loads works it out
            data = json.loads(content)
    except ValueError as exc:
        text = content.decode("utf-8", "replace")
        if spec == "str":
            return text
        raise ResponseDecodeError(
            f"{op.method_name if op else 'request'}: the {status} response body is not valid JSON "
            f"({exc}); {len(content)} bytes received",
            status=status,
            headers=headers,
            text=text,
        ) from exc
    return codec(spec)[0](data)  # (is_json_type and codec look their caches up first)


class APIResponse(Generic[T]):
    """A response with everything the wire said.

    Attributes:
        status_code: the HTTP status (``int``).
        headers: the response headers (case-insensitive mapping).
        correlation_id: the ``ININ-Correlation-Id`` header, or ``None``.
        content: the raw body (``bytes``).
        method, url: the request that produced it.
        elapsed: seconds between sending the request and reading the response.
    """

    def __init__(
        self,
        *,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes,
        method: str,
        url: str,
        elapsed: float,
        parser: Callable[[], T],
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.method = method
        self.url = url
        self.elapsed = elapsed
        self.correlation_id: str | None = headers.get("inin-correlation-id")
        self._parser = parser
        self._parsed: list[T] = []

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` if it is not JSON)."""
        return json.loads(self.content)

    def parse(self) -> T:
        """Decode the body into the operation's return type (cached)."""
        if not self._parsed:
            self._parsed.append(self._parser())
        return self._parsed[0]

    @property
    def body(self) -> T:
        """Same as :meth:`parse` (the JS SDK's extended-response ``body``)."""
        return self.parse()

    def __repr__(self) -> str:
        return f"<APIResponse {self.status_code} {self.method} {self.url} correlation_id={self.correlation_id!r}>"
