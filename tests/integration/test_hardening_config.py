"""Issue 12 for configuration: a bad file never ends live reload and always raises
``ConfigError`` (item 14), a malformed line is not quoted back (item 2), and a plain
``GenesysCloud()`` reads the ``GENESYSCLOUD_*`` environment (item 15). Against the sandbox.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

import genesyscloud
from genesyscloud import AsyncGenesysCloud, AuthError, ConfigError, GenesysCloud
from genesyscloud.auth import ClientCredentials

from .test_auth_support import (  # noqa: F401  (fixtures)
    free_port, requests_log, sandbox, sb)

BAD_FILES = [
    "[gateway]\nhost = gw/x\n",                      # the gateway's own check (was a plain ValueError)
    "[logging]\nlog_level = loud\n",
    "[retry]\nretry_max = many\n",
    "[general]\nclient_secret\n",                    # not key = value
    "[general]\nclient_id = only-the-id\n",          # half a credential pair
    "[nosuch]\nkey = value\n",
    "[general]\nhost = \n[logging\n",
    '{"general": {"host": "x",}',
    '{"gateway": {"port": 99999}}',
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in [v for v in os.environ if v.startswith("GENESYSCLOUD_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def _write(path: Path, text: str) -> None:  # atomically, as editors and deployment tools do
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@pytest.mark.parametrize("bad", BAD_FILES)
def test_reload_config_raises_config_error_for_every_bad_file(sandbox, tmp_path, clean_env, bad):
    path = tmp_path / "config"
    path.write_text(f"[general]\nhost = {sandbox.url}\n[retry]\nretry_max = 2\n")
    with GenesysCloud(config_file=path, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as gc:
        path.write_text(bad)
        with pytest.raises(ConfigError) as info:
            gc.reload_config()
        assert type(info.value) is ConfigError and str(path) in str(info.value)
        assert gc.options.retry.max_retries == 2  # the previous settings stay
        assert gc.users.get_users(page_size=1).entities


def test_a_bad_edit_never_ends_live_reload(sandbox, tmp_path, clean_env):
    path = tmp_path / "config"
    _write(path, f"[general]\nhost = {sandbox.url}\nlive_reload_config = true\n[retry]\nretry_max = 2\n")
    with GenesysCloud.from_config(path, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as gc:
        outcomes: list[BaseException | None] = []
        seen = threading.Condition()

        def listener(error: BaseException | None) -> None:
            with seen:
                outcomes.append(error)
                seen.notify_all()

        gc._shared.watcher.listeners.append(listener)
        for bad in ("[gateway]\nhost = gw/x\n", "[general]\nclient_secret XYZ\n"):
            _write(path, bad)
            with seen:
                assert seen.wait_for(lambda: any(isinstance(e, ConfigError) for e in outcomes), 30)
            outcomes.clear()
        _write(path, f"[general]\nhost = {sandbox.url}\nlive_reload_config = true\n[retry]\nretry_max = 7\n")
        deadline = time.monotonic() + 30
        while gc.options.retry.max_retries != 7:  # the watcher thread survived and applies good edits
            assert time.monotonic() < deadline, "the later valid edit was not applied"
            time.sleep(0.05)
        assert gc.users.get_users(page_size=1).entities


def test_a_config_line_without_equals_is_not_quoted_back(tmp_path, clean_env):
    path = tmp_path / "config"
    path.write_text("[general]\nclient_id = abc\nclient_secret XYZ-s3cret-value\n")
    with pytest.raises(ConfigError) as info:
        GenesysCloud.from_config(path)
    assert "XYZ-s3cret-value" not in str(info.value) and "line 3" in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


# -- item 15: GENESYSCLOUD_* for a plain constructor -----------------------------------------------

def test_plain_constructors_read_the_environment(sandbox, clean_env):
    clean_env.setenv("GENESYSCLOUD_API_HOST", sandbox.url)
    clean_env.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", sandbox.client_id)
    clean_env.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", sandbox.client_secret)
    with GenesysCloud() as gc:
        assert gc.hosts.api == sandbox.url and gc.users.get_users(page_size=1).entities

    async def main() -> int:
        async with AsyncGenesysCloud() as agc:
            return len((await agc.users.get_users(page_size=1)).entities)

    assert asyncio.run(main()) == 1
    assert [r["status"] for r in requests_log(sandbox) if r["path"] == "/oauth/token"] == [200, 200]


def test_explicit_arguments_win_and_environment_secrets_stay_with_their_host(sandbox, clean_env):
    clean_env.setenv("GENESYSCLOUD_API_HOST", sandbox.url)
    clean_env.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", sandbox.client_id)
    clean_env.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", sandbox.client_secret)
    elsewhere = f"http://127.0.0.1:{free_port()}"
    with GenesysCloud(api_host=elsewhere) as gc:  # the host argument wins ...
        assert gc.hosts.api == elsewhere
        with pytest.raises(AuthError) as info:  # ... and the environment's secret is not sent there
            gc.users.get_users()
    assert info.value.error == "missing_credentials"
    with GenesysCloud(auth=ClientCredentials(sandbox.client_id, sandbox.client_secret)) as gc:
        assert gc.hosts.api == sandbox.url  # the host still comes from the environment
        assert gc.users.get_users(page_size=1).entities


def test_from_env_with_nothing_set_names_the_variables(clean_env):
    with pytest.raises(ConfigError) as info:
        GenesysCloud.from_env()
    for name in ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_ACCESS_TOKEN",
                 "GENESYSCLOUD_REGION", "GENESYSCLOUD_API_HOST"):
        assert name in str(info.value)
    with pytest.raises(ConfigError):
        AsyncGenesysCloud.from_env()
    assert isinstance(info.value, genesyscloud.GenesysCloudError)
