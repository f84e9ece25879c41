"""Which hosts an access token may go to (``Hosts.carries_token``): the API's origin and,
on a region, its ``https://apps.<domain>``; nothing else."""

from __future__ import annotations

import pytest

from genesyscloud import ForeignHostError, Gateway, GenesysCloud, AccessToken
from genesyscloud._regions import resolve_hosts


@pytest.mark.parametrize("url", [
    "https://api.mypurecloud.ie/api/v2/users",
    "https://API.mypurecloud.ie:443/api/v2/users",
    "https://apps.mypurecloud.ie/uploads/v4/services/contentmanagement/documents/d1",
    "https://Apps.MyPureCloud.ie/uploads/v2/prompts",
])
def test_a_region_carries_its_token_to_api_and_apps(url):
    assert resolve_hosts("eu-west-1").carries_token(url)


@pytest.mark.parametrize("url", [
    "http://apps.mypurecloud.ie/uploads/x",             # not over plain http
    "https://apps.mypurecloud.ie:8443/uploads/x",       # another port
    "https://apps.mypurecloud.com/uploads/x",           # another region's apps
    "https://api.mypurecloud.com/api/v2/users",         # another region's API
    "https://login.mypurecloud.ie/oauth/token",         # the login host gets client credentials, not the token
    "https://streaming.mypurecloud.ie/channels/x",
    "https://apps.mypurecloud.ie.evil.example/uploads",
    "https://evil.example/apps.mypurecloud.ie",
    "https://apps.mypurecloud.ie@evil.example/uploads",  # user info: really evil.example
    "https://x@apps.mypurecloud.ie/uploads",
    "https://prod-mypurecloud-ie.s3.amazonaws.com/key?X-Amz-Signature=1",  # presigned: no token
    "ftp://apps.mypurecloud.ie/x",
    "/api/v2/users",
    "not a url",
])
def test_nothing_else_carries_the_token(url):
    assert not resolve_hosts("eu-west-1").carries_token(url)


def test_an_api_named_host_gets_its_apps_twin_and_other_hosts_only_their_origin():
    hosts = resolve_hosts(api_host="https://api.example.test")
    assert hosts.apps == "https://apps.example.test"
    assert hosts.carries_token("https://apps.example.test/uploads/x")
    sandbox = resolve_hosts(api_host="http://127.0.0.1:8642")
    assert sandbox.apps is None
    assert sandbox.carries_token("http://127.0.0.1:8642/uploads/v2/x")
    assert not sandbox.carries_token("http://localhost:8642/uploads/v2/x")   # another host name
    assert not sandbox.carries_token("http://127.0.0.1:8643/uploads/v2/x")   # another port
    assert not resolve_hosts(api_host="http://api.example.test").apps         # no apps over http


def test_a_gateway_carries_the_token_to_itself_only():
    hosts = resolve_hosts(gateway=Gateway(host="gw.example.test", path_params_api="genesys"))
    assert hosts.apps is None
    assert hosts.carries_token("https://gw.example.test/uploads/x")
    assert not hosts.carries_token("https://apps.mypurecloud.com/uploads/x")


@pytest.mark.parametrize("url", ["https://evil.example/uploads/x", "http://apps.mypurecloud.com/x"])
def test_request_refuses_a_foreign_url_before_sending(url):
    with GenesysCloud(region="us-east-1", auth=AccessToken("secret-token")) as gc:
        with pytest.raises(ForeignHostError) as caught:
            gc.request("POST", url, content=b"x")
    assert isinstance(caught.value, ValueError) and "nothing was sent" in str(caught.value)
    assert "secret-token" not in str(caught.value)


def test_request_checks_content():
    with GenesysCloud(region="us-east-1", auth=AccessToken("t")) as gc:
        with pytest.raises(ValueError, match="not both"):
            gc.request("POST", "/api/v2/x", json={}, content=b"x")
        with pytest.raises(TypeError, match="content must be bytes"):
            gc.request("POST", "/api/v2/x", content="text")
        with pytest.raises(ValueError, match="API path"):
            gc.request("GET", "/uploads/x")
