"""Fixtures and helpers shared by tests/integration/test_sandbox_*.py (import the fixtures by name)."""

from __future__ import annotations

import base64
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from genesyscloud.sandbox import Sandbox

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret-value"
REDIRECT = "http://localhost:8765/callback"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """One sandbox per test module (free port: xdist-safe)."""
    with Sandbox(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, seed=1) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(sb: Sandbox) -> Sandbox:
    """The module's sandbox, reset to its seeded state."""
    sb.reset()
    return sb


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        yield client


def cc_token(http: httpx.Client, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    response = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def default_user(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.info()["defaultUser"]


def authorize(http: httpx.Client, email: str, *, response_type: str = "code", client_id: str = CLIENT_ID,
              redirect_uri: str = REDIRECT, state: str = "xyz", password: str = "sandbox",
              **extra: str) -> httpx.Response:
    """Submit the login form of GET /oauth/authorize (what a browser does)."""
    form = {"response_type": response_type, "client_id": client_id, "redirect_uri": redirect_uri, "state": state,
            "email": email, "password": password, **extra}
    return http.post("/oauth/authorize", data=form)


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0]


def saml_assertion(email: str) -> str:
    xml = ("<saml:Assertion xmlns:saml='urn:oasis:names:tc:SAML:2.0:assertion'><saml:Subject>"
           f"<saml:NameID>{email}</saml:NameID></saml:Subject></saml:Assertion>")
    return base64.b64encode(xml.encode()).decode()


def schema_validator(name_or_schema: Any) -> Any:
    """A Draft 4 validator for ``#/definitions/Name`` (or a schema fragment) of the definition."""
    from jsonschema import Draft4Validator

    from genesyscloud._spec import load_spec

    spec = load_spec()
    schema = {"$ref": f"#/definitions/{name_or_schema}"} if isinstance(name_or_schema, str) else name_or_schema
    return Draft4Validator({**schema, "definitions": spec["definitions"]})


def assert_api_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"message", "code", "status", "messageWithParams", "messageParams", "contextId",
                         "details", "errors"}
    assert body["status"] == status
    assert body["contextId"] == response.headers["inin-correlation-id"]
    if code is not None:
        assert body["code"] == code, body
    return body
