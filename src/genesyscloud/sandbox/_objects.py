"""An object store that behaves like S3 presigned URLs, on the sandbox's own server.

Genesys Cloud hands out files (recordings, exports, adherence results) as presigned URLs
of its object store (S3), on another host than the API, and takes uploads the same way.
This store lives under ``/objects/{key}`` and answers the way S3 does:

* the query carries ``X-Amz-Date`` (``YYYYMMDDTHHMMSSZ``, sandbox clock), ``X-Amz-Expires``
  (seconds), ``X-Amz-SignedHeaders`` and ``X-Amz-Signature`` (HMAC-SHA256 of the method, key,
  date, expiry and the signed headers' values, under a key only the sandbox knows);
  a wrong signature is ``403 SignatureDoesNotMatch``, a past expiry ``403 AccessDenied``
  ("Request has expired"), an ``Authorization`` header next to a signature
  ``400 InvalidArgument`` ("Only one auth mechanism allowed"), as S3 does;
* ``GET``/``HEAD`` with ``Range`` (``bytes=a-b``, ``a-``, ``-n``): ``206`` with
  ``Content-Range``, ``416`` when unsatisfiable; ``ETag``, ``Accept-Ranges: bytes``,
  ``Content-Disposition`` when the object has a file name;
* ``PUT`` stores the body; every signed header must be sent with its signed value;
* ``response-content-type`` / ``response-content-disposition`` in a presigned ``GET``
  URL (signed with it, as S3 does) override the object's ``Content-Type`` and
  ``Content-Disposition``.

An object of up to :data:`SPOOL_LIMIT` bytes is kept in memory; a bigger one (a streamed
upload, see :class:`ObjectWriter` and :mod:`._uploads`) lives in an anonymous temporary
file (already unlinked; closed, and its disk space freed, when the last reference to the
object goes: replaced, deleted, ``reset``), so a 1 GB upload never sits in RAM. Bodies
are sent in 64 KiB chunks read from either.

URLs point at the API's host name swapped between ``127.0.0.1`` and ``localhost`` (the
same server, another host), so a client that sends its bearer token there is caught:
S3 refuses it, and the request log shows it.

Download faults (``POST /__sandbox__/object-faults`` ``{"key": regex, "after_bytes": n,
"count": k}``) close the connection after ``n`` bytes of the body, to exercise resume.
Objects and faults live in ``state.paging`` and so end with ``reset``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import re
import secrets
import tempfile
from typing import IO, Any
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["put_object", "get_object", "copy_object", "delete_object", "read_object", "presign",
           "download_url", "content_disposition", "ObjectWriter", "ObjectStoreRoutes"]

_CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
#: objects bigger than this (bytes) are kept in a temporary file, not in memory
SPOOL_LIMIT = 1024 * 1024
#: the S3 query parameters of a presigned GET that override response headers (signed with the URL)
_RESPONSE_OVERRIDES = {"response-content-type": "Content-Type",
                       "response-content-disposition": "Content-Disposition"}


def _store(state: Any) -> dict[str, Any]:
    data = state.paging
    if "objects" not in data:
        data["objects"] = {"items": {}, "key": secrets.token_bytes(32), "faults": [], "downloads": {}}
    return data["objects"]


def put_object(state: Any, key: str, data: bytes, content_type: str = "application/octet-stream",
               filename: str | None = None) -> str:
    """Store ``data`` under ``key`` (replacing it); return the key."""
    writer = ObjectWriter()
    writer.write(data)
    writer.commit(state, key, content_type, filename)
    return key


def get_object(state: Any, key: str) -> dict[str, Any] | None:
    """The stored object ``key`` (``size``, ``contentType``, ``filename``, ``etag``, ...) or ``None``."""
    return _store(state)["items"].get(key)


def copy_object(state: Any, source: str, target: str) -> bool:
    """Store ``source``'s bytes under ``target`` too (shared: a stored object never changes); whether
    ``source`` was there."""
    items = _store(state)["items"]
    if source not in items:
        return False
    items[target] = dict(items[source])
    return True


def delete_object(state: Any, key: str) -> bool:
    """Forget ``key``; whether it was there. A download in progress keeps its bytes until it ends."""
    return _store(state)["items"].pop(key, None) is not None


def read_object(item: dict[str, Any], start: int, length: int) -> bytes:
    """``length`` bytes of ``item`` from offset ``start`` (fewer at its end).

    A spooled object's file is shared by every reader: the seek and the read happen in one
    step on the event loop thread (no ``await`` between them), so readers never interleave."""
    if item["data"] is not None:
        return bytes(memoryview(item["data"])[start:start + length])
    spool = item["spool"].file
    spool.seek(start)
    return spool.read(length)


class _Spool:
    """Owns an object's temporary file: closed (and its disk space freed) with the last reference."""

    __slots__ = ("file",)

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def __del__(self) -> None:
        self.file.close()


class ObjectWriter:
    """An object received in chunks (``write``), stored by ``commit``: in memory up to
    :data:`SPOOL_LIMIT` bytes, beyond that in an anonymous temporary file, so memory stays
    flat whatever the size. ``discard`` drops what was written (nothing was stored)."""

    def __init__(self) -> None:
        self.size = 0
        self._buffer: bytearray | None = bytearray()
        self._file: IO[bytes] | None = None
        self._md5 = hashlib.md5()  # noqa: S324  (S3's ETag of a single-part object)

    def write(self, chunk: bytes | memoryview) -> None:
        if not chunk:
            return
        self._md5.update(chunk)
        self.size += len(chunk)
        if self._file is not None:
            self._file.write(chunk)
            return
        assert self._buffer is not None
        self._buffer += chunk
        if len(self._buffer) > SPOOL_LIMIT:
            self._file = tempfile.TemporaryFile(prefix="genesyscloud-sandbox-object-")
            self._file.write(self._buffer)
            self._buffer = None

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._buffer, self.size = None, bytearray(), 0

    def commit(self, state: Any, key: str, content_type: str = "application/octet-stream",
               filename: str | None = None) -> dict[str, Any]:
        """Store what was written under ``key`` (replacing it); return the stored item. The
        writer is empty afterwards."""
        if self._file is not None:
            self._file.flush()
            data, spool = None, _Spool(self._file)
        else:
            data, spool = bytes(self._buffer or b""), None
        item = {"data": data, "spool": spool, "size": self.size, "contentType": content_type, "filename": filename,
                "etag": '"' + self._md5.hexdigest() + '"'}
        _store(state)["items"][key] = item
        self._file, self._buffer, self.size = None, bytearray(), 0
        self._md5 = hashlib.md5()  # noqa: S324
        return item


def content_disposition(disposition: str, filename: str | None) -> str:
    """A ``Content-Disposition`` value (RFC 6266) for ``filename``: a quoted ASCII
    ``filename`` and, when the name is not plain ASCII, ``filename*`` in UTF-8 (RFC 8187)."""
    if not filename:
        return disposition
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def _amz_date(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _sign(state: Any, method: str, key: str, date: str, expires: str, signed: list[tuple[str, str]],
          overrides: list[tuple[str, str]] | None = None) -> str:
    text = "\n".join([method, key, date, expires, *(f"{k}:{v}" for k, v in signed),
                      *(f"?{k}={v}" for k, v in overrides or ())])
    return hmac.new(_store(state)["key"], text.encode(), hashlib.sha256).hexdigest()


def object_host(base: str) -> str:
    """The store's origin for an API origin: the same server under the other loopback name."""
    parts = urlsplit(base)
    host = parts.hostname or "127.0.0.1"
    other = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(host, host)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://{other}{port}"


def presign(state: Any, base: str, method: str, key: str, *, expires_in: int = 900,
            headers: dict[str, str] | None = None, content_type: str | None = None,
            disposition: str | None = None) -> str:
    """A presigned URL for ``method`` on ``key``, valid ``expires_in`` seconds of sandbox time.

    ``headers`` must be sent with exactly these values (``PUT`` uploads). ``content_type``
    and ``disposition`` (a whole ``Content-Disposition`` value) become S3's signed
    ``response-content-type`` / ``response-content-disposition`` overrides of a ``GET``."""
    date = _amz_date(state.now())
    signed = sorted((k.lower(), v) for k, v in (headers or {}).items())
    overrides = sorted((k, v) for k, v in (("response-content-type", content_type),
                                           ("response-content-disposition", disposition)) if v)
    query = {"X-Amz-Algorithm": "SANDBOX-HMAC-SHA256", "X-Amz-Date": date, "X-Amz-Expires": str(expires_in),
             "X-Amz-SignedHeaders": ";".join(["host", *(k for k, _ in signed)]), **dict(overrides)}
    query["X-Amz-Signature"] = _sign(state, method.upper(), key, date, str(expires_in), signed, overrides)
    return f"{object_host(base)}/objects/{quote(key)}?{urlencode(query)}"


def download_url(state: Any, base: str, key: str) -> str:
    """An ``/api/v2/downloads/{downloadId}`` URL (API host) that redirects to ``key``'s presigned URL."""
    download_id = hashlib.sha256(f"download:{key}".encode()).hexdigest()[:32]
    _store(state)["downloads"][download_id] = key
    return f"{base}/api/v2/downloads/{download_id}"


def resolve_download(state: Any, download_id: str) -> str | None:
    """The object key behind a download id, or ``None``."""
    return _store(state)["downloads"].get(download_id)


def _s3_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


class _DroppingResponse(Response):
    """Sends the headers and the first ``limit`` bytes of ``item[start:end]``, then ends
    without completing the response: the server closes the connection (a dropped download)."""

    def __init__(self, item: dict[str, Any], start: int, end: int, limit: int, status_code: int,
                 headers: dict[str, str]) -> None:
        super().__init__(status_code=status_code, headers=headers)
        self.item, self.start, self.end = item, start, min(end, start + limit)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        pos = self.start
        while pos < self.end:
            part = read_object(self.item, pos, min(_CHUNK, self.end - pos))
            if not part:
                break
            await send({"type": "http.response.body", "body": part, "more_body": True})
            pos += len(part)
        # return without the final body message: uvicorn closes the connection


class _Body(Response):
    """``item[start:end]`` sent in 64 KiB chunks (no copy of the whole object per request)."""

    def __init__(self, item: dict[str, Any], start: int, end: int, status_code: int, headers: dict[str, str],
                 head: bool) -> None:
        super().__init__(status_code=status_code, headers=headers)
        self.item, self.start, self.end, self.head = item, start, end, head

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self.head:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        pos = self.start
        while pos < self.end:
            part = read_object(self.item, pos, min(_CHUNK, self.end - pos))
            if not part:  # cannot happen for a stored object; never loop on an empty read
                break
            pos += len(part)
            await send({"type": "http.response.body", "body": part, "more_body": pos < self.end})
        if self.start == self.end or pos < self.end:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


class ObjectStoreRoutes:
    """The store's endpoints: ``objects`` (``/objects/{key:path}``) and the fault control."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def _check(self, request: Request, method: str, key: str) -> Response | None:
        q = request.query_params
        signature = q.get("X-Amz-Signature")
        if signature is None:
            return _s3_error(403, "AccessDenied", "Access Denied")
        if request.headers.get("authorization"):
            return _s3_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm "
                                                     "query parameter, Signature query string parameter or the "
                                                     "Authorization header should be specified")
        date, expires = q.get("X-Amz-Date", ""), q.get("X-Amz-Expires", "")
        names = [n for n in q.get("X-Amz-SignedHeaders", "host").split(";") if n and n != "host"]
        signed = [(n, request.headers.get(n, "")) for n in sorted(names)]
        overrides = sorted((k, v) for k, v in q.items() if k in _RESPONSE_OVERRIDES)
        expected = _sign(self.state, method, key, date, expires, signed, overrides)
        if not hmac.compare_digest(expected, signature):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match "
                                                           "the signature you provided.")
        try:
            issued = _dt.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()
            lifetime = int(expires)
        except ValueError:
            return _s3_error(403, "AccessDenied", "Invalid X-Amz-Date or X-Amz-Expires")
        if self.state.now() > issued + lifetime:
            return _s3_error(403, "AccessDenied", "Request has expired")
        return None

    async def objects(self, request: Request) -> Response:
        key = request.path_params["key"]
        method = request.method
        signed_method = "GET" if method == "HEAD" else method
        denied = self._check(request, signed_method, key)
        if denied is not None:
            return denied
        store = _store(self.state)
        if method == "PUT":
            body = request.scope.get("sandbox.body")
            if body is None:
                body = await request.body()
            put_object(self.state, key, body, request.headers.get("content-type", "application/octet-stream"))
            return Response(status_code=200, headers={"ETag": store["items"][key]["etag"]})
        item = store["items"].get(key)
        if item is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        size = item["size"]
        headers = {"Accept-Ranges": "bytes", "ETag": item["etag"], "Content-Type": item["contentType"]}
        if item["filename"]:
            headers["Content-Disposition"] = content_disposition("attachment", item["filename"])
        for name, header in _RESPONSE_OVERRIDES.items():
            value = request.query_params.get(name)
            if value and value.isascii() and value.isprintable():  # signed, so the sandbox's own values
                headers[header] = value
        start, end, status = 0, size, 200
        wanted = request.headers.get("range")
        if wanted:
            match = _RANGE.match(wanted.strip())
            if match is None or match.groups() == ("", ""):
                return _s3_error(416, "InvalidRange", "The requested range is not satisfiable")
            a, b = match.groups()
            if a == "":
                start, end = max(0, size - int(b)), size
            else:
                start, end = int(a), (min(size, int(b) + 1) if b else size)
            if start >= size or start >= end:
                response = _s3_error(416, "InvalidRange", "The requested range is not satisfiable")
                response.headers["Content-Range"] = f"bytes */{size}"
                return response
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        headers["Content-Length"] = str(end - start)
        fault = None if method == "HEAD" else self._take_fault(key)
        if fault is not None:
            return _DroppingResponse(item, start, end, int(fault["after_bytes"]), status, headers)
        return _Body(item, start, end, status, headers, head=method == "HEAD")

    def _take_fault(self, key: str) -> dict[str, Any] | None:
        faults = _store(self.state)["faults"]
        for fault in list(faults):
            if re.search(fault["key"], key):
                fault["count"] -= 1
                if fault["count"] <= 0:
                    faults.remove(fault)
                return fault
        return None

    async def faults(self, request: Request) -> Response:
        """``POST`` ``{"key": regex, "after_bytes": n, "count": k}``; ``GET`` lists; ``DELETE`` clears."""
        faults = _store(self.state)["faults"]
        if request.method == "DELETE":
            faults.clear()
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse(faults)
        try:
            rule = json.loads(request.scope.get("sandbox.body") or b"null")
            if not isinstance(rule, dict) or not isinstance(rule.get("key", ".*"), str):
                raise ValueError("a rule is {\"key\": regex, \"after_bytes\": n, \"count\": k}")
            re.compile(rule.get("key", ".*"))
            after, count = rule.get("after_bytes", 0), rule.get("count", 1)
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                raise ValueError("after_bytes must be an integer >= 0")
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError("count must be a positive integer")
            unknown = set(rule) - {"key", "after_bytes", "count"}
            if unknown:
                raise ValueError(f"unknown fields: {sorted(unknown)}")
        except (ValueError, re.error) as exc:
            return JSONResponse({"error": "invalid_fault", "message": str(exc)}, status_code=400)
        fault = {"key": rule.get("key", ".*"), "after_bytes": after, "count": count}
        faults.append(fault)
        return JSONResponse(fault, status_code=201)
