"""The token manager with fake token requests: windows, single flight, waiting, errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import threading
import time

import pytest

from genesyscloud.auth import AccessToken, AuthError, AuthorizationCode, ClientCredentials, Token, TokenManager
from genesyscloud.auth._token import utcnow

SECRET = "s3cr3t-value-xyz"


class Clock:
    """An injectable clock: the wall clock plus whatever the test advanced."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


class Fetcher:
    """A fake token endpoint: counts requests; tokens are dated by the wall clock, like
    ``Grant.parse_token_response`` does."""

    def __init__(self, lifetime: float = 3600, delay: float = 0.0, error: Exception | None = None,
                 refresh: bool = False) -> None:
        self.lifetime, self.delay, self.error, self.refresh = lifetime, delay, error, refresh
        self.requests: list = []
        self.gate: threading.Event | None = None
        self._n = itertools.count(1)
        self._lock = threading.Lock()

    def _make(self, request) -> Token:
        with self._lock:
            self.requests.append(request)
            n = next(self._n)
        if self.error is not None:
            raise self.error
        now = utcnow()
        return Token(f"at-{n}", expires_at=now + dt.timedelta(seconds=self.lifetime), issued_at=now,
                     refresh_token=f"rt-{n}" if self.refresh else None)

    def __call__(self, request) -> Token:
        if self.gate is not None:
            self.gate.wait(10)
        time.sleep(self.delay)
        return self._make(request)

    async def fetch_async(self, request) -> Token:
        await asyncio.sleep(self.delay)
        return self._make(request)


def cc() -> ClientCredentials:
    return ClientCredentials("cid", SECRET)


def test_default_window_is_300_s_or_10_percent_whichever_is_smaller():
    manager = TokenManager(cc())
    now = utcnow()
    long = Token("a", issued_at=now, expires_at=now + dt.timedelta(hours=24))
    short = Token("a", issued_at=now, expires_at=now + dt.timedelta(minutes=10))
    assert manager.window(long) == 300.0
    assert manager.window(short) == 60.0
    assert TokenManager(cc(), refresh_window=120).window(long) == 120.0
    assert TokenManager(cc(), refresh_window=900).window(short) == 300.0  # never more than half the lifetime
    assert manager.window(Token("a", expires_at=now)) == 0.0  # lifetime unknown


def test_proactive_renewal_inside_the_window_without_making_others_wait():
    clock = Clock()
    fetch = Fetcher(lifetime=600)
    manager = TokenManager(cc(), now=clock)
    first = manager.get_sync(fetch)
    clock.advance(530)  # 70 s left; the window is 60 s
    assert manager.get_sync(fetch) is first and len(fetch.requests) == 1
    clock.advance(20)  # 50 s left: renew ahead of expiry
    fetch.gate = threading.Event()
    renewed: list[Token] = []
    leader = threading.Thread(target=lambda: renewed.append(manager.get_sync(fetch)))
    leader.start()
    while manager._flight is None:
        time.sleep(0.001)
    started = time.monotonic()
    assert manager.get_sync(fetch) is first  # the old token is still valid: no waiting
    assert time.monotonic() - started < 0.5
    fetch.gate.set()
    leader.join(5)
    assert renewed[0].access_token == "at-2" and len(fetch.requests) == 2
    assert manager.get_sync(fetch) is renewed[0]
    # the new token's expiry is on the manager's clock
    assert 590 < renewed[0].expires_in(clock()) <= 600


def test_threads_racing_an_expired_token_make_one_request():
    clock = Clock()
    fetch = Fetcher(delay=0.05)
    manager = TokenManager(cc(), now=clock)
    manager.get_sync(fetch)
    clock.advance(3601)
    results: list[Token] = []
    barrier = threading.Barrier(32)

    def call() -> None:
        barrier.wait()
        results.append(manager.get_sync(fetch))

    threads = [threading.Thread(target=call) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(fetch.requests) == 2 and manager.token_requests == 2
    assert {t.access_token for t in results} == {"at-2"} and len(results) == 32


async def test_tasks_racing_an_expired_token_make_one_request():
    fetch = Fetcher(delay=0.05)
    manager = TokenManager(cc())
    tokens = await asyncio.gather(*(manager.get_async(fetch.fetch_async) for _ in range(64)))
    assert len(fetch.requests) == 1 and {t.access_token for t in tokens} == {"at-1"}


def test_threads_and_event_loops_share_one_flight():
    fetch = Fetcher(delay=0.2)
    manager = TokenManager(cc())
    results: list[str] = []

    def in_thread() -> None:
        results.append(manager.get_sync(fetch).access_token)

    def in_loop() -> None:
        async def main() -> list[Token]:
            return await asyncio.gather(*(manager.get_async(fetch.fetch_async) for _ in range(8)))

        results.extend(t.access_token for t in asyncio.run(main()))

    workers = [threading.Thread(target=in_thread) for _ in range(4)] + [threading.Thread(target=in_loop)
                                                                      for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert len(fetch.requests) == 1 and results == ["at-1"] * 28


def test_a_waiter_whose_wait_runs_out_renews_for_itself():
    fetch = Fetcher(delay=1.0)
    manager = TokenManager(cc(), refresh_token_wait_time=0.2)
    leader = threading.Thread(target=manager.get_sync, args=(fetch,))
    leader.start()
    while manager._flight is None:
        time.sleep(0.001)
    token = manager.get_sync(fetch)  # the leader is late: this call renews on its own, and does not fail
    assert token.access_token in ("at-1", "at-2")
    leader.join(5)
    assert manager.token is not None and len(fetch.requests) == 2


def test_waiters_wait_as_long_as_the_token_request_budget():
    fetch = Fetcher(delay=0.6)
    manager = TokenManager(cc(), refresh_token_wait_time=0.1, token_request_budget=30)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(manager.get_sync(fetch).access_token))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["at-1"] * 5 and len(fetch.requests) == 1  # one request; every waiter got its token


async def test_an_async_waiter_whose_wait_runs_out_renews_for_itself():
    fetch = Fetcher(delay=1.0)
    manager = TokenManager(cc(), refresh_token_wait_time=0.2)
    leader = asyncio.create_task(manager.get_async(fetch.fetch_async))
    await asyncio.sleep(0.01)
    assert (await manager.get_async(fetch.fetch_async)).access_token
    assert (await leader).access_token == "at-1"
    assert len(fetch.requests) == 2


def test_a_refused_request_gives_every_waiter_one_clear_error():
    refused = AuthError("invalid_client", "invalid client credentials", status=401)
    fetch = Fetcher(delay=0.1, error=refused)
    manager = TokenManager(cc())
    errors: list[BaseException] = []

    def call() -> None:
        try:
            manager.get_sync(fetch)
        except AuthError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(fetch.requests) == 1 and len(errors) == 16
    assert {(e.error, e.error_description, e.status) for e in errors} == {("invalid_client",
                                                                          "invalid client credentials", 401)}
    assert len({id(e) for e in errors}) == 16  # each caller raises its own instance
    # callers that come just after get the same error without a new request ...
    fetch.error = None
    with pytest.raises(AuthError, match="invalid_client"):
        manager.get_sync(fetch)
    assert len(fetch.requests) == 1
    # ... for REFUSAL_MEMORY seconds; then the login service is asked again (once)
    manager._refusal = (manager._refusal[0], time.monotonic())
    assert manager.get_sync(fetch).access_token == "at-2"
    assert manager._refusal is None


def test_failed_proactive_renewal_keeps_the_valid_token_and_backs_off(caplog):
    clock = Clock()
    fetch = Fetcher(lifetime=600)
    manager = TokenManager(cc(), now=clock)
    first = manager.get_sync(fetch)
    clock.advance(560)  # 40 s left, inside the 60 s window
    fetch.error = AuthError("http_503", "down", status=503)
    with caplog.at_level(logging.WARNING, logger="genesyscloud.auth"):
        assert manager.get_sync(fetch) is first
    assert "ahead of expiry failed" in caplog.text and SECRET not in caplog.text
    assert manager.get_sync(fetch) is first and len(fetch.requests) == 2  # backing off: no request storm
    clock.advance(15)  # past the back-off (a quarter of what was left)
    fetch.error = None
    assert manager.get_sync(fetch).access_token == "at-3"


def test_invalidate_renews_once_per_rejected_token():
    fetch = Fetcher()
    manager = TokenManager(cc())
    first = manager.get_sync(fetch)
    assert manager.invalidate(first) is True
    assert manager.invalidate(first) is True  # a second caller with the same rejected token
    second = manager.get_sync(fetch)
    assert second.access_token == "at-2" and len(fetch.requests) == 2
    assert manager.invalidate(first) is True and manager.get_sync(fetch) is second  # stale 401: no new request


def test_access_tokens_and_disabled_refresh_are_used_as_they_are():
    given = TokenManager(AccessToken("given"))
    token = given.token
    assert given.get_sync(Fetcher()) is token and given.invalidate(token) is False
    clock = Clock()
    fetch = Fetcher()
    manager = TokenManager(cc(), should_refresh_access_token=False, now=clock)
    first = manager.get_sync(fetch)  # the first token is still obtained
    clock.advance(7200)
    assert manager.get_sync(fetch) is first and manager.invalidate(first) is False
    assert len(fetch.requests) == 1


def test_refresh_tokens_rotate_and_are_kept_when_not_reissued():
    clock = Clock()
    fetch = Fetcher(refresh=True)
    grant = AuthorizationCode("cid", SECRET, "code", "http://x/cb")
    manager = TokenManager(grant, now=clock)
    first = manager.get_sync(fetch)
    assert fetch.requests[0].grant_type == "authorization_code" and first.refresh_token == "rt-1"
    clock.advance(3601)
    second = manager.get_sync(fetch)
    assert fetch.requests[1].form == {"grant_type": "refresh_token", "refresh_token": "rt-1"}
    assert second.refresh_token == "rt-2"
    fetch.refresh = False  # the login service did not issue a new refresh token
    clock.advance(3601)
    third = manager.get_sync(fetch)
    assert fetch.requests[2].form["refresh_token"] == "rt-2" and third.refresh_token == "rt-2"


def test_a_code_grant_without_refresh_token_says_why_it_cannot_renew():
    clock = Clock()
    manager = TokenManager(AuthorizationCode("cid", SECRET, "code", "http://x/cb"), now=clock)
    token = manager.get_sync(Fetcher())
    assert manager.invalidate(token) is False  # nothing to renew with: the 401 is raised
    manager2 = TokenManager(AuthorizationCode("cid", SECRET, "code", "http://x/cb"))
    manager2.refusal_memory = 0.0
    fetch = Fetcher(error=AuthError("invalid_grant", "authorization code is invalid or expired", status=400))
    with pytest.raises(AuthError, match="invalid_grant"):
        manager2.get_sync(fetch)
    with pytest.raises(AuthError, match="single use"):
        manager2.get_sync(fetch)
    assert len(fetch.requests) == 1


def test_on_token_hook_sees_each_new_token_and_cannot_break_calls(caplog):
    seen: list[Token] = []
    manager = TokenManager(cc(), on_token=seen.append)
    token = manager.get_sync(Fetcher())
    assert seen == [token]

    def broken(token: Token) -> None:
        raise RuntimeError(f"cannot persist {token.access_token}")

    with caplog.at_level(logging.WARNING, logger="genesyscloud.auth"):
        assert TokenManager(cc(), on_token=broken).get_sync(Fetcher()).access_token == "at-1"
    assert "on_token raised RuntimeError" in caplog.text and "at-1" not in caplog.text


async def test_async_on_token_hook_is_awaited():
    seen: list[Token] = []

    async def persist(token: Token) -> None:
        await asyncio.sleep(0)
        seen.append(token)

    token = await TokenManager(cc(), on_token=persist).get_async(Fetcher().fetch_async)
    assert seen == [token]


async def test_a_cancelled_leader_hands_over_to_a_waiter():
    fetch = Fetcher(delay=0.3)
    manager = TokenManager(cc())
    leader = asyncio.create_task(manager.get_async(fetch.fetch_async))
    await asyncio.sleep(0.05)
    waiter = asyncio.create_task(manager.get_async(fetch.fetch_async))
    await asyncio.sleep(0.05)
    leader.cancel()
    token = await asyncio.wait_for(waiter, 5)
    assert token.access_token == "at-1" and manager.token is token


def test_set_token_replaces_the_token():
    manager = TokenManager(cc())
    mine = Token("mine", expires_at=utcnow() + dt.timedelta(hours=1))
    manager.set_token(mine)
    assert manager.get_sync(Fetcher()) is mine and manager.store.load(manager.key) is mine
