"""The sandbox's multipart upload endpoint: ``POST /uploads/...`` (the legacy upload URLs).

Two kinds of resource hand out an upload URL that takes a browser-style form post rather
than a presigned ``PUT``: a content management document (``uploadDestinationUri``, with
``uploadMethod: "MULTIPART_POST"``) and an Architect prompt resource (the deprecated
``uploadUri``). Genesys' own examples post a ``FormData`` with one part named ``file``
and the header ``Authorization: bearer <access token>``. The real service serves these
URLs on ``apps.<domain>``; a loopback sandbox has one origin, so they are on the API's
own origin under ``/uploads/`` (:mod:`._documents` and :mod:`._prompts` say which path).

The endpoint:

* requires a valid, unexpired bearer token of the sandbox, checked as the API checks it
  (``401`` with the API error body otherwise), before any of the body is read;
* answers ``404`` for an unknown document or prompt resource, ``415`` for a body that
  is not ``multipart/form-data``, ``400`` for a form without a boundary, without a part
  named ``file``, with two of them, or cut short before its closing boundary;
* streams the ``file`` part into the object store (:class:`._objects.ObjectWriter`:
  memory up to 1 MiB, a temporary file beyond), parsed by ``python-multipart`` as it
  arrives, so the memory it needs is flat whatever the size. The body is never read
  whole: the outer pipeline skips its body read (and its size cap) for these paths;
* on success stores the bytes (a second upload replaces them), updates the resource and
  answers ``200`` with a small JSON body: the upload is complete when the answer is
  sent (the resource shows it at once), so there is nothing to accept for later (202).

The request log records the request like every other (headers masked; ``bodySize`` is
the number of body bytes received; the body itself is not kept), and fault rules
(``add_fault(path=...)``) apply to it. Uploads do not count against the API's rate limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ._errors import ApiError, bad_request, not_found
from ._objects import ObjectWriter

__all__ = ["UPLOAD_PREFIX", "UploadTarget", "UploadedFile", "UploadRoutes", "is_streamed_upload", "upload_target"]

#: every legacy upload URL's path starts with this
UPLOAD_PREFIX = "/uploads/"
#: the form part that carries the file, as in Genesys' examples
FILE_PART = "file"
#: most bytes of the headers of one part, and of a form field other than ``file``
_PART_HEADERS_LIMIT = 16 * 1024
_FIELD_LIMIT = 64 * 1024


@dataclass
class UploadedFile:
    """What arrived in the ``file`` part: its bytes (in ``writer``, not yet stored), the
    part's file name (``None`` when it had none), content type and size in bytes."""

    writer: ObjectWriter
    filename: str | None
    content_type: str
    size: int


@dataclass
class UploadTarget:
    """Where an upload URL's bytes go. ``finish(state, upload, token, base)`` stores them
    (it looks the resource up again: it may have been deleted while the body streamed;
    then it raises a 404) and returns the JSON answer."""

    finish: Callable[[Any, UploadedFile, Any, str], dict[str, Any]]


Resolver = Callable[[Any, dict[str, str]], UploadTarget]
_TARGETS: list[tuple[re.Pattern[str], Resolver]] = []


def upload_target(pattern: str) -> Callable[[Resolver], Resolver]:
    """Register ``resolve(state, groups) -> UploadTarget`` for upload paths matching
    ``pattern`` (named groups; the whole path must match). It raises a 404 ``ApiError``
    for an unknown resource."""

    def register(fn: Resolver) -> Resolver:
        _TARGETS.append((re.compile(pattern), fn))
        return fn

    return register


def is_streamed_upload(method: str, path: str) -> bool:
    """Whether the outer pipeline must leave this request's body to the upload endpoint."""
    return method == "POST" and path.startswith(UPLOAD_PREFIX)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _FormReader:
    """python-multipart callbacks: the ``file`` part goes to an :class:`ObjectWriter`,
    other parts are read and dropped (each at most :data:`_FIELD_LIMIT` bytes)."""

    def __init__(self) -> None:
        self.writer = ObjectWriter()
        self.found = False
        self.complete = False
        self.ended = False
        self.filename: str | None = None
        self.content_type = "application/octet-stream"
        self._in_file = False
        self._field_size = 0
        self._header_size = 0
        self._name = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished, "on_end": self.on_end}

    def on_part_begin(self) -> None:
        self._headers, self._name, self._value = {}, b"", b""
        self._in_file, self._field_size, self._header_size = False, 0, 0

    def _count_header(self, size: int) -> None:
        self._header_size += size
        if self._header_size > _PART_HEADERS_LIMIT:
            raise bad_request("The headers of a form part exceed {limit} bytes.", limit=str(_PART_HEADERS_LIMIT))

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._name.strip().lower()] = self._value.strip()
        self._name, self._value = b"", b""

    def on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise bad_request("A form part has no Content-Disposition name.")
        if _decode(options[b"name"]) != FILE_PART:
            return
        if self.found:
            raise bad_request("The form has more than one part named '{part}'.", part=FILE_PART)
        self.found = self._in_file = True
        if b"filename" in options:
            name = re.split(r"[\\/]", _decode(options[b"filename"]))[-1].strip()
            self.filename = name or None
        ctype = _decode(self._headers.get(b"content-type", b"")).strip()
        if ctype and ctype.isprintable():
            self.content_type = ctype

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.writer.write(memoryview(data)[start:end])
            return
        self._field_size += end - start
        if self._field_size > _FIELD_LIMIT:
            raise bad_request("A form field other than '{part}' exceeds {limit} bytes.", part=FILE_PART,
                              limit=str(_FIELD_LIMIT))

    def on_part_end(self) -> None:
        if self._in_file:
            self.complete = True
        self._in_file = False

    def on_end(self) -> None:
        self.ended = True


class UploadRoutes:
    """``POST /uploads/{path}``. ``authenticate(header) -> (token value, Token)`` is the
    API's own check (raises a 401 ``ApiError``)."""

    def __init__(self, state: Any, authenticate: Callable[[str | None], tuple[str, Any]]) -> None:
        self.state = state
        self.authenticate = authenticate

    async def post(self, request: Request) -> Response:
        cid = request.scope.get("sandbox.correlation_id", "")
        entry = request.scope.get("sandbox.log_entry")
        counter = [0]
        try:
            body = await self._upload(request, counter)
        except ApiError as exc:
            return JSONResponse(exc.body(cid), status_code=exc.status, headers=exc.headers)
        finally:
            if entry is not None:
                entry["bodySize"] = counter[0]
        return JSONResponse(body, status_code=200)

    async def _upload(self, request: Request, counter: list[int]) -> dict[str, Any]:
        self.state.ensure_loaded()
        _, token = self.authenticate(request.headers.get("authorization"))
        path = request.url.path
        for pattern, resolve in _TARGETS:
            match = pattern.fullmatch(path)
            if match is not None:
                target = resolve(self.state, match.groupdict())
                break
        else:
            raise not_found("No upload destination at {path}", path=path)
        content_type = request.headers.get("content-type", "")
        from python_multipart.multipart import parse_options_header

        main, params = parse_options_header(content_type)
        if main != b"multipart/form-data":
            raise ApiError(415, "unsupported.media.type",
                           "Content type '{contentType}' is not supported; upload with multipart/form-data and "
                           "a part named 'file'.", {"contentType": content_type or "(none)"})
        boundary = params.get(b"boundary")
        if not boundary:
            raise bad_request("The multipart/form-data content type has no boundary.")
        reader = _FormReader()
        try:
            await self._read_form(request, boundary, reader, counter)
            if not reader.found:
                raise bad_request("The form has no part named '{part}' (the file to upload).", part=FILE_PART)
            if not (reader.complete and reader.ended):
                raise bad_request("The multipart body ended before its closing boundary.")
            upload = UploadedFile(reader.writer, reader.filename, reader.content_type, reader.writer.size)
            self.state.ensure_loaded()  # a reset may have happened meanwhile
            base = f"{request.url.scheme}://{request.url.netloc}"
            self.state.request_base = base
            return target.finish(self.state, upload, token, base)
        finally:
            reader.writer.discard()  # a no-op once finish() committed it

    async def _read_form(self, request: Request, boundary: bytes, reader: _FormReader, counter: list[int]) -> None:
        from python_multipart import MultipartParser
        from python_multipart.exceptions import FormParserError

        try:
            parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
            async for chunk in request.stream():
                counter[0] += len(chunk)
                if chunk and not reader.ended:
                    parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            raise bad_request("The multipart/form-data body cannot be parsed: {reason}", reason=str(exc)) from None
        except ClientDisconnect:
            raise bad_request("The client disconnected before the upload ended.") from None
