"""Configuration: file formats, every official key, precedence, errors that name the place."""

from __future__ import annotations

import json

import pytest

from genesyscloud import AccessToken, ClientCredentials, GenesysCloud, Timeout
from genesyscloud._config import client_kwargs, env_settings, read_config_file
from genesyscloud._core.errors import ConfigError
from genesyscloud._regions import Gateway

ENV = ("GENESYSCLOUD_REGION", "GENESYSCLOUD_API_HOST", "GENESYSCLOUD_ACCESS_TOKEN", "GENESYSCLOUD_OAUTHCLIENT_ID",
       "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_PROFILE", "GENESYSCLOUD_CONFIG_FILE")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no real ~/.genesyscloudpython/config


OFFICIAL_INI = """
[logging]
log_level = trace
log_format = json
log_to_console = false
log_file_path = {log}
log_request_body = true
log_response_body = true

[reauthentication]
refresh_access_token = false
refresh_token_wait_max = 7

[general]
host = https://api.mypurecloud.de
live_reload_config = false

[gateway]
host = gateway.example.test
protocol = http
port = 8080
path_params_login = login
path_params_api = api/
username = gw-user
password = gw-pass

[retry]
retry_max = 5
retry_wait_max = 40
retry_wait_min = 0.25
"""


def test_every_official_key_is_honoured_ini_and_json(tmp_path):
    log = tmp_path / "sdk.log"
    ini = tmp_path / "config"
    ini.write_text(OFFICIAL_INI.format(log=log))
    parsed = read_config_file(ini)
    sections = {
        "logging": {"log_level": "trace", "log_format": "json", "log_to_console": False, "log_file_path": str(log),
                    "log_request_body": True, "log_response_body": True},
        "reauthentication": {"refresh_access_token": False, "refresh_token_wait_max": 7},
        "general": {"host": "https://api.mypurecloud.de", "live_reload_config": False},
        "gateway": {"host": "gateway.example.test", "protocol": "http", "port": 8080, "path_params_login": "login",
                    "path_params_api": "api/", "username": "gw-user", "password": "gw-pass"},
        "retry": {"retry_max": 5, "retry_wait_max": 40, "retry_wait_min": 0.25},
    }
    js = tmp_path / "config.json"
    js.write_text(json.dumps(sections))
    assert {k: v for k, v in read_config_file(js).items() if k != "config_file_path"} == \
        {k: v for k, v in parsed.items() if k != "config_file_path"}
    for path in (ini, js):
        gc = GenesysCloud.from_config(path)
        o = gc.options
        assert (o.log.level, o.log.format, o.log.to_console, o.log.file_path, o.log.request_body,
                o.log.response_body) == ("trace", "json", False, str(log), True, True)
        assert gc.hosts.api == "http://gateway.example.test:8080/api"
        assert gc.hosts.login == "http://gateway.example.test:8080/login"
        assert (o.retry.max_retries, o.retry.total_budget, o.retry.backoff_base) == (5, 40, 0.25)
        assert gc._shared.watcher is None
        manager = gc.token_manager
        assert manager is None  # no credentials in this file
        kwargs, _ = client_kwargs(GenesysCloud.__init__, {}, config_file=path, profile=None, require_file=True)
        assert kwargs["should_refresh_access_token"] is False and kwargs["refresh_token_wait_time"] == 7
        assert kwargs["gateway"] == Gateway("gateway.example.test", "http", 8080, "login", "api/", "gw-user", "gw-pass")
        assert "gw-pass" not in repr(kwargs["gateway"])


def test_profiles_override_sections(tmp_path):
    path = tmp_path / "config"
    path.write_text("""
[general]
region = eu-west-1
[retry]
retry_max = 2
[profile prod]
region = ap-southeast-2
client_id = prod-id
client_secret = prod-secret
[profile prod.retry]
retry_max = 4
""")
    default = GenesysCloud.from_config(path)
    assert default.hosts.api == "https://api.mypurecloud.ie" and default.options.retry.max_retries == 2
    prod = GenesysCloud.from_config(path, profile="prod")
    assert prod.hosts.api == "https://api.mypurecloud.com.au" and prod.options.retry.max_retries == 4
    assert isinstance(prod.token_manager.grant, ClientCredentials)
    with pytest.raises(ConfigError, match=r"no profile 'test'.*expected one of prod"):
        GenesysCloud.from_config(path, profile="test")


def test_precedence_arguments_then_environment_then_file(tmp_path, monkeypatch):
    path = tmp_path / "config"
    path.write_text("[general]\nregion = eu-west-1\ntimeout = 12\nclient_id = file-id\nclient_secret = file-s\n")
    assert GenesysCloud.from_config(path).hosts.api == "https://api.mypurecloud.ie"
    monkeypatch.setenv("GENESYSCLOUD_REGION", "us-west-2")
    monkeypatch.setenv("GENESYSCLOUD_ACCESS_TOKEN", "env-token")
    gc = GenesysCloud.from_config(path)
    assert gc.hosts.api == "https://api.usw2.pure.cloud" and gc.options.timeout == Timeout(12)
    assert isinstance(gc.token_manager.grant, AccessToken)
    gc = GenesysCloud.from_config(path, region="ca-central-1", timeout=3, auth=ClientCredentials("arg", "arg-s"))
    assert gc.hosts.api == "https://api.cac1.pure.cloud" and gc.options.timeout == Timeout(3)
    assert gc.token_manager.grant.client_id == "arg"
    # the same through the constructor's config_file=
    assert GenesysCloud(config_file=path, region="sa-east-1").hosts.api == "https://api.sae1.pure.cloud"
    # a plain constructor reads no file, but takes what it is not given from the environment
    plain = GenesysCloud()
    assert plain.hosts.api == "https://api.usw2.pure.cloud" and isinstance(plain.token_manager.grant, AccessToken)
    # explicit arguments win; the environment's token is not sent to a host it was not issued for
    other = GenesysCloud(region="eu-west-1")
    assert other.hosts.api == "https://api.mypurecloud.ie" and other.token_manager is None
    assert GenesysCloud(auth=ClientCredentials("arg", "arg-s")).hosts.api == "https://api.usw2.pure.cloud"


def test_from_env_reads_the_default_file_when_present(tmp_path, monkeypatch):
    with pytest.raises(ConfigError) as nothing:  # nothing set: the error names what it looked for
        GenesysCloud.from_env()
    for name in ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_ACCESS_TOKEN",
                 "GENESYSCLOUD_REGION", "GENESYSCLOUD_API_HOST", "GENESYSCLOUD_CONFIG_FILE"):
        assert name in str(nothing.value)
    monkeypatch.setenv("GENESYSCLOUD_ACCESS_TOKEN", "env-token")
    assert GenesysCloud.from_env().hosts.api == "https://api.mypurecloud.com"  # no file: fine
    home = tmp_path / "home" / ".genesyscloudpython"
    home.mkdir(parents=True)
    (home / "config").write_text('{"general": {"region": "mx-central-1"}}')
    assert GenesysCloud.from_env().hosts.api == "https://api.mxc1.pure.cloud"
    monkeypatch.setenv("GENESYSCLOUD_API_HOST", "http://127.0.0.1:9")
    assert GenesysCloud.from_env().hosts.api == "http://127.0.0.1:9"
    with pytest.raises(ConfigError, match="does not exist"):
        GenesysCloud.from_config(tmp_path / "nope")


@pytest.mark.parametrize("text, match", [
    ("[general]\nhost = \n[logging\n", r"file .*config: malformed INI"),
    ('{"general": {"host": "x",}', r"file .*config: malformed JSON"),
    ("[logging]\nlog_levl = debug\n", r"section \[logging\], key 'log_levl': unknown key \(expected one of log_file_path"),
    ("[logging]\nlog_level = verbose\n", r"section \[logging\], key 'log_level': bad value 'verbose' \(expected trace or debug"),
    ("[retry]\nretry_max = -1\n", r"section \[retry\], key 'retry_max': bad value '-1' \(expected an integer >= 0\)"),
    ("[gateway]\nport = 70000\n", r"key 'port'.*expected a port 1..65535 or -1"),
    ("[general]\nregion = mars-1\n", r"key 'region'.*valid regions: us-east-1"),
    ("[general]\nverify_ssl = maybe\n", r"key 'verify_ssl'.*expected true or false"),
    ("[general]\nproxy = ftp://proxy\n", r"key 'proxy'.*expected a proxy URL"),
    ("[nonsense]\na = 1\n", r"section \[nonsense\]: unknown section"),
    ("[gateway]\nprotocol = https\n", r"section \[gateway\], key 'host': a gateway needs a host"),
    ('{"general": {"timeout": "soon"}}', r"section \[general\], key 'timeout'.*seconds > 0"),
    ('{"profiles": {"p": {"logging": {"log_format": "xml"}}}}', r"section \[profile p.logging\], key 'log_format'"),
])
def test_malformed_files_name_file_section_and_key(tmp_path, text, match):
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as info:
        GenesysCloud.from_config(path, profile="p" if "profiles" in text else None)
    assert info.value.file == str(path)
    assert isinstance(info.value, ValueError)


def test_secrets_never_appear_in_config_errors(tmp_path):
    path = tmp_path / "config"
    path.write_text("[general]\nclient_secret = \n")
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    path.write_text("[gateway]\nhost = g\npassword = 5\n[general]\nclient_secret = s3cr3t\n")
    with pytest.raises(ConfigError, match="client_id") as info:
        GenesysCloud.from_config(path)
    assert "s3cr3t" not in str(info.value)


def test_environment_errors(monkeypatch):
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "only-id")
    with pytest.raises(ConfigError, match="GENESYSCLOUD_OAUTHCLIENT_SECRET"):
        env_settings()
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "s")
    monkeypatch.setenv("GENESYSCLOUD_REGION", "pluto")
    with pytest.raises(ConfigError, match="GENESYSCLOUD_REGION"):
        GenesysCloud.from_env()


def test_timeouts_from_file_are_finite_and_split(tmp_path):
    path = tmp_path / "config"
    path.write_text("[general]\nconnect_timeout = 2\nread_timeout = 20\n")
    gc = GenesysCloud.from_config(path)
    t = gc._timeout()
    assert (t.connect, t.read, t.write, t.pool) == (2, 20, 30, 10)


def test_live_reload_starts_no_thread_unless_asked(tmp_path):
    import threading

    before = set(threading.enumerate())  # other tests' threads may end meanwhile: count only new ones
    path = tmp_path / "config"
    path.write_text("[general]\nregion = eu-west-1\n")
    gc = GenesysCloud.from_config(path)
    assert gc._shared.watcher is None and not set(threading.enumerate()) - before
    path.write_text("[general]\nregion = eu-west-1\nlive_reload_config = true\n")
    gc = GenesysCloud.from_config(path)
    assert gc._shared.watcher is not None and set(threading.enumerate()) - before
    gc.close()
    assert gc._shared.watcher is None


def test_reloaded_timeouts_become_timeout_objects(tmp_path):
    path = tmp_path / "config"
    path.write_text("[general]\nhost = http://127.0.0.1:9\n")
    gc = GenesysCloud(config_file=path, auth=AccessToken("t"))
    path.write_text("[general]\nhost = http://127.0.0.1:9\ntimeout = 7\n")
    gc.reload_config()
    assert gc._timeout() == Timeout(7)
    path.write_text("[general]\nhost = http://127.0.0.1:9\nconnect_timeout = 2\nread_timeout = 90\n")
    gc.reload_config()
    assert gc._timeout() == Timeout(connect=2, read=90)
