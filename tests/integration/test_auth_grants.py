"""Every grant against the sandbox over real HTTP, renewal and rotation included, the
failure modes (one clear ``AuthError``, no hang, no retry storm), and
``interactive_login()`` in a real headless Chromium."""

from __future__ import annotations

import base64
import shutil
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

import genesyscloud
from genesyscloud.auth import (
    AuthError,
    AuthorizationCode,
    ClientCredentials,
    Pkce,
    RefreshToken,
    Saml2Bearer,
    Token,
    interactive_login,
)

from .test_auth_support import (  # noqa: F401  (fixtures)
    PASSWORD, REDIRECT, TOKEN_TTL, advance, clock, code_of, control, default_email, free_port, require,
    requests_log, sandbox, sb, sign_in, token_requests)

APPENDIX_B_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
APPENDIX_B_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def client_for(sandbox, auth, clock=None, **kwargs) -> genesyscloud.GenesysCloud:
    client = genesyscloud.GenesysCloud(api_host=sandbox.url, auth=auth, **kwargs)
    if clock is not None:
        client.token_manager.now = clock
    return client


def authorization_code(sandbox, email: str) -> str:
    url = AuthorizationCode.authorization_url(sandbox.client_id, REDIRECT, state="s1", api_host=sandbox.url)
    redirect = sign_in(sandbox, url, email)
    assert parse_qs(urlsplit(redirect).query)["state"] == ["s1"]
    return code_of(redirect)


def saml_assertion(email: str) -> str:
    xml = ("<saml:Assertion xmlns:saml='urn:oasis:names:tc:SAML:2.0:assertion'><saml:Subject>"
           f"<saml:NameID>{email}</saml:NameID></saml:Subject></saml:Assertion>")
    return base64.b64encode(xml.encode()).decode()


# -- grants ---------------------------------------------------------------------------------

def test_authorization_code_then_refresh_token_rotation(sandbox, clock):
    email = default_email(sandbox)
    seen: list[Token] = []
    grant = AuthorizationCode(sandbox.client_id, sandbox.client_secret, authorization_code(sandbox, email), REDIRECT)
    with client_for(sandbox, grant, clock, on_token=seen.append) as client:
        assert client.users.get_users_me().email == email
        first = client.token
        assert first.refresh_token and seen == [first]
        advance(sandbox, clock, TOKEN_TTL - 30)  # inside the window: renewed ahead of expiry
        assert client.users.get_users_me().email == email
        second = client.token
        assert second.access_token != first.access_token
        assert second.refresh_token and second.refresh_token != first.refresh_token  # rotated
        grants = [r["body"]["grant_type"] for r in token_requests(sandbox)]
        assert grants == ["authorization_code", "refresh_token"] and seen == [first, second]
        assert 401 not in [r["status"] for r in requests_log(sandbox)]

    # the rotated-out refresh token is dead: one clear error, one request, no hang
    control(sandbox, "DELETE", "/requests")
    started = time.monotonic()
    with client_for(sandbox, RefreshToken(sandbox.client_id, sandbox.client_secret, first.refresh_token)) as client:
        with pytest.raises(AuthError) as info:
            client.users.get_users_me()
    assert (info.value.error, info.value.status) == ("invalid_grant", 400)
    assert "refresh token is invalid" in str(info.value)
    assert time.monotonic() - started < 3 and len(token_requests(sandbox)) == 1

    # the current one works as a RefreshToken grant, and rotates again
    with client_for(sandbox, RefreshToken(sandbox.client_id, sandbox.client_secret, second.refresh_token)) as client:
        assert client.users.get_users_me().email == email
        assert client.token.refresh_token not in (first.refresh_token, second.refresh_token)


def test_a_code_is_single_use(sandbox):
    code = authorization_code(sandbox, default_email(sandbox))
    with client_for(sandbox, AuthorizationCode(sandbox.client_id, sandbox.client_secret, code, REDIRECT)) as c:
        c.authenticate()
    with client_for(sandbox, AuthorizationCode(sandbox.client_id, sandbox.client_secret, code, REDIRECT)) as c:
        with pytest.raises(AuthError) as info:
            c.authenticate()
    assert info.value.error == "invalid_grant"


def test_pkce_with_rfc7636_appendix_b_verifier(sandbox, clock):
    email = default_email(sandbox)
    grant = Pkce(sandbox.client_id, REDIRECT, code_verifier=APPENDIX_B_VERIFIER)
    url = grant.authorization_url(api_host=sandbox.url)
    assert parse_qs(urlsplit(url).query)["code_challenge"] == [APPENDIX_B_CHALLENGE]
    grant.receive_redirect(sign_in(sandbox, url, email))
    with client_for(sandbox, grant, clock) as client:
        assert client.users.get_users_me().email == email
        first = client.token
        advance(sandbox, clock, TOKEN_TTL + 1)  # expired: renewed with the (public) refresh token
        assert client.users.get_users_me().email == email
        assert client.token.refresh_token != first.refresh_token
    exchange, refresh = token_requests(sandbox)
    assert exchange["body"]["grant_type"] == "authorization_code" and "authorization" not in exchange["headers"]
    assert exchange["body"]["code_verifier"] == "[REDACTED]"  # it was sent
    assert refresh["body"] == {"grant_type": "refresh_token", "refresh_token": "[REDACTED]",
                               "client_id": sandbox.client_id}


def test_pkce_with_a_wrong_verifier_is_refused(sandbox):
    honest = Pkce(sandbox.client_id, REDIRECT)
    redirect = sign_in(sandbox, honest.authorization_url(api_host=sandbox.url), default_email(sandbox))
    forger = Pkce(sandbox.client_id, REDIRECT, code=code_of(redirect))  # another verifier
    with client_for(sandbox, forger) as client, pytest.raises(AuthError) as info:
        client.authenticate()
    assert info.value.error == "invalid_grant" and "code_verifier" in info.value.error_description


def test_saml2_bearer(sandbox, clock):
    info = sandbox.info()
    email = info["defaultUser"]["email"]
    grant = Saml2Bearer(sandbox.client_id, sandbox.client_secret, info["organization"]["name"], saml_assertion(email))
    with client_for(sandbox, grant, clock) as client:
        assert client.users.get_users_me().email == email
        advance(sandbox, clock, TOKEN_TTL + 1)
        assert client.users.get_users_me().email == email  # renewed by presenting the assertion again
    assert [r["body"]["grant_type"] for r in token_requests(sandbox)] == [
        "urn:ietf:params:oauth:grant-type:saml2-bearer"] * 2
    stranger = Saml2Bearer(sandbox.client_id, sandbox.client_secret, info["organization"]["name"],
                           saml_assertion("nobody@example.com"))
    with client_for(sandbox, stranger) as client, pytest.raises(AuthError) as error:
        client.authenticate()
    assert error.value.error == "invalid_grant"


def test_client_secret_post(sandbox):
    grant = ClientCredentials(sandbox.client_id, sandbox.client_secret, auth_method="client_secret_post")
    with client_for(sandbox, grant) as client:
        assert client.users.get_users(page_size=1).entities
    (request,) = token_requests(sandbox)
    assert "authorization" not in request["headers"] and request["body"]["client_id"] == sandbox.client_id


# -- failures: one clear AuthError, no hang, no retry storm ---------------------------------------

def test_wrong_credentials_give_one_error_for_many_callers(sandbox):
    with client_for(sandbox, ClientCredentials(sandbox.client_id, "not-the-secret")) as client:
        errors: list[BaseException] = []

        def call() -> None:
            try:
                client.users.get_users(page_size=1)
            except BaseException as exc:
                errors.append(exc)

        started = time.monotonic()
        threads = [threading.Thread(target=call) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for _ in range(20):  # a caller retrying in a loop
            call()
    assert time.monotonic() - started < 5
    assert len(errors) == 36 and all(isinstance(e, AuthError) for e in errors)
    assert {(e.error, e.error_description, e.status) for e in errors} == {
        ("invalid_client", "invalid client credentials", 401)}
    assert len(token_requests(sandbox)) == 1
    assert not [r for r in requests_log(sandbox) if r["path"].startswith("/api/")]  # no API call without a token


def test_a_token_endpoint_that_is_down_is_retried_with_backoff_then_fails(sandbox):
    control(sandbox, "POST", "/faults", {"path": "^/oauth/token$", "status": 503})
    with client_for(sandbox, ClientCredentials(sandbox.client_id, sandbox.client_secret), max_retries=2) as client:
        started = time.monotonic()
        with pytest.raises(AuthError) as info:
            client.users.get_users(page_size=1)
    assert time.monotonic() - started < 10
    assert info.value.status == 503 and info.value.error == "service.unavailable"
    assert len(token_requests(sandbox)) == 3  # the first try and max_retries=2 retries


def test_a_token_endpoint_429_is_retried_after_retry_after(sandbox):
    control(sandbox, "POST", "/faults", {"path": "^/oauth/token$", "status": 429, "retry_after": 0.2, "count": 1})
    with client_for(sandbox, ClientCredentials(sandbox.client_id, sandbox.client_secret)) as client:
        assert client.users.get_users(page_size=1).entities
    assert [r["status"] for r in token_requests(sandbox)] == [429, 200]


def test_an_unreachable_login_service_fails_fast(sandbox):
    closed = f"http://127.0.0.1:{free_port()}"
    with client_for(sandbox, ClientCredentials(sandbox.client_id, sandbox.client_secret), login_host=closed,
                    max_retries=1) as client:
        started = time.monotonic()
        with pytest.raises(genesyscloud.APIConnectionError) as info:
            client.users.get_users(page_size=1)
    assert not isinstance(info.value, AuthError) and info.value.url == f"{closed}/oauth/token"
    assert time.monotonic() - started < 10
    assert sandbox.client_secret not in str(info.value)


def test_a_second_401_is_raised_without_looping(sandbox):
    control(sandbox, "POST", "/faults", {"path": "^/api/v2/users$", "status": 401})
    with client_for(sandbox, ClientCredentials(sandbox.client_id, sandbox.client_secret)) as client:
        with pytest.raises(genesyscloud.AuthenticationError):
            client.users.get_users(page_size=1)
    log = requests_log(sandbox)
    assert [r["path"] for r in log] == ["/oauth/token", "/api/v2/users", "/oauth/token", "/api/v2/users"]


# -- interactive_login -------------------------------------------------------------------------

def _chromium_opener(email: str, errors: list[BaseException]):
    """A ``webbrowser.open`` stand-in that signs in with a real headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        require("selenium (PyPI)")
    if chromium is None or driver_path is None:
        require("chromium and chromedriver (Debian packages chromium, chromium-driver)")

    def open_url(url: str) -> bool:
        profile = tempfile.mkdtemp(prefix="gc-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    f"--user-data-dir={profile}"):
            options.add_argument(arg)
        driver = None
        try:
            driver = webdriver.Chrome(service=Service(driver_path), options=options)
            driver.get(url)
            field = driver.find_element(By.NAME, "email")
            field.clear()
            field.send_keys(email)
            driver.find_element(By.NAME, "password").send_keys(PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, 30).until(lambda d: "Signed in" in d.title or "failed" in d.title)
            assert driver.title == "Signed in", driver.page_source
        except BaseException as exc:
            errors.append(exc)
        finally:
            if driver is not None:
                driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
        return True

    return open_url


def test_interactive_login_in_headless_chromium(sandbox):
    email = default_email(sandbox)
    errors: list[BaseException] = []
    opener = _chromium_opener(email, errors)
    grant = interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=opener, timeout=90)
    assert errors == []
    assert grant.token is not None and grant.token.refresh_token
    with client_for(sandbox, grant) as client:
        assert client.users.get_users_me().email == email
    (exchange,) = token_requests(sandbox)
    assert exchange["body"]["grant_type"] == "authorization_code"
    assert exchange["body"]["redirect_uri"].startswith("http://127.0.0.1:")


def test_interactive_login_prints_the_address_when_no_browser_opens(sandbox, capsys):
    email = default_email(sandbox)
    shown: list[str] = []

    def no_browser(url: str) -> bool:
        shown.append(url)

        def person() -> None:  # someone copies the address into a browser elsewhere
            redirect = sign_in(sandbox, url, email)
            httpx.get(redirect, timeout=10)

        threading.Thread(target=person, daemon=True).start()
        return False

    grant = interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=no_browser, timeout=30)
    assert shown and shown[0] in capsys.readouterr().err
    with client_for(sandbox, grant) as client:
        assert client.users.get_users_me().email == email


def test_interactive_login_refused_and_timed_out(sandbox):
    def refuse(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        target = (f"{query['redirect_uri'][0]}?error=access_denied&error_description=The+user+said+no"
                  f"&state={query['state'][0]}")
        threading.Thread(target=httpx.get, args=(target,), kwargs={"timeout": 10}, daemon=True).start()
        return True

    with pytest.raises(AuthError) as info:
        interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=refuse, timeout=30)
    assert (info.value.error, info.value.error_description) == ("access_denied", "The user said no")

    def forged(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        target = f"{query['redirect_uri'][0]}?code=stolen&state=not-yours"
        threading.Thread(target=httpx.get, args=(target,), kwargs={"timeout": 10}, daemon=True).start()
        return True

    with pytest.raises(AuthError) as info:
        interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=forged, timeout=30)
    assert info.value.error == "invalid_state"

    started = time.monotonic()
    with pytest.raises(AuthError) as info:
        interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=lambda url: True, timeout=0.3)
    assert info.value.error == "login_timeout" and time.monotonic() - started < 3
    assert token_requests(sandbox) == []


def test_interactive_login_on_a_registered_redirect_uri(sandbox):
    port = free_port()
    email = default_email(sandbox)

    def person(url: str) -> bool:
        def go() -> None:
            redirect = sign_in(sandbox, url, email)
            assert redirect.startswith(f"http://localhost:{port}/callback?")
            httpx.get(redirect.replace("localhost", "127.0.0.1"), timeout=10)

        threading.Thread(target=go, daemon=True).start()
        return True

    grant = interactive_login(sandbox.client_id, api_host=sandbox.url, open_browser=person, timeout=30,
                              redirect_uri=f"http://localhost:{port}/callback")
    assert grant.redirect_uri == f"http://localhost:{port}/callback" and grant.token is not None
    with pytest.raises(ValueError, match="loopback"):
        interactive_login(sandbox.client_id, api_host=sandbox.url, redirect_uri="https://example.com/cb")
