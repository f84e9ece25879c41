"""The sandbox ASGI application (Starlette) and its outer request pipeline.

Outer pipeline, for every HTTP request (a plain ASGI wrapper around the Starlette app):
correlation id -> body read with a size cap (413) -> request log -> fault injection
(latency, status, drop before/after) -> Starlette routes:

* ``/oauth/token``, ``/oauth/authorize``, ``/logout``: the login service (:mod:`._login`);
* ``/api/v2/...``: routing on the definition, auth (401), rate limit (429), parameter and
  body validation (400/415), then a stateful handler (:mod:`._resources`) or a spec
  sample (:mod:`._router`);
* ``POST /uploads/...``: the multipart upload endpoint (:mod:`._uploads`), whose body is
  streamed to it (the pipeline's body read and size cap are skipped; logged and faulted
  like every other request);
* ``/__sandbox__/...``: the control API (no auth; not logged, never faulted).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route

from ._errors import ApiError, LoginError, api_error_body
from ._login import LoginService, parse_form
from . import _paging  # noqa: F401  (registers the paging resources' handlers)
from . import _jobs  # noqa: F401  (registers the job APIs' handlers)
from . import _notifications  # registers the Notifications API handlers (after _paging and _jobs: it wraps job status)
from . import _documents  # noqa: F401  (registers content management and its upload destination)
from . import _prompts  # noqa: F401  (registers Architect prompts and their upload URLs)
from ._objects import ObjectStoreRoutes
from ._uploads import UploadRoutes, is_streamed_upload
from ._reqlog import clip, mask_body, mask_query
from ._ratelimit import RateLimiter
from ._resources import HANDLERS, USER_CONTEXT_MESSAGE, Ctx, iso
from ._router import MAX_JSON_DEPTH, SpecRouter, nesting_exceeds
from ._state import Fault, SandboxConfig, SandboxState

log = logging.getLogger("genesyscloud.sandbox")

REDACTED = "[REDACTED]"
_SECRET_HEADERS = {"authorization", "proxy-authorization"}
_DROPPED_HEADERS = {"cookie", "set-cookie"}
#: bodies bigger than this (bytes) are parsed and validated off the event loop
_INLINE_BODY = 256 * 1024
#: control API limits: latency and Retry-After of a fault (seconds), total clock offset (seconds)
MAX_FAULT_LATENCY = 300.0
MAX_RETRY_AFTER = 86400.0
MAX_CLOCK_OFFSET = 100 * 365.25 * 86400
#: spec-driven ``.../me`` operations that a client-credentials token may call
_CLIENT_ME = frozenset({"/api/v2/organizations/me", "/api/v2/tokens/me"})
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_STATUS_CODES = {400: "bad.request", 401: "authentication.required", 403: "not.authorized", 404: "not.found",
                 408: "request.timeout", 409: "conflict", 413: "request.entity.too.large", 415: "unsupported.media.type",
                 429: "too.many.requests", 500: "internal.server.error", 502: "bad.gateway",
                 503: "service.unavailable", 504: "gateway.timeout"}
_JSON_HEADERS = {"content-type": "application/json"}


def _is_json(content_type: str) -> bool:
    main = content_type.split(";")[0].strip().lower()
    return main == "application/json" or (main.startswith("application/") and main.endswith("+json"))


class _Drop(Exception):
    """Internal: the request must end by closing the connection without a response."""


class SandboxApp:
    """ASGI callable: ``await app(scope, receive, send)``. ``app.state`` is the org."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.state = SandboxState(config)
        self.router = SpecRouter()
        self.login = LoginService(self.state)
        self.notifications = _notifications.NotificationService(self.state)
        self.objects = ObjectStoreRoutes(self.state)
        self.uploads = UploadRoutes(self.state, self._authenticate)
        self._validation_pool: ThreadPoolExecutor | None = None
        self.ratelimit = RateLimiter(config, self.state.now)
        self.starlette = Starlette(routes=[
            Route("/objects/{key:path}", self.objects.objects, methods=["GET", "HEAD", "PUT"]),
            Route("/uploads/{rest:path}", self.uploads.post, methods=["POST"]),
            Route("/oauth/token", self.oauth_token, methods=["POST"]),
            Route("/oauth/authorize", self.oauth_authorize, methods=["GET", "POST"]),
            Route("/logout", self.logout, methods=["GET"]),
            Mount("/__sandbox__", routes=[
                Route("/requests", self.ctl_requests, methods=["GET", "DELETE"]),
                Route("/faults", self.ctl_faults, methods=["GET", "POST", "DELETE"]),
                Route("/clock", self.ctl_clock, methods=["GET", "POST"]),
                Route("/reset", self.ctl_reset, methods=["POST"]),
                Route("/info", self.ctl_info, methods=["GET"]),
                Route("/notifications/{action}", self.notifications.control, methods=["GET", "POST"]),
                Route("/object-faults", self.objects.faults, methods=["GET", "POST", "DELETE"]),
                Route("/ratelimits", self.ratelimit.control, methods=["GET", "POST", "DELETE"]),
            ]),
            Route("/api/v2/{rest:path}", self.api, methods=_ALL_METHODS),
        ], exception_handlers={HTTPException: self.http_exception})

    def close(self) -> None:
        """Release the validation thread, if one was started (idempotent)."""
        pool, self._validation_pool = self._validation_pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    # -- outer pipeline -------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self.notifications.websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.starlette(scope, receive, send)
            return
        _notifications.REQUEST_SCOPE.set(scope)
        path: str = scope["path"]
        correlation_id = str(uuid.uuid4())
        control = path.startswith("/__sandbox__/") or path == "/__sandbox__"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status_box: list[int] = []

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_box.append(message["status"])
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"inin-correlation-id", correlation_id.encode())]}
            await send(message)

        streamed = is_streamed_upload(scope["method"], path)
        if streamed:  # the upload endpoint reads the body itself, as a stream (no cap, not held)
            body, too_large = b"", False
            inner_receive = receive
        else:
            body, too_large = await self._read_body(receive, headers)
            inner_receive = _replay(body, receive)
        entry = None if control else self._log(scope, headers, body, correlation_id)
        scope["sandbox.body"] = body
        scope["sandbox.correlation_id"] = correlation_id
        scope["sandbox.log_entry"] = entry
        try:
            if scope.get("http_version") == "1.1" and "host" not in headers:
                await self._error(scope, receive, send_with_id, ApiError(
                    400, "bad.request", "An HTTP/1.1 request needs a Host header (RFC 9112, section 3.2)."),
                    correlation_id)
                return
            if too_large:
                await self._error(scope, receive, send_with_id, ApiError(
                    413, "request.entity.too.large",
                    f"The request body exceeds the limit of {self.config.max_body} bytes."), correlation_id)
                return
            fault = None if control else self._pick_fault(scope["method"], path)
            if fault is not None:
                if fault.latency:
                    await asyncio.sleep(fault.latency)
                if fault.drop == "before":
                    raise _Drop()
                if fault.status:
                    extra = {"Retry-After": _retry_after(fault.retry_after)} if fault.retry_after is not None else {}
                    code = _STATUS_CODES.get(fault.status, "sandbox.fault")
                    await self._error(scope, receive, send_with_id, ApiError(fault.status, code,
                                                             f"Injected fault: HTTP {fault.status}", headers=extra),
                                      correlation_id)
                    return
                if fault.drop == "after":
                    async def discard(message: dict[str, Any]) -> None:
                        if message["type"] == "http.response.start":
                            status_box.append(message["status"])

                    await self.starlette(scope, inner_receive, discard)
                    raise _Drop()
            await self.starlette(scope, inner_receive, send_with_id)
        except _Drop:
            _close_connection(send)
            if entry is not None:
                entry["dropped"] = True
        except Exception:  # a bug must not kill the connection with a stack trace: log it, answer 500
            log.exception("sandbox failed on %s %s", scope["method"], path)
            if not status_box:
                await self._error(scope, receive, send_with_id, ApiError(
                    500, "internal.server.error", "The sandbox failed to handle the request."), correlation_id)
        finally:
            if entry is not None and status_box:
                entry["status"] = status_box[0]

    async def _read_body(self, receive: Any, headers: dict[str, str]) -> tuple[bytes, bool]:
        limit = self.config.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return b"", True
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False

    def _log(self, scope: dict[str, Any], headers: dict[str, str], body: bytes, correlation_id: str) -> dict[str, Any]:
        """Add a log entry: bounded, masked texts only (see :mod:`._reqlog`)."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        entry = {
            "time": iso(self.state.now()),
            "method": scope["method"],
            "path": clip(scope["path"]),
            "query": mask_query(query),
            "headers": {clip(k): (REDACTED if k in _SECRET_HEADERS else clip(v)) for k, v in headers.items()
                        if k not in _DROPPED_HEADERS},
            "body": mask_body(body, headers.get("content-type", "")),
            "bodySize": len(body),
            "status": None,
            "correlationId": correlation_id,
        }
        self.state.request_log.append(entry)
        return entry

    def _pick_fault(self, method: str, path: str) -> Fault | None:
        for fault in list(self.state.faults):
            if fault.method and fault.method != method:
                continue
            if not fault.path.search(path):
                continue
            if fault.rate is not None and self.state.fault_rng.random() >= fault.rate:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.state.faults.remove(fault)
            return fault
        return None

    async def _error(self, scope: dict[str, Any], receive: Any, send: Any, error: ApiError,
                     correlation_id: str) -> None:
        response = JSONResponse(error.body(correlation_id), status_code=error.status, headers=error.headers)
        await response(scope, _replay(b"", receive), send)

    # -- login service --------------------------------------------------------------------
    async def oauth_token(self, request: Request) -> Response:
        limited = self.ratelimit.token_response(request)
        if limited is not None:
            return limited
        try:
            body = self.login.token(request.headers.get("content-type", ""), request.headers.get("authorization"),
                                    request.scope["sandbox.body"])
        except LoginError as exc:
            return JSONResponse(exc.body(), status_code=exc.status,
                                headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def oauth_authorize(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                params = parse_form(request.scope["sandbox.body"])
            except LoginError as exc:
                return JSONResponse(exc.body(), status_code=exc.status)
        else:
            params = {k: v for k, v in request.query_params.items()}
        status, page, headers = self.login.authorize(request.method, params)
        if status == 302:
            return Response(status_code=302, headers=headers)
        return HTMLResponse(page, status_code=status, headers=headers)

    async def logout(self, request: Request) -> Response:
        status, page, headers = self.login.logout(dict(request.query_params.items()))
        if status == 302:
            return Response(status_code=302, headers=headers)
        return HTMLResponse(page, status_code=status, headers=headers)

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        """Starlette's own 404/405 (e.g. ``GET /oauth/token``) as an API error body."""
        status = getattr(exc, "status_code", 500)
        code = "method.not.allowed" if status == 405 else _STATUS_CODES.get(status, "bad.request")
        message = (f"No resource at {request.url.path}" if status == 404
                   else f"{getattr(exc, 'detail', '') or 'HTTP error'}: {request.method} {request.url.path}")
        body = api_error_body(status, code, message, request.scope.get("sandbox.correlation_id", ""))
        return JSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))

    # -- API --------------------------------------------------------------------------------
    async def api(self, request: Request) -> Response:
        cid = request.scope["sandbox.correlation_id"]
        rate_headers: dict[str, str] = {}
        token_record = None
        template = ""
        status = 500
        try:
            status, payload, headers, token_record, template = await self._api(request, rate_headers)
        except RecursionError:
            status = 400
            return JSONResponse(api_error_body(400, "bad.request", "The request is nested too deeply.", cid),
                                status_code=400, headers=rate_headers)
        except ApiError as exc:
            status = exc.status
            return JSONResponse(exc.body(cid), status_code=exc.status, headers={**rate_headers, **exc.headers})
        except Exception:  # never a stack trace on the wire; the error is logged with its traceback
            log.exception("sandbox handler failed for %s %s", request.method, request.url.path)
            return JSONResponse(api_error_body(500, "internal.server.error", "The sandbox failed to handle the request.",
                                               cid), status_code=500, headers=rate_headers)
        finally:
            if token_record is not None and template:
                self.state.record_usage(token_record.client_id, template, request.method, status)
        headers = {**rate_headers, **headers}
        if payload is None:
            return Response(status_code=status, headers=headers)
        if isinstance(payload, bytes):
            return Response(payload, status_code=status, headers={**_JSON_HEADERS, **headers})  # a handler's type wins
        return JSONResponse(payload, status_code=status, headers=headers)

    async def _api(self, request: Request, rate_headers: dict[str, str]) -> tuple[int, Any, dict[str, str], Any, str]:
        scope = request.scope
        path: str = scope["path"]
        method: str = scope["method"]
        match = self.router.match(path)
        if match is None:
            raise ApiError(404, "not.found", "No resource at {path}", {"path": path})
        template, ops, path_params = match
        op = ops.get(method) or (ops.get("GET") if method == "HEAD" else None)
        if op is None:
            raise ApiError(405, "method.not.allowed", "Method {method} is not allowed on {template}",
                           {"method": method, "template": template}, headers={"Allow": ", ".join(sorted(ops))})
        self.state.ensure_loaded()
        token_record = None
        token_value = None
        if op.secured:
            token_value, token_record = self._authenticate(request.headers.get("authorization"))
            self.ratelimit.check_api(token_value, token_record, method, path, rate_headers)
            if token_record.user_id is None and _needs_user(template, path_params):
                raise ApiError(400, "bad.request", USER_CONTEXT_MESSAGE)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        self.router.validate_params(op, path_params, query)
        body = None
        if op.body_param is not None:
            raw: bytes = scope["sandbox.body"]
            content_type = request.headers.get("content-type", "")
            if len(raw) > _INLINE_BODY:  # big bodies: parse and validate off the event loop, one at a time
                if self._validation_pool is None:
                    self._validation_pool = ThreadPoolExecutor(1, thread_name_prefix="genesyscloud-sandbox-validate")
                body, error = await asyncio.get_running_loop().run_in_executor(
                    self._validation_pool, self._checked_body_off_loop, op, content_type, raw)
                if error is not None:
                    raise error
                self.state.ensure_loaded()  # a reset may have happened meanwhile
            else:
                body = self._checked_body(op, content_type, raw)
        handler = HANDLERS.get((op.method, template))
        if handler is not None:
            self.state.request_base = f"{request.url.scheme}://{request.url.netloc}"  # absolute URLs (_objects)
            ctx = Ctx(state=self.state, method=method, path=path, template=template, path_params=path_params,
                      query=query, body=body, token=token_record, token_value=token_value)
            status, payload, headers = handler(ctx)
        else:
            status, payload = self.router.sample_response(op, path_params)
            headers = {}
            media_type = self.router.media_type(op)
            if media_type != "application/json" and payload is not None:
                payload = self.router.text_sample(op, media_type)
                headers = {"content-type": f"{media_type}; charset=utf-8"}
        if method == "HEAD":
            payload = None
        return status, payload, headers, token_record, template

    def _checked_body(self, op: Any, content_type: str, raw: bytes) -> Any:
        """Parse (strict JSON) and validate the body of ``op``; raise :class:`ApiError` 400/415."""
        required = bool(op.body_param.get("required"))
        body = _parse_json_body(content_type, raw, required)
        if body is None and required:
            raise ApiError(400, "bad.request", "A request body is required.")
        if body is not None:
            try:
                self.router.validate_body(op, body)
            except RecursionError:
                raise ApiError(400, "bad.request", "The request body is nested too deeply.") from None
        return body

    def _checked_body_off_loop(self, op: Any, content_type: str, raw: bytes) -> tuple[Any, ApiError | None]:
        """:meth:`_checked_body` for a worker thread: ``(body, None)`` or ``(None, error)``.

        The cyclic garbage collector is paused meanwhile: a full collection over the
        hundreds of thousands of objects a big body parses into holds the GIL for
        hundreds of milliseconds, and the event loop thread would wait for it. A refused
        body is freed (by reference counting) before the collector resumes.
        """
        paused = gc.isenabled()
        gc.disable()
        try:
            try:
                return self._checked_body(op, content_type, raw), None
            except (ApiError, RecursionError) as exc:
                error = exc if isinstance(exc, ApiError) else ApiError(400, "bad.request",
                                                                       "The request body is nested too deeply.")
                error.__context__ = error.__cause__ = None
                error.__traceback__ = None  # drop the frames that still reference the parsed body
                return None, error
        finally:
            if paused:
                gc.enable()

    def _authenticate(self, header: str | None) -> tuple[str, Any]:
        if not header:
            raise ApiError(401, "authentication.required", "No authentication bearer token specified in authorization header.")
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise ApiError(401, "authentication.required", "No authentication bearer token specified in authorization header.")
        record, reason = self.state.lookup_token(value)
        if record is None:
            raise ApiError(401, "bad.credentials", "Invalid login credentials.")
        return value, record

    # -- control API --------------------------------------------------------------------------
    async def ctl_requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.request_log.clear()
            return Response(status_code=204)
        return JSONResponse(self.state.request_log.view())

    async def ctl_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.faults.clear()
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse([f.describe() for f in self.state.faults])
        try:
            rule = _strict_json(request.scope["sandbox.body"] or b"null")
            fault = _parse_fault(rule)
        except (ValueError, TypeError, RecursionError, re.error) as exc:
            return JSONResponse({"error": "invalid_fault", "message": str(exc)}, status_code=400)
        self.state.faults.append(fault)
        return JSONResponse(fault.describe(), status_code=201)

    async def ctl_clock(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                data = _strict_json(request.scope["sandbox.body"] or b"null")
                if not isinstance(data, dict) or "advance" not in data:
                    raise ValueError("missing advance")
                seconds = _number(data["advance"], "advance", 0, MAX_CLOCK_OFFSET)
                if self.state.clock_offset + seconds > MAX_CLOCK_OFFSET:
                    raise ValueError(f"the clock may run at most {MAX_CLOCK_OFFSET:.0f} seconds ahead in total")
            except (ValueError, TypeError, RecursionError) as exc:
                return JSONResponse({"error": "invalid_clock", "message": f"expected {{\"advance\": seconds}}: {exc}"},
                                    status_code=400)
            self.state.advance(float(seconds))
        return JSONResponse({"now": iso(self.state.now()), "offset": self.state.clock_offset})

    async def ctl_reset(self, request: Request) -> Response:
        self.state.reset()
        self.notifications.reset()
        self.ratelimit.reset()
        return Response(status_code=204)

    async def ctl_info(self, request: Request) -> Response:
        self.state.ensure_loaded()
        from . import _seed

        first = next(iter(self.state.users.values()))
        return JSONResponse({"clientId": self.config.client_id, "seed": self.config.seed,
                             "organization": {"id": self.state.org["id"], "name": self.state.org["name"],
                                              "thirdPartyOrgName": self.state.org["thirdPartyOrgName"]},
                             "defaultUser": {"id": first["id"], "email": first["email"]},
                             "userPassword": _seed.USER_PASSWORD, "users": len(self.state.users),
                             "queues": len(self.state.queues), "conversations": len(self.state.conversations)})


def _needs_user(template: str, path_params: dict[str, str]) -> bool:
    """``.../me/...`` (a ``me`` segment of the template, or ``me`` as the ``userId`` path
    parameter) acts for the token's user: not for client credentials."""
    return template not in _CLIENT_ME and ("/me/" in template + "/" or path_params.get("userId") == "me")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _strict_json(raw: bytes) -> Any:
    """Parse ``raw`` as strict JSON (RFC 8259): UTF-8 only, no ``NaN``/``Infinity``, no lone
    surrogates. Raises ``ValueError`` with a message fit for a client (no Python internals);
    ``RecursionError`` for nesting deeper than :data:`._router.MAX_JSON_DEPTH` levels."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the body is not valid UTF-8 (invalid byte at offset {exc.start})") from None
    try:
        if len(text) > _INLINE_BODY:
            value = _loads_in_steps(text)
        else:
            value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and nesting_exceeds(value, MAX_JSON_DEPTH):
        raise RecursionError("nested too deeply")
    return value


_STRICT_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _loads_in_steps(text: str) -> Any:
    """``json.loads`` for big documents: a top-level array or object is decoded one member
    at a time, so the GIL (held by the C decoder for a whole document) is free between
    members and the event loop thread keeps serving while a worker thread parses."""
    skip = _WHITESPACE.match
    i = skip(text, 0).end()
    opener = text[i:i + 1]
    if opener not in ("[", "{"):
        return json.loads(text, parse_constant=_reject_constant)
    closer = "]" if opener == "[" else "}"
    items: list[Any] = []
    members: dict[str, Any] = {}
    i = skip(text, i + 1).end()
    if text[i:i + 1] == closer:
        i += 1
    else:
        while True:
            if opener == "{":
                if text[i:i + 1] != '"':
                    raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
                key, i = _STRICT_DECODER.raw_decode(text, i)
                i = skip(text, i).end()
                if text[i:i + 1] != ":":
                    raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
                i = skip(text, i + 1).end()
                members[key], i = _STRICT_DECODER.raw_decode(text, i)
            else:
                value, i = _STRICT_DECODER.raw_decode(text, i)
                items.append(value)
            i = skip(text, i).end()
            char = text[i:i + 1]
            if char == ",":
                i = skip(text, i + 1).end()
                continue
            if char == closer:
                i += 1
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
    i = skip(text, i).end()
    if i != len(text):
        raise json.JSONDecodeError("Extra data", text, i)
    return items if opener == "[" else members


def _check_strings(value: Any) -> None:
    """Raise ``ValueError`` if a string (key or value) holds a lone UTF-16 surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings: Any = (item,)
        elif isinstance(item, dict):
            strings = item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        else:
            continue
        for text in strings:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a string holds a lone UTF-16 surrogate (not a Unicode character)") from None


def _parse_json_body(content_type: str, raw: bytes, required: bool) -> Any:
    if not raw.strip():
        if required:
            raise ApiError(400, "bad.request", "A request body is required.")
        return None
    if not _is_json(content_type):
        raise ApiError(415, "unsupported.media.type",
                       "Content type '{contentType}' is not supported; use application/json.",
                       {"contentType": content_type or "(none)"})
    try:
        return _strict_json(raw)
    except ValueError as exc:
        raise ApiError(400, "bad.request", "The request body is not valid JSON: {reason}", {"reason": str(exc)}) from None
    except RecursionError:
        raise ApiError(400, "bad.request", "The request body nests arrays and objects more than {limit} levels deep.",
                       {"limit": str(MAX_JSON_DEPTH)}) from None


def _number(value: Any, name: str, low: float, high: float) -> float:
    """``value`` as a finite number in ``low..high``; ``ValueError`` naming the field otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}")
    return float(value)


def _parse_fault(rule: Any) -> Fault:
    if not isinstance(rule, dict):
        raise ValueError("a fault rule is a JSON object")
    known = {"path", "method", "status", "retry_after", "rate", "count", "latency", "drop"}
    unknown = set(rule) - known
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    if not isinstance(rule.get("path"), str):
        raise ValueError("path (a regular expression) is required")
    status = rule.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError("status must be an HTTP status code")
    rate = rule.get("rate")
    if rate is not None:
        rate = _number(rate, "rate", 0, 1)
    count = rule.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer")
    latency = _number(rule.get("latency", 0) or 0, "latency (seconds)", 0, MAX_FAULT_LATENCY)
    drop = rule.get("drop")
    if drop not in (None, "before", "after"):
        raise ValueError("drop must be 'before' or 'after'")
    retry_after = rule.get("retry_after")
    if retry_after is not None:
        retry_after = _number(retry_after, "retry_after (seconds)", 0, MAX_RETRY_AFTER)
    if status is None and drop is None and not latency:
        raise ValueError("a fault needs status, drop or latency")
    method = rule.get("method")
    if method is not None and not isinstance(method, str):
        raise ValueError("method must be a string")
    return Fault(id=str(uuid.uuid4()), path=re.compile(rule["path"]), method=method.upper() if method else None,
                 status=status, retry_after=retry_after, rate=rate, count=count, latency=float(latency), drop=drop)


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that yields the already-read body once, then defers to the server."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _close_connection(send: Any) -> None:
    """Close the client connection without (more of) a response (uvicorn's protocol cycle)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("drop faults need the uvicorn server (no transport reachable from send)")
    transport.close()
    cycle.disconnected = True
