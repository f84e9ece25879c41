"""Grants, tokens and token stores (no network)."""

from __future__ import annotations

import base64
import datetime as dt
import contextlib
import json
import logging
import os
import stat
from urllib.parse import parse_qs, urlsplit

import pytest

from genesyscloud.auth import (
    AccessToken,
    AuthError,
    AuthorizationCode,
    ClientCredentials,
    FileTokenStore,
    MemoryTokenStore,
    Pkce,
    RefreshToken,
    Saml2Bearer,
    Token,
    TokenManager,
    TokenRequest,
    TokenStore,
    authorization_url,
)
from genesyscloud.auth._token import utcnow

SECRET = "s3cr3t-value-xyz"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# -- grants --------------------------------------------------------------------------------

def test_client_credentials_basic_and_post():
    basic_request = ClientCredentials("cid", SECRET).token_request()
    assert basic_request.form == {"grant_type": "client_credentials"}
    assert basic_request.headers == {"Authorization": basic("cid", SECRET)}
    post = ClientCredentials("cid", SECRET, auth_method="client_secret_post").token_request()
    assert post.form == {"grant_type": "client_credentials", "client_id": "cid", "client_secret": SECRET}
    assert post.headers == {}
    with pytest.raises(ValueError, match="auth_method"):
        ClientCredentials("cid", SECRET, auth_method="private_key_jwt")
    with pytest.raises(ValueError, match="white space"):
        ClientCredentials("cid ", SECRET)


def test_authorization_code_exchanges_once_then_refreshes():
    grant = AuthorizationCode("cid", SECRET, "the-code", "http://localhost/cb")
    assert grant.can_renew(None)
    first = grant.token_request(None)
    assert first.form == {"grant_type": "authorization_code", "code": "the-code", "redirect_uri": "http://localhost/cb"}
    assert first.headers["Authorization"] == basic("cid", SECRET)
    assert not grant.can_renew(None) and grant.token_request(None) is None  # a code is single use
    current = Token("at", refresh_token="rt-1")
    assert grant.can_renew(current)
    refresh = grant.token_request(current)
    assert refresh.form == {"grant_type": "refresh_token", "refresh_token": "rt-1"}
    assert refresh.headers["Authorization"] == basic("cid", SECRET)


def test_refresh_token_grant_rotates_and_supports_public_clients():
    confidential = RefreshToken("cid", SECRET, "rt-0")
    assert confidential.token_request(None).form == {"grant_type": "refresh_token", "refresh_token": "rt-0"}
    assert confidential.token_request(Token("at", refresh_token="rt-5")).form["refresh_token"] == "rt-5"
    public = RefreshToken("cid", refresh_token="rt-0")
    request = public.token_request(None)
    assert request.form == {"grant_type": "refresh_token", "refresh_token": "rt-0", "client_id": "cid"}
    assert request.headers == {}
    with pytest.raises(ValueError, match="refresh_token"):
        RefreshToken("cid", SECRET, "")


def test_pkce_verifier_challenge_and_rfc7636_appendix_b():
    # RFC 7636 Appendix B
    assert Pkce.challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    unreserved = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    verifiers = {Pkce.generate_code_verifier() for _ in range(20)}
    assert len(verifiers) == 20  # from a CSPRNG: never repeats
    for verifier in verifiers:
        assert len(verifier) == 128 and set(verifier) <= unreserved
    assert len(Pkce.generate_code_verifier(43)) == 43
    for bad in (42, 129):
        with pytest.raises(ValueError, match="43 to 128"):
            Pkce.generate_code_verifier(bad)
    with pytest.raises(ValueError, match="code_verifier"):
        Pkce("cid", "http://127.0.0.1/cb", code_verifier="short")
    with pytest.raises(ValueError, match="code_verifier"):
        Pkce("cid", "http://127.0.0.1/cb", code_verifier="a" * 42 + "!")


def test_pkce_authorize_url_redirect_and_exchange():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    grant = Pkce("cid", "http://127.0.0.1:9999/cb", code_verifier=verifier, state="st-1")
    url = grant.authorization_url(region="eu-west-1", login_hint="a@b.c")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "login.mypurecloud.ie", "/oauth/authorize")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"response_type": "code", "client_id": "cid", "redirect_uri": "http://127.0.0.1:9999/cb",
                     "state": "st-1", "login_hint": "a@b.c", "code_challenge_method": "S256",
                     "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}
    assert verifier not in url
    assert not grant.can_renew(None) and grant.token_request(None) is None
    with pytest.raises(AuthError) as info:
        grant.receive_redirect("http://127.0.0.1:9999/cb?code=c&state=forged")
    assert info.value.error == "invalid_state"
    with pytest.raises(AuthError) as info:
        grant.receive_redirect("http://127.0.0.1:9999/cb?error=access_denied&error_description=User+said+no&state=st-1")
    assert (info.value.error, info.value.error_description) == ("access_denied", "User said no")
    grant.receive_redirect("http://127.0.0.1:9999/cb?code=the-code&state=st-1")
    request = grant.token_request(None)
    assert request.form == {"grant_type": "authorization_code", "code": "the-code", "code_verifier": verifier,
                            "client_id": "cid", "redirect_uri": "http://127.0.0.1:9999/cb"}
    assert request.headers == {}  # a public client: no secret
    assert grant.token_request(Token("at", refresh_token="rt")).form == {
        "grant_type": "refresh_token", "refresh_token": "rt", "client_id": "cid"}


def test_authorization_url_options():
    url = authorization_url("cid", "http://localhost/cb", api_host="http://127.0.0.1:8642", org="acme",
                            provider="okta", prompt="login")
    assert url.startswith("http://127.0.0.1:8642/oauth/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["org"] == ["acme"] and query["provider"] == ["okta"] and query["prompt"] == ["login"]
    with pytest.raises(ValueError, match="together"):
        authorization_url("cid", "http://localhost/cb", org="acme")


def test_saml2_bearer_form_and_xml_assertion():
    encoded = base64.b64encode(b"<saml:Assertion/>").decode()
    request = Saml2Bearer("cid", SECRET, "Acme", encoded).token_request()
    assert request.form == {"grant_type": "urn:ietf:params:oauth:grant-type:saml2-bearer", "orgName": "Acme",
                            "assertion": encoded}
    assert request.headers["Authorization"] == basic("cid", SECRET)
    assert Saml2Bearer("cid", SECRET, "Acme", "<saml:Assertion/>").token_request().form["assertion"] == encoded


def test_access_token_is_not_renewable():
    grant = AccessToken("given-token")
    assert grant.initial_token().access_token == "given-token"
    assert not grant.can_renew(grant.initial_token()) and grant.token_request() is None


def test_store_keys_hold_no_secret():
    grants = [ClientCredentials("cid", SECRET), AuthorizationCode("cid", SECRET, "code-" + SECRET, "http://x/cb"),
              RefreshToken("cid", SECRET, "rt-" + SECRET), Saml2Bearer("cid", SECRET, "Acme", "as-" + SECRET),
              AccessToken("at-" + SECRET), Pkce("cid", "http://x/cb")]
    for grant in grants:
        assert SECRET not in grant.cache_key()
        assert SECRET not in TokenManager(grant).key
    # the key changes with the secret (a wrong secret never adopts another client's token),
    # and with the login host, but stays the same for the same client
    assert ClientCredentials("cid", SECRET).cache_key() != ClientCredentials("cid", "other").cache_key()
    assert ClientCredentials("cid", SECRET).cache_key() == ClientCredentials("cid", SECRET).cache_key()
    assert (TokenManager(ClientCredentials("cid", SECRET), login_host="https://login.a").key
            != TokenManager(ClientCredentials("cid", SECRET), login_host="https://login.b").key)


def test_no_repr_shows_a_secret():
    token = Token("at-" + SECRET, refresh_token="rt-" + SECRET, expires_at=utcnow())
    objects = [
        token,
        ClientCredentials("cid", SECRET),
        ClientCredentials("cid", SECRET, auth_method="client_secret_post").token_request(),
        AuthorizationCode("cid", SECRET, "code-" + SECRET, "http://x/cb"),
        RefreshToken("cid", SECRET, "rt-" + SECRET),
        Saml2Bearer("cid", SECRET, "Acme", "as-" + SECRET),
        AccessToken("at-" + SECRET),
        Pkce("cid", "http://x/cb", code_verifier="v" * 43 + SECRET.replace("-", "")),
        TokenRequest({"grant_type": "refresh_token", "refresh_token": SECRET}, {"Authorization": SECRET}),
        TokenManager(AccessToken("at-" + SECRET)),
        MemoryTokenStore(),
    ]
    for obj in objects:
        assert SECRET not in repr(obj) and SECRET not in str(obj), type(obj).__name__
        assert SECRET.replace("-", "") not in repr(obj)
    assert "refresh_token='***'" in repr(token)


# -- token ---------------------------------------------------------------------------------

def test_claims_decode_a_jwt_without_verifying_it():
    jwt = pytest.importorskip("jwt")
    encoded = jwt.encode({"sub": "user-1", "org": "o-1", "exp": 1}, "not-the-real-key-" + "k" * 32, algorithm="HS256")
    token = Token(encoded)
    assert token.is_jwt
    assert token.claims() == {"sub": "user-1", "org": "o-1", "exp": 1}  # expired and unverified: still decoded
    with pytest.raises(ValueError, match="opaque") as info:
        Token("an-opaque-genesys-token").claims()
    assert not Token("an-opaque-genesys-token").is_jwt
    with pytest.raises(ValueError, match="opaque") as info:
        Token("aaa.bbb-" + SECRET + ".ccc").claims()
    assert SECRET not in str(info.value) and info.value.__cause__ is None and info.value.__suppress_context__


def test_token_dict_round_trip_and_times():
    now = utcnow()
    token = Token("at", expires_at=now + dt.timedelta(seconds=600), refresh_token="rt", scope="users",
                  issued_at=now)
    assert Token.from_dict(json.loads(json.dumps(token.to_dict()))) == token
    assert token.lifetime == 600.0
    assert token.is_expired(margin=601, now=now) and not token.is_expired(now=now)
    with pytest.raises(ValueError, match="not a token"):
        Token.from_dict({"access_token": ""})
    with pytest.raises(ValueError, match="ISO 8601"):
        Token.from_dict({"access_token": "x", "expires_at": "tomorrow"})


def test_parse_token_response_success_and_errors():
    grant = ClientCredentials("cid", SECRET)
    now = utcnow()
    token = grant.parse_token_response(200, {}, json.dumps({"access_token": "at", "token_type": "bearer",
                                                            "expires_in": 86400, "refresh_token": "rt"}), now=now)
    assert token.expires_at == now + dt.timedelta(seconds=86400) and token.issued_at == now
    assert token.refresh_token == "rt"
    body = {"error": "invalid_client", "description": "client not found", "error_description": "client not found"}
    with pytest.raises(AuthError) as info:
        grant.parse_token_response(401, {"inin-correlation-id": "c-1"}, json.dumps(body))
    error = info.value
    assert (error.error, error.error_description, error.status, error.correlation_id) == (
        "invalid_client", "client not found", 401, "c-1")
    assert "invalid_client" in str(error) and "client not found" in str(error)
    # an API-style body (a gateway or the sandbox's fault injection)
    with pytest.raises(AuthError) as info:
        grant.parse_token_response(503, {}, json.dumps({"code": "service.unavailable", "message": "down"}))
    assert (info.value.error, info.value.error_description, info.value.status) == ("service.unavailable", "down", 503)
    # bodies that are not JSON are never quoted: a malformed answer may hold a token
    with pytest.raises(AuthError) as info:
        grant.parse_token_response(502, {}, f"<html>bad gateway {SECRET}</html>")
    assert info.value.error == "http_502" and SECRET not in str(info.value)
    with pytest.raises(AuthError) as info:
        grant.parse_token_response(200, {}, f"access_token={SECRET}&expires_in=3600")
    assert info.value.error == "invalid_response" and SECRET not in str(info.value)
    with pytest.raises(AuthError, match="no access_token"):
        grant.parse_token_response(200, {}, "{}")


# -- stores --------------------------------------------------------------------------------

def _token(seconds: float = 3600, refresh: str | None = None) -> Token:
    now = utcnow()
    return Token("at-" + SECRET, expires_at=now + dt.timedelta(seconds=seconds), refresh_token=refresh, issued_at=now)


def test_memory_store_and_its_lock():
    store = MemoryTokenStore()
    assert isinstance(store, TokenStore)
    assert store.load("k") is None
    token = _token()
    store.save("k", token)
    assert store.load("k") == token
    with store.lock("k", 1):
        with pytest.raises(TimeoutError):
            with store.lock("k", 0.05):
                pass
        with store.lock("other", 0.05):  # one lock per key
            pass
    store.delete("k")
    assert store.load("k") is None


def test_file_store_mode_atomic_replace_and_round_trip(tmp_path):
    path = tmp_path / "new-dir" / "tokens.json"
    store = FileTokenStore(path)
    assert isinstance(store, TokenStore)
    assert store.load("k") is None
    token = _token(refresh="rt-" + SECRET)
    with store.lock("k", 1):
        store.save("k", token)
        store.save("k2", _token())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(store.lock_path).st_mode) == 0o600
    assert store.load("k") == token
    assert sorted(p.name for p in path.parent.iterdir()) == ["tokens.json", "tokens.json.lock"]  # no temp files
    inode = os.stat(path).st_ino
    store.save("k", _token())
    assert os.stat(path).st_ino != inode  # replaced, never rewritten in place
    store.delete("k")
    assert store.load("k") is None and store.load("k2") is not None
    assert SECRET not in repr(store)


def test_file_store_lock_excludes_other_holders(tmp_path):
    a, b = FileTokenStore(tmp_path / "t.json"), FileTokenStore(tmp_path / "t.json")
    with a.lock("k", 1):
        with pytest.raises(TimeoutError):
            with b.lock("k", 0.1):
                pass
    with b.lock("k", 0.1):
        pass


def test_file_store_drops_long_expired_entries(tmp_path):
    store = FileTokenStore(tmp_path / "t.json")
    store.save("old", _token(seconds=-2 * 86400))
    store.save("old-with-refresh", _token(seconds=-2 * 86400, refresh="rt"))
    store.save("new", _token())
    assert store.load("old") is None
    assert store.load("old-with-refresh") is not None and store.load("new") is not None


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"tokens": 5}', b"\xff\xfe",
                                     b'{"version": 1, "tokens": {"KEY": {"access_token": 7}}}'])
def test_corrupt_file_is_reported_and_replaced(tmp_path, caplog, content):
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    calls = []

    def fetch(request):
        calls.append(request)
        return _token()

    manager = TokenManager(ClientCredentials("cid", SECRET), store=FileTokenStore(path))
    path.write_bytes(content.replace(b"KEY", manager.key.encode()))
    with caplog.at_level(logging.WARNING, logger="genesyscloud.auth"):
        token = manager.get_sync(fetch)
    assert len(calls) == 1
    assert any("corrupt" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
    data = json.loads(path.read_bytes())
    assert data["tokens"][manager.key]["access_token"] == token.access_token


def test_a_failing_store_never_fails_the_call(tmp_path, caplog):
    class Broken:
        def load(self, key):
            raise OSError("disk on fire")

        def save(self, key, token):
            raise OSError("disk on fire")

        def delete(self, key):
            raise OSError("disk on fire")

        def lock(self, key, timeout):
            raise ConnectionError("lock service down")

    manager = TokenManager(ClientCredentials("cid", SECRET), store=Broken())
    with caplog.at_level(logging.WARNING, logger="genesyscloud.auth"):
        token = manager.get_sync(lambda request: _token())
    assert token.access_token.startswith("at-")
    messages = " ".join(r.getMessage() for r in caplog.records)
    # the failed store is left alone for the rest of the renewal (a frozen store costs one timeout, not three)
    assert "failed to lock" in messages and "failed to load" not in messages and "failed to save" not in messages

    class Flaky(Broken):
        def lock(self, key, timeout):
            return contextlib.nullcontext()

    manager = TokenManager(ClientCredentials("cid", SECRET), store=Flaky())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="genesyscloud.auth"):
        assert manager.get_sync(lambda request: _token()).access_token.startswith("at-")
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "failed to load" in messages and "failed to save" not in messages


def test_bad_manager_arguments():
    grant = ClientCredentials("cid", SECRET)
    with pytest.raises(TypeError, match="token_store"):
        TokenManager(grant, store=object())
    with pytest.raises(ValueError, match="refresh_window"):
        TokenManager(grant, refresh_window=-1)
    with pytest.raises(ValueError, match="refresh_token_wait_time"):
        TokenManager(grant, refresh_token_wait_time=0)
    with pytest.raises(TypeError, match="on_token"):
        TokenManager(grant, on_token="print")
    with pytest.raises(TypeError, match="grant"):
        TokenManager(("cid", SECRET))  # type: ignore[arg-type]


# -- the clients' auth options ---------------------------------------------------------------

def test_clients_forward_auth_options_to_the_token_manager(tmp_path):
    import genesyscloud

    store = FileTokenStore(tmp_path / "tokens.json")
    hook = print
    for cls in (genesyscloud.GenesysCloud, genesyscloud.AsyncGenesysCloud):
        client = cls(api_host="http://127.0.0.1:9", auth=ClientCredentials("cid", SECRET), token_store=store,
                     refresh_window=30, refresh_token_wait_time=2.5, should_refresh_access_token=False,
                     on_token=hook)
        manager = client.token_manager
        assert (manager.store, manager.refresh_window, manager.refresh_token_wait_time,
                manager.should_refresh_access_token, manager.on_token) == (store, 30.0, 2.5, False, hook)
        assert manager.key == TokenManager(ClientCredentials("cid", SECRET), login_host="http://127.0.0.1:9").key
    default = genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=ClientCredentials("cid", SECRET))
    manager = default.token_manager
    assert isinstance(manager.store, MemoryTokenStore) and manager.refresh_window is None
    assert (manager.refresh_token_wait_time, manager.should_refresh_access_token, manager.on_token) == (10.0, True, None)
    with pytest.raises(TypeError, match="token_store"):
        genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=ClientCredentials("cid", SECRET),
                                  token_store="redis://localhost")


def test_reauthentication_settings_from_a_config_file(tmp_path):
    import genesyscloud

    config = tmp_path / "config"
    config.write_text("[reauthentication]\nrefresh_access_token = false\nrefresh_token_wait_max = 3\n")
    client = genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=ClientCredentials("cid", SECRET),
                                       config_file=config)
    assert (client.token_manager.should_refresh_access_token, client.token_manager.refresh_token_wait_time) == (
        False, 3.0)
    client = genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=ClientCredentials("cid", SECRET),
                                       config_file=config, should_refresh_access_token=True)
    assert client.token_manager.should_refresh_access_token is True  # arguments win over the file
