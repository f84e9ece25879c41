"""The login service: ``POST /oauth/token``, ``GET|POST /oauth/authorize``, ``GET /logout``.

Grant logic follows RFC 6749 (client credentials §4.4, authorization code §4.1, implicit
§4.2, refresh §6, client authentication §2.3.1 with HTTP Basic or ``client_secret_post``),
RFC 7636 (PKCE, ``S256`` and ``plain``) and RFC 7522 as Genesys uses it
(``urn:ietf:params:oauth:grant-type:saml2-bearer`` with ``orgName`` + base64 ``assertion``).
Errors use the login service body ``{"error", "description", "error_description"}``.

It is written here rather than on oauthlib: the Genesys specifics (SAML2 bearer with
``orgName``, the three-field error body, the sandbox's lenient main client) would need
more adapter code than the grants themselves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import re
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

from . import _seed
from ._errors import LoginError
from ._state import CODE_TTL, AuthCode, SandboxState, new_secret

SAML2_GRANT = "urn:ietf:params:oauth:grant-type:saml2-bearer"
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_NAME_ID = re.compile(r"<(?:[A-Za-z0-9_]+:)?NameID\b[^>]*>\s*([^<\s]+)\s*</", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_GRANT_OF_CLIENT = {  # token endpoint grant -> OAuth client authorizedGrantType that allows it
    "client_credentials": "CLIENT-CREDENTIALS",
    "authorization_code": "CODE",
    "refresh_token": "CODE",
    SAML2_GRANT: "SAML2-BEARER",
}


def pkce_challenge(verifier: str, method: str = "S256") -> str:
    """RFC 7636 §4.2: ``BASE64URL(SHA256(ASCII(verifier)))`` without padding for ``S256``;
    the verifier itself for ``plain``."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def parse_form(body: bytes) -> dict[str, str]:
    """Parse ``application/x-www-form-urlencoded`` (first value of each key)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoginError(400, "invalid_request", "request body is not valid UTF-8") from exc
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


class LoginService:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # -- client authentication (RFC 6749 §2.3.1) -----------------------------------------
    def _client_credentials(self, authorization: str | None, form: dict[str, str]) -> tuple[str | None, str | None]:
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "basic":
                raise LoginError(401, "invalid_client", "client authentication must use HTTP Basic")
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise LoginError(401, "invalid_client", "malformed HTTP Basic credentials") from exc
            client_id, sep, secret = decoded.partition(":")
            if not sep:
                raise LoginError(401, "invalid_client", "malformed HTTP Basic credentials")
            return unquote_plus(client_id), unquote_plus(secret)
        return form.get("client_id") or None, form.get("client_secret")

    def _client(self, client_id: str | None) -> dict[str, Any]:
        self.state.ensure_loaded()
        client = self.state.clients.get(client_id or "")
        if client is None:
            raise LoginError(401, "invalid_client", "client not found" if client_id else "client authentication is required")
        if client.get("state", "active") != "active":
            raise LoginError(401, "invalid_client", "client is not active")
        return client

    def _check_secret(self, client_id: str, secret: str) -> None:
        expected = self.state.secrets.get(client_id, "")
        if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise LoginError(401, "invalid_client", "invalid client credentials")

    def _allows(self, client: dict[str, Any], grant: str) -> bool:
        if client["id"] == self.state.config.client_id:
            return True  # the sandbox's own client accepts every grant type
        return client.get("authorizedGrantType") == grant

    # -- POST /oauth/token -----------------------------------------------------------------
    def token(self, content_type: str, authorization: str | None, body: bytes) -> dict[str, Any]:
        """Handle ``POST /oauth/token``; return the token response or raise :class:`LoginError`."""
        if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            raise LoginError(400, "invalid_request", "content type must be application/x-www-form-urlencoded")
        form = parse_form(body)
        grant = form.get("grant_type", "")
        if not grant:
            raise LoginError(400, "invalid_request", "grant_type is required")
        if grant not in _GRANT_OF_CLIENT:
            raise LoginError(400, "unsupported_grant_type", f"unsupported grant type: {grant}")
        client_id, secret = self._client_credentials(authorization, form)
        if grant in ("authorization_code", "refresh_token") and secret is None:
            client_id = client_id or form.get("client_id")  # public (PKCE) client: id only
            client = self._client(client_id)
            confidential = False
        else:
            client = self._client(client_id)
            self._check_secret(client["id"], secret or "")
            confidential = True
        if not self._allows(client, _GRANT_OF_CLIENT[grant]):
            raise LoginError(400, "unauthorized_client", f"client is not authorized for grant type {grant}")
        if grant == "client_credentials":
            token, ttl = self.state.issue_token(client["id"], None, grant)
            return {"access_token": token, "token_type": "bearer", "expires_in": ttl}
        if grant == "authorization_code":
            return self._code_grant(client, form, confidential)
        if grant == "refresh_token":
            return self._refresh_grant(client, form, confidential)
        return self._saml2_grant(client, form)

    def _code_grant(self, client: dict[str, Any], form: dict[str, str], confidential: bool) -> dict[str, Any]:
        code_value = form.get("code")
        if not code_value:
            raise LoginError(400, "invalid_request", "code is required")
        code = self.state.codes.pop(code_value, None)  # single use (RFC 6749 §4.1.2)
        if code is None or code.expires_at <= self.state.now():
            raise LoginError(400, "invalid_grant", "authorization code is invalid or expired")
        if code.client_id != client["id"]:
            raise LoginError(400, "invalid_grant", "authorization code was issued to another client")
        if code.redirect_uri and form.get("redirect_uri", "") != code.redirect_uri:
            raise LoginError(400, "invalid_grant", "redirect_uri does not match the authorization request")
        if code.code_challenge:
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise LoginError(400, "invalid_grant", "code_verifier is required")
            if not _VERIFIER.match(verifier):
                raise LoginError(400, "invalid_grant", "code_verifier must be 43-128 unreserved characters")
            expected = pkce_challenge(verifier, code.code_challenge_method or "plain")
            if not hmac.compare_digest(expected.encode(), code.code_challenge.encode()):
                raise LoginError(400, "invalid_grant", "code_verifier does not match code_challenge")
        elif not confidential:
            raise LoginError(401, "invalid_client", "client authentication is required")
        token, ttl = self.state.issue_token(client["id"], code.user_id, "authorization_code")
        refresh = self.state.issue_refresh(client["id"], code.user_id, public=not confidential)
        return {"access_token": token, "token_type": "bearer", "expires_in": ttl, "refresh_token": refresh}

    def _refresh_grant(self, client: dict[str, Any], form: dict[str, str], confidential: bool) -> dict[str, Any]:
        value = form.get("refresh_token")
        if not value:
            raise LoginError(400, "invalid_request", "refresh_token is required")
        record = self.state.refresh_tokens.get(value)
        if record is None or record.client_id != client["id"]:
            raise LoginError(400, "invalid_grant", "refresh token is invalid")
        if not confidential and not record.public:
            raise LoginError(401, "invalid_client", "client authentication is required")
        del self.state.refresh_tokens[value]  # rotation: the old refresh token stops working
        token, ttl = self.state.issue_token(client["id"], record.user_id, "refresh_token")
        refresh = self.state.issue_refresh(client["id"], record.user_id, public=record.public)
        return {"access_token": token, "token_type": "bearer", "expires_in": ttl, "refresh_token": refresh}

    def _saml2_grant(self, client: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        org_name = form.get("orgName", "")
        assertion = form.get("assertion", "")
        if not org_name or not assertion:
            raise LoginError(400, "invalid_request", "orgName and assertion are required")
        org = self.state.org
        if org_name.lower() not in (org["name"].lower(), org["thirdPartyOrgName"].lower()):
            raise LoginError(400, "invalid_grant", "organization not found")
        text = _decode_assertion(assertion)
        candidates = _NAME_ID.findall(text) or _EMAIL.findall(text)
        user = next((self.state.users_by_email.get(c.lower()) for c in candidates
                     if c.lower() in self.state.users_by_email), None)
        if user is None or user["state"] != "active":
            raise LoginError(400, "invalid_grant", "assertion does not name an active user of the organization")
        token, ttl = self.state.issue_token(client["id"], user["id"], SAML2_GRANT)
        return {"access_token": token, "token_type": "bearer", "expires_in": ttl}

    # -- GET|POST /oauth/authorize ----------------------------------------------------------
    def authorize(self, method: str, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        """Return ``(status, html, headers)``: the login form, or a 302 to ``redirect_uri``."""
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        self.state.ensure_loaded()
        client = self.state.clients.get(client_id)
        if client is None or client.get("state", "active") != "active":
            return 400, _page("Sign-in error", "<p>Unknown or inactive client_id.</p>"), {}
        registered = client.get("registeredRedirectUri") or []
        if not redirect_uri or not urlsplit(redirect_uri).scheme:
            return 400, _page("Sign-in error", "<p>A redirect_uri is required.</p>"), {}
        if client_id != self.state.config.client_id and redirect_uri not in registered:
            return 400, _page("Sign-in error", "<p>redirect_uri is not registered for this client.</p>"), {}
        response_type = params.get("response_type", "")
        state_value = params.get("state")
        if response_type not in ("code", "token"):
            return _redirect(redirect_uri, response_type, {"error": "unsupported_response_type",
                                                           "error_description": "response_type must be code or token"},
                             state_value)
        if not self._allows(client, "CODE" if response_type == "code" else "TOKEN"):
            return _redirect(redirect_uri, response_type, {"error": "unauthorized_client",
                                                           "error_description": "client may not use this response_type"},
                             state_value)
        challenge = params.get("code_challenge") or None
        challenge_method = params.get("code_challenge_method") or ("plain" if challenge else None)
        if challenge_method and challenge_method not in ("S256", "plain"):
            return _redirect(redirect_uri, response_type, {"error": "invalid_request",
                                                           "error_description": "unsupported code_challenge_method"},
                             state_value)
        if method == "GET":
            return 200, _login_form(params), {"Cache-Control": "no-store"}
        email = params.get("email", "").strip().lower()
        user = self.state.users_by_email.get(email)
        if user is None or user["state"] != "active" or not hmac.compare_digest(
                params.get("password", "").encode(), _seed.USER_PASSWORD.encode()):
            return 401, _login_form(params, error="Invalid email or password."), {"Cache-Control": "no-store"}
        self._record_authorization(client, user)
        if response_type == "code":
            code = new_secret()
            self.state.codes[code] = AuthCode(client_id=client_id, user_id=user["id"], redirect_uri=redirect_uri,
                                              code_challenge=challenge, code_challenge_method=challenge_method,
                                              expires_at=self.state.now() + CODE_TTL)
            return _redirect(redirect_uri, "code", {"code": code}, state_value)
        token, ttl = self.state.issue_token(client_id, user["id"], "implicit")
        return _redirect(redirect_uri, "token", {"access_token": token, "token_type": "bearer",
                                                 "expires_in": str(ttl)}, state_value)

    def _record_authorization(self, client: dict[str, Any], user: dict[str, Any]) -> None:
        key = (client["id"], user["id"])
        if key not in self.state.authorizations:
            self.state.authorizations[key] = {
                "clientId": client["id"], "userId": user["id"], "dateCreated": _iso(self.state.now())}

    # -- GET /logout --------------------------------------------------------------------
    def logout(self, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        target = params.get("redirect_uri")
        if target:
            return 302, "", {"Location": target}
        return 200, _page("Signed out", "<p>You are signed out of the Genesys Cloud sandbox.</p>"), {}


def _iso(epoch: float) -> str:
    import datetime as _dt

    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _decode_assertion(value: str) -> str:
    padded = value.strip() + "=" * (-len(value.strip()) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decoder(padded).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
    raise LoginError(400, "invalid_grant", "assertion is not valid base64")


def _redirect(uri: str, response_type: str, values: dict[str, str], state: str | None) -> tuple[int, str, dict[str, str]]:
    if state is not None:
        values = {**values, "state": state}
    parts = urlsplit(uri)
    if response_type == "token":
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, urlencode(values)))
    else:
        query = f"{parts.query}&{urlencode(values)}" if parts.query else urlencode(values)
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return 302, "", {"Location": target, "Cache-Control": "no-store"}


def _page(title: str, content: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;max-width:28em;margin:4em auto'>"
            f"<h1>{html.escape(title)}</h1>{content}</body></html>")


_FORWARDED = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")


def _login_form(params: dict[str, str], error: str = "") -> str:
    hidden = "".join(f"<input type='hidden' name='{k}' value='{html.escape(params[k], quote=True)}'>"
                     for k in _FORWARDED if k in params)
    email = html.escape(params.get("email") or params.get("login_hint", "").split(":")[0], quote=True)
    message = f"<p role='alert' style='color:#b00'>{html.escape(error)}</p>" if error else ""
    return _page("Sign in to the Genesys Cloud sandbox", (
        f"{message}<form method='post' action='/oauth/authorize'>{hidden}"
        f"<p><label>Email<br><input name='email' type='email' value='{email}' required autofocus></label></p>"
        "<p><label>Password<br><input name='password' type='password' required></label></p>"
        "<p><button type='submit'>Sign in</button></p></form>"
        f"<p><small>Every seeded user's password is <code>{_seed.USER_PASSWORD}</code>.</small></p>"))
