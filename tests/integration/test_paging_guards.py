"""Paging guards over real loopback HTTP, against purpose-built misbehaving servers
(issue 12, items 16-18): no identical request twice, a second iteration gives the same
items, an empty page with a next link is followed."""

from __future__ import annotations

import warnings

import pytest

import genesyscloud
from genesyscloud._core.pagination import PaginationWarning
from tests.support.loopback import serve


def _sync(url):
    return genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.AccessToken("t"))


def _async(url):
    return genesyscloud.AsyncGenesysCloud(api_host=url, auth=genesyscloud.AccessToken("t"))


def _ignores_page_number(req):
    # always "page 1 of 5", whatever pageNumber says
    return 200, {}, {"entities": [{"id": "a"}, {"id": "b"}], "pageSize": 2, "pageNumber": 1, "total": 10,
                     "pageCount": 5}


def test_a_server_ignoring_page_number_gets_no_identical_request_sync():
    with serve(_ignores_page_number) as srv:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            items = list(_sync(srv.url).users.get_users(page_size=2).auto_paging_iter())
    queries = [s.raw_query for s in srv.seen]
    assert len(queries) == len(set(queries)) == 2, queries  # page 1, one try at page 2, then stop
    assert len(items) == 4
    assert [w for w in caught if w.category is PaginationWarning and "repeat a request" in str(w.message)]


async def test_a_server_ignoring_page_number_gets_no_identical_request_async():
    with serve(_ignores_page_number) as srv:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = await _async(srv.url).users.get_users(page_size=2)
            items = [u async for u in first.auto_paging_iter()]
    queries = [s.raw_query for s in srv.seen]
    assert len(queries) == len(set(queries)) == 2 and len(items) == 4
    assert any(w.category is PaginationWarning for w in caught)


def test_a_repeated_cursor_stops_before_repeating_a_request():
    def handler(req):
        # cursors go a -> b -> a: the third request would be the second one again
        after = req.param("cursor")
        nxt = {None: "a", "a": "b", "b": "a"}[after]
        return 200, {}, {"entities": [{"id": after or "first"}], "cursors": {"after": nxt}}

    with serve(handler) as srv:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ids = [c.id for c in _sync(srv.url).external_contacts.get_externalcontacts_scan_contacts().auto_paging_iter()]
    assert ids == ["first", "a", "b"]
    assert [s.param("cursor") for s in srv.seen] == [None, "a", "b"]
    assert any(w.category is PaginationWarning for w in caught)


def _next_uri_server(req):
    after = int(req.param("after") or 0)
    body = {"entities": [{"id": str(i)} for i in range(after, min(after + 3, 10))]}
    if after + 3 < 10:
        body["nextUri"] = f"/api/v2/assistants?after={after + 3}"
    return 200, {}, body


def _page_number_server(req):
    n = int(req.param("pageNumber") or 1)
    return 200, {}, {"entities": [{"id": f"{n}-{k}"} for k in range(2)], "pageNumber": n, "pageSize": 2,
                     "pageCount": 3, "total": 6}


def _body_server(req):
    number = req.json()["paging"]["pageNumber"]
    return 200, {}, {"conversations": [{"conversationId": f"{number}-{k}"} for k in range(2)], "totalHits": 6}


@pytest.mark.parametrize("style", ["next_uri", "page_number", "body"])
def test_iterating_the_same_listing_twice_gives_the_same_items_sync(style):
    server = {"next_uri": _next_uri_server, "page_number": _page_number_server, "body": _body_server}[style]
    with serve(server) as srv:
        gc = _sync(srv.url)
        if style == "next_uri":
            first = gc.agent_assistants.get_assistants()
        elif style == "page_number":
            first = gc.users.get_users(page_size=2)
        else:
            first = gc.analytics.post_analytics_conversations_details_query(
                {"interval": "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z", "paging": {"pageSize": 2, "pageNumber": 1}})
        key = "conversation_id" if style == "body" else "id"
        one = [getattr(i, key) for i in first.auto_paging_iter()]
        two = [getattr(i, key) for i in first.auto_paging_iter()]
        pages = [len(p.entities if style != "body" else p.conversations) for p in first.iter_pages()]
    assert one == two and len(one) == (10 if style == "next_uri" else 6)
    assert len(pages) == (4 if style == "next_uri" else 3)


async def test_iterating_the_same_listing_twice_gives_the_same_items_async():
    with serve(_next_uri_server) as srv:
        first = await _async(srv.url).agent_assistants.get_assistants()
        one = [a.id async for a in first.auto_paging_iter()]
        two = [a.id async for a in first.auto_paging_iter()]
    assert one == two == [str(i) for i in range(10)]


def test_an_empty_page_with_a_next_link_continues():
    def handler(req):
        after = req.param("after")
        if after is None:
            return 200, {}, {"entities": [{"id": "1"}], "nextUri": "/api/v2/assistants?after=p2"}
        if after == "p2":  # empty, but the listing goes on
            return 200, {}, {"entities": [], "nextUri": "/api/v2/assistants?after=p3"}
        return 200, {}, {"entities": [{"id": "3"}]}

    with serve(handler) as srv:
        ids = [a.id for a in _sync(srv.url).agent_assistants.get_assistants().auto_paging_iter()]
    assert ids == ["1", "3"] and len(srv.seen) == 3


async def test_an_empty_cursor_page_continues_async_and_empty_pages_still_obey_the_guard():
    def handler(req):
        after = req.param("cursor")
        if after is None:
            return 200, {}, {"entities": [{"id": "1"}], "cursors": {"after": "e"}}
        # an empty page whose cursor never changes: followed once, then the guard stops
        return 200, {}, {"entities": [], "cursors": {"after": "e"}}

    with serve(handler) as srv:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = await _async(srv.url).external_contacts.get_externalcontacts_scan_contacts()
            ids = [c.id async for c in first.auto_paging_iter()]
    assert ids == ["1"] and [s.param("cursor") for s in srv.seen] == [None, "e"]
    assert any(w.category is PaginationWarning for w in caught)


def test_an_empty_page_without_a_next_link_ends_the_listing():
    def handler(req):
        return 200, {}, {"entities": [], "pageNumber": 1, "pageCount": 9, "pageSize": 2, "total": 18}

    with serve(handler) as srv:
        assert list(_sync(srv.url).users.get_users(page_size=2).auto_paging_iter()) == []
    assert len(srv.seen) == 1
