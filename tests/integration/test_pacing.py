"""Rate-limit pacing per process, against the sandbox's real limits (short windows).

Counts only (429s the sandbox answered, failed calls), never timing.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx
import pytest

import genesyscloud
from genesyscloud import AsyncGenesysCloud, ClientCredentials, GenesysCloud
from genesyscloud._core.pacing import PacingMode, parse_rate_limit
from genesyscloud.sandbox import Sandbox

LIMIT = 40
WINDOW = 1.0


@pytest.fixture(scope="module")
def sb():
    with Sandbox(rate_limit=LIMIT, rate_limit_window=WINDOW) as server:
        yield server


@pytest.fixture
def login_limited():
    """Windows of 10 s (long enough for a loaded machine to stay in one); 2 token requests per window."""
    with Sandbox(rate_limit=LIMIT, rate_limit_window=10, token_rate_limit=2) as server:
        yield server


@pytest.fixture
def sandbox(sb):
    sb.reset()
    return sb


def _client(sb, **kw):
    return GenesysCloud(api_host=sb.url, auth=ClientCredentials(sb.client_id, sb.client_secret), **kw)


def _hammer(client, calls: int, threads: int) -> list[BaseException]:
    errors: list[BaseException] = []
    per = calls // threads

    def work():
        for _ in range(per):
            try:
                client.organization.get_organizations_me()
            except Exception as exc:  # collected and asserted on
                errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    return errors


def test_rate_limit_argument():
    assert parse_rate_limit("adaptive") == PacingMode("adaptive")
    assert parse_rate_limit((300, 60)) == PacingMode("fixed", 300, 60.0)
    assert not parse_rate_limit("off").enabled and not parse_rate_limit(None).enabled
    for bad in ("fast", (0, 60), (300, 0), (1.5, 60)):
        with pytest.raises(ValueError):
            parse_rate_limit(bad)
    with pytest.raises(TypeError):
        parse_rate_limit(3.5)
    with pytest.raises(ValueError):
        GenesysCloud(api_host="http://127.0.0.1:9", rate_limit="sometimes")
    assert GenesysCloud(api_host="http://127.0.0.1:9", rate_limit="off")._shared.pacer is None


def test_threads_paced_adaptive_never_see_429(sandbox, caplog):
    client = _client(sandbox)
    with caplog.at_level(logging.DEBUG, logger="genesyscloud"):
        errors = _hammer(client, calls=3 * LIMIT, threads=10)
    assert errors == []
    assert sandbox.rate_limits()["stats"]["api_429"] == 0
    assert client._shared.pacer.stats["granted"] == 3 * LIMIT
    assert client._shared.pacer.stats["delayed"] > 0  # it had to act: 3 windows' worth of calls
    assert any("pacing GET" in r.getMessage() and "rate-limit window" in r.getMessage() for r in caplog.records)
    client.close()


def test_pacing_off_meets_429s_that_retries_absorb(sandbox):
    client = _client(sandbox, rate_limit="off", max_retries=10)
    errors = _hammer(client, calls=2 * LIMIT + 10, threads=10)
    assert errors == []
    assert sandbox.rate_limits()["stats"]["api_429"] > 0  # the baseline the pacer avoids
    client.close()


def test_fixed_budget_below_the_server_limit(sandbox):
    client = _client(sandbox, rate_limit=(LIMIT // 2, WINDOW))
    errors = _hammer(client, calls=LIMIT + 10, threads=6)
    assert errors == [] and sandbox.rate_limits()["stats"]["api_429"] == 0
    assert client._shared.pacer.stats["delayed"] > 0
    client.close()


async def test_asyncio_tasks_paced():
    with Sandbox(rate_limit=LIMIT, rate_limit_window=WINDOW) as sb:
        async with AsyncGenesysCloud(api_host=sb.url, auth=ClientCredentials(sb.client_id, sb.client_secret)) as agc:
            results = await asyncio.gather(*(agc.organization.get_organizations_me() for _ in range(3 * LIMIT)),
                                           return_exceptions=True)
            assert [r for r in results if isinstance(r, BaseException)] == []
            assert agc._shared.pacer.stats["delayed"] > 0
        assert sb.rate_limits()["stats"]["api_429"] == 0


def test_pacing_wait_counts_against_the_total_budget(sandbox):
    client = _client(sandbox, rate_limit=(1, 30))
    client.organization.get_organizations_me()  # the token, and the window's one slot
    short = client.with_options(retry_policy=genesyscloud.RetryPolicy(total_budget=0.05))  # same pacer and token
    with pytest.raises(genesyscloud.APITimeoutError, match="rate-limit window is full"):
        short.organization.get_organizations_me()
    client.close()


def test_own_api_limit_learned_from_the_429_body(sandbox):
    sandbox.add_rate_limit(r"^/api/v2/routing/queues$", limit=3, window=3, key="routing.queues.rate.per.window")
    client = _client(sandbox)
    for _ in range(5):
        assert client.routing.get_routing_queues(page_size=1).entities is not None
    assert sandbox.rate_limits()["stats"]["api_429"] >= 1
    held = client._shared.pacer._routes  # that API's requests were held for its Retry-After
    assert [route for _, route in held] == ["GET /api/v2/routing/queues"]
    # the rest of the API is not held by that API's limit
    assert client.organization.get_organizations_me().id
    client.close()


def test_token_endpoint_rate_limit_is_retried_with_backoff(login_limited):
    sandbox = login_limited
    clients = [_client(sandbox) for _ in range(3)]  # the sandbox allows 2 token requests per window
    for c in clients:
        assert c.authenticate().access_token
    stats = sandbox.rate_limits()["stats"]
    assert stats["token_400"] >= 1
    token_posts = [r for r in sandbox.requests() if r["path"] == "/oauth/token"]
    assert len(token_posts) <= 3 + 2 * stats["token_400"]  # backoff, not a hammering loop
    for c in clients:
        c.close()


def test_token_endpoint_limit_without_retries_is_an_auth_error(login_limited):
    sandbox = login_limited
    for _ in range(2):
        _client(sandbox).authenticate()
    with pytest.raises(genesyscloud.AuthError, match="(?i)rate limit"):
        _client(sandbox, max_retries=0).authenticate()


def test_sandbox_headers_and_429_body(login_limited):
    sandbox = login_limited
    with httpx.Client(base_url=sandbox.url) as http:
        token = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(sandbox.client_id, sandbox.client_secret)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        seen = []
        for _ in range(LIMIT + 1):
            seen.append(http.get("/api/v2/organizations/me", headers=auth))
        missing = http.get("/api/v2/routing/queues/nope", headers=auth)
    for r in seen[:LIMIT]:
        assert r.status_code == 200
        assert r.headers["inin-ratelimit-allowed"] == str(LIMIT)
        assert int(r.headers["inin-ratelimit-count"]) >= 1 and int(r.headers["inin-ratelimit-reset"]) >= 1
    over = seen[-1]
    assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
    body = over.json()
    assert body["code"] == "too.many.requests.retry.after" and body["status"] == 429
    assert body["limit"] == {"key": "client.credentials.token.rate.per.minute",
                             "namespace": "public.api.rate.limits", "value": LIMIT}
    assert "inin-ratelimit-count" in missing.headers  # every response, errors too


def test_sandbox_per_user_limit(login_limited):
    sandbox = login_limited
    state = sandbox.app.state
    state.ensure_loaded()
    user_id = next(iter(state.users))
    sandbox.app.config.user_rate_limit = 5
    try:
        tokens = [state.issue_token(sandbox.client_id, user_id, "authorization_code")[0] for _ in range(2)]
        with httpx.Client(base_url=sandbox.url) as http:
            statuses = [http.get("/api/v2/users/me", headers={"Authorization": f"Bearer {tokens[i % 2]}"}).status_code
                        for i in range(6)]
            last = http.get("/api/v2/users/me", headers={"Authorization": f"Bearer {tokens[0]}"})
        assert statuses[:5] == [200] * 5 and statuses[5] == 429  # 5 per user across both tokens
        assert last.json()["limit"]["key"] == "user.rate.per.minute"
    finally:
        sandbox.app.config.user_rate_limit = None


def test_sandbox_rate_limit_control_api(sandbox):
    with httpx.Client(base_url=sandbox.url) as http:
        bad = http.post("/__sandbox__/ratelimits", json={"path": "/x", "limit": 0})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_rate_limit"
        made = http.post("/__sandbox__/ratelimits", json={"path": "^/api/v2/users$", "limit": 7, "window": 2})
        assert made.status_code == 201 and made.json()["limit"] == 7
        listed = http.get("/__sandbox__/ratelimits").json()
        assert listed["rateLimit"] == LIMIT and listed["window"] == WINDOW and len(listed["rules"]) == 1
        assert http.delete("/__sandbox__/ratelimits").status_code == 204
        assert http.get("/__sandbox__/ratelimits").json()["rules"] == []
