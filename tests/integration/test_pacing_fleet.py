"""Pacing shared through a real ``redis-server`` (started here on a free port): several
processes with one token stay under the sandbox's limit together; a Redis outage and a
Redis stall (SIGSTOP) during a paced run fall back to per-process pacing with one warning
and no failed call. Counts only, never timing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from genesyscloud import AsyncGenesysCloud, ClientCredentials, GenesysCloud
from genesyscloud.sandbox import Sandbox

redis = pytest.importorskip("redis")

LIMIT = 30
WINDOW = 2.0


class RedisServer:
    def __init__(self, workdir: str) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed (Debian package redis-server)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", workdir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(str(tmp_path))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sb():
    with Sandbox(rate_limit=LIMIT, rate_limit_window=WINDOW) as server:
        yield server


@pytest.fixture
def sandbox(sb):
    sb.reset()
    return sb


WORKER = r"""
import json, os, sys, threading
from genesyscloud import GenesysCloud, ClientCredentials
from genesyscloud.auth import RedisTokenStore

url, redis_url, calls, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = GenesysCloud(api_host=url, auth=ClientCredentials(os.environ["GC_ID"], os.environ["GC_SECRET"]),
                      token_store=RedisTokenStore(redis_url), rate_limit_store=redis_url)
client.authenticate()
print("ready", flush=True)
sys.stdin.readline()
errors = []
def work():
    for _ in range(calls // threads):
        try:
            client.organization.get_organizations_me()
        except Exception as exc:
            errors.append(repr(exc))
pool = [threading.Thread(target=work) for _ in range(threads)]
for t in pool: t.start()
for t in pool: t.join()
print(json.dumps({"errors": errors, "stats": client._shared.pacer.stats}), flush=True)
client.close()
"""


def test_processes_share_one_window(sandbox, redis_server):
    env = {**os.environ, "GC_ID": sandbox.client_id, "GC_SECRET": sandbox.client_secret}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, sandbox.url, redis_server.url, str(LIMIT), "5"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(3)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        for p in procs:  # go together
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [json.loads(p.stdout.readline() or "{}") for p in procs]
    finally:
        for p in procs:
            p.kill() if p.poll() is None else None
            p.wait(30)
    assert all(r.get("errors") == [] for r in results), results
    assert sandbox.rate_limits()["stats"]["api_429"] == 0
    assert sum(r["stats"]["granted"] for r in results) == 3 * LIMIT
    assert sum(r["stats"]["shared_grants"] for r in results) > 2 * LIMIT  # the window was shared


def _paced_run(client, calls: int, threads: int, at: int, event) -> list[BaseException]:
    """``calls`` calls on ``threads`` threads; after ``at`` of them, ``event()`` runs once."""
    errors: list[BaseException] = []
    done = [0]
    lock = threading.Lock()
    fired = threading.Event()

    def work():
        for _ in range(calls // threads):
            try:
                client.organization.get_organizations_me()
            except Exception as exc:  # asserted on
                errors.append(exc)
            with lock:
                done[0] += 1
                fire = done[0] >= at and not fired.is_set()
                if fire:
                    fired.set()
            if fire:
                event()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(180)
    return errors


def _warnings(caplog):
    return [r for r in caplog.records if r.levelno == logging.WARNING and "Redis" in r.getMessage()]


def test_redis_outage_during_a_paced_run(sandbox, redis_server, caplog):
    client = GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret),
                          rate_limit_store=redis_server.url)
    with caplog.at_level(logging.WARNING, logger="genesyscloud"):
        errors = _paced_run(client, calls=3 * LIMIT, threads=6, at=LIMIT // 2, event=redis_server.stop)
    stats = client._shared.pacer.stats
    assert errors == []
    assert sandbox.rate_limits()["stats"]["api_429"] == 0
    assert stats["shared_grants"] > 0 and stats["local_grants"] > 0  # shared, then per process
    assert len(_warnings(caplog)) == 1  # one warning for the outage
    client.close()


def test_redis_stall_during_a_paced_run(sandbox, redis_server, caplog):
    client = GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret),
                          rate_limit_store=redis_server.url)
    store = client._shared.pacer.shared
    store.health.retry_interval = 0.5  # try Redis again soon, so that the run sees it come back

    def stall():
        os.kill(redis_server.proc.pid, signal.SIGSTOP)
        threading.Timer(1.5, os.kill, (redis_server.proc.pid, signal.SIGCONT)).start()

    with caplog.at_level(logging.INFO, logger="genesyscloud"):
        errors = _paced_run(client, calls=5 * LIMIT, threads=6, at=LIMIT // 2, event=stall)
    stats = client._shared.pacer.stats
    assert errors == []
    assert sandbox.rate_limits()["stats"]["api_429"] == 0
    assert stats["local_grants"] > 0 and stats["shared_grants"] > LIMIT // 2
    assert len(_warnings(caplog)) == 1 and store.health.outages == 1
    assert any("answers again" in r.getMessage() for r in caplog.records)
    client.close()


async def test_asyncio_shared_pacing_and_outage(sandbox, redis_server, caplog):
    calls = 3 * LIMIT
    async with AsyncGenesysCloud(api_host=sandbox.url, rate_limit_store=redis_server.url,
                                 auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as agc:
        done = 0

        async def one():
            nonlocal done
            try:
                await agc.organization.get_organizations_me()
                return None
            except Exception as exc:  # asserted on
                return exc
            finally:
                done += 1
                if done == LIMIT:
                    redis_server.stop()

        with caplog.at_level(logging.WARNING, logger="genesyscloud"):
            results = await asyncio.gather(*(one() for _ in range(calls)))
        stats = agc._shared.pacer.stats
        store = agc._shared.pacer.shared
    assert [r for r in results if r is not None] == []
    assert sandbox.rate_limits()["stats"]["api_429"] == 0
    assert stats["shared_grants"] > 0
    assert store.round_trips < stats["shared_grants"]  # slots leased in batches
    assert len(_warnings(caplog)) == 1


def test_token_store_lends_its_redis(sandbox, redis_server):
    from genesyscloud.auth import RedisTokenStore
    from genesyscloud._pacing_redis import RedisWindows

    client = GenesysCloud(api_host=sandbox.url, token_store=RedisTokenStore(redis_server.url),
                          auth=ClientCredentials(sandbox.client_id, sandbox.client_secret))
    assert isinstance(client._shared.pacer.shared, RedisWindows)
    assert client.organization.get_organizations_me().id
    client.close()
