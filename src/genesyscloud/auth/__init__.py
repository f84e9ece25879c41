"""Authentication: OAuth 2.0 grants (RFC 6749) and the access token they produce.

A grant knows how to ask the login service for a token (``POST {login}/oauth/token``,
form-encoded) and nothing about HTTP transport: the client's send loop performs the
request and hands the answer back (sans-IO), so sync and async share this code.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from .._core.errors import AuthError

__all__ = ["Token", "Grant", "ClientCredentials", "AccessToken", "TokenRequest"]


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


@dataclass(slots=True)
class Token:
    """An access token as the login service issued it.

    Attributes:
        access_token: the bearer token (opaque; never shown by ``repr``).
        token_type: normally ``"bearer"``.
        expires_at: when it expires (aware UTC ``datetime``), or ``None`` if unknown.
        refresh_token: the refresh token, for grants that issue one.
        scope: the granted scope, when the login service says.
    """

    access_token: str = field(repr=False)
    token_type: str = "bearer"
    expires_at: _dt.datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None

    def expires_in(self, now: _dt.datetime | None = None) -> float | None:
        """Seconds until expiry (negative once expired), or ``None`` if unknown."""
        if self.expires_at is None:
            return None
        return (self.expires_at - (now or _utcnow())).total_seconds()

    def is_expired(self, *, margin: float = 0.0, now: _dt.datetime | None = None) -> bool:
        """Whether fewer than ``margin`` seconds remain before expiry."""
        remaining = self.expires_in(now)
        return remaining is not None and remaining <= margin

    def claims(self) -> dict[str, Any]:
        """Decode the token's JWT claims without verifying them.

        Raises:
            ValueError: the token is opaque (not a JWT), as Genesys tokens normally are.
        """
        parts = self.access_token.split(".")
        if len(parts) != 3:
            raise ValueError("the access token is opaque, not a JWT: it has no claims to decode")
        try:
            padded = parts[1] + "=" * (-len(parts[1]) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded))
        except ValueError as exc:
            raise ValueError("the access token is not a decodable JWT") from exc
        if not isinstance(data, dict):
            raise ValueError("the access token's JWT payload is not an object")
        return data

    def __repr__(self) -> str:
        when = self.expires_at.isoformat() if self.expires_at else None
        return f"Token(token_type={self.token_type!r}, expires_at={when!r}, scope={self.scope!r}, access_token='***')"


@dataclass(slots=True)
class TokenRequest:
    """A token request to send: ``POST {login_host}/oauth/token`` with a form body."""

    form: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/oauth/token"

    def __repr__(self) -> str:
        return f"TokenRequest(path={self.path!r}, grant_type={self.form.get('grant_type')!r})"


class Grant:
    """Base class of OAuth grants.

    Subclasses implement :meth:`token_request`; :meth:`parse_token_response` turns the
    login service's answer into a :class:`Token` or raises :class:`AuthError`.
    """

    #: whether the client may re-run the grant when the token expires.
    renewable: bool = True

    def token_request(self) -> TokenRequest | None:
        """The request that obtains a new token, or ``None`` when the grant cannot renew."""
        raise NotImplementedError

    def initial_token(self) -> Token | None:
        """A token the grant already holds (``AccessToken``), else ``None``."""
        return None

    def parse_token_response(
        self,
        status: int,
        headers: Mapping[str, str],
        text: str,
        *,
        now: _dt.datetime | None = None,
    ) -> Token:
        """Decode a token endpoint answer (RFC 6749 sections 5.1 and 5.2).

        Raises:
            AuthError: the answer is an error or is not a valid token response.
        """
        correlation_id = headers.get("inin-correlation-id")
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise AuthError(
                "invalid_response",
                f"the login service answered with a body that is not a JSON object: {text[:200]!r}",
                status=status,
                correlation_id=correlation_id,
                headers=headers,
            )
        if status >= 400 or "error" in data:
            raise AuthError(
                str(data.get("error") or f"http_{status}"),
                str(data.get("error_description") or data.get("description") or data.get("message") or ""),
                status=status,
                correlation_id=correlation_id,
                headers=headers,
            )
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise AuthError("invalid_response", "the token response has no access_token", status=status,
                            correlation_id=correlation_id, headers=headers)
        expires_at = None
        expires_in = data.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            expires_at = (now or _utcnow()) + _dt.timedelta(seconds=float(expires_in))
        return Token(
            access_token=access_token,
            token_type=str(data.get("token_type") or "bearer"),
            expires_at=expires_at,
            refresh_token=data.get("refresh_token"),
            scope=data.get("scope"),
        )


def _basic(client_id: str, client_secret: str) -> str:
    raw = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class ClientCredentials(Grant):
    """The client credentials grant (RFC 6749 section 4.4).

    Args:
        client_id: the OAuth client's id.
        client_secret: its secret (never shown by ``repr`` or logged).
        auth_method: ``"client_secret_basic"`` (HTTP Basic, what Genesys expects) or
            ``"client_secret_post"`` (id and secret in the form body).

    Raises:
        ValueError: an empty id or secret, or an unknown ``auth_method``.
    """

    def __init__(self, client_id: str, client_secret: str, *, auth_method: str = "client_secret_basic") -> None:
        if not isinstance(client_id, str) or not client_id.strip():
            raise ValueError("ClientCredentials: client_id must be a non-empty string")
        if not isinstance(client_secret, str) or not client_secret.strip():
            raise ValueError("ClientCredentials: client_secret must be a non-empty string")
        if client_id != client_id.strip() or client_secret != client_secret.strip():
            raise ValueError("ClientCredentials: client_id/client_secret have leading or trailing white space")
        if auth_method not in ("client_secret_basic", "client_secret_post"):
            raise ValueError("ClientCredentials: auth_method must be 'client_secret_basic' or 'client_secret_post'")
        self.client_id = client_id
        self._client_secret = client_secret
        self.auth_method = auth_method

    def token_request(self) -> TokenRequest:
        form = {"grant_type": "client_credentials"}
        if self.auth_method == "client_secret_post":
            form.update(client_id=self.client_id, client_secret=self._client_secret)
            return TokenRequest(form)
        return TokenRequest(form, {"Authorization": _basic(self.client_id, self._client_secret)})

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret='***')"


class AccessToken(Grant):
    """An access token obtained elsewhere (it is used as given and never renewed).

    Args:
        token: the bearer token.
        expires_at: when it expires, if known (aware ``datetime``).

    Raises:
        ValueError: an empty token.
    """

    renewable = False

    def __init__(self, token: str, *, expires_at: _dt.datetime | None = None) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("AccessToken: token must be a non-empty string")
        self._token = Token(access_token=token.strip(), expires_at=expires_at)

    def token_request(self) -> None:
        return None

    def initial_token(self) -> Token:
        return self._token

    def __repr__(self) -> str:
        return "AccessToken(token='***')"
