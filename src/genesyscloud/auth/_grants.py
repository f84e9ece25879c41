"""OAuth 2.0 grants in RFC 6749 / RFC 7636 terms.

A grant builds the token request (``POST {login}/oauth/token``, form-encoded) and decodes
the answer; it performs no I/O. The token manager decides when to run it and the
client's driver sends it.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import re
import secrets
from typing import Any, Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

from .._core.errors import AuthError
from ._token import Token, TokenRequest, utcnow

__all__ = [
    "Grant", "ClientCredentials", "AuthorizationCode", "RefreshToken", "Pkce", "Saml2Bearer", "AccessToken",
    "authorization_url", "SAML2_BEARER",
]

#: The SAML 2.0 bearer assertion grant type (RFC 7522).
SAML2_BEARER = "urn:ietf:params:oauth:grant-type:saml2-bearer"

# RFC 7636 section 4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def _text(owner: str, name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{owner}: {name} must be a non-empty string")
    if value != value.strip():
        raise ValueError(f"{owner}: {name} has leading or trailing white space")
    return value


def _basic(client_id: str, client_secret: str) -> dict[str, str]:
    raw = f"{client_id}:{client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def _digest(value: str) -> str:
    """A short, one-way fingerprint of a secret (for store keys; never reveals it)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def authorization_url(
    client_id: str,
    redirect_uri: str,
    *,
    response_type: str = "code",
    state: str | None = None,
    code_challenge: str | None = None,
    region: Any = None,
    api_host: str | None = None,
    login_host: str | None = None,
    login_hint: str | None = None,
    org: str | None = None,
    provider: str | None = None,
    target: str | None = None,
    prompt: str | None = None,
) -> str:
    """The ``GET {login}/oauth/authorize`` address that starts a browser sign-in.

    Args:
        client_id, redirect_uri: the OAuth client and its registered redirect URI.
        response_type: ``"code"`` (authorization code and PKCE) or ``"token"``.
        state: an opaque value the redirect carries back (CSRF protection).
        code_challenge: the PKCE ``S256`` challenge.
        region, api_host, login_host: where the login service is (as for the clients).
        login_hint, org, provider, target, prompt: Genesys' optional sign-in parameters
            (``org`` and ``provider`` go together).

    Raises:
        ValueError: a missing id or redirect URI, ``org`` without ``provider`` or the reverse,
            or an unknown region.
    """
    from .._regions import resolve_hosts

    _text("authorization_url", "client_id", client_id)
    _text("authorization_url", "redirect_uri", redirect_uri)
    if (org is None) != (provider is None):
        raise ValueError("authorization_url: org and provider must be given together")
    params = {"response_type": response_type, "client_id": client_id, "redirect_uri": redirect_uri}
    optional = {"state": state, "login_hint": login_hint, "org": org, "provider": provider, "target": target,
                "prompt": prompt}
    params.update({k: v for k, v in optional.items() if v is not None})
    if code_challenge is not None:
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
    login = resolve_hosts(region, api_host, login_host).login
    return f"{login}/oauth/authorize?{urlencode(params)}"


class Grant:
    """Base class of OAuth grants.

    Subclasses implement :meth:`token_request`, :meth:`can_renew` and :meth:`cache_key`;
    :meth:`parse_token_response` turns the login service's answer into a :class:`Token`
    or raises :class:`AuthError`.
    """

    #: whether the grant can ever obtain a token again (``False`` only for ``AccessToken``).
    renewable: bool = True

    def token_request(self, current: Token | None = None) -> TokenRequest | None:
        """The request that obtains a new token, given the ``current`` one (whose refresh
        token a refreshing grant uses), or ``None`` when the grant cannot renew."""
        raise NotImplementedError

    def can_renew(self, current: Token | None = None) -> bool:
        """Whether :meth:`token_request` would return a request (without side effects)."""
        return self.renewable

    def initial_token(self) -> Token | None:
        """A token the grant already holds (``AccessToken``, a signed-in ``Pkce``), else ``None``."""
        return None

    def cache_key(self) -> str:
        """Identifies the tokens this grant produces (token stores key on it, with the
        login host): the client id and a one-way fingerprint of the secret, never a secret."""
        return f"{type(self).__name__}:{id(self)}"

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
            AuthError: the answer is an error (with the login service's ``error`` and
                ``error_description``) or is not a valid token response.
        """
        correlation_id = headers.get("inin-correlation-id")

        def fail(error: str, description: str) -> AuthError:
            return AuthError(error, description, status=status, correlation_id=correlation_id, headers=headers)

        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # the body is never quoted: a malformed token response may hold a token
            if status >= 400:
                raise fail(f"http_{status}", f"the login service answered HTTP {status} "
                                             "with a body that is not a JSON object")
            raise fail("invalid_response", "the login service answered with a body that is not a JSON object")
        if status >= 400 or "error" in data:
            error = data.get("error") or data.get("code") or f"http_{status}"
            description = data.get("error_description") or data.get("description") or data.get("message") or ""
            raise fail(str(error), str(description))
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise fail("invalid_response", "the token response has no access_token")
        issued = now or utcnow()
        expires_at = None
        expires_in = data.get("expires_in")
        if isinstance(expires_in, str) and expires_in.strip().isdigit():
            expires_in = int(expires_in)
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            expires_at = issued + _dt.timedelta(seconds=float(expires_in))
        refresh = data.get("refresh_token")
        scope = data.get("scope")
        return Token(
            access_token=access_token,
            token_type=str(data.get("token_type") or "bearer"),
            expires_at=expires_at,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            scope=scope if isinstance(scope, str) else None,
            issued_at=issued,
        )


class ClientCredentials(Grant):
    """The client credentials grant (RFC 6749 section 4.4); renewed by running it again.

    Args:
        client_id: the OAuth client's id.
        client_secret: its secret (never shown by ``repr`` or logged).
        auth_method: ``"client_secret_basic"`` (HTTP Basic, what Genesys expects) or
            ``"client_secret_post"`` (id and secret in the form body).
        pool_size: keep this many tokens and spread calls over them (default 1; at most
            50, as Genesys' Terraform provider): each token has its own 300-a-minute limit;
            the per-user and org limits still apply, and each token costs a token request
            (see ``genesyscloud.auth._pool``).

    Raises:
        ValueError: an empty id or secret, an unknown ``auth_method``, or ``pool_size``
            outside 1..50.
    """

    MAX_POOL_SIZE = 50

    def __init__(self, client_id: str, client_secret: str, *, auth_method: str = "client_secret_basic",
                 pool_size: int = 1) -> None:
        self.client_id = _text("ClientCredentials", "client_id", client_id)
        self._client_secret = _text("ClientCredentials", "client_secret", client_secret)
        if auth_method not in ("client_secret_basic", "client_secret_post"):
            raise ValueError("ClientCredentials: auth_method must be 'client_secret_basic' or 'client_secret_post'")
        if (not isinstance(pool_size, int) or isinstance(pool_size, bool)
                or not 1 <= pool_size <= self.MAX_POOL_SIZE):
            raise ValueError(f"ClientCredentials: pool_size must be an int from 1 to {self.MAX_POOL_SIZE}")
        self.auth_method = auth_method
        self.pool_size = pool_size
        self._slot = 0

    def slot(self, index: int) -> "ClientCredentials":
        """The grant of pool slot ``index`` (same credentials, its own token cache key)."""
        copy = ClientCredentials.__new__(ClientCredentials)
        copy.__dict__.update(self.__dict__)
        copy._slot = index
        copy.pool_size = 1
        return copy

    def token_request(self, current: Token | None = None) -> TokenRequest:
        form = {"grant_type": "client_credentials"}
        if self.auth_method == "client_secret_post":
            form.update(client_id=self.client_id, client_secret=self._client_secret)
            return TokenRequest(form)
        return TokenRequest(form, _basic(self.client_id, self._client_secret))

    def cache_key(self) -> str:
        # the secret's fingerprint: a client with another (or a wrong) secret never
        # adopts a token that this one saved to a shared store; a pooled token adds its slot
        slot = getattr(self, "_slot", 0)
        return f"client_credentials:{self.client_id}:{_digest(self._client_secret)}" + (f":pool{slot}" if slot else "")

    def __repr__(self) -> str:
        pool = f", pool_size={self.pool_size}" if getattr(self, "pool_size", 1) > 1 else ""
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret='***'{pool})"


class _Refreshing(Grant):
    """Shared by the grants whose tokens carry a refresh token (RFC 6749 section 6).

    Renewal uses the newest refresh token (the current token's); the login service
    rotates it, so the previous one stops working.
    """

    client_id: str
    _client_secret: str | None

    def _refresh_request(self, refresh_token: str) -> TokenRequest:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if self._client_secret is None:  # a public (PKCE) client identifies itself in the body
            form["client_id"] = self.client_id
            return TokenRequest(form)
        return TokenRequest(form, _basic(self.client_id, self._client_secret))


class AuthorizationCode(_Refreshing):
    """The authorization code grant (RFC 6749 section 4.1) of a confidential client.

    The first token request exchanges ``code`` (single use); later renewals use the
    refresh token that came with the token, rotating it each time.

    Args:
        client_id, client_secret: the OAuth client (the secret is never shown or logged).
        code: the code from the redirect to ``redirect_uri``.
        redirect_uri: the redirect URI used to obtain the code.

    Raises:
        ValueError: an empty argument.
    """

    def __init__(self, client_id: str, client_secret: str, code: str, redirect_uri: str) -> None:
        self.client_id = _text("AuthorizationCode", "client_id", client_id)
        self._client_secret = _text("AuthorizationCode", "client_secret", client_secret)
        self._code: str | None = _text("AuthorizationCode", "code", code)
        self.redirect_uri = _text("AuthorizationCode", "redirect_uri", redirect_uri)
        self._key = f"authorization_code:{self.client_id}:{_digest(client_secret)}:{_digest(code)}"

    @staticmethod
    def authorization_url(client_id: str, redirect_uri: str, *, state: str | None = None, **options: Any) -> str:
        """The sign-in address that yields a code (see :func:`authorization_url` for ``options``)."""
        return authorization_url(client_id, redirect_uri, state=state, **options)

    def token_request(self, current: Token | None = None) -> TokenRequest | None:
        if current is not None and current.refresh_token:
            return self._refresh_request(current.refresh_token)
        code, self._code = self._code, None  # single use (RFC 6749 section 4.1.2)
        if code is None:
            return None
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        return TokenRequest(form, _basic(self.client_id, self._client_secret))

    def can_renew(self, current: Token | None = None) -> bool:
        return bool(current is not None and current.refresh_token) or self._code is not None

    def cache_key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        return (f"AuthorizationCode(client_id={self.client_id!r}, client_secret='***', code='***', "
                f"redirect_uri={self.redirect_uri!r})")


class RefreshToken(_Refreshing):
    """The refresh token grant (RFC 6749 section 6), from a refresh token kept elsewhere.

    Args:
        client_id: the OAuth client that obtained the refresh token.
        client_secret: its secret, or ``None`` for a public (PKCE) client.
        refresh_token: the refresh token (rotated on each renewal; never shown or logged).

    Raises:
        ValueError: an empty argument.
    """

    def __init__(self, client_id: str, client_secret: str | None = None, refresh_token: str = "") -> None:
        self.client_id = _text("RefreshToken", "client_id", client_id)
        self._client_secret = None if client_secret is None else _text("RefreshToken", "client_secret", client_secret)
        self._refresh_token = _text("RefreshToken", "refresh_token", refresh_token)
        secret = "" if client_secret is None else _digest(client_secret)
        self._key = f"refresh_token:{self.client_id}:{secret}:{_digest(refresh_token)}"

    def token_request(self, current: Token | None = None) -> TokenRequest:
        refresh = current.refresh_token if current is not None and current.refresh_token else self._refresh_token
        return self._refresh_request(refresh)

    def cache_key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        secret = "None" if self._client_secret is None else "'***'"
        return f"RefreshToken(client_id={self.client_id!r}, client_secret={secret}, refresh_token='***')"


class Pkce(_Refreshing):
    """The authorization code grant with PKCE (RFC 7636) for a public client (no secret).

    Typical use::

        pkce = Pkce(client_id, "http://127.0.0.1:8080/callback")
        url = pkce.authorization_url(region="eu-west-1")      # send the user there
        pkce.receive_redirect(redirected_to)                   # checks state, keeps the code
        gc = GenesysCloud(region="eu-west-1", auth=pkce)       # the first call exchanges it

    or :func:`interactive_login`, which does all of it with the system browser.

    Args:
        client_id: the OAuth client (a PKCE / public client).
        redirect_uri: its registered redirect URI.
        code: the code, when already known (else :meth:`receive_redirect` / :meth:`set_code`).
        code_verifier: 43-128 unreserved characters; default: 128 from ``secrets``.
        state: the value the redirect must carry back; default: random.

    Raises:
        ValueError: an empty argument or an invalid ``code_verifier``.
    """

    def __init__(self, client_id: str, redirect_uri: str, *, code: str | None = None,
                 code_verifier: str | None = None, state: str | None = None) -> None:
        self.client_id = _text("Pkce", "client_id", client_id)
        self.redirect_uri = _text("Pkce", "redirect_uri", redirect_uri)
        self._client_secret = None
        if code_verifier is None:
            code_verifier = self.generate_code_verifier()
        elif not isinstance(code_verifier, str) or not _VERIFIER.match(code_verifier):
            raise ValueError("Pkce: code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)")
        self._verifier = code_verifier
        self.state = state if state is not None else secrets.token_urlsafe(16)
        self._code: str | None = None if code is None else _text("Pkce", "code", code)
        self._token: Token | None = None
        self._key = f"pkce:{self.client_id}:{_digest(code_verifier)}"

    @staticmethod
    def generate_code_verifier(length: int = 128) -> str:
        """A code verifier: ``length`` (43-128) characters of the unreserved set, from ``secrets``."""
        if not isinstance(length, int) or not 43 <= length <= 128:
            raise ValueError("a PKCE code verifier has 43 to 128 characters")
        return "".join(secrets.choice(_UNRESERVED) for _ in range(length))

    @staticmethod
    def challenge_of(code_verifier: str) -> str:
        """The ``S256`` challenge: ``BASE64URL(SHA256(ASCII(code_verifier)))`` without padding."""
        digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    @property
    def code_challenge(self) -> str:
        """This grant's ``S256`` challenge (safe to show; the verifier stays secret)."""
        return self.challenge_of(self._verifier)

    def authorization_url(self, **options: Any) -> str:
        """The sign-in address with this grant's challenge and state (``options`` as for
        :func:`authorization_url`: ``region``/``api_host``/``login_host``, ``login_hint``, ...)."""
        return authorization_url(self.client_id, self.redirect_uri, state=self.state,
                                 code_challenge=self.code_challenge, **options)

    def receive_redirect(self, url: str) -> None:
        """Take the code from the address the login service redirected to.

        Raises:
            AuthError: the redirect carries an error (``access_denied``, ...), a wrong
                ``state`` (``invalid_state``), or no code.
        """
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
        if "error" in params:
            raise AuthError(params["error"] or "access_denied", params.get("error_description", ""))
        if params.get("state") != self.state:
            raise AuthError("invalid_state", "the redirect's state does not match the authorization request")
        code = params.get("code")
        if not code:
            raise AuthError("invalid_request", "the redirect carries no authorization code")
        self._code = code

    def set_code(self, code: str) -> None:
        """Use ``code`` for the next token request (the exchange)."""
        self._code = _text("Pkce", "code", code)

    def token_request(self, current: Token | None = None) -> TokenRequest | None:
        if current is not None and current.refresh_token:
            return self._refresh_request(current.refresh_token)
        code, self._code = self._code, None  # single use
        if code is None:
            return None
        return TokenRequest({"grant_type": "authorization_code", "code": code, "code_verifier": self._verifier,
                             "client_id": self.client_id, "redirect_uri": self.redirect_uri})

    def can_renew(self, current: Token | None = None) -> bool:
        return bool(current is not None and current.refresh_token) or self._code is not None

    def initial_token(self) -> Token | None:
        return self._token

    @property
    def token(self) -> Token | None:
        """The token :func:`interactive_login` obtained, if any."""
        return self._token

    def cache_key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        return f"Pkce(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r}, code_verifier='***')"


class Saml2Bearer(Grant):
    """The SAML 2.0 bearer assertion grant (RFC 7522) as Genesys uses it; renewed by
    presenting the assertion again.

    Args:
        client_id, client_secret: the OAuth client (the secret is never shown or logged).
        org_name: the organization's name (``orgName``).
        assertion: the SAML assertion, base64-encoded (XML text is encoded for you).

    Raises:
        ValueError: an empty argument.
    """

    def __init__(self, client_id: str, client_secret: str, org_name: str, assertion: str) -> None:
        self.client_id = _text("Saml2Bearer", "client_id", client_id)
        self._client_secret = _text("Saml2Bearer", "client_secret", client_secret)
        self.org_name = _text("Saml2Bearer", "org_name", org_name)
        assertion = _text("Saml2Bearer", "assertion", assertion)
        if assertion.startswith("<"):
            assertion = base64.b64encode(assertion.encode("utf-8")).decode("ascii")
        self._assertion = assertion
        self._key = f"saml2:{self.client_id}:{_digest(client_secret)}:{self.org_name}:{_digest(assertion)}"

    def token_request(self, current: Token | None = None) -> TokenRequest:
        form = {"grant_type": SAML2_BEARER, "orgName": self.org_name, "assertion": self._assertion}
        return TokenRequest(form, _basic(self.client_id, self._client_secret))

    def cache_key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        return (f"Saml2Bearer(client_id={self.client_id!r}, client_secret='***', org_name={self.org_name!r}, "
                "assertion='***')")


class AccessToken(Grant):
    """An access token obtained elsewhere (used as given and never renewed).

    Args:
        token: the bearer token (never shown or logged).
        expires_at: when it expires, if known (aware ``datetime``).

    Raises:
        ValueError: an empty token, or one with characters an HTTP header cannot carry
            (the message never quotes it).
    """

    renewable = False

    def __init__(self, token: str, *, expires_at: _dt.datetime | None = None) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("AccessToken: token must be a non-empty string")
        if not (token.strip().isascii() and token.strip().isprintable()) or any(c in token.strip() for c in " \t"):
            # never quoted: the value is a secret
            raise ValueError("AccessToken: token holds characters an HTTP header cannot carry "
                             "(RFC 6750 section 2.1: visible ASCII only)")
        self._token = Token(access_token=token.strip(), expires_at=expires_at)

    def token_request(self, current: Token | None = None) -> None:
        return None

    def can_renew(self, current: Token | None = None) -> bool:
        return False

    def initial_token(self) -> Token:
        return self._token

    def cache_key(self) -> str:
        return f"access_token:{_digest(self._token.access_token)}"

    def __repr__(self) -> str:
        return "AccessToken(token='***')"
