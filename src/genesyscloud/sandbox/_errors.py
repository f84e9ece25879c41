"""Error bodies of the two services the sandbox imitates.

* API (``/api/v2/...``): the ``ErrorBody`` model of the definition, with ``contextId``
  equal to the response's ``ININ-Correlation-Id``.
* Login service (``/oauth/...``): ``{"error", "description", "error_description"}``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised inside handlers; rendered as an API error body with ``status``."""

    def __init__(self, status: int, code: str, message: str, params: dict[str, str] | None = None,
                 details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.params = params or {}
        self.details = details or []
        self.headers = headers or {}

    def body(self, context_id: str) -> dict[str, Any]:
        return api_error_body(self.status, self.code, self.message, context_id, self.params, self.details)


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
                   params: dict[str, str] | None = None, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The API error body: ``message, code, status, messageWithParams, messageParams,
    contextId, details, errors``. ``messageWithParams`` keeps ``{name}`` placeholders."""
    params = dict(params or {})
    template = message
    for key, value in params.items():
        if value and value in template:
            template = template.replace(value, "{" + key + "}")
    return {"message": message, "code": code, "status": status, "messageWithParams": template,
            "messageParams": params, "contextId": context_id, "details": list(details or []), "errors": []}


def bad_request(message: str, **params: str) -> ApiError:
    return ApiError(400, "bad.request", message, params)


def not_found(message: str = "The requested resource was not found.", **params: str) -> ApiError:
    return ApiError(404, "not.found", message, params)
