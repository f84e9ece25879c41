"""The pacer's window arithmetic, driven with synthetic headers and a fake clock (no I/O)."""

from __future__ import annotations

import json

import pytest

from genesyscloud._core import pacing
from genesyscloud._core.pacing import Grant, Pacer, PacingMode, StoreUnavailable, bucket_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(pacing.time, "monotonic", c)
    return c


def headers(count, allowed=10, reset=5):
    return {"inin-ratelimit-count": str(count), "inin-ratelimit-allowed": str(allowed),
            "inin-ratelimit-reset": str(reset)}


def test_bucket_is_a_hash_not_the_token():
    token = "secret-access-token-value"
    assert token not in bucket_of(token) and bucket_of(token) == bucket_of("secret-access-token-value")
    assert bucket_of(token) != bucket_of(token + "x")


def test_adaptive_waits_only_at_the_limit_and_until_the_reset(clock):
    p = Pacer(PacingMode("adaptive"))
    assert p.acquire("b") == 0.0  # the probe
    assert p.acquire("b") == pacing.POLL_INTERVAL  # a burst waits for the limit to be learned
    p.observe("b", "", 200, headers(1, allowed=3, reset=5))
    assert p.acquire("b") == 0.0 and p.acquire("b") == 0.0  # 3 of 3
    wait = p.acquire("b")
    assert 4.9 < wait <= 5.0 + pacing.WAKE_SLACK  # until the window the server reported ends
    clock.now += 5.01
    assert p.acquire("b") == 0.0  # a new window


def test_integer_resets_converge_on_the_earliest_end_and_stale_answers_are_ignored(clock):
    p = Pacer(PacingMode("adaptive"))  # near the limit (far from it, only the count is read)
    p.acquire("b")
    p.observe("b", "", 200, headers(1, allowed=4, reset=10))  # the window ends at most 10 s from now
    clock.now += 0.7
    p.acquire("b")
    p.observe("b", "", 200, headers(2, allowed=4, reset=10))  # ceil(9.3) = 10: no news
    clock.now += 0.6
    p.acquire("b")
    p.observe("b", "", 200, headers(3, allowed=4, reset=8))  # the end is 1001.3 + 8 at the latest: closer
    w = p._windows["b"]
    assert w.end == pytest.approx(1000.0 + 1.3 + 8)
    p.observe("b", "", 200, headers(4, allowed=4, reset=9))  # later than what we know: the earliest end stays
    assert w.end == pytest.approx(1009.3) and w.seen == 4
    p.observe("b", "", 200, headers(9, allowed=4, reset=20))  # a newer window (server rolled early): adopted
    assert w.seen == 9 and w.end == pytest.approx(1001.3 + 20)
    w.inflight = 0
    p.observe("b", "", 200, headers(10, allowed=4, reset=1))  # a late answer from the window before: ignored
    assert w.seen == 9


def test_429_for_one_api_holds_only_that_api(clock):
    p = Pacer(PacingMode("adaptive"))
    p.acquire("b", "GET /api/v2/analytics/x")
    body = json.dumps({"status": 429, "limit": {"key": "analytics.rate", "namespace": "n", "value": 2}}).encode()
    p.observe("b", "GET /api/v2/analytics/x", 429, headers(1, allowed=300, reset=60), body, 4.0)
    assert p.acquire("b", "GET /api/v2/analytics/x") > 3.9
    assert p.acquire("b", "GET /api/v2/users") == 0.0
    token_body = json.dumps({"limit": {"key": "client.credentials.token.rate.per.minute"}}).encode()
    p.observe("b", "GET /api/v2/users", 429, {}, token_body, 2.0)
    assert p.acquire("b", "GET /api/v2/users") > 1.9  # the whole token waits
    assert p.acquire("b", "GET /api/v2/users", slept_until=clock.now + 2.0) >= 0.0  # a retry slept it already


def test_fixed_budget_keeps_its_own_windows(clock):
    p = Pacer(PacingMode("fixed", 2, 10.0))
    assert p.acquire("b") == 0.0 and p.acquire("b") == 0.0
    assert p.acquire("b") > 9.9
    p.observe("b", "", 200, headers(1, allowed=1000, reset=60))  # the server's larger limit changes nothing
    assert p.acquire("b") > 9.9


class FailingStore:
    def __init__(self):
        self.calls = 0

    def reserve(self, bucket, **kw):
        self.calls += 1
        raise StoreUnavailable("down")

    def block(self, bucket, seconds):
        raise StoreUnavailable("down")


def test_an_unavailable_store_falls_back_for_the_rest_of_the_window(clock):
    store = FailingStore()
    p = Pacer(PacingMode("adaptive"), shared=store)
    p.acquire("b")
    p.observe("b", "", 200, headers(1, allowed=3, reset=5))
    assert p.acquire("b") == 0.0 and p.stats["local_grants"] >= 1
    calls = store.calls
    assert p.acquire("b") == 0.0 and store.calls == calls  # not asked again in this window
    assert p.acquire("b") > 4.0  # per-process pacing still holds the limit


class GrantingStore:
    def __init__(self, answers):
        self.answers = list(answers)

    def reserve(self, bucket, **kw):
        return self.answers.pop(0)

    def block(self, bucket, seconds):
        pass


def test_the_fleet_teaches_a_new_process_the_limit(clock):
    p = Pacer(PacingMode("adaptive"), shared=GrantingStore([Grant(1, None, 300, 60.0), Grant(0, 12.0, 300, 60.0)]))
    assert p.acquire("b") == 0.0
    w = p._windows["b"]
    assert (w.limit, w.length, w.learned) == (300, 60.0, True)
    assert p.acquire("b") == pytest.approx(12.0 + pacing.WAKE_SLACK)


def test_rate_limit_argument_errors():
    with pytest.raises(ValueError, match="rate_limit"):
        pacing.parse_rate_limit("fast")
    with pytest.raises(TypeError):
        pacing.parse_rate_limit(object())
