"""The transport against the sandbox: retries under injected faults, non-idempotent
requests and dropped connections, logging redaction, raw responses, proxy, mutual TLS,
configuration files and live reload."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading

import pytest

import genesyscloud
from genesyscloud import AsyncGenesysCloud, ClientCredentials, GenesysCloud, RetryPolicy
from genesyscloud._core.errors import ConfigError
from genesyscloud._core.logging import LogSettings
from genesyscloud.auth import TokenRequest
from genesyscloud.sandbox import Sandbox

CLIENT_ID = "transport-client"
CLIENT_SECRET = "transport-secret-Zq81"
FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.002, total_budget=60)
PATH_OAUTH_CLIENTS = r"^/api/v2/oauth/clients$"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, seed=1) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(sb):
    sb.reset()
    return sb


def client(sandbox, **kw):
    kw.setdefault("retry_policy", FAST)
    return GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), **kw)


def _api_log(sandbox, method="GET", path="/api/v2/oauth/clients"):
    return [e for e in sandbox.requests() if e["method"] == method and e["path"] == path]


def _inject_mix(sandbox):
    # first matching rule wins: 20 % 503, then 10 % of all 429 (0.1/0.8 of the rest)
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="GET", status=503, rate=0.2)
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="GET", status=429, retry_after=1, count=2)
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="GET", status=429, retry_after=0, rate=0.125)


# per attempt: 0.2 + 0.8 * 0.125 = 30 % faults; 13 attempts make a failed call ~1e-7 likely
MANY = RetryPolicy(max_retries=12, backoff_base=0.001, backoff_max=0.002)


def _check_attempts(sandbox, calls, max_retries):
    log = _api_log(sandbox)
    assert len([e for e in log if e["status"] == 200]) == calls
    failed = [e for e in log if e["status"] != 200]
    assert {e["status"] for e in failed} == {429, 503} and len(failed) > calls * 0.2  # faults really happened
    by_call: dict[str, list[int]] = {}
    for entry in log:
        by_call.setdefault(entry["headers"]["x-call"], []).append(entry["status"])
    assert len(by_call) == calls
    for statuses in by_call.values():
        # never more attempts than the policy allows, and nothing after the success
        assert len(statuses) <= 1 + max_retries and statuses[-1] == 200 and 200 not in statuses[:-1]
    return failed


def test_2000_gets_with_injected_503_and_429_all_succeed_sync(sandbox, caplog):
    caplog.set_level(logging.DEBUG, logger="genesyscloud")
    _inject_mix(sandbox)
    sandbox.clear_requests()
    with client(sandbox, retry_policy=MANY) as gc:
        for i in range(2000):
            assert gc.with_options(default_headers={"X-Call": str(i)}).oauth.get_oauth_clients().entities is not None
    failed = _check_attempts(sandbox, 2000, MANY.max_retries)
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(retries) == len(failed)  # each retry logged at debug level with its reason
    assert sum("Retry-After 1 s" in m for m in retries) == 2
    assert any("status 503; exponential backoff" in m for m in retries)


async def test_2000_gets_with_injected_503_and_429_all_succeed_async(sandbox):
    _inject_mix(sandbox)
    sandbox.clear_requests()
    async with AsyncGenesysCloud(api_host=sandbox.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET),
                                 retry_policy=MANY) as agc:
        sem = asyncio.Semaphore(20)

        async def one(i):
            async with sem:
                return await agc.with_options(default_headers={"X-Call": str(i)}).oauth.get_oauth_clients()

        results = await asyncio.gather(*(one(i) for i in range(2000)))
    assert all(r.entities is not None for r in results)
    _check_attempts(sandbox, 2000, MANY.max_retries)


def test_retries_stop_at_max_retries(sandbox, monkeypatch):
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="GET", status=503)
    sandbox.clear_requests()
    with client(sandbox) as gc, pytest.raises(genesyscloud.InternalServerError) as info:
        gc.oauth.get_oauth_clients()
    assert info.value.status == 503 and info.value.correlation_id
    assert len(_api_log(sandbox)) == 1 + FAST.max_retries
    sandbox.clear_requests()
    with client(sandbox) as gc, pytest.raises(genesyscloud.InternalServerError):
        gc.with_options(max_retries=0).oauth.get_oauth_clients()  # per-call override
    assert len(_api_log(sandbox)) == 1


def test_retry_after_beyond_the_cap_raises_at_once(sandbox):
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="GET", status=429, retry_after=600, count=1)
    sandbox.clear_requests()
    with client(sandbox) as gc, pytest.raises(genesyscloud.RateLimitError) as info:
        gc.oauth.get_oauth_clients()
    assert info.value.retry_after == 600 and len(_api_log(sandbox)) == 1


def test_post_dropped_after_processing_is_not_retried(sandbox):
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="POST", drop="after", count=1)
    sandbox.clear_requests()
    with client(sandbox) as gc, pytest.raises(genesyscloud.APIConnectionError) as info:
        gc.oauth.post_oauth_clients({"name": "dropped", "authorizedGrantType": "CLIENT-CREDENTIALS"})
    assert info.value.method == "POST"
    posts = _api_log(sandbox, "POST")
    assert len(posts) == 1 and posts[0].get("dropped") and posts[0]["status"] == 200  # processed, then dropped


def test_get_dropped_is_retried(sandbox):
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="GET", drop="after", count=1)
    sandbox.clear_requests()
    with client(sandbox) as gc:
        assert gc.oauth.get_oauth_clients().entities is not None
    assert len(_api_log(sandbox)) == 2


def test_post_meeting_429_is_retried(sandbox, monkeypatch):
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="POST", status=429, retry_after=0, count=1)
    sandbox.clear_requests()
    with client(sandbox) as gc:
        created = gc.oauth.post_oauth_clients({"name": "after-429", "authorizedGrantType": "CLIENT-CREDENTIALS"})
    assert created.name == "after-429"
    assert [e["status"] for e in _api_log(sandbox, "POST")] == [429, 200]


def test_post_meeting_503_is_not_retried(sandbox):
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="POST", status=503, count=1)
    sandbox.clear_requests()
    with client(sandbox) as gc, pytest.raises(genesyscloud.InternalServerError):
        gc.oauth.post_oauth_clients({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS"})
    assert len(_api_log(sandbox, "POST")) == 1


def test_raw_and_extended_responses(sandbox):
    with client(sandbox) as gc:
        raw = gc.oauth.with_raw_response.get_oauth_clients()
        assert raw.status_code == 200 and raw.correlation_id == raw.headers["inin-correlation-id"]
        assert raw.json()["entities"] == [c.to_dict() for c in raw.parse().entities]
        ext = GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET),
                           return_extended_responses=True)
        with ext:
            page = ext.oauth.get_oauth_clients()
            assert isinstance(page, genesyscloud.APIResponse) and page.body.entities is not None
    logged = {e["correlationId"] for e in sandbox.requests()}
    assert raw.correlation_id in logged


def test_user_agent_default_headers_and_hooks(sandbox):
    seen = []

    def pre(request):
        request.headers["X-Trace"] = "abc"

    with client(sandbox, default_headers={"X-Team": "t1"}, pre_request_hook=pre,
                post_request_hook=lambda r: seen.append(r.status_code)) as gc:
        gc.oauth.get_oauth_clients()
    entry = _api_log(sandbox)[-1]
    assert entry["headers"]["user-agent"].startswith(f"genesyscloud-python/{genesyscloud.__version__}")
    assert entry["headers"]["x-team"] == "t1" and entry["headers"]["x-trace"] == "abc"
    assert seen == [200]


SECRET_WORDS = [CLIENT_SECRET, "s3cr3t-code-ABC", "verifier-XYZ-123", "PHNhbWw+YXNzZXJ0aW9uPC9zYW1sPg"]


@pytest.mark.parametrize("level", ["trace", "debug", "error", "none"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_in_logs_at_any_level(sandbox, tmp_path, level, fmt, monkeypatch):
    log_file = tmp_path / "sdk.log"
    settings = LogSettings(level=level, format=fmt, file_path=str(log_file), request_body=True, response_body=True)
    secrets = list(SECRET_WORDS)
    sandbox.add_fault(r"^/api/v2/routing/queues$", method="GET", status=503, count=1)
    with client(sandbox, log_settings=settings) as gc:
        gc.routing.get_routing_queues(page_size=5)
        created = gc.oauth.post_oauth_clients({"name": "logged", "authorizedGrantType": "CLIENT-CREDENTIALS"})
        secrets.append(created.secret)
        secrets.append(gc.token.access_token)
        with pytest.raises(genesyscloud.NotFoundError):
            gc.oauth.get_oauth_client("nope")
        # token requests carrying a code, a verifier and a SAML assertion
        for form in ({"grant_type": "authorization_code", "code": "s3cr3t-code-ABC", "redirect_uri": "http://x/cb",
                      "code_verifier": "verifier-XYZ-123"},
                     {"grant_type": "urn:ietf:params:oauth:grant-type:saml2-bearer", "orgName": "o",
                      "assertion": "PHNhbWw+YXNzZXJ0aW9uPC9zYW1sPg"}):
            response = gc._drive(gc._token_flow(TokenRequest(form, {"Authorization": "Basic dHJhbnNwb3J0"})))
            assert response.status_code >= 400
    text = log_file.read_text() if log_file.exists() else ""
    for secret in secrets:
        assert secret and secret not in text
    assert "dHJhbnNwb3J0" not in text
    if level == "none":
        assert text == ""
        return
    assert "/api/v2/oauth/clients" in text and "404" in text
    if level in ("trace", "debug"):
        assert "retry" in text and "503" in text  # the retry, with its reason
        assert "[REDACTED]" in text  # the secrets were there, masked
    if level == "trace":
        assert "inin-correlation-id" in text.lower()
    if fmt == "json":
        records = [json.loads(line) for line in text.splitlines()]
        assert all("level" in r for r in records)


def test_standard_logging_propagation_redacts(sandbox, caplog):
    caplog.set_level(5, logger="genesyscloud")
    with client(sandbox) as gc:
        gc.oauth.get_oauth_clients()
        token = gc.token.access_token
    assert any("/api/v2/oauth/clients" in r.getMessage() for r in caplog.records)
    assert token not in caplog.text and CLIENT_SECRET not in caplog.text


def test_config_file_drives_the_client(sandbox, tmp_path, monkeypatch):
    for var in ("GENESYSCLOUD_REGION", "GENESYSCLOUD_API_HOST", "GENESYSCLOUD_ACCESS_TOKEN",
                "GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    log_file = tmp_path / "cfg.log"
    path = tmp_path / "config"
    path.write_text(f"""
[general]
host = https://api.mypurecloud.ie
[logging]
log_level = debug
log_file_path = {log_file}
[retry]
retry_max = 1
retry_wait_min = 0.001
[profile sandbox]
host = {sandbox.url}
client_id = {CLIENT_ID}
client_secret = {CLIENT_SECRET}
""")
    sandbox.add_fault(PATH_OAUTH_CLIENTS, method="GET", status=503)
    sandbox.clear_requests()
    with GenesysCloud.from_config(path, profile="sandbox") as gc:
        assert gc.hosts.api == sandbox.url and gc.options.retry.max_retries == 1
        with pytest.raises(genesyscloud.InternalServerError):
            gc.oauth.get_oauth_clients()
    assert len(_api_log(sandbox)) == 2
    assert "503" in log_file.read_text()


def test_live_reload_changes_the_log_level_of_a_running_client(sandbox, tmp_path):
    log_file = tmp_path / "live.log"
    path = tmp_path / "config.json"

    def write(level):  # atomically, as editors and deployment tools do
        tmp = tmp_path / "config.tmp"
        tmp.write_text(json.dumps({"general": {"host": sandbox.url, "live_reload_config": True},
                                   "logging": {"log_level": level, "log_file_path": str(log_file)}}))
        os.replace(tmp, path)

    write("none")
    gc = GenesysCloud.from_config(path, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET))
    with gc:
        assert gc._shared.watcher is not None
        reloaded = threading.Event()
        gc._shared.watcher.listeners.append(lambda error: reloaded.set() if error is None and
                                            gc.options.log.level == "debug" else None)
        gc.oauth.get_oauth_clients()
        assert not log_file.exists() or log_file.read_text() == ""
        write("debug")
        assert reloaded.wait(20), "the watcher did not apply the change"
        gc.oauth.get_oauth_clients()
        assert "/api/v2/oauth/clients" in log_file.read_text()
    assert gc._shared.watcher is None  # stopped by close()


def test_reload_keeps_old_settings_on_a_broken_file(sandbox, tmp_path):
    path = tmp_path / "config"
    path.write_text(f"[general]\nhost = {sandbox.url}\n[retry]\nretry_max = 2\n")
    # explicit reloads (no watcher thread, so nothing races with the assertions)
    with GenesysCloud(config_file=path, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET)) as gc:
        assert gc.options.retry.max_retries == 2
        path.write_text(f"[general]\nhost = {sandbox.url}\n[retry]\nretry_max = many\n")
        with pytest.raises(ConfigError, match="retry_max"):
            gc.reload_config()
        assert gc.options.retry.max_retries == 2
        path.write_text(f"[general]\nhost = {sandbox.url}\n[retry]\nretry_max = 5\n")
        gc.reload_config()
        assert gc.options.retry.max_retries == 5
        assert gc.with_options(max_retries=0).options.retry.max_retries == 0
