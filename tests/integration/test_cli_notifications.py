"""``genesys-cloud notifications listen`` as a subprocess against the sandbox (real HTTP and WebSocket)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.sandbox_support.helpers import (  # noqa: F401  (fixtures)
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT,
    authorize,
    code_from,
    default_user,
    http,
    sandbox,
    sb,
)


def _env(sandbox, tmp_path, token=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    env.update(HOME=str(tmp_path), GENESYSCLOUD_KEYRING="0", GENESYSCLOUD_API_HOST=sandbox.url)
    if token:
        env["GENESYSCLOUD_ACCESS_TOKEN"] = token
    else:
        env.update(GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET=CLIENT_SECRET)
    return env


def _user_token(http, sandbox):
    code = code_from(authorize(http, default_user(sandbox)["email"]))
    return http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                     auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]


def _wait_subscribed(sandbox, proc, topics=1):
    deadline = time.monotonic() + 60
    while True:
        channels = sandbox.notification_info()["channels"]
        if any(c["topics"] == topics and c["sockets"] == 1 for c in channels):
            return
        if proc.poll() is not None:
            raise AssertionError(f"listen exited early: {proc.stderr.read()}")
        assert time.monotonic() < deadline, "the listener never subscribed"
        time.sleep(0.05)


def test_listen_with_me_streams_jsonl_until_ctrl_c(http, sandbox, tmp_path):
    token = _user_token(http, sandbox)
    uid = default_user(sandbox)["id"]
    proc = subprocess.Popen([sys.executable, "-m", "genesyscloud.cli", "notifications", "listen", "v2.users.me.presence",
                             "v2.users.me.routingStatus"], env=_env(sandbox, tmp_path, token),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_subscribed(sandbox, proc, topics=2)
        headers = {"Authorization": f"Bearer {token}"}
        assert http.patch(f"/api/v2/users/{uid}/presences/purecloud", headers=headers,
                          json={"presenceDefinition": {"systemPresence": "Busy"}}).status_code == 200
        sandbox.publish(f"v2.users.{uid}.routingStatus", {"id": uid, "routingStatus": {"status": "IDLE"}}, count=20)
        lines = [json.loads(proc.stdout.readline()) for _ in range(21)]
        assert lines[0]["topicName"] == f"v2.users.{uid}.presence"
        assert lines[0]["eventBody"]["presenceDefinition"]["systemPresence"] == "Busy"
        assert [line["topicName"] for line in lines[1:]] == [f"v2.users.{uid}.routingStatus"] * 20
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert all(json.loads(line) for line in out.splitlines())  # whole lines only
    assert token not in err and token not in out


def test_listen_for_seconds_in_a_table_and_rejections(http, sandbox, tmp_path):
    uid = default_user(sandbox)["id"]
    proc = subprocess.Popen([sys.executable, "-m", "genesyscloud.cli", "notifications", "listen", "-o", "table",
                             "--for", "3", f"v2.users.{uid}.presence"], env=_env(sandbox, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_subscribed(sandbox, proc)
        sandbox.publish(f"v2.users.{uid}.presence", {"message": "hello"})
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"v2.users.{uid}.presence" in out and '"message":"hello"' in out
    bad = subprocess.run([sys.executable, "-m", "genesyscloud.cli", "notifications", "listen", "v2.no.such.topic",
                          "--for", "1"], env=_env(sandbox, tmp_path), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "v2.no.such.topic: The topic is not valid." in bad.stderr
    me = subprocess.run([sys.executable, "-m", "genesyscloud.cli", "notifications", "listen", "v2.users.me.presence",
                         "--for", "1"], env=_env(sandbox, tmp_path), capture_output=True, text=True, timeout=60)
    assert me.returncode == 3 and "`me`" in me.stderr  # client credentials have no user
