"""Errors, retry decisions, regions and the send loop (narrow, over httpx.MockTransport)."""

import base64
import random

import httpx
import pytest

import genesyscloud
from genesyscloud import Region
from genesyscloud._core.retry import RetryPolicy, parse_retry_after, retry_delay
from genesyscloud._regions import resolve_hosts


def test_regions():
    assert len(Region) == 18
    for text in ("eu-west-1", "eu_west_1", "EU_WEST_1", "mypurecloud.ie", "api.mypurecloud.ie", Region.eu_west_1):
        assert Region.parse(text) is Region.eu_west_1
    hosts = resolve_hosts("ap-southeast-2")
    assert (hosts.api, hosts.login) == ("https://api.mypurecloud.com.au", "https://login.mypurecloud.com.au")
    assert resolve_hosts(api_host="http://127.0.0.1:8642").login == "http://127.0.0.1:8642"
    assert resolve_hosts(api_host="https://api.example.test/").login == "https://login.example.test"
    with pytest.raises(ValueError, match="valid regions: us-east-1"):
        Region.parse("mars-1")


def test_retry_decisions():
    p = RetryPolicy(max_retries=2, max_retry_after=60)
    assert retry_delay(p, attempt=0, idempotent=False, status=429, retry_after="7") == 7
    assert retry_delay(p, attempt=0, idempotent=True, status=429, retry_after="600") is None
    assert retry_delay(p, attempt=2, idempotent=True, status=503) is None
    assert retry_delay(p, attempt=0, idempotent=False, status=503) is None
    d = retry_delay(p, attempt=1, idempotent=True, status=503, rng=random.Random(1))
    assert 0 <= d <= p.backoff_base * 2
    assert retry_delay(p, attempt=0, idempotent=False, connection_error=True, sent=False) is not None
    assert retry_delay(p, attempt=0, idempotent=False, connection_error=True, sent=True) is None
    assert retry_delay(p, attempt=0, idempotent=True, status=400) is None
    assert parse_retry_after("bogus") is None and parse_retry_after("3") == 3


def _client(handler, **kw):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return genesyscloud.GenesysCloud(api_host="http://api.test", auth=genesyscloud.AccessToken("tok"),
                                     http_client=http, **kw)


def test_error_body_is_parsed_and_never_carries_the_token():
    body = {"message": "Queue q1 not found", "code": "not.found", "status": 404, "messageWithParams": "Queue {id} not found",
            "messageParams": {"id": "q1"}, "contextId": "ctx-1", "details": [], "errors": []}

    def handler(request):
        return httpx.Response(404, json=body, headers={"ININ-Correlation-Id": "corr-9"})

    with pytest.raises(genesyscloud.NotFoundError) as info:
        _client(handler).routing.get_routing_queue("q1")
    err = info.value
    assert (err.status, err.code, err.message_params, err.context_id, err.correlation_id) == (
        404, "not.found", {"id": "q1"}, "ctx-1", "corr-9")
    assert err.method == "GET" and err.url == "http://api.test/api/v2/routing/queues/q1"
    assert "tok" not in str(err) and "corr-9" in str(err)


def test_non_json_error_and_truncated_success_body():
    def handler(request):
        if request.url.path.endswith("/q1"):
            return httpx.Response(502, text="<html>Bad gateway</html>")
        return httpx.Response(200, content=b'{"id": "q2", "na', headers={"content-type": "application/json"})

    client = _client(handler, max_retries=0)
    with pytest.raises(genesyscloud.InternalServerError, match="Bad gateway"):
        client.routing.get_routing_queue("q1")
    with pytest.raises(genesyscloud.ResponseDecodeError, match="not valid JSON") as info:
        client.routing.get_routing_queue("q2")
    assert info.value.text.startswith('{"id": "q2"')


def test_429_retry_after_is_honoured(monkeypatch):
    sleeps = []
    monkeypatch.setattr("time.sleep", sleeps.append)
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) < 3:
            return httpx.Response(429, json={"code": "too.many.requests"}, headers={"Retry-After": "2"})
        return httpx.Response(200, json={"id": "q1"})

    queue = _client(handler).routing.get_routing_queue("q1")
    assert queue.id == "q1" and sleeps == [2.0, 2.0] and len(calls) == 3


def test_401_renews_once_then_raises():
    tokens = iter(["t1", "t2", "t3"])
    seen = []

    def handler(request):
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": next(tokens), "expires_in": 3600})
        seen.append(request.headers["authorization"])
        return httpx.Response(401, json={"code": "bad.credentials", "message": "Invalid login credentials."})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = genesyscloud.GenesysCloud(api_host="http://api.test", auth=genesyscloud.ClientCredentials("id", "sec"),
                                       http_client=http)
    with pytest.raises(genesyscloud.AuthenticationError):
        client.users.get_users()
    assert seen == ["Bearer t1", "Bearer t2"]


def test_raw_response_and_extended_responses():
    def handler(request):
        return httpx.Response(200, json={"id": "q1", "name": "Q"}, headers={"ININ-Correlation-Id": "c-1"})

    client = _client(handler)
    raw = client.routing.with_raw_response.get_routing_queue("q1")
    assert (raw.status_code, raw.correlation_id, raw.json()["name"]) == (200, "c-1", "Q")
    assert raw.parse().name == "Q"
    ext = client.with_options(return_extended_responses=True).routing.get_routing_queue("q1")
    assert ext.body.id == "q1"
    assert client.routing.get_routing_queue("q1").name == "Q"  # the original is unchanged


def test_token_request_uses_http_basic_and_errors_are_auth_errors():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(400, json={"error": "invalid_client", "description": "client not found",
                                         "error_description": "client not found"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = genesyscloud.GenesysCloud(region="eu-west-1", auth=genesyscloud.ClientCredentials("id", "s3cr3tv"),
                                       http_client=http)
    with pytest.raises(genesyscloud.AuthError) as info:
        client.users.get_users()
    assert (info.value.error, info.value.error_description) == ("invalid_client", "client not found")
    assert str(seen[0].url) == "https://login.mypurecloud.ie/oauth/token"
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"id:s3cr3tv").decode()
    assert seen[0].content == b"grant_type=client_credentials"
    assert "s3cr3tv" not in repr(client._shared.tokens.grant) and "s3cr3tv" not in str(info.value)


def test_secrets_stay_out_of_reprs():
    token = genesyscloud.Token(access_token="abc.def.ghi-secret")
    assert "secret" not in repr(token)
    with pytest.raises(ValueError, match="opaque"):
        genesyscloud.Token(access_token="opaque").claims()
