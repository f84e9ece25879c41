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
* ``PUT`` stores the body; every signed header must be sent with its signed value.

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
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["put_object", "presign", "download_url", "ObjectStoreRoutes"]

_CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _store(state: Any) -> dict[str, Any]:
    data = state.paging
    if "objects" not in data:
        data["objects"] = {"items": {}, "key": secrets.token_bytes(32), "faults": [], "downloads": {}}
    return data["objects"]


def put_object(state: Any, key: str, data: bytes, content_type: str = "application/octet-stream",
               filename: str | None = None) -> str:
    """Store ``data`` under ``key`` (replacing it); return the key."""
    _store(state)["items"][key] = {"data": bytes(data), "contentType": content_type, "filename": filename,
                                   "etag": '"' + hashlib.md5(data).hexdigest() + '"'}  # noqa: S324  (S3's ETag)
    return key


def _amz_date(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _sign(state: Any, method: str, key: str, date: str, expires: str, signed: list[tuple[str, str]]) -> str:
    text = "\n".join([method, key, date, expires, *(f"{k}:{v}" for k, v in signed)])
    return hmac.new(_store(state)["key"], text.encode(), hashlib.sha256).hexdigest()


def object_host(base: str) -> str:
    """The store's origin for an API origin: the same server under the other loopback name."""
    parts = urlsplit(base)
    host = parts.hostname or "127.0.0.1"
    other = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(host, host)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://{other}{port}"


def presign(state: Any, base: str, method: str, key: str, *, expires_in: int = 900,
            headers: dict[str, str] | None = None) -> str:
    """A presigned URL for ``method`` on ``key``, valid ``expires_in`` seconds of sandbox time.

    ``headers`` must be sent with exactly these values (``PUT`` uploads)."""
    date = _amz_date(state.now())
    signed = sorted((k.lower(), v) for k, v in (headers or {}).items())
    query = {"X-Amz-Algorithm": "SANDBOX-HMAC-SHA256", "X-Amz-Date": date, "X-Amz-Expires": str(expires_in),
             "X-Amz-SignedHeaders": ";".join(["host", *(k for k, _ in signed)])}
    query["X-Amz-Signature"] = _sign(state, method.upper(), key, date, str(expires_in), signed)
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
    """Sends the headers and the first ``limit`` bytes, then ends without completing the
    response: the server closes the connection (a dropped download)."""

    def __init__(self, chunks: list[bytes], limit: int, status_code: int, headers: dict[str, str]) -> None:
        super().__init__(status_code=status_code, headers=headers)
        self.chunks, self.limit = chunks, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        sent = 0
        for chunk in self.chunks:
            part = chunk[: max(0, self.limit - sent)]
            if part:
                await send({"type": "http.response.body", "body": part, "more_body": True})
                sent += len(part)
            if sent >= self.limit:
                break
        # return without the final body message: uvicorn closes the connection


class _Body(Response):
    """A body sent in 64 KiB chunks (no copy of the whole object per request)."""

    def __init__(self, data: bytes, start: int, end: int, status_code: int, headers: dict[str, str],
                 head: bool) -> None:
        super().__init__(status_code=status_code, headers=headers)
        self.data, self.start, self.end, self.head = data, start, end, head

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self.head:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        view = memoryview(self.data)
        pos = self.start
        while pos < self.end:
            nxt = min(self.end, pos + _CHUNK)
            await send({"type": "http.response.body", "body": bytes(view[pos:nxt]), "more_body": nxt < self.end})
            pos = nxt
        if self.start == self.end:
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
        expected = _sign(self.state, method, key, date, expires, signed)
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
        data: bytes = item["data"]
        size = len(data)
        headers = {"Accept-Ranges": "bytes", "ETag": item["etag"], "Content-Type": item["contentType"]}
        if item["filename"]:
            headers["Content-Disposition"] = f'attachment; filename="{item["filename"]}"'
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
            part = data[start:end]
            return _DroppingResponse([part], int(fault["after_bytes"]), status, headers)
        return _Body(data, start, end, status, headers, head=method == "HEAD")

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
