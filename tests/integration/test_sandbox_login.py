"""Login service of the sandbox: every grant, errors, expiry, revocation (real HTTP on loopback)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx

from genesyscloud.sandbox._login import pkce_challenge
from tests.sandbox_support.helpers import (  # noqa: F401  (fixtures)
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT,
    assert_api_error,
    authorize,
    bearer,
    cc_token,
    code_from,
    default_user,
    http,
    saml_assertion,
    sandbox,
    sb,
)

# RFC 7636 Appendix B
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def login_error(response: httpx.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["description"] and body["error_description"] == body["description"]
    return body


def test_rfc7636_appendix_b_vector():
    assert pkce_challenge(RFC_VERIFIER, "S256") == RFC_CHALLENGE
    assert pkce_challenge(RFC_VERIFIER, "plain") == RFC_VERIFIER


def test_client_credentials_basic_and_post(http):
    basic = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert basic.status_code == 200
    body = basic.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400 and "refresh_token" not in body
    assert basic.headers["cache-control"] == "no-store"
    post = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                           "client_secret": CLIENT_SECRET})
    assert post.status_code == 200 and post.json()["access_token"] != body["access_token"]
    me = http.get("/api/v2/tokens/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["OAuthClient"]["id"] == CLIENT_ID


def test_token_errors(http):
    login_error(http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "wrong")),
                401, "invalid_client")
    body = login_error(http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "x")),
                       401, "invalid_client")
    assert body["description"] == "client not found"
    login_error(http.post("/oauth/token", data={"grant_type": "client_credentials"}), 401, "invalid_client")
    login_error(http.post("/oauth/token", data={}, auth=(CLIENT_ID, CLIENT_SECRET)), 400, "invalid_request")
    login_error(http.post("/oauth/token", data={"grant_type": "password"}, auth=(CLIENT_ID, CLIENT_SECRET)),
                400, "unsupported_grant_type")
    login_error(http.post("/oauth/token", json={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)),
                400, "invalid_request")
    login_error(http.post("/oauth/token", data={"grant_type": "client_credentials"},
                          headers={"Authorization": "Basic !!!notbase64"}), 401, "invalid_client")
    login_error(http.post("/oauth/token", data={"grant_type": "authorization_code", "code": "nope"},
                          auth=(CLIENT_ID, CLIENT_SECRET)), 400, "invalid_grant")


def test_authorization_code_grant_and_refresh_rotation(http, sandbox):
    user = default_user(sandbox)
    page = http.get("/oauth/authorize", params={"response_type": "code", "client_id": CLIENT_ID,
                                                "redirect_uri": REDIRECT, "state": "s1"})
    assert page.status_code == 200 and "<form" in page.text and "name='password'" in page.text
    redirect = authorize(http, user["email"], state="s1")
    location = urlsplit(redirect.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert parse_qs(location.query)["state"] == ["s1"]
    code = code_from(redirect)
    token = http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                      auth=(CLIENT_ID, CLIENT_SECRET))
    assert token.status_code == 200, token.text
    first = token.json()
    assert first["refresh_token"] and first["token_type"] == "bearer"
    me = http.get("/api/v2/users/me", headers=bearer(first["access_token"]))
    assert me.status_code == 200 and me.json()["email"] == user["email"]
    # a code is single use
    login_error(http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": REDIRECT}, auth=(CLIENT_ID, CLIENT_SECRET)),
                400, "invalid_grant")
    refreshed = http.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                          auth=(CLIENT_ID, CLIENT_SECRET))
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert http.get("/api/v2/users/me", headers=bearer(second["access_token"])).json()["id"] == user["id"]
    # rotation: the old refresh token no longer works, the new one does
    login_error(http.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                          auth=(CLIENT_ID, CLIENT_SECRET)), 400, "invalid_grant")
    again = http.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
                      auth=(CLIENT_ID, CLIENT_SECRET))
    assert again.status_code == 200


def test_code_grant_requires_client_auth_without_pkce(http, sandbox):
    code = code_from(authorize(http, default_user(sandbox)["email"]))
    login_error(http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": REDIRECT, "client_id": CLIENT_ID}),
                401, "invalid_client")


def test_code_grant_redirect_uri_must_match(http, sandbox):
    code = code_from(authorize(http, default_user(sandbox)["email"]))
    login_error(http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": "http://localhost:1/other"},
                          auth=(CLIENT_ID, CLIENT_SECRET)), 400, "invalid_grant")


def test_pkce_with_rfc_vector(http, sandbox):
    user = default_user(sandbox)
    code = code_from(authorize(http, user["email"], code_challenge=RFC_CHALLENGE, code_challenge_method="S256"))
    token = http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                            "client_id": CLIENT_ID, "code_verifier": RFC_VERIFIER})
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["refresh_token"]
    assert http.get("/api/v2/users/me", headers=bearer(body["access_token"])).json()["id"] == user["id"]
    # a public client refreshes with its id only
    refreshed = http.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
                                                "client_id": CLIENT_ID})
    assert refreshed.status_code == 200, refreshed.text


def test_pkce_wrong_or_missing_verifier(http, sandbox):
    email = default_user(sandbox)["email"]
    code = code_from(authorize(http, email, code_challenge=RFC_CHALLENGE, code_challenge_method="S256"))
    login_error(http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": REDIRECT, "client_id": CLIENT_ID,
                                                "code_verifier": "x" * 43}), 400, "invalid_grant")
    code = code_from(authorize(http, email, code_challenge=RFC_CHALLENGE, code_challenge_method="S256"))
    login_error(http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": REDIRECT, "client_id": CLIENT_ID}),
                400, "invalid_grant")


def test_implicit_grant(http, sandbox):
    user = default_user(sandbox)
    redirect = authorize(http, user["email"], response_type="token", state="abc")
    assert redirect.status_code == 302
    fragment = parse_qs(urlsplit(redirect.headers["location"]).fragment)
    assert fragment["token_type"] == ["bearer"] and fragment["state"] == ["abc"]
    assert int(fragment["expires_in"][0]) == 86400
    me = http.get("/api/v2/users/me", headers=bearer(fragment["access_token"][0]))
    assert me.status_code == 200 and me.json()["id"] == user["id"]


def test_authorize_rejects_bad_password_and_bad_requests(http, sandbox):
    email = default_user(sandbox)["email"]
    bad = authorize(http, email, password="wrong")
    assert bad.status_code == 401 and "Invalid email or password" in bad.text
    assert http.get("/oauth/authorize", params={"response_type": "code", "client_id": "nope",
                                                "redirect_uri": REDIRECT}).status_code == 400
    wrong_type = http.get("/oauth/authorize", params={"response_type": "id_token", "client_id": CLIENT_ID,
                                                      "redirect_uri": REDIRECT, "state": "q"})
    assert wrong_type.status_code == 302
    assert parse_qs(urlsplit(wrong_type.headers["location"]).query)["error"] == ["unsupported_response_type"]


def test_saml2_bearer(http, sandbox):
    user = default_user(sandbox)
    grant = "urn:ietf:params:oauth:grant-type:saml2-bearer"
    ok = http.post("/oauth/token", data={"grant_type": grant, "orgName": "sandbox",
                                         "assertion": saml_assertion(user["email"])}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert ok.status_code == 200, ok.text
    assert http.get("/api/v2/users/me", headers=bearer(ok.json()["access_token"])).json()["id"] == user["id"]
    login_error(http.post("/oauth/token", data={"grant_type": grant, "orgName": "sandbox",
                                                "assertion": saml_assertion("nobody@example.org")},
                          auth=(CLIENT_ID, CLIENT_SECRET)), 400, "invalid_grant")
    login_error(http.post("/oauth/token", data={"grant_type": grant, "orgName": "other-org",
                                                "assertion": saml_assertion(user["email"])},
                          auth=(CLIENT_ID, CLIENT_SECRET)), 400, "invalid_grant")
    login_error(http.post("/oauth/token", data={"grant_type": grant, "assertion": saml_assertion(user["email"])},
                          auth=(CLIENT_ID, CLIENT_SECRET)), 400, "invalid_request")


def test_logout_redirects(http):
    response = http.get("/logout", params={"client_id": CLIENT_ID, "redirect_uri": "http://localhost:9/bye"})
    assert response.status_code == 302 and response.headers["location"] == "http://localhost:9/bye"
    assert http.get("/logout").status_code == 200


def test_client_credentials_refused_on_users_me(http):
    body = assert_api_error(http.get("/api/v2/users/me", headers=bearer(cc_token(http))), 400, "bad.request")
    assert "requires a user context" in body["message"]


def test_missing_unknown_and_expired_tokens(http, sandbox):
    assert_api_error(http.get("/api/v2/organizations/me"), 401, "authentication.required")
    assert_api_error(http.get("/api/v2/organizations/me", headers={"Authorization": "Basic abc"}), 401,
                     "authentication.required")
    assert_api_error(http.get("/api/v2/organizations/me", headers=bearer("not-a-token")), 401, "bad.credentials")
    token = cc_token(http)
    assert http.get("/api/v2/organizations/me", headers=bearer(token)).status_code == 200
    sandbox.advance_clock(86400 - 5)
    assert http.get("/api/v2/organizations/me", headers=bearer(token)).status_code == 200
    sandbox.advance_clock(10)
    assert_api_error(http.get("/api/v2/organizations/me", headers=bearer(token)), 401, "bad.credentials")


def test_token_ttl_option_and_per_client_validity():
    from genesyscloud.sandbox import Sandbox

    with Sandbox(client_id="c", client_secret="s", token_ttl=600) as short, httpx.Client(base_url=short.url) as client:
        body = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("c", "s")).json()
        assert body["expires_in"] == 600
        short.advance_clock(601)
        assert client.get("/api/v2/organizations/me", headers=bearer(body["access_token"])).status_code == 401
    with Sandbox(client_id="c", client_secret="s") as default, httpx.Client(base_url=default.url) as client:
        admin = bearer(client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                   auth=("c", "s")).json()["access_token"])
        created = client.post("/api/v2/oauth/clients", headers=admin, json={
            "name": "short", "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 300}).json()
        token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(created["id"], created["secret"])).json()
        assert token["expires_in"] == 300


def test_tokens_me_head_and_delete(http):
    token = cc_token(http)
    head = http.head("/api/v2/tokens/me", headers=bearer(token))
    assert head.status_code == 200 and head.content == b""
    deleted = http.delete("/api/v2/tokens/me", headers=bearer(token))
    assert deleted.status_code == 204 and deleted.content == b""
    assert_api_error(http.get("/api/v2/tokens/me", headers=bearer(token)), 401, "bad.credentials")
    assert http.head("/api/v2/tokens/me", headers=bearer(token)).status_code == 401


def test_delete_user_tokens(http, sandbox):
    user = default_user(sandbox)
    code = code_from(authorize(http, user["email"]))
    token = http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                      auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    admin = cc_token(http)
    assert http.delete(f"/api/v2/tokens/{user['id']}", headers=bearer(admin)).status_code == 204
    assert http.get("/api/v2/users/me", headers=bearer(token)).status_code == 401
    assert_api_error(http.delete("/api/v2/tokens/no-such-user", headers=bearer(admin)), 404, "not.found")


def test_api_created_clients_follow_their_grant_type(http):
    admin = bearer(cc_token(http))
    code_client = http.post("/api/v2/oauth/clients", headers=admin, json={
        "name": "web", "authorizedGrantType": "CODE", "registeredRedirectUri": [REDIRECT]}).json()
    login_error(http.post("/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(code_client["id"], code_client["secret"])), 400, "unauthorized_client")
    not_registered = http.get("/oauth/authorize", params={"response_type": "code", "client_id": code_client["id"],
                                                          "redirect_uri": "http://localhost:1/elsewhere"})
    assert not_registered.status_code == 400
    form = http.get("/oauth/authorize", params={"response_type": "code", "client_id": code_client["id"],
                                                "redirect_uri": REDIRECT})
    assert form.status_code == 200


def test_basic_credentials_are_url_decoded(http):
    # RFC 6749 2.3.1: id and secret are form-urlencoded before base64
    value = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                         headers={"Authorization": f"Basic {value}"})
    assert response.status_code == 200
