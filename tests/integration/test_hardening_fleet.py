"""Issue 12, items 10-13: the token manager and the shared stores under a stalled Redis
(a real ``redis-server`` started here on a free loopback port and frozen with SIGSTOP),
a slow login service, and a planted lock symlink.

Assertions are about outcomes (every call succeeds, how many token requests, which keys
remain, which warnings), never about how long something took; waits for an outcome have
generous bounds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from typing import Any, Iterator

import pytest

import genesyscloud
from genesyscloud.auth import ClientCredentials, FileTokenStore

from .test_auth_support import (  # noqa: F401  (fixtures)
    TOKEN_TTL, control, free_port, require, sandbox, sb, token_requests)


class RedisServer:
    def __init__(self, proc: subprocess.Popen, url: str) -> None:
        self.proc, self.url = proc, url

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=30)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: Any) -> Iterator[RedisServer]:
    exe = shutil.which("redis-server")
    if exe is None:
        require("redis-server")
    try:
        import redis
    except ImportError:
        require("the redis Python package (extra 'redis')")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path_factory.mktemp("redis")), "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = RedisServer(proc, f"redis://127.0.0.1:{port}/0")
    try:
        probe = redis.Redis.from_url(server.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        probe.close()
        yield server
    finally:
        server.thaw()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def redis_srv(redis_server: RedisServer) -> Iterator[RedisServer]:
    redis_server.thaw()
    redis_server.client().flushall()
    yield redis_server
    redis_server.thaw()  # never leave it frozen for the next test


def _lock_keys(server: RedisServer) -> list[bytes]:
    return list(server.client().scan_iter("*lock:*"))


def _eventually(condition: Any, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.05)


def _cc(sandbox) -> ClientCredentials:
    return ClientCredentials(sandbox.client_id, sandbox.client_secret)


# -- item 10: a Redis stall must not lock the fleet out ------------------------------------------

def test_a_lock_request_that_reaches_a_frozen_redis_late_is_released_by_its_owner(sandbox, redis_srv):
    """The issue's case: a user's client whose command times out and is retried (redis-py's
    default retry); Redis applies the lock when it resumes. ``lock_ttl=600``: only the
    owner's release can remove the lock within the test."""
    import redis

    from genesyscloud.auth import RedisTokenStore

    store = RedisTokenStore(redis.Redis.from_url(redis_srv.url, socket_timeout=0.3), lock_ttl=600)
    with genesyscloud.GenesysCloud(api_host=sandbox.url, token_store=store, auth=_cc(sandbox)) as client:
        redis_srv.freeze()
        outcome: list[Any] = []
        worker = threading.Thread(target=lambda: outcome.append(client.authenticate()))
        worker.start()
        time.sleep(1.0)  # the lock command is sent and times out at least once meanwhile
        redis_srv.thaw()
        worker.join(60)
        assert outcome and outcome[0].access_token  # the call did not fail
        _eventually(lambda: _lock_keys(redis_srv) == [], "the lock is released by its owner")
        assert client.users.get_users(page_size=1).entities


def test_no_call_fails_during_or_after_a_redis_freeze_and_the_fleet_shares_again(sb, sandbox, redis_srv):
    from genesyscloud.auth import RedisTokenStore

    # four workers (each with its own store connection, as separate processes would have)
    clients = [genesyscloud.GenesysCloud(api_host=sandbox.url, token_store=RedisTokenStore(redis_srv.url),
                                         auth=_cc(sandbox)) for _ in range(4)]
    try:
        for client in clients:
            assert client.users.get_users(page_size=1).entities
        assert len(token_requests(sandbox)) == 1  # one token for the fleet

        errors: list[BaseException] = []

        def call(client: Any) -> None:
            try:
                assert client.users.get_users(page_size=1).entities
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        def round_of_calls() -> None:
            threads = [threading.Thread(target=call, args=(c,)) for c in clients for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)

        redis_srv.freeze()
        try:
            control(sandbox, "POST", "/clock", {"advance": TOKEN_TTL + 1})  # every token is now expired
            round_of_calls()  # the renewals cannot use Redis: they happen locally
        finally:
            redis_srv.thaw()
        assert errors == []

        # after the freeze: no lock is left behind, the store is used again, one renewal for the fleet
        _eventually(lambda: _lock_keys(redis_srv) == [], "no renewal lock left after the freeze")
        _eventually(lambda: all(c.token_manager._store_usable() for c in clients), "the store back in use")
        control(sandbox, "POST", "/clock", {"advance": TOKEN_TTL + 1})
        control(sandbox, "DELETE", "/requests")
        round_of_calls()
        assert errors == []
        assert len(token_requests(sandbox)) == 1
    finally:
        for client in clients:
            client.close()


# -- item 11: waiters cover the leader's token-request budget ------------------------------------

def test_waiters_outlast_a_slow_login_service_in_one_process_and_across_a_fleet(sandbox, redis_srv):
    from genesyscloud.auth import RedisTokenStore

    control(sandbox, "POST", "/faults", {"path": "^/oauth/token$", "latency": 2.0, "count": 1})
    # refresh_token_wait_time=0.5 is shorter than the login service: the waits follow the
    # token request's budget (connect + read timeouts) instead
    with genesyscloud.GenesysCloud(api_host=sandbox.url, refresh_token_wait_time=0.5, auth=_cc(sandbox)) as client:
        results: list[Any] = []
        threads = [threading.Thread(target=lambda: results.append(client.users.get_users(page_size=1)))
                   for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == 5
    assert len(token_requests(sandbox)) == 1

    control(sandbox, "DELETE", "/requests")
    control(sandbox, "POST", "/faults", {"path": "^/oauth/token$", "latency": 2.0, "count": 1})
    fleet = [genesyscloud.GenesysCloud(api_host=sandbox.url, refresh_token_wait_time=0.5, auth=_cc(sandbox),
                                       token_store=RedisTokenStore(redis_srv.url)) for _ in range(5)]
    try:
        done: list[Any] = []
        threads = [threading.Thread(target=lambda c=c: done.append(c.users.get_users(page_size=1))) for c in fleet]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(done) == 5
        assert len(token_requests(sandbox)) == 1  # the waiting workers adopted the leader's token
    finally:
        for c in fleet:
            c.close()


async def _async_first_calls(sandbox) -> int:
    async with genesyscloud.AsyncGenesysCloud(api_host=sandbox.url, refresh_token_wait_time=0.5,
                                              auth=_cc(sandbox)) as client:
        pages = await asyncio.gather(*(client.users.get_users(page_size=1) for _ in range(5)))
    return len(pages)


def test_async_waiters_outlast_a_slow_login_service(sandbox):
    control(sandbox, "POST", "/faults", {"path": "^/oauth/token$", "latency": 2.0, "count": 1})
    assert asyncio.run(_async_first_calls(sandbox)) == 5
    assert len(token_requests(sandbox)) == 1


# -- item 12: the async client never blocks its event loop on Redis ------------------------------

def test_the_async_client_never_blocks_its_loop_on_a_frozen_redis(sandbox, redis_srv, caplog):
    from genesyscloud.auth import RedisTokenStore

    frozen = threading.Event()

    class FreezesAfterSaving(RedisTokenStore):
        """Redis stalls right after the token is saved: the lock's release meets the stall."""

        async def asave(self, key: str, token: Any) -> None:
            await super().asave(key, token)
            redis_srv.freeze()
            frozen.set()

        def save(self, key: str, token: Any) -> None:
            super().save(key, token)
            redis_srv.freeze()
            frozen.set()

    # socket_timeout=30: a blocking call would hold the loop (and this test) for 30 s and then fail
    store = FreezesAfterSaving(redis_srv.url, socket_timeout=30)
    events: list[str] = []

    async def main() -> None:
        async with genesyscloud.AsyncGenesysCloud(api_host=sandbox.url, token_store=store,
                                                  auth=_cc(sandbox)) as client:
            async def thaw_when_frozen() -> None:
                while not frozen.is_set():
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.2)
                events.append("the loop ran while Redis was frozen")
                redis_srv.thaw()

            async def authenticate() -> None:
                await client.authenticate()
                events.append("authenticated")

            await asyncio.gather(thaw_when_frozen(), authenticate())
            assert (await client.users.get_users(page_size=1)).entities

    with caplog.at_level(logging.WARNING, logger="genesyscloud.auth"):
        asyncio.run(main())
    assert events == ["the loop ran while Redis was frozen", "authenticated"]
    assert not [r for r in caplog.records if "failed to" in r.getMessage()]  # the release went through
    assert _lock_keys(redis_srv) == []


# -- item 13: a dangling lock symlink --------------------------------------------------------------

def test_a_dangling_lock_symlink_is_never_followed(sandbox, tmp_path, caplog):
    target = tmp_path / "elsewhere" / "planted-target"
    (tmp_path / "elsewhere").mkdir()
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    os.symlink(target, store_dir / "tokens.json.lock")
    store = FileTokenStore(store_dir / "tokens.json")
    with caplog.at_level(logging.WARNING, logger="genesyscloud.auth"), \
            genesyscloud.GenesysCloud(api_host=sandbox.url, token_store=store, auth=_cc(sandbox)) as client:
        assert client.users.get_users(page_size=1).entities  # the call still works (without the lock)
    assert not target.exists()
    assert os.path.islink(store_dir / "tokens.json.lock")
    assert any("failed to lock" in r.getMessage() for r in caplog.records)


def test_an_async_client_shares_a_store_built_from_a_sync_redis_client(sandbox, redis_srv):
    """A ``redis.Redis`` given to the store: async clients get a ``redis.asyncio`` twin to
    the same server (the sync and async clients share tokens and one renewal)."""
    import redis

    from genesyscloud.auth import RedisTokenStore

    store = RedisTokenStore(redis.Redis.from_url(redis_srv.url, socket_timeout=30))

    async def main() -> Any:
        async with genesyscloud.AsyncGenesysCloud(api_host=sandbox.url, token_store=store,
                                                  auth=_cc(sandbox)) as client:
            await client.users.get_users(page_size=1)
            return client.token

    token = asyncio.run(main())
    with genesyscloud.GenesysCloud(api_host=sandbox.url, token_store=store, auth=_cc(sandbox)) as sync_client:
        assert sync_client.users.get_users(page_size=1).entities
        assert sync_client.token == token and store.load(sync_client.token_manager.key) == token
    assert len(token_requests(sandbox)) == 1
    assert _lock_keys(redis_srv) == []
