"""The sandbox's rate limits, as the real service applies them.

* Per access token: ``client.credentials.token.rate.per.minute`` for client-credentials
  tokens (``token.rate.per.minute`` for user tokens), ``rate_limit`` requests per
  ``rate_limit_window`` seconds (the real service: 300 per 60 s).
* Per user, across every token and client of the user: ``user.rate.per.minute``,
  ``user_rate_limit`` requests per window (the real service: 3,000 per 60 s).
* Per API: rules added through the control API (``POST /__sandbox__/ratelimits``
  ``{"path": regex, "method": "GET", "limit": 10, "window": 5, "key": "..."}``), counted
  per token, so tests can model an API with a limit of its own.
* The login service: ``token_rate_limit`` token requests per window per OAuth client;
  beyond it ``POST /oauth/token`` answers 400 with a "rate limit exceeded" error (the
  real login service answers 400, not 429) and ``Retry-After``.

Every API response to an authenticated request carries ``inin-ratelimit-count``,
``inin-ratelimit-allowed`` and ``inin-ratelimit-reset`` (whole seconds until the window
resets) of the token's window; a 429 carries ``Retry-After`` and the real error body
(``code`` ``too.many.requests.retry.after``, ``limit`` with ``key``, ``namespace`` and
``value``). A window starts with the first request after the previous one ended. Windows
follow the sandbox clock.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ._errors import ApiError, LoginError

__all__ = ["RateLimiter", "RateRule", "RateLimitError"]

NAMESPACE = "public.api.rate.limits"


class RateLimitError(ApiError):
    """The real 429 body: the API error body plus ``limit`` (``key``, ``namespace``, ``value``)."""

    def __init__(self, *args: Any, limit: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit

    def body(self, context_id: str) -> dict[str, Any]:
        return {**super().body(context_id), "limit": dict(self.limit)}


@dataclass
class _Window:
    start: float
    count: int = 0


@dataclass
class RateRule:
    """A per-API limit (control API)."""

    path: str
    limit: int
    window: float
    method: str | None = None
    key: str = "api.rate.per.window"
    namespace: str = NAMESPACE
    id: int = 0
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(self.path)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "method": self.method, "limit": self.limit, "window": self.window,
                "key": self.key, "namespace": self.namespace}


def parse_rule(rule: Any) -> RateRule:
    """A rule from the control API's JSON. Raises ``ValueError``/``TypeError``."""
    if not isinstance(rule, dict):
        raise ValueError("a rate-limit rule is a JSON object")
    unknown = set(rule) - {"path", "method", "limit", "window", "key", "namespace"}
    if unknown:
        raise ValueError(f"unknown rate-limit rule fields: {sorted(unknown)}")
    path, limit, window = rule.get("path"), rule.get("limit"), rule.get("window", 60)
    if not isinstance(path, str) or not path:
        raise ValueError("path must be a regular expression (string)")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError("limit must be an int >= 1")
    if not isinstance(window, int | float) or isinstance(window, bool) or window <= 0:
        raise ValueError("window must be seconds > 0")
    method = rule.get("method")
    if method is not None and not isinstance(method, str):
        raise ValueError("method must be a string")
    return RateRule(path=path, limit=limit, window=float(window), method=method.upper() if method else None,
                    key=str(rule.get("key") or "api.rate.per.window"), namespace=str(rule.get("namespace") or NAMESPACE))


class RateLimiter:
    """Counts requests in fixed windows and raises the real 429 / login 400."""

    def __init__(self, config: Any, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.windows: dict[tuple[str, str], _Window] = {}
        self.rules: list[RateRule] = []
        self._next_rule = 1
        #: counters for tests and benchmarks: answered 429 / login 400 rate limited
        self.stats = {"api_429": 0, "token_400": 0}

    def reset(self) -> None:
        self.windows.clear()
        self.rules.clear()
        self.stats = {"api_429": 0, "token_400": 0}

    @property
    def window(self) -> float:
        return float(getattr(self.config, "rate_limit_window", None) or 60)

    def _hit(self, kind: str, key: str, window: float) -> tuple[int, float]:
        """Count one request; return ``(count, seconds until the window resets)``."""
        now = self.clock()
        w = self.windows.get((kind, key))
        if w is None or now >= w.start + window:
            w = self.windows[(kind, key)] = _Window(start=now)
        w.count += 1
        return w.count, w.start + window - now

    def _peek(self, kind: str, key: str, window: float) -> tuple[int, float]:
        now = self.clock()
        w = self.windows.get((kind, key))
        if w is None or now >= w.start + window:
            return 0, window
        return w.count, w.start + window - now

    @staticmethod
    def _reject(limit: int, window: float, reset: float, key: str, namespace: str, headers: dict[str, str]) -> ApiError:
        retry_after = str(max(1, math.ceil(reset)))
        return RateLimitError(429, "too.many.requests.retry.after",
                              f"Rate limit exceeded the maximum. [{limit}] requests for [{window:g}] seconds",
                              {"limit": str(limit), "window": f"{window:g}"},
                              headers={**headers, "Retry-After": retry_after},
                              limit={"key": key, "namespace": namespace, "value": limit})

    def check_api(self, token_value: str, token_record: Any, method: str, path: str,
                  rate_headers: dict[str, str]) -> None:
        """Count an authenticated API request; fill ``rate_headers``; raise the 429."""
        config = self.config
        window = self.window
        token_limit = config.rate_limit
        if token_limit:
            count, reset = self._hit("token", token_value, window)
            rate_headers.update({"inin-ratelimit-count": str(count), "inin-ratelimit-allowed": str(token_limit),
                                 "inin-ratelimit-reset": str(max(1, math.ceil(reset)))})
            if count > token_limit:
                self.stats["api_429"] += 1
                key = ("client.credentials.token.rate.per.minute" if getattr(token_record, "user_id", None) is None
                       else "token.rate.per.minute")
                raise self._reject(token_limit, window, reset, key, NAMESPACE, rate_headers)
        user_limit = getattr(config, "user_rate_limit", None)
        user_id = getattr(token_record, "user_id", None)
        if user_limit and user_id:
            count, reset = self._hit("user", user_id, window)
            if count > user_limit:
                self.stats["api_429"] += 1
                raise self._reject(user_limit, window, reset, "user.rate.per.minute", NAMESPACE, rate_headers)
        for rule in self.rules:
            if rule.method is not None and rule.method != method:
                continue
            if rule.pattern.search(path) is None:
                continue
            count, reset = self._hit(f"rule{rule.id}", token_value, rule.window)
            if count > rule.limit:
                self.stats["api_429"] += 1
                raise self._reject(rule.limit, rule.window, reset, rule.key, rule.namespace, rate_headers)

    def token_response(self, request: Any) -> Any:
        """Count a token request of its OAuth client; the login service's 400 when over
        ``token_rate_limit``, else ``None`` (the request goes on)."""
        limit = getattr(self.config, "token_rate_limit", None)
        if not limit:
            return None
        client_id = client_id_of(request.headers.get("authorization"), request.scope.get("sandbox.body") or b"")
        count, reset = self._hit("login", client_id or "?", self.window)
        if count <= limit:
            return None
        from starlette.responses import JSONResponse

        self.stats["token_400"] += 1
        error = LoginError(400, "invalid_request", f"Rate limit exceeded: [{limit}] token requests for "
                                                   f"[{self.window:g}] seconds")
        return JSONResponse(error.body(), status_code=400,
                            headers={"Cache-Control": "no-store", "Pragma": "no-cache",
                                     "Retry-After": str(max(1, math.ceil(reset)))})

    # -- control API ----------------------------------------------------------------------
    def add_rule(self, rule: RateRule) -> RateRule:
        rule.id = self._next_rule
        self._next_rule += 1
        self.rules.append(rule)
        return rule

    def describe(self) -> dict[str, Any]:
        return {"rateLimit": self.config.rate_limit, "window": self.window,
                "userRateLimit": getattr(self.config, "user_rate_limit", None),
                "tokenRateLimit": getattr(self.config, "token_rate_limit", None),
                "rules": [r.describe() for r in self.rules], "stats": dict(self.stats)}

    async def control(self, request: Any) -> Any:
        """``/__sandbox__/ratelimits``: GET (settings, rules, counters), POST (add a rule),
        DELETE (remove every rule and window)."""
        import json

        from starlette.responses import JSONResponse, Response

        if request.method == "DELETE":
            self.reset()
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse(self.describe())
        try:
            rule = parse_rule(json.loads(request.scope["sandbox.body"] or b"null"))
        except (ValueError, TypeError, RecursionError, re.error) as exc:
            return JSONResponse({"error": "invalid_rate_limit", "message": str(exc)}, status_code=400)
        return JSONResponse(self.add_rule(rule).describe(), status_code=201)


def client_id_of(authorization: str | None, form: bytes) -> str:
    """The OAuth client id of a token request (HTTP Basic, or ``client_id`` in the form)."""
    import base64
    from urllib.parse import parse_qs

    if authorization and authorization[:6].lower() == "basic ":
        try:
            return base64.b64decode(authorization[6:].strip()).decode("utf-8", "replace").partition(":")[0]
        except ValueError:
            return ""
    try:
        return parse_qs(form.decode("latin-1")).get("client_id", [""])[0]
    except ValueError:
        return ""
