"""genesyscloud.bulk (run_many / arun_many) and the CLI's --from/--concurrency, against the
sandbox over real HTTP. Counts only, never timing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading

import pytest

import genesyscloud
from genesyscloud import AsyncGenesysCloud, ClientCredentials, GenesysCloud
from genesyscloud.bulk import BulkInterrupted, Result, arun_many, run_many
from genesyscloud.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(rate_limit=25, rate_limit_window=1.0) as server:
        yield server


@pytest.fixture
def sandbox(sb):
    sb.reset()
    return sb


@pytest.fixture
def gc(sandbox):
    client = GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret))
    yield client
    client.close()


def _user_ids(gc, n):
    return [u.id for u in gc.users.get_users(page_size=n).entities][:n]


def test_ordered_results_keep_failures_and_never_abort(gc, sandbox):
    ids = _user_ids(gc, 6)
    inputs = ids[:3] + ["no-such-user"] + ids[3:]
    results = run_many(gc.users.get_user, inputs, concurrency=4)
    assert [r.input for r in results] == inputs and [r.index for r in results] == list(range(len(inputs)))
    assert [r.ok for r in results] == [True] * 3 + [False] + [True] * 3
    assert isinstance(results[3].error, genesyscloud.NotFoundError)
    assert [r.value.id for r in results if r.ok] == ids
    with pytest.raises(genesyscloud.NotFoundError):
        results[3].unwrap()


def test_concurrency_is_bounded_and_pacing_holds(gc, sandbox):
    ids = _user_ids(gc, 10) * 6  # 60 calls against 25 per window
    lock = threading.Lock()
    in_flight = [0, 0]

    def call(user_id):
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        try:
            return gc.users.get_user(user_id)
        finally:
            with lock:
                in_flight[0] -= 1

    seen = []
    results = run_many(call, iter(ids), concurrency=5, progress=lambda done, total, r: seen.append((done, total)))
    assert all(r.ok for r in results) and len(results) == 60
    assert in_flight[1] <= 5
    assert seen[-1] == (60, None) and len(seen) == 60  # a generator has no length
    assert sandbox.rate_limits()["stats"]["api_429"] == 0


def test_as_completed_and_rich_progress(gc):
    ids = _user_ids(gc, 8)
    got = list(run_many(gc.users.get_user, ids, concurrency=3, as_completed=True, progress=True))
    assert sorted(r.index for r in got) == list(range(8)) and all(isinstance(r, Result) for r in got)


def test_ctrl_c_stops_cleanly_and_keeps_what_finished(gc):
    ids = _user_ids(gc, 10) * 4
    started = [0]
    lock = threading.Lock()

    def call(user_id):
        with lock:
            started[0] += 1
        return gc.users.get_user(user_id)

    def interrupt(done, total, result):
        if done == 5:
            raise KeyboardInterrupt  # as Ctrl-C does in the main thread

    with pytest.raises(KeyboardInterrupt) as info:
        run_many(call, ids, concurrency=4, progress=interrupt)
    assert isinstance(info.value, BulkInterrupted)
    finished = info.value.results
    assert len(finished) >= 5 and all(r.ok for r in finished)
    assert len(finished) == started[0] < len(ids)  # calls in flight finished; nothing new started


def test_bad_arguments():
    with pytest.raises(ValueError):
        run_many(print, [1], concurrency=0)
    with pytest.raises(TypeError):
        run_many("not callable", [1])


async def test_arun_many_ordered_failures_and_cancel(sandbox):
    async with AsyncGenesysCloud(api_host=sandbox.url,
                                 auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as agc:
        ids = [u.id for u in (await agc.users.get_users(page_size=5)).entities]
        results = await arun_many(agc.users.get_user, ids + ["missing"], concurrency=3)
        assert [r.ok for r in results] == [True] * len(ids) + [False]
        completed = [r async for r in arun_many(agc.users.get_user, ids, concurrency=2, as_completed=True)]
        assert sorted(r.index for r in completed) == list(range(len(ids)))

        started, finished = [0], [0]

        async def slow(user_id):
            started[0] += 1
            await agc.users.get_user(user_id)
            await asyncio.sleep(30)  # never ends on its own: cancelled
            finished[0] += 1

        task = asyncio.ensure_future(arun_many(slow, ids * 4, concurrency=4))
        while started[0] < 4:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert started[0] == 4 and finished[0] == 0  # no new calls after the cancel
    assert sandbox.rate_limits()["stats"]["api_429"] == 0


def test_cli_from_file_and_stdin(sandbox, tmp_path):
    env_ids = None
    with GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as gc:
        env_ids = _user_ids(gc, 4)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(env_ids[:2] + ["", "# a comment", "missing-user"] + env_ids[2:]) + "\n")
    import os

    env = {**os.environ, "GENESYSCLOUD_API_HOST": sandbox.url, "GENESYSCLOUD_OAUTHCLIENT_ID": sandbox.client_id,
           "GENESYSCLOUD_OAUTHCLIENT_SECRET": sandbox.client_secret, "HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "genesyscloud.cli", "users", "get-user", "--concurrency", "3", "-o", "jsonl",
           "--fields", "id"]
    done = subprocess.run(cmd + ["--from", str(ids_file)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr  # one id failed; the others were printed
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == env_ids
    assert "missing-user: error: 404" in done.stderr and "1 of 5 calls failed" in done.stderr
    piped = subprocess.run(cmd + ["--from", "-"], input="\n".join(env_ids) + "\n", capture_output=True, text=True,
                           env=env, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert [json.loads(line)["id"] for line in piped.stdout.splitlines()] == env_ids
    usage = subprocess.run(cmd[:-5] + ["--concurrency", "3"], capture_output=True, text=True, env=env, timeout=120)
    assert usage.returncode == 2 and "USER_ID" in usage.stderr
