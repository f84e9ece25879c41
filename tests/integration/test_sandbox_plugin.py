"""The pytest plugin (entry point ``genesyscloud_sandbox``) and the command line entry points."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from genesyscloud.sandbox.pytest_plugin import (  # noqa: F401  (fixtures)
    genesys_client,
    genesys_sandbox,
    genesys_sandbox_session,
)

pytest_plugins = ["pytester"]

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_genesys_sandbox_fixture_serves_a_reset_org(genesys_sandbox):
    with httpx.Client(base_url=genesys_sandbox.url) as client:
        token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(genesys_sandbox.client_id, genesys_sandbox.client_secret)).json()["access_token"]
        org = client.get("/api/v2/organizations/me", headers={"Authorization": f"Bearer {token}"})
        assert org.status_code == 200
    assert genesys_sandbox.requests()[-1]["path"] == "/api/v2/organizations/me"


def test_genesys_client_fixture_talks_to_the_sandbox(genesys_client, genesys_sandbox):
    api = getattr(genesys_client, "organization", None)
    if api is None or not hasattr(api, "get_organizations_me"):
        pytest.skip("the SDK's organization API is not generated yet")
    assert api.get_organizations_me().name == "Sandbox Org"
    assert [e["path"] for e in genesys_sandbox.requests()][-2:] == ["/oauth/token", "/api/v2/organizations/me"]


def test_plugin_resets_between_tests_in_a_pytest_run(pytester, monkeypatch):
    pytester.makepyfile(test_inner="""
        import httpx

        def _token(sb, client):
            return client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               auth=(sb.client_id, sb.client_secret)).json()["access_token"]

        def test_a_creates_a_queue(genesys_sandbox):
            with httpx.Client(base_url=genesys_sandbox.url) as client:
                h = {"Authorization": "Bearer " + _token(genesys_sandbox, client)}
                r = client.post("/api/v2/routing/queues", headers=h, json={"name": "Leaky"})
                assert r.status_code == 200
                genesys_sandbox.add_fault(path="organizations", status=503)

        def test_b_does_not_see_it(genesys_sandbox):
            with httpx.Client(base_url=genesys_sandbox.url) as client:
                h = {"Authorization": "Bearer " + _token(genesys_sandbox, client)}
                names = [q["name"] for q in client.get("/api/v2/routing/queues",
                         params={"name": "Leaky"}, headers=h).json()["entities"]]
                assert names == []
                assert client.get("/api/v2/organizations/me", headers=h).status_code == 200
    """)
    env_path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", env_path)
    result = pytester.runpytest_subprocess("-p", "no:genesyscloud_sandbox", "-p", "genesyscloud.sandbox.pytest_plugin",
                                           "-p", "no:cacheprovider", "-q", "-p", "no:xdist")
    result.assert_outcomes(passed=2)


def test_plugin_module_imports_nothing_heavy():
    code = ("import sys; import genesyscloud.sandbox.pytest_plugin; "
            "heavy = [m for m in ('starlette', 'uvicorn', 'jsonschema', 'httpx') if m in sys.modules]; "
            "print(','.join(heavy))")
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "starlette" not in out.stdout and "uvicorn" not in out.stdout and "jsonschema" not in out.stdout


def _serve(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_python_m_serve_prints_url_and_stops_on_signal(sig):
    proc = _serve([sys.executable, "-m", "genesyscloud.sandbox", "serve", "--host", "127.0.0.1", "--port", "0",
                   "--client-id", "cli-id", "--client-secret", "cli-secret", "--token-ttl", "120", "--seed", "3"])
    try:
        line = proc.stdout.readline()
        assert line.startswith("Genesys Cloud sandbox listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[-1].strip()
        with httpx.Client(base_url=url) as client:
            token = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("cli-id", "cli-secret"))
            assert token.status_code == 200 and token.json()["expires_in"] == 120
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        assert out == "" and "Traceback" not in err
        assert proc.returncode in (0, -sig)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_genesys_cloud_cli_sandbox_serve():
    code = "import sys; from genesyscloud.cli import main; sys.argv = ['genesys-cloud'] + sys.argv[1:]; main()"
    proc = _serve([sys.executable, "-c", code, "sandbox", "serve", "--port", "0", "--client-id", "a",
                   "--client-secret", "b", "--rate-limit", "2"])
    try:
        line = proc.stdout.readline()
        assert "Genesys Cloud sandbox listening on http://127.0.0.1:" in line, proc.stderr.read() if proc.poll() else line
        url = line.rsplit(" ", 1)[-1].strip()
        with httpx.Client(base_url=url) as client:
            token = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("a", "b")).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            codes = [client.get("/api/v2/organizations/me", headers=headers).status_code for _ in range(3)]
            assert codes == [200, 200, 429]
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
