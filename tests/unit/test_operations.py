"""The operation table and the client surface."""

import html

import pytest

import genesyscloud
from genesyscloud.api import GROUPS


def test_every_operation_is_listed_once():
    ops = genesyscloud.operations()
    assert len(ops) == 3355
    assert len({op.operation_id for op in ops}) == 3355
    by_id = {op.operation_id: op for op in ops}
    op = by_id["getOauthClients"]
    assert (op.method_name, op.http_method, op.path, op.tags) == (
        "get_oauth_clients", "GET", "/api/v2/oauth/clients", ("OAuth",))
    assert op.response == "OAuthClientEntityListing"


@pytest.mark.parametrize("cls", [genesyscloud.GenesysCloud, genesyscloud.AsyncGenesysCloud])
def test_every_operation_is_reachable_under_each_of_its_tags(cls):
    client = cls(api_host="http://127.0.0.1:9", auth=genesyscloud.AccessToken("t"))
    missing = [
        (tag, op.method_name)
        for op in genesyscloud.operations()
        for tag in op.tags
        if not callable(getattr(getattr(client, GROUPS[html.unescape(tag)][1]), op.method_name, None))
    ]
    assert missing == []


def test_required_parameters_positional_optional_keyword_only():
    import inspect

    client = genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=genesyscloud.AccessToken("t"))
    sig = inspect.signature(client.routing.get_routing_queue_members)
    kinds = {name: p.kind for name, p in sig.parameters.items()}
    assert kinds["queue_id"] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert kinds["page_size"] is inspect.Parameter.KEYWORD_ONLY
    assert "GET /api/v2/routing/queues/{queueId}/members" in client.routing.get_routing_queue_members.__doc__


def test_group_names():
    assert GROUPS["OAuth"][1:] == ("oauth", "OAuthAPI", "AsyncOAuthAPI")
    assert GROUPS["Speech & Text Analytics"][1] == "speech_text_analytics"
