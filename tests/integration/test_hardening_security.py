"""Issue 12, items 1-3: credentials follow their host, secrets stay out of logs and
exceptions, and a login service that cannot be reached is a connection error.

Everything runs over loopback HTTP against the sandbox (and a real ``redis-server`` for
the Redis store).
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

import genesyscloud
from genesyscloud import APIConnectionError, AuthError, GenesysCloud, LogSettings
from genesyscloud.auth import AccessToken, ClientCredentials, FileTokenStore, MemoryTokenStore, Token

from .test_auth_support import (  # noqa: F401  (fixtures)
    control, free_port, redis_url, requests_log, sandbox, sb, token_requests)

SECRET_WORDS = ("OldPa55word-xyz", "NewPa55word-xyz", "DeviceT0ken-xyz", "S3cretValue-xyz")


def _store(kind: str, tmp_path, redis_url_factory):
    if kind == "memory":
        return MemoryTokenStore()
    if kind == "file":
        return FileTokenStore(tmp_path / "tokens.json")
    from genesyscloud.auth import RedisTokenStore

    return RedisTokenStore(redis_url_factory(), prefix=f"t{free_port()}:")


# -- item 1: store keys bound to login host, client id and secret --------------------------------

@pytest.mark.parametrize("kind", ["memory", "file", "redis"])
def test_a_wrong_secret_never_adopts_a_token_another_client_stored(sandbox, tmp_path, request, kind):
    store = _store(kind, tmp_path, lambda: request.getfixturevalue("redis_url"))
    with GenesysCloud(api_host=sandbox.url, token_store=store,
                      auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as good:
        assert good.users.get_users(page_size=1).entities
    with GenesysCloud(api_host=sandbox.url, token_store=store,
                      auth=ClientCredentials(sandbox.client_id, "a-wrong-secret")) as bad:
        with pytest.raises(AuthError) as info:
            bad.users.get_users(page_size=1)
    assert info.value.status == 401 and info.value.error == "invalid_client"
    assert [r["status"] for r in token_requests(sandbox)] == [200, 401]


@pytest.mark.parametrize("kind", ["memory", "file", "redis"])
def test_a_stored_token_is_not_sent_to_another_login_host(sandbox, tmp_path, request, kind):
    store = _store(kind, tmp_path, lambda: request.getfixturevalue("redis_url"))
    other_host = sandbox.url.replace("127.0.0.1", "localhost")  # the same server under another origin
    for host in (sandbox.url, other_host):
        with GenesysCloud(api_host=host, token_store=store,
                          auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as client:
            assert client.users.get_users(page_size=1).entities
    assert len(token_requests(sandbox)) == 2  # each host got its own token


# -- item 2: secret-bearing body fields masked in every log --------------------------------------

def _secret_calls(client: GenesysCloud) -> None:
    body = {"oldPassword": SECRET_WORDS[0], "newPassword": SECRET_WORDS[1],
            "nested": [{"deviceToken": SECRET_WORDS[2], "clientSecret": SECRET_WORDS[3], "name": "visible-name"}]}
    for path in ("/api/v2/users/me/password", "/api/v2/no/such/path"):  # a success or a 4xx: both are logged
        try:
            client.request("POST", path, json=body)
        except genesyscloud.APIStatusError:
            pass


@pytest.mark.parametrize("level", ["trace", "debug", "error"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secret_body_fields_are_masked_at_every_level_and_format(sandbox, tmp_path, level, fmt):
    log_file = tmp_path / "sdk.log"
    settings = LogSettings(level=level, format=fmt, file_path=str(log_file), request_body=True, response_body=True)
    with GenesysCloud(api_host=sandbox.url, log_settings=settings,
                      auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as client:
        _secret_calls(client)
    text = log_file.read_text()
    assert "/api/v2/no/such/path" in text  # the failed call is logged at every level
    for word in (*SECRET_WORDS, sandbox.client_secret):
        assert word not in text
    assert "[REDACTED]" in text
    if level != "error":
        assert "visible-name" in text  # only the secret fields are masked


def test_secret_body_fields_are_masked_in_propagated_records(sandbox, caplog):
    with GenesysCloud(api_host=sandbox.url, log_settings=LogSettings(request_body=True, response_body=True),
                      auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as client, \
            caplog.at_level(1, logger="genesyscloud"):
        _secret_calls(client)
    text = "\n".join(r.getMessage() + json.dumps(getattr(r, "genesyscloud", {}), default=str) for r in caplog.records)
    assert "newPassword" in text
    for word in SECRET_WORDS:
        assert word not in text


def test_the_secret_field_list_comes_from_the_api_definition():
    from codegen import spec as spec_mod
    from genesyscloud._core import logging as gclog
    from genesyscloud._core._secret_fields import SECRET_FIELDS

    assert set(spec_mod.secret_fields(spec_mod.load())) == set(SECRET_FIELDS)
    for name in ("password", "newPassword", "oldPassword", "clientSecret", "deviceToken", "refreshToken"):
        assert name in SECRET_FIELDS and gclog.is_secret_key(name)
    for name in ("tokenExpirationDate", "deviceTokenId", "oauthTokenUrl", "clientSecretProvided"):
        assert name not in SECRET_FIELDS
    masked = gclog.mask_json({"user": {"newPassword": "x", "name": "n"}, "pairing-token": "t"})
    assert masked == {"user": {"newPassword": "[REDACTED]", "name": "n"}, "pairing-token": "[REDACTED]"}


def test_httpx_info_line_carries_no_query_secret(sandbox, caplog):
    import httpx  # httpx logs its INFO line only when the caller sends through an httpx client

    with httpx.Client() as http, GenesysCloud(api_host=sandbox.url, http_client=http,
                                               auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) \
            as client, caplog.at_level(logging.INFO, logger="httpx"):
        client.request("GET", "/api/v2/users", params={"pageSize": 1, "code": "Qu3rySecret-xyz"})
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("/api/v2/users" in line and "pageSize=1" in line for line in lines), lines
    assert not any("Qu3rySecret-xyz" in line for line in lines)


def test_an_access_token_with_illegal_characters_is_never_echoed_nor_sent(sandbox):
    bad = "Il1egal\ntoken-xyz"
    with pytest.raises(ValueError) as info:
        AccessToken(bad)
    assert "Il1egal" not in str(info.value)
    with GenesysCloud(api_host=sandbox.url, max_retries=3,
                      auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as client:
        client.token_manager.set_token(Token(access_token="t\u00f6ken-Il1egal"))  # e.g. from a shared store
        control(sandbox, "DELETE", "/requests")
        with pytest.raises(AuthError) as failed:
            client.users.get_users(page_size=1)
    assert failed.value.error == "invalid_token" and "Il1egal" not in str(failed.value)
    assert requests_log(sandbox) == []  # never sent, so never retried


def _chain(exc):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def test_the_cause_of_a_connection_error_holds_no_credentials():
    closed = f"http://127.0.0.1:{free_port()}"
    for auth, secret in ((AccessToken("Bearer-s3cret-xyz"), "Bearer-s3cret-xyz"),
                         (ClientCredentials("cid", "Client-s3cret-xyz"), "Client-s3cret-xyz")):
        with GenesysCloud(api_host=closed, auth=auth, max_retries=0) as client:
            with pytest.raises(APIConnectionError) as info:
                client.users.get_users()
        causes = list(_chain(info.value))
        assert len(causes) > 1  # the transport's error is kept as the cause
        for exc in causes:
            assert secret not in str(exc) and secret not in repr(exc) and secret not in repr(vars(exc))
            request = getattr(exc, "request", None)
            headers = getattr(request, "headers", None)
            if headers is not None:  # an httpx-style cause carries its request: credentials masked
                assert headers.get("Authorization", "[REDACTED]") == "[REDACTED]"


# -- item 3: the network down during the token request ------------------------------------------

def test_an_unreachable_login_service_is_a_connection_error_sync_and_async():
    closed = f"http://127.0.0.1:{free_port()}"
    with GenesysCloud(api_host=closed, auth=ClientCredentials("cid", "secret"), max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            client.users.get_users()
    assert not isinstance(info.value, AuthError) and info.value.url == f"{closed}/oauth/token"

    async def main() -> BaseException:
        async with genesyscloud.AsyncGenesysCloud(api_host=closed, auth=ClientCredentials("cid", "secret"),
                                                  max_retries=0) as client:
            try:
                await client.users.get_users()
            except BaseException as exc:  # noqa: BLE001 - returned for the assertions below
                return exc
        raise AssertionError("no error")

    error = asyncio.run(main())
    assert isinstance(error, APIConnectionError) and not isinstance(error, AuthError)


def test_missing_credentials_does_not_claim_a_token_request(sandbox):
    with GenesysCloud(api_host=sandbox.url) as client:
        with pytest.raises(AuthError) as info:
            client.users.get_users()
        with pytest.raises(AuthError) as direct:
            client.authenticate()
    for exc in (info.value, direct.value):
        assert exc.error == "missing_credentials" and "token request failed" not in str(exc)
    assert requests_log(sandbox) == []
