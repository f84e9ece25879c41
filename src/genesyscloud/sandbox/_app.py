"""The sandbox ASGI application (Starlette) and its outer request pipeline.

Outer pipeline, for every HTTP request (a plain ASGI wrapper around the Starlette app):
correlation id -> body read with a size cap (413) -> request log -> fault injection
(latency, status, drop before/after) -> Starlette routes:

* ``/oauth/token``, ``/oauth/authorize``, ``/logout``: the login service (:mod:`._login`);
* ``/api/v2/...``: routing on the definition, auth (401), rate limit (429), parameter and
  body validation (400/415), then a stateful handler (:mod:`._resources`) or a spec
  sample (:mod:`._router`);
* ``/__sandbox__/...``: the control API (no auth; not logged, never faulted).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
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
from ._resources import HANDLERS, Ctx, iso
from ._ratelimit import RateLimiter
from ._router import SpecRouter
from ._state import Fault, SandboxConfig, SandboxState

log = logging.getLogger("genesyscloud.sandbox")

REDACTED = "[REDACTED]"
_SECRET_HEADERS = {"authorization", "proxy-authorization"}
_DROPPED_HEADERS = {"cookie", "set-cookie"}
_SECRET_FIELDS = {"client_secret", "password", "refresh_token", "code", "code_verifier", "assertion",
                  "access_token", "secret", "id_token"}
_LOG_TEXT_LIMIT = 64 * 1024
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_STATUS_CODES = {400: "bad.request", 401: "authentication.required", 403: "not.authorized", 404: "not.found",
                 408: "request.timeout", 409: "conflict", 413: "request.entity.too.large", 415: "unsupported.media.type",
                 429: "too.many.requests", 500: "internal.server.error", 502: "bad.gateway",
                 503: "service.unavailable", 504: "gateway.timeout"}
_JSON_HEADERS = {"content-type": "application/json"}


def _is_json(content_type: str) -> bool:
    main = content_type.split(";")[0].strip().lower()
    return main == "application/json" or (main.startswith("application/") and main.endswith("+json"))


def _redact_mapping(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k.lower() in _SECRET_FIELDS else v) for k, v in values.items()}


class _Drop(Exception):
    """Internal: the request must end by closing the connection without a response."""


class SandboxApp:
    """ASGI callable: ``await app(scope, receive, send)``. ``app.state`` is the org."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.state = SandboxState(config)
        self.router = SpecRouter()
        self.login = LoginService(self.state)
        self.ratelimit = RateLimiter(config, self.state.now)
        self.starlette = Starlette(routes=[
            Route("/oauth/token", self.oauth_token, methods=["POST"]),
            Route("/oauth/authorize", self.oauth_authorize, methods=["GET", "POST"]),
            Route("/logout", self.logout, methods=["GET"]),
            Mount("/__sandbox__", routes=[
                Route("/requests", self.ctl_requests, methods=["GET", "DELETE"]),
                Route("/faults", self.ctl_faults, methods=["GET", "POST", "DELETE"]),
                Route("/clock", self.ctl_clock, methods=["GET", "POST"]),
                Route("/reset", self.ctl_reset, methods=["POST"]),
                Route("/info", self.ctl_info, methods=["GET"]),
                Route("/ratelimits", self.ratelimit.control, methods=["GET", "POST", "DELETE"]),
            ]),
            Route("/api/v2/{rest:path}", self.api, methods=_ALL_METHODS),
        ], exception_handlers={HTTPException: self.http_exception})

    # -- outer pipeline -------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.starlette(scope, receive, send)
            return
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

        body, too_large = await self._read_body(receive, headers)
        entry = None if control else self._log(scope, headers, body, correlation_id)
        scope["sandbox.body"] = body
        scope["sandbox.correlation_id"] = correlation_id
        try:
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

                    await self.starlette(scope, _replay(body, receive), discard)
                    raise _Drop()
            await self.starlette(scope, _replay(body, receive), send_with_id)
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
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        content_type = headers.get("content-type", "")
        parsed: Any = None
        if body:
            if _is_json(content_type):
                try:
                    parsed = json.loads(body)
                except (ValueError, RecursionError):
                    parsed = body[:_LOG_TEXT_LIMIT].decode("utf-8", "replace")
            elif content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
                try:
                    parsed = _redact_mapping(parse_form(body))
                except LoginError:
                    parsed = REDACTED
            else:
                parsed = body[:_LOG_TEXT_LIMIT].decode("utf-8", "replace")
        entry = {
            "time": iso(self.state.now()),
            "method": scope["method"],
            "path": scope["path"],
            "query": _redact_mapping(query),
            "headers": {k: (REDACTED if k in _SECRET_HEADERS else v) for k, v in headers.items()
                        if k not in _DROPPED_HEADERS},
            "body": parsed,
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
            status, payload, headers, token_record, template = self._api(request, rate_headers)
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
            return Response(payload, status_code=status, headers={**headers, **_JSON_HEADERS})
        return JSONResponse(payload, status_code=status, headers=headers)

    def _api(self, request: Request, rate_headers: dict[str, str]) -> tuple[int, Any, dict[str, str], Any, str]:
        scope = request.scope
        path: str = scope["path"]
        method: str = scope["method"]
        match = self.router.match(path)
        if match is None:
            raise ApiError(404, "not.found", f"No resource at {path}", {"path": path})
        template, ops, path_params = match
        op = ops.get(method) or (ops.get("GET") if method == "HEAD" else None)
        if op is None:
            raise ApiError(405, "method.not.allowed", f"Method {method} is not allowed on {template}",
                           {"method": method}, headers={"Allow": ", ".join(sorted(ops))})
        self.state.ensure_loaded()
        token_record = None
        token_value = None
        if op.secured:
            token_value, token_record = self._authenticate(request.headers.get("authorization"))
            self.ratelimit.check_api(token_value, token_record, method, path, rate_headers)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        self.router.validate_params(op, path_params, query)
        body = None
        if op.body_param is not None:
            body = _parse_json_body(request.headers.get("content-type", ""), scope["sandbox.body"],
                                    bool(op.body_param.get("required")))
            if body is not None or op.body_param.get("required"):
                self.router.validate_body(op, body)
        handler = HANDLERS.get((op.method, template))
        if handler is not None:
            ctx = Ctx(state=self.state, method=method, path=path, template=template, path_params=path_params,
                      query=query, body=body, token=token_record, token_value=token_value)
            status, payload, headers = handler(ctx)
        else:
            status, payload = self.router.sample_response(op, path_params)
            headers = {}
        if method == "HEAD":
            payload = None
        return status, payload, headers, token_record, template

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
        return JSONResponse(list(self.state.request_log))

    async def ctl_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.faults.clear()
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse([f.describe() for f in self.state.faults])
        try:
            rule = json.loads(request.scope["sandbox.body"] or b"null")
            fault = _parse_fault(rule)
        except (ValueError, TypeError, RecursionError, re.error) as exc:
            return JSONResponse({"error": "invalid_fault", "message": str(exc)}, status_code=400)
        self.state.faults.append(fault)
        return JSONResponse(fault.describe(), status_code=201)

    async def ctl_clock(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                data = json.loads(request.scope["sandbox.body"] or b"null")
                seconds = data["advance"]
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                    raise ValueError("advance must be a number of seconds >= 0")
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                return JSONResponse({"error": "invalid_clock", "message": f"expected {{\"advance\": seconds}}: {exc}"},
                                    status_code=400)
            self.state.advance(float(seconds))
        return JSONResponse({"now": iso(self.state.now()), "offset": self.state.clock_offset})

    async def ctl_reset(self, request: Request) -> Response:
        self.state.reset()
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


def _parse_json_body(content_type: str, raw: bytes, required: bool) -> Any:
    if not raw.strip():
        if required:
            raise ApiError(400, "bad.request", "A request body is required.")
        return None
    if not _is_json(content_type):
        raise ApiError(415, "unsupported.media.type",
                       f"Content type '{content_type or '(none)'}' is not supported; use application/json.",
                       {"contentType": content_type})
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "bad.request", f"The request body is not valid JSON: {exc}") from exc


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
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError("status must be an HTTP status code")
    rate = rule.get("rate")
    if rate is not None and (not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
        raise ValueError("rate must be between 0 and 1")
    count = rule.get("count")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer")
    latency = rule.get("latency", 0) or 0
    if not isinstance(latency, (int, float)) or latency < 0:
        raise ValueError("latency must be a number of seconds >= 0")
    drop = rule.get("drop")
    if drop not in (None, "before", "after"):
        raise ValueError("drop must be 'before' or 'after'")
    retry_after = rule.get("retry_after")
    if retry_after is not None and (not isinstance(retry_after, (int, float)) or retry_after < 0):
        raise ValueError("retry_after must be a number of seconds >= 0")
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
