"""The exception hierarchy.

::

    GenesysCloudError
    ├── APIConnectionError            the request did not get an HTTP response
    │   └── APITimeoutError
    ├── APIStatusError                the API answered with a non-2xx status
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── RateLimitError            429
    │   └── InternalServerError       5xx
    ├── AuthError                     the login service refused a token request
    ├── ResponseDecodeError           a 2xx body that is not what the definition says
    └── ConfigError (also ValueError) a malformed configuration file, key or value

API errors carry the parsed ``ErrorBody`` fields of the Platform API; nothing here
ever holds the ``Authorization`` header.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

__all__ = [
    "GenesysCloudError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "InternalServerError",
    "AuthError",
    "ResponseDecodeError",
    "ConfigError",
    "ForeignHostError",
    "status_error",
]


class GenesysCloudError(Exception):
    """Base class of every error this SDK raises on purpose."""


class APIConnectionError(GenesysCloudError):
    """No HTTP response was received (DNS, connect, TLS, reset, protocol error).

    Attributes:
        method: the HTTP method.
        url: the URL without its query string.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool timeout)."""


class APIStatusError(GenesysCloudError):
    """The API answered with an error status.

    Attributes:
        status: the HTTP status code (``int``).
        code: the error body's ``code`` (``"not.found"``), or ``None``.
        message: the error body's ``message``, or the raw text when the body is not JSON.
        message_with_params: the template form of the message.
        message_params: the values for the template (``dict[str, str]``).
        context_id: the error body's ``contextId`` (the correlation id on the server).
        details: the error body's ``details`` (``list[dict]``).
        errors: nested error bodies (``list[dict]``).
        limit: the ``limit`` object on rate or size limit violations, or ``None``.
        body: the parsed JSON body (``dict``) or ``None`` when it was not JSON.
        text: the raw response text (at most 10,000 characters).
        headers: the response headers (a case-insensitive mapping).
        correlation_id: the ``ININ-Correlation-Id`` response header.
        method, url: the request's HTTP method and URL (no query string, no credentials).
    """

    def __init__(
        self,
        status: int,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str],
        text: str,
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.headers = headers
        self.text = text[:10_000]
        body: Any = None
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        self.body: dict[str, Any] | None = body if isinstance(body, dict) else None
        b = self.body or _salvage(text)
        self.code: str | None = b.get("code") if isinstance(b.get("code"), str) else None
        message = b.get("message") or b.get("error_description") or b.get("description")
        self.message: str = str(message) if message else (self.text.strip()[:500] or _reason(status))
        self.message_with_params: str | None = b.get("messageWithParams")
        self.message_params: dict[str, Any] = b.get("messageParams") or {}
        self.context_id: str | None = b.get("contextId")
        self.details: list[dict[str, Any]] = b.get("details") or []
        self.errors: list[dict[str, Any]] = b.get("errors") or []
        self.limit: dict[str, Any] | None = b.get("limit")
        self.entity_id: str | None = b.get("entityId")
        self.entity_name: str | None = b.get("entityName")
        self.correlation_id: str | None = headers.get("inin-correlation-id") or self.context_id
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = [f"{self.status}"]
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        text += f" ({self.method} {self.url}"
        if self.correlation_id:
            text += f"; correlation id {self.correlation_id}"
        return text + ")"

    @property
    def retry_after(self) -> float | None:
        """The ``Retry-After`` header in seconds (delta-seconds or HTTP-date), or ``None``."""
        from .retry import parse_retry_after

        return parse_retry_after(self.headers.get("retry-after"))

    @property
    def rate_limit(self) -> dict[str, int]:
        """The ``inin-ratelimit-count``/``-allowed``/``-reset`` headers that are present (ints)."""
        out: dict[str, int] = {}
        for key in ("count", "allowed", "reset"):
            value = self.headers.get(f"inin-ratelimit-{key}")
            if value is not None and value.strip().lstrip("-").isdigit():
                out[key] = int(value)
        return out


class BadRequestError(APIStatusError):
    """400 Bad Request."""


class AuthenticationError(APIStatusError):
    """401 Unauthorized: the access token is missing, invalid or expired."""


class PermissionDeniedError(APIStatusError):
    """403 Forbidden: the token lacks a permission or scope."""


class NotFoundError(APIStatusError):
    """404 Not Found."""


class ConflictError(APIStatusError):
    """409 Conflict (for example a version mismatch on update)."""


class RateLimitError(APIStatusError):
    """429 Too Many Requests; see ``retry_after`` and ``rate_limit``."""


class InternalServerError(APIStatusError):
    """A 5xx status."""


class AuthError(GenesysCloudError):
    """The login service refused a token request (RFC 6749 section 5.2), or no token
    can be had without one (``missing_credentials``, ``invalid_token``, ``invalid_grant``...;
    then ``status`` is 0 and no request was sent).

    When the login service cannot be reached at all, the token request raises
    :class:`APIConnectionError` (or :class:`APITimeoutError`) instead, as an API call does.

    Attributes:
        error: the OAuth error code (``invalid_client``, ``invalid_grant``, ...).
        error_description: the login service's description.
        status: the HTTP status of the token endpoint's answer (0 when none).
        correlation_id: the ``ININ-Correlation-Id`` header, when present.
    """

    def __init__(
        self,
        error: str,
        error_description: str = "",
        *,
        status: int = 0,
        correlation_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.error = error
        self.error_description = error_description
        self.status = status
        self.correlation_id = correlation_id
        self.headers = headers or {}
        text = f"{error}: {error_description}" if error_description else error
        if status:  # the login service answered
            text = f"token request failed: {status} {text}"
        super().__init__(text)


class ResponseDecodeError(GenesysCloudError):
    """A success response whose body could not be decoded (truncated or not JSON).

    Attributes:
        status, headers, text (at most 10,000 characters), correlation_id.
    """

    def __init__(self, message: str, *, status: int, headers: Mapping[str, str], text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text[:10_000]
        self.correlation_id = headers.get("inin-correlation-id")
        super().__init__(message)


class ConfigError(GenesysCloudError, ValueError):
    """A configuration file, key or value is wrong.

    Attributes:
        file: the configuration file's path (``None`` for arguments and environment variables).
        section: the section (``"logging"``, ``"profile prod"``...), or ``None``.
        key: the key, or ``None`` when the whole file is malformed.
        expected: what was expected, in words.
    """

    def __init__(self, problem: str, *, file: str | None = None, section: str | None = None,
                 key: str | None = None, expected: str | None = None) -> None:
        self.file = file
        self.section = section
        self.key = key
        self.expected = expected
        where = []
        if file:
            where.append(f"file {file}")
        if section:
            where.append(f"section [{section}]")
        if key:
            where.append(f"key {key!r}")
        text = (", ".join(where) + ": " if where else "") + problem
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)


_SALVAGE = re.compile(r'"(code|message|contextId|messageWithParams)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _salvage(text: str) -> dict[str, Any]:
    """Fields readable from a truncated JSON error body (string fields only)."""
    found: dict[str, Any] = {}
    for key, value in _SALVAGE.findall(text[:10_000]):
        try:
            found.setdefault(key, json.loads(f'"{value}"'))
        except ValueError:
            found.setdefault(key, value)
    return found


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def status_error(status: int, *, method: str, url: str, headers: Mapping[str, str], text: str) -> APIStatusError:
    """Build the right :class:`APIStatusError` subclass for a status code."""
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(status, method=method, url=url, headers=headers, text=text)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


class ForeignHostError(GenesysCloudError, ValueError):
    """A request would have sent the access token to a host it was not issued for (see
    ``Hosts.carries_token``); nothing was sent."""
