"""The access token and the token request (plain data; no I/O)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Token", "TokenRequest", "utcnow"]


def utcnow() -> _dt.datetime:
    """The current time as an aware UTC ``datetime``."""
    return _dt.datetime.now(_dt.timezone.utc)


def _parse_time(value: Any) -> _dt.datetime | None:
    if value is None:
        return None
    when = _dt.datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)


@dataclass(slots=True)
class Token:
    """An access token as the login service issued it.

    Attributes:
        access_token: the bearer token (never shown by ``repr``).
        token_type: normally ``"bearer"``.
        expires_at: when it expires (aware UTC ``datetime``), or ``None`` if unknown.
        refresh_token: the refresh token, for grants that issue one (never shown by ``repr``).
        scope: the granted scope, when the login service says.
        issued_at: when it was received (aware UTC ``datetime``), or ``None`` if unknown;
            with ``expires_at`` it gives the token's lifetime.
    """

    access_token: str = field(repr=False)
    token_type: str = "bearer"
    expires_at: _dt.datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None
    issued_at: _dt.datetime | None = None

    def expires_in(self, now: _dt.datetime | None = None) -> float | None:
        """Seconds until expiry (negative once expired), or ``None`` if unknown."""
        if self.expires_at is None:
            return None
        return (self.expires_at - (now or utcnow())).total_seconds()

    def is_expired(self, *, margin: float = 0.0, now: _dt.datetime | None = None) -> bool:
        """Whether fewer than ``margin`` seconds remain before expiry."""
        remaining = self.expires_in(now)
        return remaining is not None and remaining <= margin

    @property
    def lifetime(self) -> float | None:
        """Seconds from ``issued_at`` to ``expires_at``, when both are known."""
        if self.expires_at is None or self.issued_at is None:
            return None
        return (self.expires_at - self.issued_at).total_seconds()

    @property
    def is_jwt(self) -> bool:
        """Whether the access token looks like a JWT (three dot-separated parts)."""
        return self.access_token.count(".") == 2

    def claims(self) -> dict[str, Any]:
        """Decode the token's JWT claims **without verifying** its signature (PyJWT).

        Genesys Cloud documents its access tokens as opaque strings; use this only to
        look inside a token that is a JWT, never to trust it.

        Raises:
            ValueError: the token is opaque (not a JWT) or not a decodable one.
            RuntimeError: PyJWT is not installed.
        """
        if not self.is_jwt:
            raise ValueError("the access token is opaque, not a JWT: it has no claims to decode")
        try:
            import jwt
        except ImportError:
            raise RuntimeError("Token.claims() needs PyJWT: pip install PyJWT") from None
        try:
            data = jwt.decode(self.access_token, options={"verify_signature": False})
        except jwt.PyJWTError:
            # no chaining: PyJWT's messages may quote parts of the token
            raise ValueError("the access token is opaque: it is not a decodable JWT") from None
        if not isinstance(data, dict):
            raise ValueError("the access token's JWT payload is not an object")
        return data

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (with the secrets: for token stores, not for logs)."""
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Token:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: ``data`` is not a token dict.
        """
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not data["access_token"]:
            raise ValueError("not a token: expected a dict with a non-empty access_token")
        refresh = data.get("refresh_token")
        scope = data.get("scope")
        try:
            return cls(
                access_token=data["access_token"],
                token_type=str(data.get("token_type") or "bearer"),
                expires_at=_parse_time(data.get("expires_at")),
                refresh_token=refresh if isinstance(refresh, str) and refresh else None,
                scope=scope if isinstance(scope, str) else None,
                issued_at=_parse_time(data.get("issued_at")),
            )
        except (TypeError, ValueError):
            raise ValueError("not a token: expires_at/issued_at are not ISO 8601 times") from None

    def __repr__(self) -> str:
        when = self.expires_at.isoformat() if self.expires_at else None
        refresh = ", refresh_token='***'" if self.refresh_token else ""
        return (f"Token(token_type={self.token_type!r}, expires_at={when!r}, scope={self.scope!r}, "
                f"access_token='***'{refresh})")


@dataclass(slots=True)
class TokenRequest:
    """A token request to send: ``POST {login_host}/oauth/token`` with a form body.

    ``repr`` shows only the path and grant type (the form and headers hold secrets).
    """

    form: dict[str, str] = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    path: str = "/oauth/token"

    @property
    def grant_type(self) -> str:
        return self.form.get("grant_type", "")

    def __repr__(self) -> str:
        return f"TokenRequest(path={self.path!r}, grant_type={self.grant_type!r})"
