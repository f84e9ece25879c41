"""Helpers shared by tests/integration/test_auth_*.py (no tests here).

Each module gets its own sandbox (xdist-safe: a free port each) whose tokens live
``TOKEN_TTL`` seconds, so the default refresh window is 60 s.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from genesyscloud.auth._token import utcnow
from genesyscloud.sandbox import Sandbox

TOKEN_TTL = 600
REDIRECT = "http://localhost:8765/callback"
PASSWORD = "sandbox"


class Clock:
    """The SDK's clock in these tests: wall time plus what the test advanced. Tests move
    it together with the sandbox's (``advance(sb, seconds)``), so that the SDK sees the
    same expiry the sandbox enforces."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


_control_clients: dict[str, httpx.Client] = {}


def control(sandbox: Sandbox, method: str, path: str, json: Any = None) -> Any:
    """The sandbox's control API through one kept-alive client (``Sandbox``'s helpers
    build a new client per call, which costs about 0.2 s each)."""
    http = _control_clients.get(sandbox.url)
    if http is None:
        http = _control_clients[sandbox.url] = httpx.Client(base_url=f"{sandbox.url}/__sandbox__", timeout=30)
    response = http.request(method, path, json=json)
    response.raise_for_status()
    return response.json() if response.content else None


def advance(sandbox: Sandbox, clock: Clock, seconds: float) -> None:
    """Move the sandbox's clock and the SDK's together."""
    control(sandbox, "POST", "/clock", {"advance": seconds})
    clock.advance(seconds)


def requests_log(sandbox: Sandbox) -> list[dict[str, Any]]:
    return control(sandbox, "GET", "/requests")


def token_requests(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in requests_log(sandbox) if r["path"] == "/oauth/token"]


def api_statuses(sandbox: Sandbox) -> list[int]:
    return [r["status"] for r in requests_log(sandbox) if r["path"].startswith("/api/v2/")]


def require(what: str) -> None:
    """Skip when a system tool is missing, except in CI (``CI`` set), where it fails."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"missing: {what}; CI is set, so .ci/run must install it")
    pytest.skip(f"missing: {what} (required when CI is set)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=1, token_ttl=TOKEN_TTL) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(sb: Sandbox) -> Sandbox:
    """The module's sandbox, reset (data, tokens, clock, faults, request log), with its
    seeded org loaded again (the first request after a reset pays for that otherwise,
    which would blur the time bounds the tests assert)."""
    control(sb, "POST", "/reset")
    control(sb, "GET", "/info")
    return sb


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: Any) -> Iterator[str]:
    """A real ``redis-server`` on loopback for the module (Debian package ``redis-server``)."""
    exe = shutil.which("redis-server")
    if exe is None:
        require("redis-server")
    try:
        import redis
    except ImportError:
        require("the redis Python package (extra 'redis')")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir), "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def sign_in(sandbox: Sandbox, authorize_url: str, email: str) -> str:
    """Do what a browser does on the sandbox's sign-in page; return the redirect address."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    with httpx.Client(base_url=sandbox.url, timeout=30) as http:
        page = http.get("/oauth/authorize", params=query)
        assert page.status_code == 200, page.text
        answer = http.post("/oauth/authorize", data={**query, "email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def code_of(redirect: str) -> str:
    return parse_qs(urlsplit(redirect).query)["code"][0]


def default_email(sandbox: Sandbox) -> str:
    return sandbox.info()["defaultUser"]["email"]
