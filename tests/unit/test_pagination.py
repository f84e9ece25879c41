"""Paging styles against an in-memory fake (httpx.MockTransport); the sandbox tests cover the wire."""

import json
import warnings

import httpx
import pytest

import genesyscloud
from genesyscloud._core.pagination import PaginationWarning

N = 57


def _client(handler, cls=genesyscloud.GenesysCloud):
    transport = httpx.MockTransport(handler)
    http = httpx.AsyncClient(transport=transport) if cls is genesyscloud.AsyncGenesysCloud else httpx.Client(transport=transport)
    return cls(api_host="http://api.test", auth=genesyscloud.AccessToken("t"), http_client=http)


def _page_number_server(log):
    def handler(request):
        log.append(str(request.url))
        size = int(request.url.params.get("pageSize", 25))
        number = int(request.url.params.get("pageNumber", 1))
        ids = list(range(N))[(number - 1) * size: number * size]
        return httpx.Response(200, json={"entities": [{"id": str(i)} for i in ids], "pageSize": size,
                                         "pageNumber": number, "total": N, "pageCount": -(-N // size)})
    return handler


def test_page_number_yields_each_item_once_with_one_request_per_page():
    log = []
    client = _client(_page_number_server(log))
    first = client.users.get_users(page_size=10)
    ids = [u.id for u in first.auto_paging_iter()]
    assert ids == [str(i) for i in range(N)]
    assert len(log) == 6
    assert [p.page_number for p in first.iter_pages()] == [1, 2, 3, 4, 5, 6]
    assert len([u for u in client.users.get_users(page_size=10).auto_paging_iter(max_items=15)]) == 15


async def test_page_number_async():
    log = []
    client = _client(_page_number_server(log), genesyscloud.AsyncGenesysCloud)
    first = await client.users.get_users(page_size=20)
    ids = [u.id async for u in first.auto_paging_iter()]
    assert ids == [str(i) for i in range(N)] and len(log) == 3
    with pytest.raises(TypeError, match="async for"):
        list(first.auto_paging_iter())


def test_next_uri_cursor_style_and_repeated_token_guard():
    log = []

    def handler(request):
        log.append(request)
        after = request.url.params.get("after")
        start = int(after) if after else 0
        body = {"entities": [{"id": str(i)} for i in range(start, min(start + 10, 35))]}
        if start + 10 < 35:
            body["nextUri"] = f"/api/v2/assistants?after={start + 10}&pageSize=10"
        return httpx.Response(200, json=body)

    client = _client(handler)
    first = client.agent_assistants.get_assistants(page_size="10")
    assert [a.id for a in first.auto_paging_iter()] == [str(i) for i in range(35)]
    assert len(log) == 4  # one request per page, none after the last

    def looping(request):
        return httpx.Response(200, json={"entities": [{"id": "x"}], "nextUri": "/api/v2/assistants?after=same"})

    client = _client(looping)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = list(client.agent_assistants.get_assistants().auto_paging_iter())
    assert len(got) == 2 and any(w.category is PaginationWarning for w in caught)


def test_cursor_in_body():
    def handler(request):
        cursor = request.url.params.get("cursor")
        n = int(cursor) if cursor else 0
        body = {"conversations": [{"conversationId": f"c{n}-{k}"} for k in range(3)]}
        if n < 4:
            body["cursor"] = str(n + 1)
        return httpx.Response(200, json=body)

    client = _client(handler)
    first = client.analytics.get_analytics_conversations_details_job_results("job-1")
    assert len(list(first.auto_paging_iter())) == 15


def test_body_paging_posts_the_next_page_number():
    bodies = []

    def handler(request):
        body = json.loads(request.content)
        bodies.append(body)
        number = body["paging"]["pageNumber"]
        return httpx.Response(200, json={"conversations": [{"conversationId": f"{number}-{k}"} for k in range(5)],
                                         "totalHits": 12})

    client = _client(handler)
    first = client.analytics.post_analytics_conversations_details_query(
        {"interval": "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z", "paging": {"pageSize": 5, "pageNumber": 1}})
    assert len(list(first.auto_paging_iter())) == 15
    assert [b["paging"]["pageNumber"] for b in bodies] == [1, 2, 3]
    assert bodies[1]["interval"] == bodies[0]["interval"]


def test_unpaged_result_says_so():
    def handler(request):
        return httpx.Response(200, json={"entities": [{"id": "1"}]})

    page = genesyscloud.models.UserEntityListing.from_dict({"entities": []})
    with pytest.raises(TypeError, match="did not come from a paged operation"):
        list(page.auto_paging_iter())


def test_a_next_uri_that_is_not_an_api_path_stops_with_a_warning():
    def handler(request):
        return httpx.Response(200, json={"entities": [{"id": "1"}], "nextUri": "nextUri-value"})

    client = _client(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = list(client.agent_assistants.get_assistants().auto_paging_iter())
    assert len(got) == 1 and any("not an API path" in str(w.message) for w in caught)
