"""What the compat layer does beyond (or better than) the official SDK, against the sandbox."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

import genesyscloud.compat.purecloud as P
from genesyscloud.compat import PlatformClient
from genesyscloud.compat.purecloud import _configuration
from genesyscloud.compat.purecloud.rest import ApiException
from genesyscloud.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=1, token_ttl=600) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    sb.reset()
    api_client = P.ApiClient(host=sb.url).get_client_credentials_token(sb.client_id, sb.client_secret)
    yield api_client
    api_client.close()


def test_models_have_the_official_shape_and_stay_lossless():
    wire = {"id": "c1", "name": "n", "authorizedGrantType": "SOMETHING-NEW", "futureField": {"x": 1},
            "createdBy": {"id": "u1", "selfUri": "/api/v2/users/u1"}, "dateCreated": "2024-01-02T03:04:05.000Z"}
    client = P.OAuthClient.from_dict(wire)
    assert client.authorized_grant_type == "SOMETHING-NEW"  # not "outdated_sdk_version"
    official = client.to_dict()
    assert official["created_by"] == {"id": "u1", "name": None, "self_uri": "/api/v2/users/u1"}
    assert official["secret"] is None and "futureField" not in official
    assert json.loads(client.to_json())["date_created"] == "2024-01-02T03:04:05+00:00"
    assert client.to_wire_dict() == wire  # unknown field and unknown enum value kept
    assert isinstance(client.created_by, P.models.DomainEntityRef)
    empty = P.OAuthClientRequest()
    empty.name = "a"
    other = P.OAuthClientRequest()
    other.name = "a"
    assert empty == other and empty != P.OAuthClientRequest()
    assert P.OAuthClientRequest.swagger_types["role_divisions"] == "list[RoleDivision]"
    call = P.Call()
    call.pcSelf = P.Participant()
    assert call.self_ is call.pcSelf and "pcSelf" in call.to_dict()
    with pytest.raises(TypeError):
        empty.access_token_validity_seconds = {"not": "an int"}


def test_api_errors_raise_api_exception_with_status_reason_body_headers(client):
    with pytest.raises(ApiException) as info:
        P.OAuthApi(client).get_oauth_client("no-such-client")
    exc = info.value
    assert exc.status == 404 and exc.reason == "Not Found"
    assert json.loads(exc.body)["status"] == 404
    assert exc.headers["inin-correlation-id"] == exc.correlation_id
    with pytest.raises(ApiException) as refused:
        P.ApiClient(host=client.host).get_client_credentials_token("nobody", "wrong")
    assert refused.value.status == 401 and json.loads(refused.value.body)["error"] == "invalid_client"


def test_array_query_parameters_are_sent_comma_separated(client, sb):
    sb.clear_requests()
    P.UsersApi(client).get_users(expand=["presence", "authorization"], page_size=5)
    entry = [r for r in sb.requests() if r["path"] == "/api/v2/users"][-1]
    assert entry["query"]["expand"] == ["presence,authorization"]
    assert entry["query"]["pageSize"] == ["5"]


def test_client_credentials_tokens_renew_themselves(client, sb):
    api = P.OAuthApi(client)
    first = client.access_token
    api.get_oauth_clients()
    sb.advance_clock(601)  # the token has expired on the server's clock
    assert api.get_oauth_clients().total >= 1
    assert client.access_token != first


def test_required_and_unknown_arguments_fail_before_sending(client):
    api = P.OAuthApi(client)
    with pytest.raises(ValueError):
        api.get_oauth_client(None)
    with pytest.raises(TypeError):
        api.get_oauth_clients(no_such_argument=1)


def test_callback_runs_the_call_in_a_thread(client):
    done = threading.Event()
    seen = []
    thread = P.OAuthApi(client).get_oauth_clients(callback=lambda result: (seen.append(result), done.set()))
    assert isinstance(thread, threading.Thread)
    assert done.wait(30)
    assert seen[0].total >= 1


def test_platform_client_facade_with_token_cache(sb, tmp_path):
    sb.reset()
    cache = tmp_path / "token.json"
    platform = (PlatformClient().set_oauth_client_id(sb.client_id).set_oauth_client_secret(sb.client_secret)
                .set_oauth_base_url(sb.url).set_oauth_token_cache_path(cache))
    users = platform.get_api_client().get_api_instance("UsersApi")
    assert users.get_users(page_size=2).total >= 1
    assert cache.exists() and stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert sb.client_secret not in cache.read_text() and sb.client_secret not in repr(platform)
    platform.clear_oauth_token_cache()
    assert not cache.exists()
    with pytest.raises(ValueError):
        platform.get_api_client().get_api_instance("NoSuchApi")


def test_gateway_urls_and_region_hosts():
    api_client = P.ApiClient(host="https://api.mypurecloud.ie")
    assert api_client.get_conf_url("login", api_client.host) == "https://login.mypurecloud.ie"
    api_client.set_gateway("gw.example.com", "https", 1443, "login", "/api/")
    assert api_client.get_conf_url("login", api_client.host) == "https://gw.example.com:1443/login"
    assert api_client.get_conf_url("api", api_client.host) == "https://gw.example.com:1443/api"
    api_client.set_gateway(hostname="gw.example.com", scheme="http", port=-1, login_path="l", api_path="a")
    assert api_client.get_conf_url("api", "x") == "http://gw.example.com/a"
    assert P.PureCloudRegionHosts.eusc_de_east_1.get_api_host() == "https://api.edee1.eusc-pure.cloud"
    verifier = api_client.generate_pkce_code_verifier(43)
    assert len(verifier) == 43 and len(api_client.compute_pkce_code_challenge(verifier)) == 43
    with pytest.raises(ValueError):
        api_client.generate_pkce_code_verifier(42)


def test_config_file_is_read_strictly(tmp_path):
    config = object.__new__(_configuration.Configuration)
    config._config_file_path = str(tmp_path / "none")
    config.logger = P.logger.Logger()
    config.gateway_configuration = None
    sections = _configuration._parse("cfg", "[general]\nhost = https://api.mypurecloud.de\n"
                                            "[reauthentication]\nrefresh_token_wait_max = 7\n"
                                            "[logging]\nlog_level = debug\n[gateway]\nhost = gw\nport = 8443\n")
    _configuration.apply_sections(config, sections, "cfg")
    assert config.host == "https://api.mypurecloud.de" and config.refresh_token_wait_time == 7
    assert config.logger.log_level == P.logger.LogLevel.LDebug
    assert config.gateway_configuration.base_url("api") == "https://gw:8443"
    with pytest.raises(ValueError, match=r"\[reauthentication\] refresh_token_wait_max"):
        _configuration.apply_sections(config, {"reauthentication": {"refresh_token_wait_max": "soon"}}, "cfg")
    with pytest.raises(ValueError, match="not valid JSON"):
        _configuration._parse("cfg.json", "{broken")
    assert config.refresh_token_wait_time == 7  # a bad file changed nothing
