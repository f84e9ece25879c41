"""Every job kind end to end against the sandbox over real HTTP, sync and asyncio."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from urllib.parse import urlsplit

import httpx
import pytest

import genesyscloud
from genesyscloud.jobs import KINDS, AGGREGATE_DOMAINS, JobError, arun_job, run_job, submit_job
from genesyscloud.sandbox import Sandbox

INTERVAL = "2024-01-01T00:00:00.000Z/2024-02-01T00:00:00.000Z"
CONVERSATIONS = ["c0a8e7d2-0000-4000-8000-00000000000%d" % i for i in range(4)]


SANDBOX_CLIENT = [""]


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=5) as sandbox:
        SANDBOX_CLIENT[0] = sandbox.client_id
        yield sandbox


@pytest.fixture
def gc(sb):
    sb.clear_requests()
    client = genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id,
                                                                                            sb.client_secret))
    yield client
    client.close()


def _async(sb):
    return genesyscloud.AsyncGenesysCloud(api_host=sb.url,
                                          auth=genesyscloud.ClientCredentials(sb.client_id, sb.client_secret))


def _args(name):
    """(body, path parameters) of a valid request for every kind."""
    if name.startswith("analytics.") and name.endswith(".details"):
        return {"interval": INTERVAL}, {}
    if name.startswith("analytics.") and name.endswith(".aggregates"):
        return {"interval": INTERVAL, "metrics": ["nConversations"]}, {}
    return {
        "recording.batch": ({"batchDownloadRequestList": [{"conversationId": c} for c in CONVERSATIONS]}, {}),
        "recording.jobs": ({"action": "EXPORT", "actionDate": "2030-01-01T00:00:00.000Z",
                            "integrationId": "9b1d6a3c-1111-4222-8333-444455556666",
                            "conversationQuery": {"interval": INTERVAL}}, {}),
        "analytics.reporting.export": ({"name": "Queues", "timeZone": "UTC", "exportFormat": "CSV",
                                        "interval": INTERVAL, "period": "P1M", "viewType": "QUEUE_PERFORMANCE_SUMMARY_VIEW",
                                        "filter": {}, "locale": "en-us"}, {}),
        "outbound.contactlist.export": (None, {"contact_list_id": "cl-1"}),
        "outbound.dnclist.export": (None, {"dnc_list_id": "dnc-1"}),
        "wfm.historicaladherence": ({"startDate": "2024-01-01T00:00:00.000Z", "endDate": "2024-01-08T00:00:00.000Z"},
                                    {"management_unit_id": "mu-1"}),
        "wfm.team.historicaladherence": ({"startDate": "2024-01-01T00:00:00.000Z", "timeZone": "UTC"},
                                         {"team_id": "team-1"}),
        "usage.aggregates": ({"interval": INTERVAL, "granularity": "Day"}, {}),
        "usage.client.aggregates": ({"interval": INTERVAL}, {"client_id": SANDBOX_CLIENT[0]}),
        "audits.query": ({"interval": INTERVAL, "serviceName": "Directory"}, {}),
        "externalcontacts.contacts.export": ({"divisionIds": ["*"]}, {}),
        "flows.datatable.export": (None, {"datatable_id": "dt-1"}),
        "flows.export": ({"flows": [{"flow": {"id": "f-1"}}]}, {}),
        "knowledge.export": ({"exportFilter": {"versionFilter": "Latest"}, "fileType": "Json"}, {"knowledge_base_id": "kb-1"}),
        "casemanagement.cases.query": ({"filters": [{"name": "state", "operator": "EQ", "values": ["open"]}]}, {}),
        "taskmanagement.workitems.query": ({"filters": [{"name": "statusCategory", "operator": "EQ",
                                                         "values": ["Open"]}]}, {}),
    }[name]


def _check(name, items, sb):
    """What each kind's results must hold; returns the object-store URLs to fetch."""
    assert items, name
    if name.startswith("analytics.") and name.endswith(".details"):
        field = "conversation_id" if ".conversations." in name else "user_id"
        assert all(getattr(i, field) for i in items)
        return []
    if name.startswith("analytics.") and name.endswith(".aggregates"):
        assert len(items) == 250 and items[0].data[0].metrics[0].metric == "nConversations"
        return []
    if name == "recording.batch":
        assert [i.conversation_id for i in items] == CONVERSATIONS and all(i.content_type == "audio/wav" for i in items)
        return [i.result_url for i in items]
    if name == "recording.jobs":
        assert len(items) == 1 and items[0].state == "FULFILLED" and items[0].percent_progress == 100
        return []
    if name == "analytics.reporting.export":
        assert len(items) == 1 and items[0].status == "COMPLETED"
        return [items[0].download_url]
    if name.startswith("outbound."):
        assert len(items) == 1 and items[0].uri
        return [items[0].uri]
    if name.startswith("wfm."):
        assert len(items) == 1 and items[0].query_state == "Complete"
        return list(items[0].download_urls)
    if name.startswith("usage."):
        assert len(items) == 120 and items[0].request_count == 10
        return []
    if name == "audits.query":
        assert len(items) == 130 and items[0].service_name == "Directory"
        return []
    if name.endswith(".query"):
        assert len(items) == 40 and items[0]["name"] == "Item 1" and items[0].id
        return []
    if name in ("externalcontacts.contacts.export", "flows.export"):
        assert len(items) == 1
        return [items[0].download_url]
    if name in ("flows.datatable.export", "knowledge.export"):
        assert len(items) == 1
        return [items[0].download_uri if name == "flows.datatable.export" else items[0].download_url]
    raise AssertionError(f"no check for {name}")


def _fetch(url, sb):
    """Fetch a result URL as a user would: the API's download URL with the token and no redirect,
    the presigned URL without any Authorization."""
    if urlsplit(url).path.startswith("/api/v2/downloads/"):
        return None
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_end_to_end(gc, sb, name):
    body, params = _args(name)
    items = list(run_job(gc, name, body, poll_interval=0.01, sleep=lambda s: None, page_size=100, **params))
    for url in _check(name, items, sb):
        if urlsplit(url).path.startswith("/api/v2/downloads/"):
            download_id = urlsplit(url).path.rsplit("/", 1)[-1]
            url = gc.downloads.get_download(download_id, issue_redirect=False).url
        response = _fetch(url, sb)
        assert urlsplit(url).hostname == "localhost" and response.content
        if name == "recording.batch":
            with wave.open(io.BytesIO(response.content)) as w:
                assert w.getframerate() == 8000 and w.getnframes() == 8000
    log = sb.requests()
    assert not [r for r in log if r["method"] == "DELETE"], "a finished job is not deleted"
    to_store = [r for r in log if r["path"].startswith("/objects/")]
    assert all("authorization" not in r["headers"] for r in to_store)


async def test_every_kind_end_to_end_async(sb):
    async with _async(sb) as client:
        for name in ("analytics.users.details", "analytics.flows.aggregates", "recording.batch", "recording.jobs",
                     "analytics.reporting.export", "outbound.dnclist.export", "wfm.historicaladherence",
                     "usage.aggregates", "audits.query"):
            body, params = _args(name)

            async def no_wait(seconds):
                return None

            items = [i async for i in arun_job(client, name, body, poll_interval=0.01, sleep=no_wait, **params)]
            _check(name, items, sb)


def test_all_aggregate_domains_are_rows():
    assert {f"analytics.{d}.aggregates" for d in AGGREGATE_DOMAINS} <= set(KINDS)


def test_recording_job_is_run_then_fulfilled(gc, sb):
    body, _ = _args("recording.jobs")
    job = submit_job(gc, "recording.jobs", body)
    assert job.submitted.state == "PENDING"
    final = job.wait(poll_interval=0.01, sleep=lambda s: None)
    puts = [r for r in sb.requests() if r["method"] == "PUT"]
    assert final.state == "FULFILLED" and len(puts) == 1 and puts[0]["body"] == {"state": "PROCESSING"}


def test_interrupting_a_recording_job_deletes_it(gc, sb):
    body, _ = _args("recording.jobs")

    def interrupt(seconds):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(run_job(gc, "recording.jobs", body, sleep=interrupt))
    deletes = [r for r in sb.requests() if r["method"] == "DELETE"]
    assert len(deletes) == 1 and deletes[0]["path"].startswith("/api/v2/recording/jobs/")
    with pytest.raises(genesyscloud.NotFoundError):
        gc.recording.get_recording_job(deletes[0]["path"].rsplit("/", 1)[-1])


def test_an_api_error_while_polling_cancels_the_job(gc, sb):
    sb.add_fault(path=r"^/api/v2/analytics/users/aggregates/jobs/[^/]+$", method="GET", status=400, count=1)
    with pytest.raises(genesyscloud.BadRequestError):
        list(run_job(gc, "analytics.users.aggregates", {"interval": INTERVAL, "metrics": ["tHandle"]},
                     sleep=lambda s: None))
    deletes = [r for r in sb.requests() if r["method"] == "DELETE"]
    assert len(deletes) == 1 and deletes[0]["status"] == 204


def test_a_kind_without_cancel_is_left_alone_on_interrupt(gc, sb):
    body, _ = _args("recording.batch")

    def interrupt(seconds):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(run_job(gc, "recording.batch", body, sleep=interrupt))
    assert not [r for r in sb.requests() if r["method"] == "DELETE"]


def test_timeout_on_the_wall_clock_raises_and_cancels(gc, sb):
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds

    with pytest.raises(JobError, match="TIMEOUT"):
        list(run_job(gc, "analytics.users.details", {"interval": INTERVAL}, timeout=0.5, sleep=sleep,
                     clock=lambda: clock[0]))
    assert len([r for r in sb.requests() if r["method"] == "DELETE"]) == 1


async def test_async_task_cancelled_while_waiting_deletes_a_recording_job(sb):
    async with _async(sb) as client:
        sb.clear_requests()
        waiting = asyncio.Event()

        async def slow(seconds):
            waiting.set()
            await asyncio.Event().wait()

        body, _ = _args("recording.jobs")

        async def consume():
            return [i async for i in arun_job(client, "recording.jobs", body, sleep=slow)]

        task = asyncio.create_task(consume())
        await waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len([r for r in sb.requests() if r["method"] == "DELETE"]) == 1


def test_notification_source_wakes_the_waiter(gc, sb):
    calls = []

    class Source:
        def wait(self, topic, job_id, seconds):
            calls.append((topic, job_id))
            return True

    body, params = _args("wfm.historicaladherence")
    items = list(run_job(gc, "wfm.historicaladherence", body, notifications=Source(), **params))
    assert items[0].query_state == "Complete"
    assert calls and calls[0][0] == "v2.users.{id}.workforcemanagement.historicaladherencequery"


def test_downloads_redirect_to_the_object_store(gc, sb):
    body, params = _args("outbound.contactlist.export")
    export = next(run_job(gc, "outbound.contactlist.export", body, sleep=lambda s: None, **params))
    download_id = urlsplit(export.uri).path.rsplit("/", 1)[-1]
    token = gc.authenticate().access_token
    redirect = httpx.get(export.uri, headers={"Authorization": f"Bearer {token}"})
    assert redirect.status_code == 303 and urlsplit(redirect.headers["location"]).hostname == "localhost"
    # httpx drops Authorization on a redirect to another host; the store refuses a request that has one
    followed = httpx.get(export.uri, headers={"Authorization": f"Bearer {token}"}, follow_redirects=True)
    assert followed.status_code == 200 and followed.text.startswith("phone,name,status\r\n")
    assert followed.headers["content-disposition"] == 'attachment; filename="contactlist-cl-1.csv"'
    assert gc.downloads.get_download(download_id, issue_redirect=False).url.startswith("http://localhost:")
    store = [r for r in sb.requests() if r["path"].startswith("/objects/")]
    assert store and all("authorization" not in r["headers"] for r in store)
