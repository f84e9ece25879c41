"""Every paging style against the sandbox over real HTTP: each item exactly once, one request per page."""

from __future__ import annotations

import asyncio

import pytest

import genesyscloud
from genesyscloud.jobs import arun_analytics_job, run_analytics_job
from genesyscloud.sandbox import Sandbox

JANUARY = {"interval": "2024-01-01T00:00:00.000Z/2024-02-01T00:00:00.000Z"}


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=3) as sandbox:
        yield sandbox


def _sync(sb):
    return genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id, sb.client_secret))


def _async(sb):
    return genesyscloud.AsyncGenesysCloud(api_host=sb.url,
                                          auth=genesyscloud.ClientCredentials(sb.client_id, sb.client_secret))


def _api_requests(sb, path):
    return [r for r in sb.requests() if r["path"] == path]


# (style, group, method, args, kwargs, path of every request, expected count, id field);
# the search style's nextPage links are covered through the body-paged POST search
CASES = [
    ("page_number", "users", "get_users", (), {"page_size": 100}, "/api/v2/users", None, "id"),
    ("page_number", "routing", "get_routing_queues", (), {"page_size": 7}, "/api/v2/routing/queues", None, "id"),
    ("next_uri", "agent_assistants", "get_assistants", (), {"page_size": "100"}, "/api/v2/assistants", 2500, "id"),
    ("cursors_after", "external_contacts", "get_externalcontacts_scan_contacts", (), {"limit": 200},
     "/api/v2/externalcontacts/scan/contacts", 2500, "id"),
    ("body", "users", "post_users_search", ({"pageSize": 100, "query": [{"type": "EXACT", "fields": ["state"],
                                                                         "values": ["active"]}]},), {},
     "/api/v2/users/search", None, "id"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_each_style_sync(sb, case):
    style, group, method, args, kwargs, path, expected, key = case
    client = _sync(sb)
    op = getattr(getattr(client, group), method)
    sb.clear_requests()
    first = op(*args, **kwargs)
    pages = list(first.iter_pages())
    items = [getattr(i, key) for p in pages for i in genesyscloud._core.pagination.items_of(p)]
    assert len(items) == len(set(items)) > (40 if method == "get_routing_queues" else 1000)
    if expected:
        assert len(items) == expected
    if style == "page_number" and method == "get_users":
        assert len(items) == first.total
    assert len(_api_requests(sb, path)) == len(pages)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}")
async def test_each_style_async(sb, case):
    style, group, method, args, kwargs, path, expected, key = case
    async with _async(sb) as client:
        sb.clear_requests()
        first = await getattr(getattr(client, group), method)(*args, **kwargs)
        items = [getattr(i, key) async for i in first.auto_paging_iter()]
    assert len(items) == len(set(items)) > (40 if method == "get_routing_queues" else 1000)
    pages = len(_api_requests(sb, path))
    size = kwargs.get("page_size") or kwargs.get("limit") or 100
    assert pages == -(-len(items) // int(size))


def test_max_items_and_max_pages_stop_early(sb):
    client = _sync(sb)
    sb.clear_requests()
    got = list(client.users.get_users(page_size=50).auto_paging_iter(max_items=120))
    assert len(got) == 120 and len(_api_requests(sb, "/api/v2/users")) == 3
    sb.clear_requests()
    pages = list(client.users.get_users(page_size=50).iter_pages(max_pages=2))
    assert len(pages) == 2 and len(_api_requests(sb, "/api/v2/users")) == 2


def test_analytics_details_job_runs_to_completion(sb):
    client = _sync(sb)
    sb.clear_requests()
    rows = list(run_analytics_job(client, "conversations", JANUARY, page_size=500, sleep=lambda s: None))
    assert len(rows) == 3000 and len({r.conversation_id for r in rows}) == 3000
    log = sb.requests()
    results = [r for r in log if r["path"].endswith("/results")]
    assert len(results) == 6
    assert not [r for r in log if r["method"] == "DELETE"]


def test_cancelling_an_analytics_job_midway_deletes_it(sb):
    client = _sync(sb)
    sb.clear_requests()
    rows = run_analytics_job(client, "conversations", JANUARY, page_size=500, sleep=lambda s: None)
    first_ten = [next(rows) for _ in range(10)]
    rows.close()  # the caller gives up midway
    job_id = [r for r in sb.requests() if r["method"] == "POST" and r["path"].startswith("/api/")][0]
    deletes = [r for r in sb.requests() if r["method"] == "DELETE"]
    assert len(first_ten) == 10 and len(deletes) == 1
    deleted = deletes[0]["path"].rsplit("/", 1)[-1]
    with pytest.raises(genesyscloud.NotFoundError):
        client.analytics.get_analytics_conversations_details_job(deleted)
    assert job_id["path"] == "/api/v2/analytics/conversations/details/jobs"


async def test_async_job_cancelled_while_waiting_deletes_it(sb):
    async with _async(sb) as client:
        sb.clear_requests()
        waiting = asyncio.Event()

        async def slow_sleep(seconds):
            waiting.set()
            await asyncio.Event().wait()  # the job is still running when the task is cancelled

        async def consume():
            return [row async for row in arun_analytics_job(client, "conversations", JANUARY, sleep=slow_sleep)]

        task = asyncio.create_task(consume())
        await waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len([r for r in sb.requests() if r["method"] == "DELETE"]) == 1


async def test_async_consumer_cancelled_midway_deletes_the_job_with_aclosing(sb):
    from contextlib import aclosing

    async with _async(sb) as client:
        sb.clear_requests()
        reading = asyncio.Event()

        async def consume():
            rows = arun_analytics_job(client, "conversations", JANUARY, page_size=100, sleep=lambda s: asyncio.sleep(0))
            async with aclosing(rows):
                async for _ in rows:
                    reading.set()
                    await asyncio.Event().wait()

        task = asyncio.create_task(consume())
        await reading.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len([r for r in sb.requests() if r["method"] == "DELETE"]) == 1


def test_search_style_follows_next_page_links(sb):
    import base64
    import json

    client = _sync(sb)
    q64 = base64.b64encode(json.dumps({"pageSize": 100, "query": [{"type": "EXACT", "fields": ["state"],
                                                                   "values": ["active"]}]}).encode()).decode()
    sb.clear_requests()
    first = client.users.get_users_search(q64)
    ids = [u.id for u in first.auto_paging_iter()]
    assert len(ids) == len(set(ids)) == first.total > 1000
    assert len(_api_requests(sb, "/api/v2/users/search")) == first.page_count
