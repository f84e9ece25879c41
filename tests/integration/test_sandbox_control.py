"""Correlation ids, rate limits, fault injection, request log, clock and reset."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from genesyscloud.sandbox import Sandbox
from tests.sandbox_support.helpers import (  # noqa: F401  (fixtures)
    CLIENT_SECRET,
    assert_api_error,
    authorize,
    bearer,
    cc_token,
    default_user,
    http,
    sandbox,
    sb,
)


@pytest.fixture
def admin(http):
    return bearer(cc_token(http))


def test_correlation_ids_on_every_response(http, admin):
    seen = set()
    for response in (http.get("/api/v2/organizations/me", headers=admin), http.get("/api/v2/users/nope", headers=admin),
                     http.get("/api/v2/organizations/me"), http.get("/api/v2/groups", headers=admin),
                     http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("x", "y"))):
        value = response.headers["inin-correlation-id"]
        assert str(uuid.UUID(value)) == value
        seen.add(value)
    assert len(seen) == 5


def test_rate_limit_per_token():
    with Sandbox(client_id="c", client_secret="s", rate_limit=5) as box, httpx.Client(base_url=box.url) as client:
        token = bearer(cc_token(client, "c", "s"))
        for n in range(1, 6):
            ok = client.get("/api/v2/organizations/me", headers=token)
            assert ok.status_code == 200
            assert ok.headers["inin-ratelimit-count"] == str(n)
            assert ok.headers["inin-ratelimit-allowed"] == "5"
            assert 0 < int(ok.headers["inin-ratelimit-reset"]) <= 60
        limited = client.get("/api/v2/organizations/me", headers=token)
        body = assert_api_error(limited, 429, "too.many.requests.retry.after")  # the real code (GENESYS-FACTS §10)
        assert int(limited.headers["retry-after"]) > 0
        assert limited.headers["inin-ratelimit-count"] == "6" and limited.headers["inin-ratelimit-allowed"] == "5"
        assert "5" in body["message"]
        other = bearer(cc_token(client, "c", "s"))  # each token has its own window
        assert client.get("/api/v2/organizations/me", headers=other).status_code == 200
        box.advance_clock(61)
        assert client.get("/api/v2/organizations/me", headers=token).status_code == 200


def test_no_ratelimit_headers_when_off(http, admin):
    assert "inin-ratelimit-count" not in http.get("/api/v2/organizations/me", headers=admin).headers


def test_fault_status_with_retry_after_and_count(http, admin, sandbox):
    rule = sandbox.add_fault(path=r"^/api/v2/organizations/me$", status=503, retry_after=2, count=2)
    assert rule["id"] and rule["count"] == 2
    for _ in range(2):
        response = http.get("/api/v2/organizations/me", headers=admin)
        assert_api_error(response, 503, "service.unavailable")
        assert response.headers["retry-after"] == "2"
    assert http.get("/api/v2/organizations/me", headers=admin).status_code == 200
    sandbox.add_fault(path="/api/v2/users", method="POST", status=429)
    assert http.get("/api/v2/users", headers=admin).status_code == 200  # method does not match
    assert_api_error(http.post("/api/v2/users/search", headers=admin, json={}), 429, "too.many.requests")
    sandbox.add_fault(path="^/oauth/token$", status=500)
    assert http.post("/oauth/token", data={"grant_type": "client_credentials"},
                     auth=("test-client", CLIENT_SECRET)).status_code == 500
    sandbox.clear_faults()
    assert http.post("/api/v2/users/search", headers=admin, json={}).status_code == 200


def test_fault_rate_is_seeded(http, admin, sandbox):
    def run() -> list[int]:
        sandbox.add_fault(path="^/api/v2/organizations/me$", status=500, rate=0.5)
        return [http.get("/api/v2/organizations/me", headers=admin).status_code for _ in range(60)]

    first = run()
    assert 10 < first.count(500) < 50 and first.count(200) + first.count(500) == 60
    sandbox.reset()
    admin.update(bearer(cc_token(http)))
    assert run() == first


def test_fault_latency(http, admin, sandbox):
    sandbox.add_fault(path="^/api/v2/organizations/me$", latency=0.2)
    started = time.monotonic()
    assert http.get("/api/v2/organizations/me", headers=admin).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_fault_drop_before_and_after(sandbox, admin):
    sandbox.add_fault(path="^/api/v2/routing/queues$", method="POST", drop="before", count=1)
    with httpx.Client(base_url=sandbox.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/api/v2/routing/queues", headers=admin, json={"name": "Dropped Before"})
    sandbox.add_fault(path="^/api/v2/routing/queues$", method="POST", drop="after", count=1)
    with httpx.Client(base_url=sandbox.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/api/v2/routing/queues", headers=admin, json={"name": "Dropped After"})
        # "after": the request was processed; "before": it was not
        names = [q["name"] for q in client.get("/api/v2/routing/queues?pageSize=500", headers=admin).json()["entities"]]
        assert "Dropped After" in names and "Dropped Before" not in names
    log = [e for e in sandbox.requests() if e["path"] == "/api/v2/routing/queues" and e["method"] == "POST"]
    assert [e.get("dropped") for e in log] == [True, True]


def test_fault_rules_are_validated(http):
    for bad in ({}, {"path": "("}, {"path": "x", "status": 999}, {"path": "x", "rate": 2, "status": 500},
                {"path": "x", "drop": "sideways"}, {"path": "x"}, {"path": "x", "status": 500, "bogus": 1}):
        response = http.post("/__sandbox__/faults", json=bad)
        assert response.status_code == 400, bad
    assert http.post("/__sandbox__/faults", content=b"{nope").status_code == 400


def test_request_log_redacts_secrets(http, sandbox):
    sandbox.clear_requests()
    token = cc_token(http)
    http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "test-client",
                                    "client_secret": CLIENT_SECRET})
    http.get("/api/v2/users", params={"pageSize": 2}, headers={**bearer(token), "Cookie": "session=abc"})
    http.post("/api/v2/routing/queues", headers=bearer(token), json={"name": "Logged"})
    authorize(http, default_user(sandbox)["email"])
    log = sandbox.requests()
    text = repr(log)
    assert CLIENT_SECRET not in text and token not in text and "session=abc" not in text
    assert "sandbox" not in [e["body"].get("password") for e in log if isinstance(e["body"], dict)]
    users = next(e for e in log if e["path"] == "/api/v2/users")
    assert users["method"] == "GET" and users["query"] == {"pageSize": ["2"]} and users["status"] == 200
    assert users["headers"]["authorization"] == "[REDACTED]" and "cookie" not in users["headers"]
    token_posts = [e for e in log if e["path"] == "/oauth/token"]
    assert token_posts[1]["body"]["client_secret"] == "[REDACTED]"
    assert token_posts[1]["body"]["grant_type"] == "client_credentials"
    queue = next(e for e in log if e["path"] == "/api/v2/routing/queues")
    assert queue["body"] == {"name": "Logged"}
    assert all(not e["path"].startswith("/__sandbox__") for e in log)
    sandbox.clear_requests()
    assert sandbox.requests() == []


def test_clock_control(http, sandbox):
    before = http.get("/__sandbox__/clock").json()
    after = sandbox.advance_clock(3600)
    assert after["offset"] == before["offset"] + 3600
    assert http.post("/__sandbox__/clock", json={"advance": -1}).status_code == 400
    assert http.post("/__sandbox__/clock", json={"nope": 1}).status_code == 400
    sandbox.reset()
    assert http.get("/__sandbox__/clock").json()["offset"] == 0


def test_sandbox_repr_hides_secret():
    box = Sandbox(client_id="visible-id", client_secret="hidden-secret-value")
    assert "hidden-secret-value" not in repr(box) and "visible-id" in repr(box)
    with box:
        assert box.url.startswith("http://127.0.0.1:")
        assert "hidden-secret-value" not in repr(box) and "hidden-secret-value" not in repr(box.app.config)
    generated = Sandbox()
    assert generated.client_id and generated.client_secret and generated.client_secret not in repr(generated)
