"""Every call's path, made cheaper, still says the same: headers read on demand from the
HTTP libraries' multi-dicts, options and Authorization values built once and rebuilt when
they change, the JSON shortcut, path ids, the deadline watchdog's wake-ups, and the
User-Agent of requests that carry none. (Speed itself is measured in bench/, never here.)"""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
import threading
import time

import httpx
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from urllib3._collections import HTTPHeaderDict

import genesyscloud
from genesyscloud import AccessToken, GenesysCloud, Token
from genesyscloud._core.errors import ResponseDecodeError
from genesyscloud._core.request import build_request
from genesyscloud._core.response import decode
from genesyscloud._core.transport import Headers, HttpRequest, Timeout, Watchdog
from genesyscloud.api.users import _get_user
from tests.support.loopback import serve

PAIRS = [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("X-Y", "z"), ("set-cookie", "b=2"),
         ("ININ-Correlation-Id", "c-1")]


def _sources():
    """Each library's response headers, and the pairs its transport copied them from before."""
    proxy = CIMultiDictProxy(CIMultiDict(PAIRS))
    urllib3_headers = HTTPHeaderDict()
    for name, value in PAIRS:
        urllib3_headers.add(name, value)
    return [(proxy, proxy.getall, proxy.items()), (urllib3_headers, urllib3_headers.getlist,
                                                   urllib3_headers.iteritems())]


@pytest.mark.parametrize("index", [0, 1], ids=["aiohttp", "urllib3"])
def test_headers_over_a_library_multidict_answer_as_copied_headers(index):
    eager = Headers(_sources()[index][2])
    for stage in ("on demand", "after copying"):
        source, getall, _ = _sources()[index]
        view = Headers.over(source, getall)
        if stage == "after copying":
            len(view)  # the whole mapping is copied now
        for name in ("content-type", "Content-Type", "SET-COOKIE", "x-y", "inin-correlation-id", "missing"):
            assert view.get(name) == eager.get(name), (stage, name)
            assert (name in view) == (name in eager), (stage, name)
            assert view.get_list(name) == eager.get_list(name), (stage, name)
        assert view["set-cookie"] == "a=1, b=2" and view.get("missing", 7) == 7
        with pytest.raises(KeyError):
            view["missing"]
        assert 3 not in view
        assert list(view) == list(eager) and len(view) == len(eager) and dict(view) == dict(eager)
        assert view.multi_items() == eager.multi_items() and repr(view) == repr(eager) and view == eager
        for clone in (pickle.loads(pickle.dumps(view)), copy.copy(view), copy.deepcopy(view)):
            assert type(clone) is Headers and clone.multi_items() == eager.multi_items()


def _client(handler, **kw):
    return GenesysCloud(api_host="http://api.test", auth=AccessToken("tok-1"),
                        http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kw)


def test_default_headers_and_the_token_are_what_each_call_sends_when_they_change():
    seen = []

    def handler(request):
        seen.append(request.headers)
        return httpx.Response(200, json={"id": "q"})

    gc = _client(handler, default_headers={"X-A": "1"})
    gc.routing.get_routing_queue("q")
    gc.options.default_headers["X-A"] = "2"  # changed in place: the next call sends it
    gc.routing.get_routing_queue("q")
    copy_ = gc.with_options(default_headers={"X-B": "3"})
    copy_.routing.get_routing_queue("q")
    gc.token_manager.set_token(Token("tok-2"))
    gc.routing.get_routing_queue("q")
    copy_.routing.get_routing_queue("q")
    assert [h.get("x-a") for h in seen] == ["1", "2", "2", "2", "2"]
    assert [h.get("x-b") for h in seen] == [None, None, "3", None, "3"]
    assert [h["authorization"] for h in seen] == ["Bearer tok-1"] * 3 + ["Bearer tok-2"] * 2
    gc.token_manager.set_token(Token("tok 3"))  # not a header value: refused before sending, every time
    for _ in range(2):
        with pytest.raises(genesyscloud.AuthError, match="invalid_token"):
            gc.routing.get_routing_queue("q")
    assert len(seen) == 5


@pytest.mark.parametrize("body", [
    '{"id": "\u00e9"}'.encode("utf-8-sig"), '{"id": "x"}'.encode("utf-16"), '{"id": "x"}'.encode("utf-16-le"),
    '{"id": "x"}'.encode("utf-32"), b' {"id": "x"} ', b'{"id": "\xed\xa0\x80"}',
], ids=["utf-8 BOM", "utf-16", "utf-16-le", "utf-32", "white space", "lone surrogate"])
def test_json_bodies_decode_as_json_loads_decodes_them(body):
    user = decode(_get_user, 200, Headers([("Content-Type", "application/json")]), body)
    assert user.to_dict() == json.loads(body)


@pytest.mark.parametrize("body", [b'{"id": "x"', b'{"id": "\xff"}', b'{"id": 1} x'])
def test_broken_json_bodies_still_raise_response_decode_error(body):
    with pytest.raises(ResponseDecodeError):
        decode(_get_user, 200, Headers([("Content-Type", "application/json")]), body)


@pytest.mark.parametrize("user_id, path", [
    ("0f1e-AZ_az.09~", "/api/v2/users/0f1e-AZ_az.09~"), ("a/b", "/api/v2/users/a%2Fb"),
    ("a b?c#d", "/api/v2/users/a%20b%3Fc%23d"), ("\u00fc", "/api/v2/users/%C3%BC"), ("%41", "/api/v2/users/%2541"),
])
def test_path_ids_are_percent_encoded_only_where_needed(user_id, path):
    assert build_request(_get_user, {"user_id": user_id}).path == path


def test_path_ids_that_json_cannot_carry_are_still_refused():
    with pytest.raises(ValueError, match="user_id"):
        build_request(_get_user, {"user_id": "a\ud800"})
    with pytest.raises(TypeError):
        build_request(_get_user, {"user_id": 5})


class _Attempt:
    def __init__(self):
        self.done = False
        self.expired = threading.Event()

    def expire(self):
        self.expired.set()


def test_watchdog_cuts_an_earlier_deadline_armed_after_a_later_one():
    watchdog = Watchdog()
    late, soon, later = _Attempt(), _Attempt(), _Attempt()
    watchdog.arm(time.monotonic() + 3600, late)  # the thread now sleeps for an hour
    time.sleep(0.05)
    watchdog.arm(time.monotonic() + 0.1, soon)  # earlier: the thread must be woken for it
    watchdog.arm(time.monotonic() + 1800, later)  # later than the next wake-up: no need to wake it
    assert soon.expired.wait(30)
    assert not late.expired.is_set() and not later.expired.is_set()
    done = _Attempt()
    done.done = True
    watchdog.arm(time.monotonic() + 0.1, done)  # finished attempts are never cut
    again = _Attempt()
    watchdog.arm(time.monotonic() + 0.2, again)
    assert again.expired.wait(30) and not done.expired.is_set()


def test_aiohttp_adds_no_user_agent_of_its_own():
    from genesyscloud._core.transport import TransportConfig
    from genesyscloud._core.transport_aiohttp import AiohttpTransport

    async def main(url):
        transport = AiohttpTransport(TransportConfig(trust_env=False))
        try:
            for headers in ({}, {"user-agent": "mine/1"}, {"User-Agent": "mine/2"}):
                request = HttpRequest("GET", url + "/x", [], headers, None, Timeout(10), time.monotonic() + 10)
                assert (await transport.send(request)).status_code == 200
        finally:
            await transport.close()

    with serve(lambda seen: (200, {}, {"ok": True})) as server:
        asyncio.run(main(server.url))
    assert [seen.headers.get("user-agent") for seen in server.seen] == [None, "mine/1", "mine/2"]
