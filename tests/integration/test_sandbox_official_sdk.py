"""The official SDK (PureCloudPlatformClientV2 269.0.0) against the sandbox, configured only by host.

Runs tests/sandbox_support/official_sdk_oauth.py with the interpreter named by
``GENESYSCLOUD_OFFICIAL_SDK_PYTHON`` (a separate virtualenv with the official package).
Unset: skipped locally, a failure in CI (``CI=true``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.sandbox_support.helpers import CLIENT_ID, sandbox, sb  # noqa: F401  (fixtures)

SCRIPT = Path(__file__).resolve().parents[1] / "sandbox_support" / "official_sdk_oauth.py"


@pytest.fixture
def official_python() -> str:
    python = os.environ.get("GENESYSCLOUD_OFFICIAL_SDK_PYTHON")
    if not python:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("GENESYSCLOUD_OFFICIAL_SDK_PYTHON must name the official SDK's python in CI")
        pytest.skip("GENESYSCLOUD_OFFICIAL_SDK_PYTHON is not set")
    return python


def test_every_oauth_operation_of_the_official_sdk(official_python, sandbox):
    run = subprocess.run([official_python, str(SCRIPT), sandbox.url, sandbox.client_id, sandbox.client_secret],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])

    assert out["login_url"] == sandbox.url  # no "//api." in the host: login is the same origin
    created = out["create"]
    assert created["name"] == "Official SDK client" and created["secret"]
    assert created["authorized_grant_type"] == "CLIENT-CREDENTIALS"
    assert created["access_token_validity_seconds"] == 3600
    assert out["get"]["id"] == created["id"] and out["get"]["secret"] is None
    assert created["id"] in out["list"] and CLIENT_ID in out["list"]
    assert out["update"]["name"] == "Official SDK client (renamed)"
    assert out["new_client_token_works"] is True
    assert out["secret_changed"] is True and out["new_secret_login"] is True
    assert out["old_secret_login"]["status"] == 401
    assert out["old_secret_login"]["body"]["error"] == "invalid_client"
    assert out["scopes_total"] == len(out["scope_ids"]) > 10 and out["scope"]["id"] == out["scope_ids"][0]
    assert out["authorizations_total"] >= 3 and out["authorization"]["state"] == "Authorized"
    assert out["usage_query"]["execution_id"] and out["usage_query"]["results_uri"].endswith(
        out["usage_query"]["execution_id"])
    assert out["usage_result"]["query_status"] == "Complete"
    templates = {row["template_uri"] for row in out["usage_result"]["results"]}
    assert "/api/v2/oauth/clients" in templates
    assert out["usage_summary"]["execution_id"]
    assert out["get_after_delete"]["status"] == 404 and out["get_after_delete"]["body"]["code"] == "not.found"
    assert out["get_unknown"]["status"] == 404
