"""HTTP logging through the standard :mod:`logging` module, logger ``genesyscloud``.

Levels (the official SDKs' names): ``"trace"`` (custom level 5, below DEBUG: adds
request and response headers), ``"debug"`` (method, URL, status, correlation id,
timing, retries), ``"error"`` (failed calls only), ``"none"``. Bodies are logged only
when ``request_body`` / ``response_body`` are on, and even then secrets are masked.

Redaction is by allowlist: a header or query parameter not in the allowlist is shown
as ``[REDACTED]``; ``Authorization`` and friends can never be allowlisted. JSON and
form bodies have every value under a secret key masked, at any depth: the OAuth
(RFC 6749 / 7636) names (``access_token``, ``client_secret``, ``code``,
``code_verifier``, ``assertion``, ``refresh_token``, ...) and every secret-bearing
field of the API definition (``password``, ``newPassword``, ``oldPassword``,
``clientSecret``, ``deviceToken``... generated into :mod:`._secret_fields` by codegen).
Other text bodies are scrubbed of ``key=value`` / ``"key": "value"`` pairs with such
keys. :func:`redact_body` and :func:`mask_json` are the one implementation: the
command line's ``-v`` output and the sandbox's request log use them too.

httpx's own ``INFO`` line (``HTTP Request: GET https://...?...``) goes through
:class:`QueryRedactingFilter`, so query values never reach the application's logs in
clear either; :func:`redact_exception_request` masks the credentials of the request
that a transport exception carries (``exc.__cause__.request.headers``).

With ``level=None`` (the default) the client produces records for whatever the
``genesyscloud`` logger is enabled for, and they propagate like any library's. With
an explicit level, console or file output (``to_console``, ``file_path``) goes to
handlers owned by the client (text or JSON lines), closed with the client.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

from ._secret_fields import SECRET_FIELDS

__all__ = ["TRACE", "LogSettings", "HttpLogger", "REDACTED", "redact_body", "redact_headers", "redact_query",
           "mask_json", "is_secret_key", "scrub_text", "redact_url", "redact_exception_request",
           "QueryRedactingFilter", "install_library_log_filters", "SECRET_KEYS", "SECRET_FIELDS"]

TRACE = 5
logging.addLevelName(TRACE, "TRACE")
REDACTED = "[REDACTED]"
LOGGER_NAME = "genesyscloud"

LEVELS = {"trace": TRACE, "debug": logging.DEBUG, "error": logging.ERROR, "none": None}

DEFAULT_HEADERS = frozenset({
    "accept", "accept-encoding", "content-type", "content-length", "content-encoding", "user-agent", "date",
    "inin-correlation-id", "retry-after", "inin-ratelimit-count", "inin-ratelimit-allowed",
    "inin-ratelimit-reset", "location", "cache-control", "etag", "connection", "host", "transfer-encoding",
    "purecloud-sdk",
})
#: never shown, whatever the allowlist says
NEVER_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
DEFAULT_QUERY = frozenset({
    "pageSize", "pageNumber", "sortBy", "sortOrder", "expand", "after", "before", "cursor", "limit",
    "divisionId", "name", "id", "state", "type", "includechannels", "grant_type", "response_type",
    "redirect_uri", "client_id",
})
#: secret keys, lower case with ``-`` as ``_``: the OAuth form and response names
#: (RFC 6749 / 7636 / 7522) and generic ones, plus every secret field of the API definition
SECRET_KEYS = frozenset({
    "access_token", "accesstoken", "refresh_token", "refreshtoken", "id_token", "token", "client_secret",
    "clientsecret", "secret", "password", "code", "code_verifier", "codeverifier", "assertion", "authorization",
    "apikey", "api_key", "privatekey", "private_key", "samlassertion", "credentials", "passphrase",
} | {name.lower().replace("-", "_") for name in SECRET_FIELDS})
NEVER_QUERY = SECRET_KEYS
_SCRUB = re.compile(
    r"(?i)(\"?(?:" + "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True)) +
    r")\"?\s*[:=]\s*)(\"(?:[^\"\\]|\\.)*\"?|[^&\s,;}]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_TEXT_LIMIT = 4000


@dataclass(frozen=True, slots=True)
class LogSettings:
    """What the client logs (the official ``[logging]`` section).

    Attributes:
        level: ``"trace"``, ``"debug"``, ``"error"``, ``"none"``, or ``None`` to follow
            the ``genesyscloud`` logger's own level (records propagate normally).
        format: ``"text"`` or ``"json"`` (JSON lines, camelCase keys) for the client's
            own console/file handlers.
        to_console: write to ``sys.stderr`` through a handler owned by the client.
        file_path: append to this file through a handler owned by the client.
        request_body, response_body: include bodies (secrets masked).
        allowed_headers: extra header names shown in clear (case-insensitive).
        allowed_query: extra query parameter names shown in clear.

    Raises:
        ValueError: an unknown level or format.
    """

    level: str | None = None
    format: str = "text"
    to_console: bool = False
    file_path: str | None = None
    request_body: bool = False
    response_body: bool = False
    allowed_headers: frozenset[str] = field(default_factory=frozenset)
    allowed_query: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in LEVELS:
            raise ValueError(f"log level must be one of trace, debug, error, none; got {self.level!r}")
        if self.format not in ("text", "json"):
            raise ValueError(f"log format must be 'text' or 'json'; got {self.format!r}")
        object.__setattr__(self, "allowed_headers", frozenset(h.lower() for h in self.allowed_headers) - NEVER_HEADERS)
        object.__setattr__(self, "allowed_query", frozenset(self.allowed_query) - NEVER_QUERY)


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]], allowed: Iterable[str] = ()) -> dict[str, str]:
    """Headers with every value not on the allowlist replaced by ``[REDACTED]``."""
    allow = DEFAULT_HEADERS | {a.lower() for a in allowed}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        low = name.lower()
        out[name] = value if low in allow and low not in NEVER_HEADERS else REDACTED
    return out


def redact_query(params: Iterable[tuple[str, str]], allowed: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Query pairs with every value not on the allowlist replaced by ``[REDACTED]``."""
    allow = DEFAULT_QUERY | set(allowed)
    return [(k, v if k in allow and k.lower() not in NEVER_QUERY else REDACTED) for k, v in params]


#: JSON keys that are secrets in form bodies but not in JSON (the API error body's ``code``)
_JSON_SAFE = frozenset({"code"})


def is_secret_key(key: Any) -> bool:
    """Whether a body field or form key of this name carries a secret (case-insensitive;
    ``-`` and ``_`` alike)."""
    return isinstance(key, str) and key.lower().replace("-", "_") in SECRET_KEYS


def mask_json(data: Any) -> Any:
    """A copy of parsed JSON with the value of every secret key (at any depth) replaced
    by ``[REDACTED]`` and strings scrubbed (:func:`scrub_text`); objects and arrays under
    a secret key are masked inside, so their shape stays visible."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if is_secret_key(key) and not isinstance(value, dict | list):
                low = key.lower()
                # the API error body's "code" ("not.found") is no secret
                safe = low in _JSON_SAFE and isinstance(value, str) and "." in value
                out[key] = value if safe or value is None or isinstance(value, bool) else REDACTED
            elif is_secret_key(key):
                out[key] = _mask_all(value)
            else:
                out[key] = mask_json(value)
        return out
    if isinstance(data, list):
        return [mask_json(v) for v in data]
    if isinstance(data, str):
        return scrub_text(data)
    return data


def _mask_all(data: Any) -> Any:
    """Under a secret key: every leaf is masked (``credentials: {"user": ..., "pin": ...}``)."""
    if isinstance(data, dict):
        return {k: _mask_all(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_mask_all(v) for v in data]
    return data if data is None or isinstance(data, bool) else REDACTED


_mask = mask_json  # the former private name


def scrub_text(text: str) -> str:
    """Mask ``key=value`` / ``"key": "value"`` pairs with secret keys and bearer/basic credentials."""
    text = _SCRUB.sub(lambda m: m.group(1) + REDACTED, text)
    return _BEARER.sub(lambda m: m.group(1) + " " + REDACTED, text)


def redact_body(content: bytes | None, content_type: str = "") -> Any:
    """A loggable form of a body: parsed JSON or form data with secrets masked, else
    scrubbed text (at most 4,000 characters), or ``None`` when empty."""
    if not content:
        return None
    ctype = (content_type or "").split(";")[0].strip().lower()
    text = content.decode("utf-8", "replace")
    if "json" in ctype or (not ctype and text[:1] in "{["):
        try:
            return mask_json(json.loads(text))
        except ValueError:
            pass
    if ctype == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            pairs = None
        if pairs is not None:
            return {k: (REDACTED if is_secret_key(k) else scrub_text(v)) for k, v in pairs}
    if ctype and not (ctype.startswith("text/") or "json" in ctype or "xml" in ctype or "html" in ctype):
        return f"<{len(content)} bytes of {ctype}>"
    if len(text) > _TEXT_LIMIT:
        text = text[:_TEXT_LIMIT] + f"... ({len(text)} characters)"
    return scrub_text(text)


def redact_url(url: str, allowed: Iterable[str] = ()) -> str:
    """``url`` with its query values masked as :func:`redact_query` does (and any
    ``user:password@`` removed)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub_text(url)
    netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
    if not parts.query and netloc == parts.netloc:
        return url
    query = urlencode(redact_query(parse_qsl(parts.query, keep_blank_values=True), allowed), safe="[]")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_URL_IN_TEXT = re.compile(r"\b(?:https?|wss?)://[^\s\"'<>]+")


class QueryRedactingFilter(logging.Filter):
    """A filter for other libraries' loggers (httpx, httpcore, urllib3): every URL in a
    record (its arguments or its message) leaves with its query values masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if record.args:
                args = record.args if isinstance(record.args, tuple) else (record.args,)
                record.args = tuple(_redact_arg(a) for a in args)
            if isinstance(record.msg, str) and "://" in record.msg:
                record.msg = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), record.msg)
        except Exception:  # a filter must never break logging; drop the arguments instead
            record.msg, record.args = f"{record.msg!s:.200} (arguments withheld)", ()
        return True


def _redact_arg(value: Any) -> Any:
    if isinstance(value, str | bytes | int | float | type(None)):
        if isinstance(value, str) and "://" in value:
            return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), value)
        if isinstance(value, str) and value.startswith("/") and "?" in value:
            return redact_url(value)  # a request target: urllib3's DEBUG line logs "GET /path?query"
        return value
    text = str(value)  # httpx.URL, yarl.URL, ...
    return redact_url(text) if "://" in text and "?" in text else value


_FILTERED_LOGGERS = ("httpx", "httpcore", "urllib3.connectionpool", "aiohttp.client")
_FILTER = QueryRedactingFilter()


def install_library_log_filters() -> None:
    """Attach :class:`QueryRedactingFilter` to the HTTP libraries' loggers (idempotent;
    called when a client creates its connection pool)."""
    for name in _FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact_exception_request(exc: BaseException | None) -> None:
    """Mask, in place, the credential headers (``Authorization``, cookies) of the request
    that a transport exception carries (httpx's ``exc.request``), so that an
    ``APIConnectionError``'s ``__cause__`` holds no token or client secret."""
    if exc is None:
        return
    try:
        request = exc.request  # type: ignore[attr-defined]
    except Exception:  # httpx raises RuntimeError when the exception has no request
        return
    headers = getattr(request, "headers", None)
    if headers is None:
        return
    try:
        for name in [n for n in headers.keys() if str(n).lower() in NEVER_HEADERS]:
            headers[name] = REDACTED
    except Exception:  # an immutable mapping: nothing to mask in place
        return


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"time": _dt.datetime.fromtimestamp(record.created, _dt.timezone.utc).isoformat(),
                "level": _level_name(record.levelno), "logger": record.name}
        extra = getattr(record, "genesyscloud", None)
        if isinstance(extra, dict):
            data.update(extra)
        else:
            data["message"] = record.getMessage()
        return json.dumps(data, ensure_ascii=False, default=str)


def _level_name(levelno: int) -> str:
    return "trace" if levelno <= TRACE else logging.getLevelName(levelno).lower()


class HttpLogger:
    """The logging of one client (and its ``with_options`` copies).

    ``enabled(levelno)`` is cheap; the flows call :meth:`exchange` once per attempt and
    :meth:`retry` before each retry.
    """

    def __init__(self, settings: LogSettings | None = None) -> None:
        install_library_log_filters()  # httpx's own INFO line must not carry query secrets either
        self.settings = settings or LogSettings()
        self.logger = logging.getLogger(LOGGER_NAME)
        self.threshold = LEVELS.get(self.settings.level) if self.settings.level else None
        self.handlers: list[logging.Handler] = []
        if self.settings.level and self.settings.level != "none":
            formatter: logging.Formatter = _JsonFormatter() if self.settings.format == "json" else \
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            if self.settings.to_console:
                handler: logging.Handler = logging.StreamHandler(sys.stderr)
                handler.setFormatter(formatter)
                self.handlers.append(handler)
            if self.settings.file_path:
                handler = logging.FileHandler(self.settings.file_path, encoding="utf-8", delay=True)
                handler.setFormatter(formatter)
                self.handlers.append(handler)

    def close(self) -> None:
        """Close the handlers this client owns (idempotent)."""
        handlers, self.handlers = self.handlers, []
        for handler in handlers:
            handler.close()

    def enabled(self, levelno: int) -> bool:
        if self.settings.level is None:
            return self.logger.isEnabledFor(levelno)
        return self.threshold is not None and levelno >= self.threshold

    def emit(self, levelno: int, message: str, data: dict[str, Any]) -> None:
        if not self.enabled(levelno):
            return
        record = self.logger.makeRecord(self.logger.name, levelno, __file__, 0, message, (), None,
                                        extra={"genesyscloud": data})
        if self.handlers:
            for handler in self.handlers:
                if levelno >= handler.level:
                    handler.handle(record)
        elif self.settings.level is None:
            self.logger.handle(record)
        else:
            # an explicit level without own handlers: hand the record to the logger's
            # handlers (and its ancestors'), whatever the logger's own level is
            if not self.logger.disabled and self.logger.filter(record):
                self.logger.callHandlers(record)

    # -- what the flows call ----------------------------------------------------------

    def retry(self, method: str, url: str, attempt: int, delay: float, reason: str) -> None:
        self.emit(logging.DEBUG, f"retrying {method} {url} in {delay:.3f} s (retry {attempt}): {reason}",
                  {"event": "retry", "method": method, "url": url, "retry": attempt, "delaySeconds": delay,
                   "reason": reason})

    def exchange(self, request: Any, response: Any = None, error: BaseException | None = None,
                 elapsed: float = 0.0) -> None:
        """Log one attempt: ``request`` (an ``HttpRequest``), and the response or the error."""
        failed = error is not None or response is None or response.status_code >= 400
        if failed:
            # explicit levels log failures at ERROR (the official "error" level); records
            # that propagate to the application's logging stay at DEBUG (a retried 503
            # is not an application error)
            levelno = logging.ERROR if self.settings.level is not None else logging.DEBUG
            if not self.enabled(levelno):
                return
            trace = self.enabled(TRACE)
        else:
            threshold = self.threshold
            if not (self.logger.isEnabledFor(logging.DEBUG) if self.settings.level is None
                    else threshold is not None and threshold <= logging.DEBUG):
                return  # the usual case: nothing to format (what enabled(DEBUG) says, inline)
            trace = self.enabled(TRACE)
            levelno = TRACE if trace else logging.DEBUG
        s = self.settings
        query = redact_query(request.params or [], s.allowed_query)
        url = request.url + ("?" + urlencode(query, safe="[]") if query else "")
        data: dict[str, Any] = {"event": "http", "method": request.method, "url": url,
                                "elapsedMs": round(elapsed * 1000, 1)}
        lines = []
        if response is not None:
            data["status"] = response.status_code
            data["correlationId"] = response.headers.get("inin-correlation-id")
            head = f"{request.method} {url} -> {response.status_code} in {elapsed * 1000:.1f} ms"
            if data["correlationId"]:
                head += f" (correlation id {data['correlationId']})"
        else:
            data["error"] = f"{type(error).__name__}: {error}"
            head = f"{request.method} {url} -> {type(error).__name__}: {error} after {elapsed * 1000:.1f} ms"
        if trace:
            data["requestHeaders"] = redact_headers(request.headers, s.allowed_headers)
            lines.append("request headers: " + json.dumps(data["requestHeaders"]))
        if s.request_body and request.content:
            if isinstance(request.content, bytes | bytearray | memoryview):
                data["requestBody"] = redact_body(bytes(request.content), request.headers.get("Content-Type", ""))
            else:  # a streamed body (an upload) is never read for the log
                data["requestBody"] = f"<streamed {request.headers.get('Content-Type') or 'body'}>"
            lines.append("request body: " + _show(data["requestBody"]))
        if response is not None:
            if trace:
                data["responseHeaders"] = redact_headers(response.headers.multi_items()
                                                         if hasattr(response.headers, "multi_items")
                                                         else response.headers, s.allowed_headers)
                lines.append("response headers: " + json.dumps(data["responseHeaders"]))
            if s.response_body and getattr(response, "_content", b"") is not None:  # a streamed body is not read here
                data["responseBody"] = redact_body(response.content, response.headers.get("content-type", ""))
                if data["responseBody"] is not None:
                    lines.append("response body: " + _show(data["responseBody"]))
        self.emit(levelno, "\n  ".join([head, *lines]), data)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
