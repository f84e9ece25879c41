"""Bad arguments fail clearly, naming the operation and the parameter, before any traffic."""

import datetime

import httpx
import pytest

import genesyscloud


@pytest.fixture
def client_and_log():
    seen = []
    http = httpx.Client(transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200, json={})))
    client = genesyscloud.GenesysCloud(api_host="http://api.test", auth=genesyscloud.AccessToken("t"), http_client=http)
    return client, seen


def test_missing_required_parameter(client_and_log):
    client, seen = client_and_log
    with pytest.raises(TypeError, match="get_oauth_client.*client_id"):
        client.oauth.get_oauth_client()
    with pytest.raises(ValueError, match="get_oauth_client.*'client_id' is None"):
        client.oauth.get_oauth_client(None)
    with pytest.raises(ValueError, match="get_oauth_client.*'client_id' must not be empty"):
        client.oauth.get_oauth_client("")
    assert seen == []


def test_wrong_type_for_path_and_query_parameters(client_and_log):
    client, seen = client_and_log
    with pytest.raises(TypeError, match=r"get_oauth_client\(\): parameter 'client_id' \(path 'clientId'\) expects str, got dict"):
        client.oauth.get_oauth_client({"id": 1})
    with pytest.raises(TypeError, match=r"get_routing_queues\(\): parameter 'page_size'.*expects int, got str"):
        client.routing.get_routing_queues(page_size="25")
    with pytest.raises(TypeError, match="page_size.*expects int, got bool"):
        client.routing.get_routing_queues(page_size=True)
    assert seen == []


def test_unknown_keyword(client_and_log):
    client, seen = client_and_log
    with pytest.raises(TypeError, match="get_routing_queues.*unexpected keyword argument 'pagesize'"):
        client.routing.get_routing_queues(pagesize=3)
    assert seen == []


def test_wrong_body_type(client_and_log):
    client, seen = client_and_log
    with pytest.raises(TypeError, match="post_routing_queues.*body"):
        client.routing.post_routing_queues([{"name": "x"}])
    assert seen == []


def test_query_encoding(client_and_log):
    client, seen = client_and_log
    client.users.get_users(page_size=5, expand=["presence", "routingStatus"], state=None, jabber_id="a b")
    # array parameters comma-joined, as both official SDKs send them
    assert sorted(seen[0].url.params.multi_items()) == sorted([("pageSize", "5"), ("jabberId", "a b"),
                                                                ("expand", "presence,routingStatus")])
    assert "state" not in seen[0].url.params


def test_datetime_query_and_body_values(client_and_log):
    client, seen = client_and_log
    from genesyscloud.models import OAuthClientRequest

    when = datetime.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.timezone.utc)
    client.oauth.post_oauth_clients(OAuthClientRequest(name="n", authorized_grant_type="CLIENT-CREDENTIALS",
                                                       date_to_delete=when))
    import json

    assert json.loads(seen[0].content) == {"name": "n", "authorizedGrantType": "CLIENT-CREDENTIALS",
                                           "dateToDelete": "2024-01-02T03:04:05.006Z"}


def test_bad_client_arguments():
    with pytest.raises(ValueError, match="unknown Genesys Cloud region 'eu-west-9'.*eu-west-1"):
        genesyscloud.GenesysCloud(region="eu-west-9")
    with pytest.raises(TypeError, match="auth must be a grant"):
        genesyscloud.GenesysCloud(auth=("id", "secret"))
    with pytest.raises(ValueError, match="client_secret"):
        genesyscloud.ClientCredentials("id", "")
    with pytest.raises(ValueError, match="timeout"):
        genesyscloud.GenesysCloud(timeout=None)


def test_wrong_container_for_an_array_parameter(client_and_log):
    client, seen = client_and_log
    with pytest.raises(TypeError, match=r"parameter 'expand' \(query 'expand'\) expects list of str, got dict"):
        client.users.get_users(expand={"presence": True})
    assert seen == []
