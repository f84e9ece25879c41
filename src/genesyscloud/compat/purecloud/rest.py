"""``PureCloudPlatformClientV2.rest``: the :class:`ApiException` every compat call raises.

Our own errors (:class:`genesyscloud.APIStatusError`, :class:`genesyscloud.AuthError`,
:class:`genesyscloud.APIConnectionError`) are turned into it here, and only here; the
original error stays reachable as ``exc.error`` and ``exc.__cause__``.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

__all__ = ["ApiException", "from_error"]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class ApiException(Exception):
    """An API call failed.

    Attributes:
        status: the HTTP status (``int``); ``0`` when no HTTP response was received.
        reason: the HTTP reason phrase, or a description of the failure.
        body: the response body as text (``None`` when there was none).
        headers: the response headers (a case-insensitive mapping), or ``None``.
        correlation_id: the ``ININ-Correlation-Id`` header, when present (an addition).
        error: our underlying exception, when the failure came from one (an addition).
    """

    def __init__(self, status: int | None = None, reason: str | None = None, http_resp: Any = None) -> None:
        self.error: BaseException | None = None
        if http_resp is not None:
            self.status = http_resp.status
            self.reason = http_resp.reason
            self.body = http_resp.data
            self.headers = http_resp.getheaders()
        else:
            self.status = status
            self.reason = reason
            self.body: str | None = None
            self.headers: Any = None
        super().__init__(self.status, self.reason)

    @property
    def correlation_id(self) -> str | None:
        if not self.headers:
            return None
        return self.headers.get("inin-correlation-id") or self.headers.get("ININ-Correlation-Id")

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {self.reason}\n"
        if self.headers:
            shown = {k: v for k, v in dict(self.headers).items() if k.lower() not in ("set-cookie", "authorization")}
            text += f"HTTP response headers: {shown}\n"
        if self.body:
            text += f"HTTP response body: {self.body}\n"
        return text


def from_error(error: BaseException) -> ApiException:
    """Our exception -> :class:`ApiException` (status, reason, body text, headers)."""
    from ..._core.errors import APIConnectionError, APIStatusError, AuthError, ResponseDecodeError

    if isinstance(error, APIStatusError):
        exc = ApiException(error.status, _phrase(error.status) or error.message)
        exc.body = error.text
        exc.headers = error.headers
    elif isinstance(error, AuthError):
        status = error.status or 0
        exc = ApiException(status, _phrase(status) if status else str(error))
        if status:
            exc.body = json.dumps({"error": error.error, "description": error.error_description,
                                   "error_description": error.error_description})
        exc.headers = error.headers or None
    elif isinstance(error, ResponseDecodeError):
        exc = ApiException(0, str(error))
        exc.body = error.text
        exc.headers = error.headers
    elif isinstance(error, APIConnectionError):
        exc = ApiException(0, str(error))
    else:
        exc = ApiException(0, f"{type(error).__name__}: {error}")
    exc.error = error
    return exc
