"""Issue 12 for the command line: a profile's credentials follow the host they were issued
for (item 1), the profiles file is strict (item 1), `logout` forgets the secret (item 20),
and the tool reads the SDK's environment variables and configuration file with the SDK's
precedence (item 15). Two real sandboxes on loopback play host A and host B.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from genesyscloud.sandbox import Sandbox

from .test_cli import base_env, cli


@pytest.fixture(scope="module")
def two() -> Iterator[tuple[Sandbox, Sandbox]]:
    with Sandbox(seed=1) as a, Sandbox(seed=2) as b:
        yield a, b


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _login(sandbox: Sandbox, env: dict, name: str = "lab") -> None:
    result = cli(["login", "--api-host", sandbox.url, "--client-id", sandbox.client_id,
                  "--client-secret", sandbox.client_secret, "--profile", name], env)
    assert result.exit_code == 0, result.stderr


def test_profile_credentials_are_never_sent_to_another_host(two, home: Path) -> None:
    a, b = two
    env = base_env(home)
    _login(a, env)
    b.clear_requests()
    for args, extra in ((["-v", "--api-host", b.url, "users", "get-users"], {}),
                        (["users", "get-users"], {"GENESYSCLOUD_API_HOST": b.url}),
                        (["-p", "lab", "--api-host", b.url, "whoami"], {}),
                        (["logout", "--api-host", b.url], {})):
        result = cli(args, {**env, **extra})
        assert result.exit_code == 3, (args, result.stderr)
        assert "not sent to" in result.stderr and b.url in result.stderr
        assert a.client_secret not in result.stdout + result.stderr
    assert b.requests() == []  # neither the cached token nor the secret reached host B
    assert cli(["organization", "get-organizations-me"], env).exit_code == 0  # host A still works


def test_stored_secret_and_token_are_bound_even_if_the_profile_file_is_edited(two, home: Path) -> None:
    a, b = two
    env = base_env(home)
    _login(a, env)
    profiles = home / ".genesyscloudpython" / "cli-profiles.json"
    data = json.loads(profiles.read_text())
    data["profiles"]["lab"].update(api_host=b.url, login_host=b.url)  # redirected by hand
    profiles.write_text(json.dumps(data))
    b.clear_requests()
    result = cli(["organization", "get-organizations-me"], env)
    assert result.exit_code == 3 and "client secret of profile 'lab' is missing" in result.stderr
    assert b.requests() == []


def test_a_misspelt_key_in_the_profiles_file_is_an_error_naming_file_and_key(two, home: Path) -> None:
    a, _ = two
    env = base_env(home)
    profiles = home / ".genesyscloudpython" / "cli-profiles.json"
    profiles.parent.mkdir()
    profiles.write_text(json.dumps({"current": "default",
                                    "profiles": {"default": {"client_id": "x", "api_hots": a.url}}}))
    a.clear_requests()
    result = cli(["organization", "get-organizations-me"], env)
    assert result.exit_code == 3
    assert str(profiles) in result.stderr and "'api_hots'" in result.stderr
    assert a.requests() == []


def test_logout_forgets_the_stored_secret_and_says_so(two, home: Path) -> None:
    a, _ = two
    env = base_env(home)
    _login(a, env)
    secrets_file = home / ".genesyscloudpython" / "cli-secrets.json"
    assert "lab:client_secret" in json.loads(secrets_file.read_text())
    out = cli(["logout"], env)
    assert out.exit_code == 0 and "revoked" in out.stderr and "client secret forgotten" in out.stderr
    assert json.loads(secrets_file.read_text()) == {}
    after = cli(["whoami"], env)
    assert after.exit_code == 3 and "missing" in after.stderr
    assert a.client_secret not in secrets_file.read_text()


def test_the_tool_reads_the_sdk_config_file_and_environment_with_the_sdk_precedence(two, home: Path,
                                                                                      tmp_path: Path) -> None:
    a, b = two
    config = tmp_path / "config"
    config.write_text(f"[general]\nhost = {a.url}\nclient_id = {a.client_id}\nclient_secret = {a.client_secret}\n")
    env = {**base_env(home), "GENESYSCLOUD_CONFIG_FILE": str(config)}
    a.clear_requests()
    b.clear_requests()
    assert cli(["organization", "get-organizations-me"], env).exit_code == 0  # the file alone: host A
    assert a.requests() and not b.requests()

    # environment over the file: host B with B's credentials
    env_b = {**env, "GENESYSCLOUD_API_HOST": b.url, "GENESYSCLOUD_OAUTHCLIENT_ID": b.client_id,
             "GENESYSCLOUD_OAUTHCLIENT_SECRET": b.client_secret}
    a.clear_requests()
    assert cli(["organization", "get-organizations-me"], env_b).exit_code == 0
    assert b.requests() and not a.requests()

    # a flag over both (the environment's credentials, where the flag points)
    b.clear_requests()
    env_a = {**env_b, "GENESYSCLOUD_OAUTHCLIENT_ID": a.client_id, "GENESYSCLOUD_OAUTHCLIENT_SECRET": a.client_secret}
    assert cli(["--api-host", a.url, "organization", "get-organizations-me"], env_a).exit_code == 0
    assert a.requests() and not b.requests()


def test_an_unreachable_login_service_exits_4_not_3(home: Path) -> None:
    from .test_cli import free_port

    env = {**base_env(home), "GENESYSCLOUD_API_HOST": f"http://127.0.0.1:{free_port()}",
           "GENESYSCLOUD_OAUTHCLIENT_ID": "cid", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "Cl1ent-s3cret"}
    result = cli(["users", "get-users"], env)
    assert result.exit_code == 4, result.stderr  # APIConnectionError from the token request
    assert result.stderr.startswith("error: connection failed") and "/oauth/token" in result.stderr
    assert "Cl1ent-s3cret" not in result.stderr
