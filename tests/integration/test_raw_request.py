"""client.request(): any API path with the client's auth, over real HTTP to the sandbox."""

import pytest

import genesyscloud
from genesyscloud.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=5) as sandbox:
        yield sandbox


def test_get_with_query_and_post_with_body(sb):
    with genesyscloud.GenesysCloud(api_host=sb.url,
                                   auth=genesyscloud.ClientCredentials(sb.client_id, sb.client_secret)) as gc:
        page = gc.request("GET", "/api/v2/users?pageSize=3", params={"pageNumber": 2})
        assert page.status_code == 200 and page.correlation_id
        assert (page.json()["pageSize"], page.json()["pageNumber"]) == (3, 2)
        created = gc.request("POST", "/api/v2/routing/queues", json={"name": "Raw queue"})
        assert created.json()["name"] == "Raw queue"
        logged = [r for r in sb.requests() if r["path"] == "/api/v2/routing/queues" and r["method"] == "POST"]
        assert logged[-1]["body"] == {"name": "Raw queue"}
        with pytest.raises(genesyscloud.NotFoundError):
            gc.request("GET", "/api/v2/routing/queues/no-such-queue")


async def test_async_request(sb):
    async with genesyscloud.AsyncGenesysCloud(
            api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id, sb.client_secret)) as gc:
        org = await gc.request("GET", "/api/v2/organizations/me")
        assert org.parse()["name"]


def test_bad_raw_calls_fail_before_any_traffic(sb):
    gc = genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.AccessToken("t"))
    with pytest.raises(genesyscloud.ForeignHostError, match="not a host this client's access token is for"):
        gc.request("GET", "https://elsewhere.example/api/v2/users")
    with pytest.raises(ValueError, match="API path"):
        gc.request("GET", "/v2/users")
    with pytest.raises(ValueError, match="unsupported HTTP method"):
        gc.request("TRACE", "/api/v2/users")
    with pytest.raises(ValueError, match="Authorization"):
        gc.request("GET", "/api/v2/users", headers={"Authorization": "Bearer x"})


def test_an_absolute_url_on_the_api_origin_and_a_streamed_answer(sb):
    with genesyscloud.GenesysCloud(api_host=sb.url,
                                   auth=genesyscloud.ClientCredentials(sb.client_id, sb.client_secret)) as gc:
        org = gc.request("GET", f"{sb.url}/api/v2/organizations/me")
        assert org.parse()["name"]
        with gc.request("GET", "/api/v2/organizations/me", stream=True) as body:
            assert isinstance(body, genesyscloud.BinaryResponse) and body.status_code == 200
            assert b'"name"' in body.read()
        with pytest.raises(genesyscloud.NotFoundError):  # an error status of a streamed call is read and raised
            gc.request("GET", "/api/v2/routing/queues/no-such-queue", stream=True)
