"""Error bodies of the two services the sandbox imitates.

* API (``/api/v2/...``): the ``ErrorBody`` model of the definition, with ``contextId``
  equal to the response's ``ININ-Correlation-Id``.
* Login service (``/oauth/...``): ``{"error", "description", "error_description"}``.
"""

from __future__ import annotations

import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill_template(template: str, params: dict[str, str]) -> str:
    """``template`` with each ``{name}`` placeholder of ``params`` replaced by its value
    (one pass; unknown placeholders and other braces stay as they are)."""
    return _PLACEHOLDER.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), template)


class ApiError(Exception):
    """Raised inside handlers; rendered as an API error body with ``status``.

    ``message`` is the ``messageWithParams`` template: ``{name}`` placeholders are filled
    from ``params`` for ``message`` (``ApiError(404, "not.found", "User {userId} not found",
    {"userId": "abc"})``). A message without placeholders is used as is.
    """

    def __init__(self, status: int, code: str, message: str, params: dict[str, str] | None = None,
                 details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        self.params = {k: str(v) for k, v in (params or {}).items()}
        self.template = message
        self.message = fill_template(message, self.params)
        super().__init__(f"{status} {code}: {self.message}")
        self.status = status
        self.code = code
        self.details = details or []
        self.headers = headers or {}

    def body(self, context_id: str) -> dict[str, Any]:
        return api_error_body(self.status, self.code, self.message, context_id, self.params, self.details,
                              template=self.template)


class LoginError(Exception):
    """Raised by the login service; rendered as ``{"error", "description", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "description": self.description, "error_description": self.description}


def api_error_body(status: int, code: str, message: str, context_id: str,
                   params: dict[str, str] | None = None, details: list[dict[str, Any]] | None = None,
                   template: str | None = None) -> dict[str, Any]:
    """The API error body: ``message, code, status, messageWithParams, messageParams,
    contextId, details, errors``. ``messageWithParams`` is ``template`` (the message with
    ``{name}`` placeholders; default: ``message`` itself), never derived from the final text."""
    params = dict(params or {})
    if template is None:
        template = message
    return {"message": message, "code": code, "status": status, "messageWithParams": template,
            "messageParams": params, "contextId": context_id, "details": list(details or []), "errors": []}


def bad_request(template: str, **params: str) -> ApiError:
    """A 400 ``bad.request``; ``template`` has ``{name}`` placeholders for ``params``."""
    return ApiError(400, "bad.request", template, params)


def not_found(template: str = "The requested resource was not found.", **params: str) -> ApiError:
    """A 404 ``not.found``; ``template`` has ``{name}`` placeholders for ``params``."""
    return ApiError(404, "not.found", template, params)
