"""Processes sharing one OAuth client through a token store, against the sandbox.

8 processes sharing a file store, and 8 sharing a Redis store (a real ``redis-server``
on loopback), start together with no token: one token request in total. Then the
sandbox's clock moves past expiry and all 8 call again: one token request again (one
per expiry, not one per worker).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import genesyscloud
from genesyscloud.auth import ClientCredentials, FileTokenStore

from .test_auth_support import (  # noqa: F401  (fixtures)
    TOKEN_TTL, control, redis_url, requests_log, sandbox, sb, token_requests)

WORKERS = 8

WORKER = r"""
import json, os, sys, time
import genesyscloud
from genesyscloud.auth import ClientCredentials, FileTokenStore, RedisTokenStore

kind, where, url, go1, go2 = sys.argv[1:6]
store = FileTokenStore(where) if kind == "file" else RedisTokenStore(where)
client = genesyscloud.GenesysCloud(api_host=url, token_store=store,
                                   auth=ClientCredentials(os.environ["GC_ID"], os.environ["GC_SECRET"]))
print("ready", flush=True)
for go in (go1, go2):
    deadline = time.monotonic() + 60
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.exit("no go signal")
        time.sleep(0.001)
    page = client.users.get_users(page_size=1)
    print(json.dumps({"ok": len(page.entities) == 1, "requests": client.token_manager.token_requests}), flush=True)
client.close()
"""


def _run_fleet(sandbox, tmp_path: Path, kind: str, where: str) -> None:
    env = {**os.environ, "GC_ID": sandbox.client_id, "GC_SECRET": sandbox.client_secret}
    go1, go2 = tmp_path / "go1", tmp_path / "go2"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, kind, where, sandbox.url, str(go1), str(go2)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(WORKERS)]
    try:
        for proc in procs:  # every worker is up, with no token yet
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        control(sandbox, "DELETE", "/requests")
        go1.touch()  # ... and they all start together
        first = [json.loads(proc.stdout.readline()) for proc in procs]
        assert all(r["ok"] for r in first), first
        assert len(token_requests(sandbox)) == 1
        assert sum(r["requests"] for r in first) == 1

        control(sandbox, "POST", "/clock", {"advance": TOKEN_TTL + 1})  # every worker's token is now expired
        control(sandbox, "DELETE", "/requests")
        go2.touch()
        second = [json.loads(proc.stdout.readline()) for proc in procs]
        assert all(r["ok"] for r in second), second
        assert len(token_requests(sandbox)) == 1  # one renewal for the whole fleet
        assert sum(r["requests"] for r in second) == 2
        for proc in procs:
            assert proc.wait(30) == 0, proc.stderr.read()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.stderr.close()


def test_8_processes_sharing_a_file_store_make_one_token_request(sandbox, tmp_path):
    _run_fleet(sandbox, tmp_path, "file", str(tmp_path / "store" / "tokens.json"))
    assert (os.stat(tmp_path / "store" / "tokens.json").st_mode & 0o777) == 0o600


def test_8_processes_sharing_redis_make_one_token_request(sandbox, tmp_path, redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushall()
    _run_fleet(sandbox, tmp_path, "redis", redis_url)


def test_a_redis_lock_left_by_a_dead_worker_expires(sandbox, redis_url):
    import redis

    from genesyscloud.auth import RedisTokenStore

    server = redis.Redis.from_url(redis_url)
    server.flushall()
    store = RedisTokenStore(redis_url)
    with genesyscloud.GenesysCloud(api_host=sandbox.url, token_store=store,
                                   auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as client:
        key = client.token_manager.key
        server.set(f"genesyscloud:lock:{key}", "a-worker-that-died", px=700)
        started = time.monotonic()
        client.authenticate()  # would fail with refresh_timeout after 10 s if the lock never expired
        assert time.monotonic() - started > 0.5
        assert client.users.get_users(page_size=1).entities
        assert len(token_requests(sandbox)) == 1
        assert store.load(key) == client.token and server.get(f"genesyscloud:lock:{key}") is None


def test_a_worker_whose_wait_for_the_store_lock_runs_out_renews_for_itself(sandbox, tmp_path):
    store = FileTokenStore(tmp_path / "tokens.json")
    # timeout=0.5: the token request's budget, which the lock wait covers, is 1 s
    with genesyscloud.GenesysCloud(api_host=sandbox.url, token_store=store, refresh_token_wait_time=0.3,
                                   timeout=0.5, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)
                                   ) as client:
        held = threading.Event()
        release = threading.Event()

        def holder() -> None:  # another process that stalled while renewing
            with FileTokenStore(tmp_path / "tokens.json").lock("any", 1):
                held.set()
                release.wait(30)

        thread = threading.Thread(target=holder)
        thread.start()
        held.wait(5)
        try:
            assert client.users.get_users(page_size=1).entities  # no refresh_timeout: it renewed without the lock
            assert release.is_set() is False  # ... while the other worker still held it
        finally:
            release.set()
            thread.join(5)
        assert store.load(client.token_manager.key) == client.token
        assert [r["status"] for r in requests_log(sandbox) if r["path"] == "/oauth/token"] == [200]
