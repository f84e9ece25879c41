"""Hosts, retries, bodies and array parameters over real loopback HTTP (issue 12, items
5, 8, 9 and 23)."""

from __future__ import annotations

import math

import pytest

import genesyscloud
from genesyscloud import AccessToken, AsyncGenesysCloud, GenesysCloud, RetryPolicy
from tests.support.loopback import serve

FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.002, max_retry_after=5)


# ---------------------------------------------------------------- item 5: malformed hosts

@pytest.mark.parametrize("host", ["http//127.0.0.1", "not a url", "http://", "127.0.0.1:8642", "localhost",
                                  "ftp://api.example.com", "http://127.0.0.1:99999", "https://u:p@api.example.com",
                                  "http://127.0.0.1:8642/?x=1", "https://bad host.example.com", ""])
@pytest.mark.parametrize("cls", [GenesysCloud, AsyncGenesysCloud])
def test_malformed_hosts_are_refused_at_construction_with_an_example(host, cls):
    with pytest.raises(ValueError, match=r"malformed host .*such as 'https://api\.mypurecloud\.com'") as info:
        cls(api_host=host or " ", auth=AccessToken("t"))
    assert "http://127.0.0.1:8642" in str(info.value)
    with pytest.raises(ValueError, match="malformed host"):
        cls(region="eu-west-1", login_host=host or " ", auth=AccessToken("t"))


def test_well_formed_hosts_still_work_and_keep_their_scheme():
    assert GenesysCloud(api_host="api.mypurecloud.ie").hosts.api == "https://api.mypurecloud.ie"
    assert GenesysCloud(api_host="http://127.0.0.1:8642/").hosts.api == "http://127.0.0.1:8642"
    assert GenesysCloud(api_host="https://gw.example.com/genesys").hosts.api == "https://gw.example.com/genesys"
    with serve(lambda req: (200, {}, {"id": "org"})) as srv:
        assert GenesysCloud(api_host=srv.url + "/", auth=AccessToken("t")).request(
            "GET", "/api/v2/organizations/me").json() == {"id": "org"}
    assert srv.seen[0].path == "/api/v2/organizations/me"


# ---------------------------------------------------------------- item 8: 503 Retry-After over the cap

@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_beyond_the_cap_gives_up_at_once_with_the_servers_error(status):
    def handler(req):
        return status, {"Retry-After": "3600"}, {"message": "come back in an hour", "code": "busy", "status": status}

    with serve(handler) as srv:
        gc = GenesysCloud(api_host=srv.url, auth=AccessToken("t"), retry_policy=FAST)
        with pytest.raises(genesyscloud.APIStatusError) as info:
            gc.users.get_users()
    assert info.value.status == status and "come back in an hour" in str(info.value)
    assert len(srv.seen) == 1  # no short-backoff retries


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_within_the_cap_is_honoured_then_succeeds(status):
    answers = iter([(status, {"Retry-After": "0"}, {"message": "busy"}), (200, {}, {"entities": []})])

    with serve(lambda req: next(answers)) as srv:
        async with AsyncGenesysCloud(api_host=srv.url, auth=AccessToken("t"), retry_policy=FAST) as gc:
            page = await gc.users.get_users()
    assert page.entities == [] and len(srv.seen) == 2


# ---------------------------------------------------------------- item 9: NaN, Infinity, lone surrogates

@pytest.mark.parametrize("value, what", [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"),
                                         ("ok \ud800 no", "lone surrogate")])
def test_values_json_cannot_carry_are_refused_before_sending_naming_the_field(value, what):
    with serve(lambda req: (200, {}, {})) as srv:
        gc = GenesysCloud(api_host=srv.url, auth=AccessToken("t"))
        body = {"name": "q", "mediaSettings": {"call": {"serviceLevel": {"percentage": value}}}}
        with pytest.raises(ValueError, match=r"post_routing_queues\(\): body\.mediaSettings\.call\.serviceLevel"
                                             r"\.percentage") as info:
            gc.routing.post_routing_queues(body)
        assert what in str(info.value)
        with pytest.raises(ValueError, match=r"post_routing_queue_members\(\): body\[1\]\.id"):
            gc.routing.post_routing_queue_members("q1", [{"id": "a"}, {"id": value}])
        with pytest.raises(ValueError, match=r"request\(\): body\.a\[0\]"):
            gc.request("POST", "/api/v2/anything", json={"a": [value]})
    assert srv.seen == []  # nothing left the machine


def test_a_lone_surrogate_in_a_query_parameter_or_key_is_refused():
    with serve(lambda req: (200, {}, {"entities": []})) as srv:
        gc = GenesysCloud(api_host=srv.url, auth=AccessToken("t"))
        with pytest.raises(ValueError, match=r"get_users\(\): parameter 'jabber_id'.*lone surrogate"):
            gc.users.get_users(jabber_id="x\udc00")
        with pytest.raises(ValueError, match=r"the key"):
            gc.request("POST", "/api/v2/anything", json={"bad\ud800": 1})
        gc.users.get_users(jabber_id="ünïcödé ✓")  # real non-ASCII text goes through
    assert len(srv.seen) == 1 and srv.seen[0].param("jabberId") == "ünïcödé ✓"


def test_a_model_body_with_infinity_is_refused_too():
    from genesyscloud.models import QueueRequest

    with serve(lambda req: (200, {}, {})) as srv:
        gc = GenesysCloud(api_host=srv.url, auth=AccessToken("t"))
        with pytest.raises(ValueError, match=r"post_routing_queues\(\): body\.acwSettings\.timeoutMs is inf"):
            gc.routing.post_routing_queues(QueueRequest(name="q", acw_settings={"timeoutMs": math.inf}))
    assert srv.seen == []


# ---------------------------------------------------------------- item 23: array query parameters

def test_array_query_parameters_are_comma_joined_unless_repeated_is_asked_for():
    with serve(lambda req: (200, {}, {"entities": []})) as srv:
        gc = GenesysCloud(api_host=srv.url, auth=AccessToken("t"))
        gc.users.get_users(expand=["presence", "routingStatus"], id=["a", "b", "c"])
        gc.users.get_users(expand=genesyscloud.Repeated(["presence", "routingStatus"]))
        gc.users.get_users(expand="presence")
        gc.users.get_users(expand=[])
    assert srv.seen[0].raw_query == "id=a%2Cb%2Cc&expand=presence%2CroutingStatus" or sorted(srv.seen[0].query) == [
        ("expand", "presence,routingStatus"), ("id", "a,b,c")]
    assert srv.seen[1].query == [("expand", "presence"), ("expand", "routingStatus")]
    assert srv.seen[2].query == [("expand", "presence")]
    assert srv.seen[3].query == []
