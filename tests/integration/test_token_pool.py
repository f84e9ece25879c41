"""Token pools: ClientCredentials(..., pool_size=N) against the sandbox's per-token limit."""

from __future__ import annotations

import threading

import pytest

from genesyscloud import ClientCredentials, GenesysCloud
from genesyscloud.auth import FileTokenStore
from genesyscloud.sandbox import Sandbox

LIMIT = 20


@pytest.fixture
def sandbox():
    with Sandbox(rate_limit=LIMIT, rate_limit_window=2.0) as sb:
        yield sb


def _run(client, calls, threads):
    errors = []

    def work():
        for _ in range(calls // threads):
            try:
                client.organization.get_organizations_me()
            except Exception as exc:  # asserted on
                errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    return errors


def test_pool_spreads_calls_over_its_tokens(sandbox):
    client = GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret,
                                                                       pool_size=4))
    assert _run(client, calls=8 * LIMIT, threads=16) == []
    assert sandbox.rate_limits()["stats"]["api_429"] == 0
    tokens = client.token_manager.tokens
    assert len({t.access_token for t in tokens}) == 4 and client.token_manager.token_requests == 4
    windows = client._shared.pacer._windows
    assert len(windows) == 4  # one rate-limit window per pooled token
    assert "pool_size=4" in repr(client.token_manager.grant) and sandbox.client_secret not in repr(client.token_manager)
    client.close()


def test_pooled_tokens_are_shared_through_the_store(sandbox, tmp_path):
    store = str(tmp_path / "tokens")
    clients = [GenesysCloud(api_host=sandbox.url, token_store=FileTokenStore(store),
                            auth=ClientCredentials(sandbox.client_id, sandbox.client_secret, pool_size=3))
               for _ in range(2)]
    for c in clients:
        for _ in range(3):
            c.organization.get_organizations_me()
    issued = sum(c.token_manager.token_requests for c in clients)
    assert issued == 3  # slot i of both "processes" is one token
    assert {t.access_token for t in clients[0].token_manager.tokens} == \
        {t.access_token for t in clients[1].token_manager.tokens}
    for c in clients:
        c.close()


def test_pool_size_is_checked():
    for bad in (0, 51, 2.5, True):
        with pytest.raises(ValueError):
            ClientCredentials("id", "secret", pool_size=bad)
