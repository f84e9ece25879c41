"""Narrow transport tests: regions and gateways, retry decisions, timeouts, redaction,
errors, hooks and options (httpx.MockTransport only where a wire is needed)."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys

import httpx
import pytest

import genesyscloud
from genesyscloud import AccessToken, AsyncGenesysCloud, GenesysCloud, Region, RetryPolicy
from genesyscloud._core.logging import LogSettings, redact_body, redact_headers, redact_query
from genesyscloud._core.retry import decide_retry
from genesyscloud._regions import Gateway, resolve_hosts


def test_all_18_regions_have_api_login_and_streaming_hosts():
    assert len(Region) == 18
    for member in Region:
        hosts = resolve_hosts(member.name.replace("_", "-"))
        assert hosts.api == f"https://api.{member.domain}"
        assert hosts.login == f"https://login.{member.domain}"
        assert hosts.streaming == f"wss://streaming.{member.domain}"
    assert resolve_hosts("eusc-de-east-1").api == "https://api.edee1.eusc-pure.cloud"
    assert resolve_hosts("mypurecloud.ie").api == "https://api.mypurecloud.ie"
    with pytest.raises(ValueError, match="valid regions: .*eusc-de-east-1"):
        GenesysCloud(region="us-east-9")


def test_gateway_urls():
    gw = Gateway("gw.example.test", port=8443, path_params_login="/sso/", path_params_api="platform")
    hosts = resolve_hosts("eu-west-1", gateway=gw)
    assert (hosts.api, hosts.login) == ("https://gw.example.test:8443/platform", "https://gw.example.test:8443/sso")
    assert resolve_hosts(gateway=Gateway("gw.example.test")).api == "https://gw.example.test"
    assert GenesysCloud(gateway=gw).hosts.api == "https://gw.example.test:8443/platform"
    for bad in ({"host": ""}, {"host": "g", "protocol": "ftp"}, {"host": "g", "port": 0}):
        with pytest.raises(ValueError):
            Gateway(**bad)


def test_retry_decisions_and_reasons():
    p = RetryPolicy(max_retries=3, max_retry_after=30)
    d = decide_retry(p, attempt=0, idempotent=False, status=429, retry_after="2")
    assert d.delay == 2 and "Retry-After 2 s" in d.reason
    d = decide_retry(p, attempt=0, idempotent=True, status=429, retry_after="31")
    assert d.delay is None and "beyond the cap" in d.reason
    d = decide_retry(p, attempt=0, idempotent=False, status=503)
    assert d.delay is None and "non-idempotent" in d.reason
    d = decide_retry(p, attempt=3, idempotent=True, status=503)
    assert d.delay is None and "max_retries (3)" in d.reason
    d = decide_retry(p, attempt=0, idempotent=True, status=504, rng=random.Random(3))
    assert 0 <= d.delay <= p.backoff_base and "jitter" in d.reason
    assert decide_retry(p, attempt=0, idempotent=False, connection_error=True, sent=False).delay is not None
    assert decide_retry(p, attempt=0, idempotent=False, connection_error=True, sent=True).delay is None
    assert decide_retry(p, attempt=0, idempotent=True, status=429, retry_after="10", elapsed=285).delay == 10
    budget = RetryPolicy(total_budget=5)
    d = decide_retry(budget, attempt=0, idempotent=True, status=429, retry_after="6")
    assert d.delay is None and "total budget" in d.reason
    # full jitter never exceeds the ceiling, which doubles up to backoff_max
    rng = random.Random(7)
    for attempt in range(10):
        delay = decide_retry(RetryPolicy(max_retries=20), attempt=attempt, idempotent=True, status=502, rng=rng).delay
        assert 0 <= delay <= min(30.0, 0.5 * 2**attempt)
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


def test_timeouts_are_never_infinite():
    assert GenesysCloud()._timeout().read == 30 and GenesysCloud()._timeout().connect == 10
    t = GenesysCloud(timeout=5)._timeout()
    assert (t.connect, t.read, t.write, t.pool) == (5, 5, 5, 5)
    t = GenesysCloud(timeout={"connect": 1, "read": 60})._timeout()
    assert (t.connect, t.read, t.write, t.pool) == (1, 60, 30, 10)
    for bad in (0, -1, float("inf"), {"read": None}, httpx.Timeout(None), {"bogus": 1}):
        with pytest.raises(ValueError):
            GenesysCloud(timeout=bad)
    with pytest.raises(ValueError):
        GenesysCloud().with_options(timeout=httpx.Timeout(5, read=None))


def test_redaction_helpers():
    headers = redact_headers({"Authorization": "Bearer abc", "Content-Type": "application/json", "X-Custom": "v",
                              "Cookie": "c"}, allowed=["x-custom", "authorization"])
    assert headers == {"Authorization": "[REDACTED]", "Content-Type": "application/json", "X-Custom": "v",
                       "Cookie": "[REDACTED]"}
    assert redact_query([("pageSize", "25"), ("code", "c0de"), ("q64", "x")]) == [
        ("pageSize", "25"), ("code", "[REDACTED]"), ("q64", "[REDACTED]")]
    assert LogSettings(allowed_headers={"Authorization"}).allowed_headers == frozenset()
    body = redact_body(b'{"client_secret":"s","nested":[{"refresh_token":"r","ok":1}],"code":"not.found"}',
                       "application/json")
    assert body == {"client_secret": "[REDACTED]", "nested": [{"refresh_token": "[REDACTED]", "ok": 1}],
                    "code": "not.found"}
    form = redact_body(b"grant_type=password&username=u&password=p&assertion=AAA", "application/x-www-form-urlencoded")
    assert form == {"grant_type": "password", "username": "u", "password": "[REDACTED]", "assertion": "[REDACTED]"}
    text = redact_body(b"<html>access_token=abc123&x=1 Bearer xyz</html>", "text/html")
    assert "abc123" not in text and "xyz" not in text
    assert redact_body(b"\x00\x01", "application/octet-stream") == "<2 bytes of application/octet-stream>"
    with pytest.raises(ValueError, match="log level"):
        LogSettings(level="verbose")


def _client(handler, cls=GenesysCloud, **kw):
    transport = httpx.MockTransport(handler)
    http = httpx.AsyncClient(transport=transport) if cls is AsyncGenesysCloud else httpx.Client(transport=transport)
    return cls(api_host="http://api.test", auth=AccessToken("tok-123"), http_client=http, **kw)


def test_truncated_and_non_json_error_bodies():
    def handler(request):
        if request.url.path.endswith("/q1"):
            return httpx.Response(400, content=b'{"code":"bad.request","message":"Name too lo',
                                  headers={"content-type": "application/json", "ININ-Correlation-Id": "c-7",
                                           "inin-ratelimit-count": "3", "inin-ratelimit-allowed": "300",
                                           "inin-ratelimit-reset": "41"})
        return httpx.Response(504, text="upstream timed out", headers={"Retry-After": "1"})

    gc = _client(handler, max_retries=0)
    with pytest.raises(genesyscloud.BadRequestError) as info:
        gc.routing.get_routing_queue("q1")
    err = info.value
    assert err.code == "bad.request" and err.body is None and err.text.endswith("too lo")
    assert err.correlation_id == "c-7" and err.rate_limit == {"count": 3, "allowed": 300, "reset": 41}
    with pytest.raises(genesyscloud.InternalServerError, match="upstream timed out") as info:
        gc.routing.get_routing_queue("q2")
    assert info.value.retry_after == 1 and "tok-123" not in str(info.value)


def test_connection_errors_become_api_connection_errors_and_post_is_not_replayed(monkeypatch):
    monkeypatch.setattr("genesyscloud._client.time.sleep", lambda s: None)
    calls = []

    def handler(request):
        calls.append(request.method)
        if request.method == "POST":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        raise httpx.ReadTimeout("slow")

    gc = _client(handler, max_retries=2)
    with pytest.raises(genesyscloud.APITimeoutError):
        gc.routing.get_routing_queue("q1")
    assert calls == ["GET"] * 3
    calls.clear()
    with pytest.raises(genesyscloud.APIConnectionError, match="may have reached the server"):
        gc.routing.post_routing_queues({"name": "q"})
    assert calls == ["POST"]


def test_post_connect_error_is_retried(monkeypatch):
    monkeypatch.setattr("genesyscloud._client.time.sleep", lambda s: None)
    calls = []

    def handler(request):
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json={"id": "q", "name": "q"})

    assert _client(handler).routing.post_routing_queues({"name": "q"}).id == "q"
    assert calls == ["POST", "POST"]


def test_with_options_overrides_per_call_and_keeps_the_original():
    statuses = iter([503, 503, 200, 503, 200])

    def handler(request):
        return httpx.Response(next(statuses), json={"id": "q"})

    gc = _client(handler, retry_policy=RetryPolicy(backoff_base=0.0, backoff_max=0.0))
    assert gc.routing.get_routing_queue("q").id == "q"
    with pytest.raises(genesyscloud.InternalServerError):
        gc.with_options(max_retries=0).routing.get_routing_queue("q")
    assert gc.options.retry.max_retries == 3
    copy = gc.with_options(retry_policy=RetryPolicy(max_retries=1, backoff_base=0.0), default_headers={"X-A": "1"})
    assert copy.options.retry.max_retries == 1 and copy.options.default_headers == {"X-A": "1"}
    assert copy.with_options(default_headers={"X-B": "2"}).options.default_headers == {"X-A": "1", "X-B": "2"}


def test_user_agent_and_default_headers():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"id": "q"})

    _client(handler, default_headers={"X-Org": "o"}).routing.get_routing_queue("q")
    assert seen[0].headers["user-agent"] == genesyscloud._client.USER_AGENT
    assert f"genesyscloud-python/{genesyscloud.__version__}" in seen[0].headers["user-agent"]
    assert seen[0].headers["x-org"] == "o" and seen[0].headers["authorization"] == "Bearer tok-123"


async def test_async_hooks_may_be_coroutines():
    seen = []

    async def pre(request):
        request.headers["X-Pre"] = "1"

    async def post(response):
        seen.append(response.status_code)

    def handler(request):
        seen.append(request.headers.get("x-pre"))
        return httpx.Response(200, json={"id": "q"})

    async with _client(handler, AsyncGenesysCloud, pre_request_hook=pre, post_request_hook=post) as agc:
        assert (await agc.routing.get_routing_queue("q")).id == "q"
    assert seen == ["1", 200]


def test_logging_follows_the_standard_logger_by_default(caplog):
    def handler(request):
        return httpx.Response(200, json={"id": "q", "access_token": "leak"})

    gc = _client(handler, log_settings=None)
    with caplog.at_level(logging.INFO, logger="genesyscloud"):
        gc.routing.get_routing_queue("q")
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="genesyscloud"):
        gc.routing.get_routing_queue("q")
    assert len(caplog.records) == 1 and "GET http://api.test/api/v2/routing/queues/q -> 200" in caplog.text
    body_on = gc.with_options(log_settings=LogSettings(level="debug", response_body=True))
    with caplog.at_level(logging.DEBUG, logger="genesyscloud"):
        body_on.routing.get_routing_queue("q")
    assert "leak" not in caplog.text and '"access_token": "[REDACTED]"' in caplog.text
    assert "tok-123" not in caplog.text


def test_json_log_lines_to_a_file(tmp_path):
    def handler(request):
        return httpx.Response(404, json={"code": "not.found", "message": "nope"}, headers={"ININ-Correlation-Id": "c9"})

    path = tmp_path / "log.jsonl"
    gc = _client(handler, log_settings=LogSettings(level="error", format="json", file_path=str(path),
                                                   response_body=True))
    with pytest.raises(genesyscloud.NotFoundError):
        gc.routing.get_routing_queue("q")
    gc.close()
    record = json.loads(path.read_text().splitlines()[0])
    assert record["level"] == "error" and record["status"] == 404 and record["correlationId"] == "c9"
    assert record["responseBody"]["message"] == "nope" and "requestHeaders" not in record


def test_import_stays_cheap():
    code = ("import sys, genesyscloud; gc = genesyscloud.GenesysCloud(region='eu-west-1'); "
            "print(sorted(m for m in ('httpx', 'watchdog', 'genesyscloud._config', 'configparser') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
