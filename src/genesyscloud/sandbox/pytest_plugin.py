"""pytest plugin (entry point ``genesyscloud_sandbox``): an offline Genesys Cloud org for tests.

Fixtures:

* ``genesys_sandbox`` (function scope): the session's running :class:`~genesyscloud.sandbox.Sandbox`,
  reset to its seeded state (data, tokens, clock, faults, request log) before each test
  that uses it, so tests do not see each other's changes.
* ``genesys_sandbox_session`` (session scope): the same server without the per-test reset.
* ``genesys_client``: ``genesyscloud.GenesysCloud(api_host=sandbox.url,
  auth=genesyscloud.ClientCredentials(sandbox.client_id, sandbox.client_secret))``, closed after the test.

Options: ``--genesys-sandbox-seed N`` (default 1). Nothing heavy is imported until a fixture
is used, so the plugin costs nothing in runs that do not use it and works without
Starlette/uvicorn installed until then.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("genesyscloud-sandbox")
    group.addoption("--genesys-sandbox-seed", type=int, default=1, help="seed of the sandbox org (default 1)")


@pytest.fixture(scope="session")
def genesys_sandbox_session(request: Any) -> Iterator[Any]:
    """A sandbox server shared by the whole session (started on first use, stopped at the end)."""
    from genesyscloud.sandbox import Sandbox

    seed = request.config.getoption("--genesys-sandbox-seed", default=1)
    with Sandbox(seed=seed) as sandbox:
        yield sandbox


@pytest.fixture
def genesys_sandbox(genesys_sandbox_session: Any) -> Any:
    """The session's sandbox, reset to the seeded state before the test (``POST /__sandbox__/reset``)."""
    genesys_sandbox_session.reset()
    return genesys_sandbox_session


@pytest.fixture
def genesys_client(genesys_sandbox: Any) -> Iterator[Any]:
    """A ``genesyscloud.GenesysCloud`` client of the sandbox, using client credentials."""
    import genesyscloud

    client = genesyscloud.GenesysCloud(
        api_host=genesys_sandbox.url,
        auth=genesyscloud.ClientCredentials(genesys_sandbox.client_id, genesys_sandbox.client_secret),
    )
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()
