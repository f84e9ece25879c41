"""No secret or token in any log line at any level, any exception message or any repr.

One test drives every grant and failure mode against the sandbox with every logger
at its most verbose (level 1, the SDK's HTTP logging at trace with bodies), collects
every log line (tracebacks included), every exception (with its causes and context),
everything printed, and the ``repr`` of every object involved, then greps them all for
every secret that went by: client secrets, access and refresh tokens, authorization
codes, PKCE verifiers, SAML assertions and HTTP Basic credentials.

Only the test's stand-in for a person's browser is exempt (it signs in with raw httpx,
whose debug lines show the redirect's code, as a real browser's history would): the
records its thread emits while it plays the browser are left out.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import secrets
import threading
import time
from typing import Any, Callable

import httpx
import pytest

import genesyscloud
from genesyscloud._core.logging import LogSettings
from genesyscloud.auth import (
    AuthorizationCode,
    ClientCredentials,
    FileTokenStore,
    Pkce,
    RefreshToken,
    Saml2Bearer,
    Token,
    interactive_login,
)

from .test_auth_support import (  # noqa: F401  (fixtures)
    REDIRECT, TOKEN_TTL, advance, clock, code_of, control, default_email, free_port, sandbox, sb, sign_in)


_BROWSER_THREADS: set[int] = set()


@contextlib.contextmanager
def as_browser():
    """The current thread plays the person's browser (its log records are not the SDK's)."""
    _BROWSER_THREADS.add(threading.get_ident())
    try:
        yield
    finally:
        _BROWSER_THREADS.discard(threading.get_ident())


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=1)
        self.lines: list[str] = []
        self.formatter_ = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread in _BROWSER_THREADS:
            return
        self.lines.append(self.formatter_.format(record))  # message, args and any traceback


@pytest.fixture
def capture() -> Any:
    handler = Capture()
    root = logging.getLogger()
    loggers = [root] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
                        + ["genesyscloud", "genesyscloud.auth", "httpx", "httpcore"]]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(1)
        lg.disabled = False
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


def _exception_texts(exc: BaseException) -> list[str]:
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        out += [str(current), repr(current)]
        out += [str(a) for a in getattr(current, "args", ())]
        stack += [current.__cause__, current.__context__]
    return out


def test_no_secret_anywhere(sandbox, clock, capture, capsys, tmp_path):
    secret_values: set[str] = {sandbox.client_secret}
    texts: list[str] = []
    objects: list[Any] = []

    def remember(token: Token) -> None:
        secret_values.add(token.access_token)
        if token.refresh_token:
            secret_values.add(token.refresh_token)
        objects.append(token)

    def expect_error(call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as exc:  # noqa: BLE001
            texts.extend(_exception_texts(exc))
        else:
            raise AssertionError("expected an error")

    verbose = LogSettings(level="trace", request_body=True, response_body=True)

    def client(auth: Any, **kwargs: Any) -> genesyscloud.GenesysCloud:
        c = genesyscloud.GenesysCloud(api_host=sandbox.url, auth=auth, log_settings=verbose, on_token=remember,
                                      **kwargs)
        c.token_manager.now = clock
        objects.extend([c, c.token_manager, c.token_manager.store, auth])
        return c

    email = default_email(sandbox)
    cc = ClientCredentials(sandbox.client_id, sandbox.client_secret)
    secret_values.add(base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode())

    # client credentials: file store (corrupt at first), proactive renewal, a 401 renewal
    store_path = tmp_path / "tokens.json"
    store_path.write_text("{corrupt")
    with client(cc, token_store=FileTokenStore(store_path)) as c:
        c.users.get_users(page_size=1)
        advance(sandbox, clock, TOKEN_TTL - 30)
        c.users.get_users(page_size=1)
        control(sandbox, "POST", "/faults", {"path": "^/api/v2/users$", "status": 401, "count": 1})
        c.users.get_users(page_size=1)
        objects.append(c.token)
    async_client = genesyscloud.AsyncGenesysCloud(api_host=sandbox.url, auth=cc, log_settings=verbose)
    objects.append(async_client)

    # client_secret_post, wrong secrets
    with client(ClientCredentials(sandbox.client_id, sandbox.client_secret, auth_method="client_secret_post")) as c:
        c.users.get_users(page_size=1)
    wrong = "wrong-" + secrets.token_urlsafe(24)
    secret_values.add(wrong)
    with client(ClientCredentials(sandbox.client_id, wrong)) as c:
        expect_error(lambda: c.users.get_users(page_size=1))
    with client(ClientCredentials(sandbox.client_id, wrong, auth_method="client_secret_post")) as c:
        expect_error(lambda: c.users.get_users(page_size=1))

    # authorization code, refresh rotation, a revoked refresh token
    code_url = AuthorizationCode.authorization_url(sandbox.client_id, REDIRECT, state="s", api_host=sandbox.url)
    with as_browser():
        code = code_of(sign_in(sandbox, code_url, email))
    secret_values.add(code)
    with client(AuthorizationCode(sandbox.client_id, sandbox.client_secret, code, REDIRECT)) as c:
        c.users.get_users_me()
        first_refresh = c.token.refresh_token
        advance(sandbox, clock, TOKEN_TTL + 1)
        c.users.get_users_me()
    with client(RefreshToken(sandbox.client_id, sandbox.client_secret, first_refresh)) as c:
        expect_error(c.authenticate)
    with client(AuthorizationCode(sandbox.client_id, sandbox.client_secret, code, REDIRECT)) as c:
        expect_error(c.authenticate)  # a used code

    # PKCE, then a wrong verifier
    verifier = Pkce.generate_code_verifier()
    secret_values.add(verifier)
    pkce = Pkce(sandbox.client_id, REDIRECT, code_verifier=verifier)
    with as_browser():
        redirect = sign_in(sandbox, pkce.authorization_url(api_host=sandbox.url), email)
    secret_values.add(code_of(redirect))
    pkce.receive_redirect(redirect)
    objects.append(pkce.token_request(None))
    pkce.receive_redirect(redirect)
    with client(pkce) as c:
        c.users.get_users_me()
        advance(sandbox, clock, TOKEN_TTL + 1)
        c.users.get_users_me()
    other = Pkce.generate_code_verifier()
    secret_values.add(other)
    with as_browser():
        code2 = code_of(sign_in(sandbox, Pkce(sandbox.client_id, REDIRECT).authorization_url(api_host=sandbox.url),
                                email))
    secret_values.add(code2)
    with client(Pkce(sandbox.client_id, REDIRECT, code=code2, code_verifier=other)) as c:
        expect_error(c.authenticate)

    # SAML2 bearer, and an assertion naming nobody
    info = sandbox.info()
    xml = f"<saml:Assertion><saml:NameID>{email}</saml:NameID></saml:Assertion>"
    assertion = base64.b64encode(xml.encode()).decode()
    secret_values.add(assertion)
    with client(Saml2Bearer(sandbox.client_id, sandbox.client_secret, info["organization"]["name"], assertion)) as c:
        c.users.get_users_me()
    bad = base64.b64encode(b"<NameID>nobody@example.com</NameID>").decode()
    secret_values.add(bad)
    with client(Saml2Bearer(sandbox.client_id, sandbox.client_secret, info["organization"]["name"], bad)) as c:
        expect_error(c.authenticate)

    # the login service down, rate limiting, unreachable
    control(sandbox, "POST", "/faults", {"path": "^/oauth/token$", "status": 429, "retry_after": 0.1, "count": 1})
    with client(cc) as c:
        c.authenticate()
    control(sandbox, "POST", "/faults", {"path": "^/oauth/token$", "status": 503})
    with client(cc, max_retries=1) as c:
        expect_error(c.authenticate)
    control(sandbox, "DELETE", "/faults")
    with client(cc, login_host=f"http://127.0.0.1:{free_port()}", max_retries=0) as c:
        expect_error(c.authenticate)

    # interactive login with no browser (the address is printed), and a refused one
    def person(url: str) -> bool:
        def go() -> None:
            with as_browser():
                redirect = sign_in(sandbox, url, email)
                secret_values.add(code_of(redirect))
                httpx.get(redirect, timeout=10)

        threading.Thread(target=go, daemon=True).start()
        return False

    grant = interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=person, timeout=30)
    remember(grant.token)
    objects.append(grant)
    with client(grant) as c:
        c.users.get_users_me()
    expect_error(lambda: interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=lambda u: True,
                                           timeout=0.2))
    time.sleep(0.1)  # let the listener threads finish any logging

    printed = capsys.readouterr()
    texts += [printed.out, printed.err]
    texts += [repr(o) for o in objects] + [str(o) for o in objects]
    everything = "\n".join(capture.lines + texts)

    assert len(capture.lines) > 100  # the loggers were really talking
    assert any("requesting an access token" in line for line in capture.lines)
    assert any(line.startswith("TRACE genesyscloud") for line in capture.lines)
    assert "oauth/authorize" in printed.err
    assert len(secret_values) > 20
    leaks = [line.replace(secret, "<SECRET>")[:400] for secret in secret_values if secret and secret in everything
             for line in capture.lines + texts if secret in line]
    assert leaks == [], "secrets leaked (shown masked):\n" + "\n".join(leaks)
