"""Analytics job helper: polling, failure states, results by cursor, deletion on interrupt."""

import json

import httpx
import pytest

import genesyscloud
from genesyscloud.jobs import AnalyticsJobError, arun_analytics_job, run_analytics_job


class FakeJobs:
    """An in-memory analytics details job service; `polls` status reads before FULFILLED."""

    def __init__(self, polls=2, final="FULFILLED", pages=3):
        self.polls, self.final, self.pages = polls, final, pages
        self.log = []
        self.deleted = []

    def __call__(self, request):
        self.log.append((request.method, request.url.path))
        path = request.url.path
        if request.method == "POST":
            assert json.loads(request.content)["interval"]
            return httpx.Response(202, json={"jobId": "job-1"})
        if request.method == "DELETE":
            self.deleted.append(path.rsplit("/", 1)[-1])
            return httpx.Response(204)
        if path.endswith("/results"):
            n = int(request.url.params.get("cursor") or 0)
            body = {"conversations": [{"conversationId": f"c{n}-{k}"} for k in range(4)]}
            if n + 1 < self.pages:
                body["cursor"] = str(n + 1)
            return httpx.Response(200, json=body)
        self.polls -= 1
        state = "PENDING" if self.polls >= 0 else self.final
        return httpx.Response(200, json={"state": state, "errorMessage": "boom" if state == "FAILED" else None})


QUERY = {"interval": "2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z"}


def _client(fake, cls=genesyscloud.GenesysCloud):
    t = httpx.MockTransport(fake)
    http = httpx.AsyncClient(transport=t) if cls is genesyscloud.AsyncGenesysCloud else httpx.Client(transport=t)
    return cls(api_host="http://api.test", auth=genesyscloud.AccessToken("t"), http_client=http)


def test_polls_with_backoff_then_reads_every_page():
    fake, sleeps = FakeJobs(polls=2), []
    items = list(run_analytics_job(_client(fake), "conversations", QUERY, sleep=sleeps.append))
    assert len(items) == 12 and items[0].conversation_id == "c0-0"
    assert sleeps == [1.0, 1.5]  # two PENDING answers, waits growing 1.5x
    assert [m for m, _ in fake.log].count("GET") == 3 + 3 and fake.deleted == []  # 3 status reads, 3 pages


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED", "EXPIRED"])
def test_bad_end_states_raise(state):
    fake = FakeJobs(polls=0, final=state)
    with pytest.raises(AnalyticsJobError, match=f"job-1 ended {state}") as info:
        list(run_analytics_job(_client(fake), "conversations", QUERY, sleep=lambda s: None))
    assert info.value.state == state


def test_keyboard_interrupt_while_waiting_deletes_the_job():
    fake = FakeJobs(polls=5)

    def sleep(seconds):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(run_analytics_job(_client(fake), "conversations", QUERY, sleep=sleep))
    assert fake.deleted == ["job-1"]


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_timeout_deletes_the_job():
    fake, clock = FakeJobs(polls=100), FakeClock()

    def sleep(seconds):
        clock.now += seconds

    with pytest.raises(AnalyticsJobError, match="TIMEOUT") as info:
        list(run_analytics_job(_client(fake), "conversations", QUERY, timeout=3, sleep=sleep, clock=clock))
    assert fake.deleted == ["job-1"] and isinstance(info.value, genesyscloud.jobs.JobTimeoutError)


def test_timeout_counts_wall_clock_time_polls_included():
    """Each status read takes 10 s of wall-clock time and the waits are 0: a 25 s timeout
    ends after three reads, although the sum of the waits is 0 (issue 12 item 19)."""
    fake, clock = FakeJobs(polls=100), FakeClock()
    original = fake.__call__

    def slow(request):
        clock.now += 10
        return original(request)

    client = _client(slow)
    with pytest.raises(AnalyticsJobError, match="TIMEOUT"):
        list(run_analytics_job(client, "conversations", QUERY, timeout=25, sleep=lambda s: None, clock=clock))
    reads = [p for m, p in fake.log if m == "GET"]
    assert len(reads) == 3 and fake.deleted == ["job-1"]


def test_the_last_wait_is_cut_to_the_deadline():
    fake, clock, sleeps = FakeJobs(polls=100), FakeClock(), []

    def sleep(seconds):
        sleeps.append(seconds)
        clock.now += seconds

    with pytest.raises(AnalyticsJobError, match="TIMEOUT"):
        list(run_analytics_job(_client(fake), "conversations", QUERY, timeout=4, sleep=sleep, clock=clock))
    assert sleeps == [1.0, 1.5, 1.5] and sum(sleeps) == 4


def test_an_api_error_while_polling_deletes_the_job():
    fake = FakeJobs(polls=5)
    original = fake.__call__
    reads = []

    def failing(request):
        if request.method == "GET":
            reads.append(1)
            if len(reads) == 2:
                fake.log.append((request.method, request.url.path))
                return httpx.Response(400, json={"code": "bad.request", "message": "no", "status": 400})
        return original(request)

    with pytest.raises(genesyscloud.BadRequestError):
        list(run_analytics_job(_client(failing), "conversations", QUERY, sleep=lambda s: None))
    assert fake.deleted == ["job-1"]


async def test_async_job_and_cancellation():
    fake = FakeJobs(polls=1)

    async def no_wait(seconds):
        return None

    client = _client(fake, genesyscloud.AsyncGenesysCloud)
    items = [i async for i in arun_analytics_job(client, "conversations", QUERY, sleep=no_wait)]
    assert len(items) == 12

    fake2 = FakeJobs(polls=1)
    gen = arun_analytics_job(_client(fake2, genesyscloud.AsyncGenesysCloud), "conversations", QUERY, sleep=no_wait)
    assert (await gen.__anext__()).conversation_id == "c0-0"
    await gen.aclose()  # the caller stops early: the job is deleted
    assert fake2.deleted == ["job-1"]


def test_unknown_domain():
    with pytest.raises(ValueError, match="no analytics details jobs for domain 'nothing'"):
        next(run_analytics_job(_client(FakeJobs()), "nothing", QUERY))


def test_a_failing_delete_is_noted_and_the_original_error_raised():
    fake = FakeJobs(polls=5)
    original = fake.__call__

    def broken(request):
        if request.method == "DELETE":
            fake.deleted.append("tried")
            return httpx.Response(400, json={"code": "bad.request", "message": "cannot delete", "status": 400})
        return original(request)

    def sleep(seconds):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        list(run_analytics_job(_client(broken), "conversations", QUERY, sleep=sleep))
    assert fake.deleted == ["tried"]
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python 3.11+
        assert "cancelling analytics.conversations.details job job-1 failed too" in notes[0]


def test_results_before_done_and_job_handle():
    from genesyscloud.jobs import JobError, submit_job

    fake = FakeJobs(polls=1)
    job = submit_job(_client(fake), "analytics.conversations.details", QUERY)
    assert job.job_id == "job-1" and job.state is None and "analytics.conversations.details" in repr(job)
    with pytest.raises(JobError, match="results read before the job was done"):
        next(job.results())
    assert job.refresh().state == "PENDING" and job.state == "PENDING"
    job.wait(sleep=lambda s: None)
    assert len(list(job)) == 12 and fake.deleted == []


async def test_async_notification_source_replaces_the_sleep():
    from genesyscloud.jobs import arun_job

    fake, calls = FakeJobs(polls=2), []

    class Source:
        async def wait(self, topic, job_id, seconds):
            calls.append((topic, job_id, seconds))
            return True

    from genesyscloud.jobs import KINDS
    import dataclasses

    kind = dataclasses.replace(KINDS["analytics.conversations.details"], topic="v2.test.{id}")

    async def never(seconds):
        raise AssertionError("slept although a notification source was given")

    client = _client(fake, genesyscloud.AsyncGenesysCloud)
    items = [i async for i in arun_job(client, kind, QUERY, notifications=Source(), sleep=never)]
    assert len(items) == 12 and [c[:2] for c in calls] == [("v2.test.{id}", "job-1")] * 2
