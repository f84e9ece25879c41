"""Token renewal under load, against the sandbox over real HTTP.

* 64 threads, and separately 64 asyncio tasks, call the API while the token is
  expired: the sandbox's request log shows exactly one token request and every call
  succeeds. Twice each: when the SDK knows the token expired (its clock moved with the
  sandbox's), and when only the sandbox does (every first attempt gets 401).
* The sandbox clock moves past expiry during a long paging loop: no call fails, and the
  token is renewed before it expires, never after a 401.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

import genesyscloud
from genesyscloud.auth import ClientCredentials, Token

from .test_auth_support import (  # noqa: F401  (fixtures)
    TOKEN_TTL, Clock, advance, api_statuses, clock, control, sandbox, sb, token_requests)

CALLS = 64


def _client(sandbox, clock: Clock, cls=genesyscloud.GenesysCloud, **kwargs):
    client = cls(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret), **kwargs)
    client.token_manager.now = clock
    return client


@pytest.mark.parametrize("sdk_knows", [True, False], ids=["sdk-sees-expiry", "401-only"])
def test_64_threads_on_an_expired_token_make_one_token_request(sandbox, clock, sdk_knows):
    with _client(sandbox, clock) as client:
        old = client.authenticate()
        control(sandbox, "POST", "/clock", {"advance": TOKEN_TTL + 1})
        if sdk_knows:
            clock.advance(TOKEN_TTL + 1)
        control(sandbox, "DELETE", "/requests")
        barrier = threading.Barrier(CALLS)
        results: list[object] = []
        errors: list[BaseException] = []

        def call() -> None:
            barrier.wait()
            try:
                results.append(client.users.get_users(page_size=1))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(CALLS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [] and len(results) == CALLS
        assert all(page.entities for page in results)
        assert len(token_requests(sandbox)) == 1
        assert client.token is not None and client.token.access_token != old.access_token
        statuses = api_statuses(sandbox)
        if sdk_knows:
            assert statuses == [200] * CALLS  # renewed before any call went out
        else:
            assert statuses.count(200) == CALLS and set(statuses) <= {200, 401}


@pytest.mark.parametrize("sdk_knows", [True, False], ids=["sdk-sees-expiry", "401-only"])
async def test_64_tasks_on_an_expired_token_make_one_token_request(sandbox, clock, sdk_knows):
    async with _client(sandbox, clock, genesyscloud.AsyncGenesysCloud) as client:
        old = await client.authenticate()
        control(sandbox, "POST", "/clock", {"advance": TOKEN_TTL + 1})
        if sdk_knows:
            clock.advance(TOKEN_TTL + 1)
        control(sandbox, "DELETE", "/requests")
        pages = await asyncio.gather(*(client.users.get_users(page_size=1) for _ in range(CALLS)))
        assert len(pages) == CALLS and all(page.entities for page in pages)
        assert len(token_requests(sandbox)) == 1
        assert client.token.access_token != old.access_token
        statuses = api_statuses(sandbox)
        assert statuses.count(200) == CALLS
        if sdk_knows:
            assert statuses == [200] * CALLS


def _renewals_before_expiry(sandbox, clock: Clock, client) -> list[float]:
    """Watch each renewal: seconds the previous token still had (on the shared clock)."""
    left: list[float] = []
    previous: list[Token] = [client.token]

    def on_token(token: Token) -> None:
        left.append(previous[0].expires_in(clock()))
        previous[0] = token

    client.token_manager.on_token = on_token
    return left


def test_paging_through_the_clock_moving_past_expiry(sandbox, clock):
    """60 pages, the clocks advancing 25 s per page: 1,500 s, two and a half token lifetimes."""
    with _client(sandbox, clock) as client:
        client.authenticate()
        left = _renewals_before_expiry(sandbox, clock, client)
        control(sandbox, "DELETE", "/requests")
        seen = 0
        for number in range(1, 61):
            page = client.users.get_users(page_size=25, page_number=number)
            assert len(page.entities) == 25
            seen += len(page.entities)
            advance(sandbox, clock, 25)
        assert seen == 1500
        assert api_statuses(sandbox) == [200] * 60  # no call failed, and no 401 was ever needed
        renewals = token_requests(sandbox)
        assert len(renewals) == 2 and len(left) == 2
        assert all(0 < seconds <= 60 for seconds in left), left  # inside the window, before expiry


async def test_async_paging_through_the_clock_moving_past_expiry(sandbox, clock):
    async with _client(sandbox, clock, genesyscloud.AsyncGenesysCloud) as client:
        await client.authenticate()
        left = _renewals_before_expiry(sandbox, clock, client)
        control(sandbox, "DELETE", "/requests")
        for number in range(1, 61):
            page = await client.users.get_users(page_size=25, page_number=number)
            assert len(page.entities) == 25
            await asyncio.to_thread(advance, sandbox, clock, 25)
        assert api_statuses(sandbox) == [200] * 60
        assert len(token_requests(sandbox)) == 2 and all(0 < seconds <= 60 for seconds in left), left
