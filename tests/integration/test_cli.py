"""The ``genesys-cloud`` command line tool, through Click's runner and as a subprocess,
against the sandbox over real HTTP."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import yaml
from click.testing import CliRunner

from genesyscloud.cli import run
from genesyscloud.sandbox import Sandbox

_WRAPPER = click.Command(
    "genesys-cloud",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
    callback=lambda args: sys.exit(run(list(args))),
)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=1) as sandbox:
        yield sandbox


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def base_env(home: Path) -> dict[str, str | None]:
    """A clean environment: own HOME, no keyring, no GENESYSCLOUD_* from the outside."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GENESYSCLOUD_")}
    env.update(HOME=str(home), GENESYSCLOUD_KEYRING="0", COLUMNS="200")
    return env


@pytest.fixture
def env(sb: Sandbox, home: Path) -> dict[str, str | None]:
    e = base_env(home)
    e.update(GENESYSCLOUD_API_HOST=sb.url, GENESYSCLOUD_OAUTHCLIENT_ID=sb.client_id,
             GENESYSCLOUD_OAUTHCLIENT_SECRET=sb.client_secret)
    return e


def cli(args: list[str], env: dict[str, str | None], stdin: str | None = None) -> Any:
    result = CliRunner().invoke(_WRAPPER, args, env=env, input=stdin, catch_exceptions=False)
    return result


def subprocess_env(env: dict[str, str | None]) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    out.update({k: v for k, v in env.items() if v is not None})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- help -----------------------------------------------------------------------------------------------
def test_top_level_help_lists_groups_without_loading_api_modules(home: Path) -> None:
    code = ("import sys; from genesyscloud.cli import run; rc = run(['--help']); "
            "print('LOADED', sorted(m for m in sys.modules if m.startswith('genesyscloud.api.') or m == 'rich'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=subprocess_env(base_env(home)), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "speech-text-analytics" in proc.stdout and "routing" in proc.stdout and "login" in proc.stdout
    assert proc.stdout.strip().endswith("LOADED []")


def test_operation_help_shows_summary_method_path_params_and_body(env: dict[str, Any]) -> None:
    result = cli(["routing", "post-routing-queues", "--help"], env)
    assert result.exit_code == 0
    out = result.output
    assert "Create a queue" in out
    assert "POST /api/v2/routing/queues" in out
    assert "Body (CreateQueueRequest, required" in out
    assert "name" in out and "str, required" in out and "acwSettings" in out
    result = cli(["users", "get-users", "--help"], env)
    assert "--page-size INT " in result.output
    assert "query pageSize: int; server default 25" in " ".join(result.output.split())
    assert "--autopaginate" in result.output
    assert "Paged (page_number)" in result.output


def test_group_help_lists_operations(env: dict[str, Any]) -> None:
    result = cli(["oauth", "--help"], env)
    assert result.exit_code == 0
    assert "get-oauth-clients" in result.output and "GET /api/v2/oauth/clients" in result.output


# -- output formats ----------------------------------------------------------------------------------------
def test_json_is_compact_when_piped(env: dict[str, Any], sb: Sandbox) -> None:
    result = cli(["organization", "get-organizations-me"], env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one compact line
    assert json.loads(result.stdout)["name"] == "Sandbox Org"


def test_yaml_output_with_fields(env: dict[str, Any]) -> None:
    result = cli(["users", "get-users", "--page-size", "3", "-o", "yaml", "--fields", "id,name,division.name"], env)
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    assert len(data) == 3
    assert set(data[0]) == {"id", "name", "division"} and set(data[0]["division"]) == {"name"}


def test_table_output(env: dict[str, Any]) -> None:
    result = cli(["routing", "get-routing-queues", "--page-size", "5", "-o", "table", "--fields", "name,memberCount"],
                 env)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "name" in lines[1] and "memberCount" in lines[1] and lines[0].startswith("┏")
    assert "Billing APAC" in result.stdout
    assert lines[-1] == "5 rows"


def test_csv_output_and_root_level_options(env: dict[str, Any]) -> None:
    result = cli(["-o", "csv", "--fields", "id,name,email", "users", "get-users", "--page-size", "4"], env)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["id", "name", "email"]
    assert len(rows) == 5 and all(r[2].endswith("@sandbox.example.com") for r in rows[1:])


def test_fields_on_a_single_object_keep_nesting(env: dict[str, Any]) -> None:
    result = cli(["tokens", "get-tokens-me", "--fields", "organization.name,OAuthClient.id"], env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"organization": {"name": "Sandbox Org"},
                                         "OAuthClient": {"id": env["GENESYSCLOUD_OAUTHCLIENT_ID"]}}


# -- paging -------------------------------------------------------------------------------------------------
def test_autopaginate_thousands_of_users(env: dict[str, Any], sb: Sandbox) -> None:
    first = cli(["users", "get-users", "--page-size", "1"], env)
    total = json.loads(first.stdout)["total"]
    assert total > 3000
    result = cli(["users", "get-users", "--page-size", "100", "--autopaginate", "-o", "csv", "--fields", "id,name"],
                 env)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert len(rows) == total
    assert len({r[0] for r in rows}) == total  # every user once
    # the progress bar's final state went to stderr: items and pages
    assert f"{total:,} items" in result.stderr and f"{-(-total // 100)} pages" in result.stderr


def test_autopaginate_json_merges_pages_and_respects_max_items(env: dict[str, Any]) -> None:
    result = cli(["users", "get-users", "--page-size", "10", "-a", "--max-items", "25", "-q", "--fields", "id"], env)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 25
    assert result.stderr == ""  # --quiet: no progress bar


def test_stream_prints_one_json_line_per_page(env: dict[str, Any]) -> None:
    result = cli(["routing", "get-routing-queues", "--page-size", "20", "--stream", "-q"], env)
    assert result.exit_code == 0, result.stderr
    pages = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["pageNumber"] for p in pages] == list(range(1, pages[0]["pageCount"] + 1))
    assert sum(len(p["entities"]) for p in pages) == pages[0]["total"]


def _q64(request: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(request).encode()).decode()


@pytest.mark.parametrize("style,args", [
    ("page_number", ["authorization", "get-authorization-roles", "--page-size", "2"]),
    ("body", ["users", "post-users-search", "--body",
              json.dumps({"pageSize": 50, "query": [{"type": "STARTS_WITH", "fields": ["name"], "value": "ad"}]})]),
    ("search", ["users", "get-users-search", "--q64",
                _q64({"pageSize": 50, "query": [{"type": "STARTS_WITH", "fields": ["name"], "value": "ad"}]})]),
    ("cursor", ["users", "get-users-query"]),
    ("cursors_after", ["external-contacts", "get-externalcontacts-externalsources"]),
])
def test_autopaginate_each_paging_style(env: dict[str, Any], style: str, args: list[str]) -> None:
    from genesyscloud.cli._ops import group_operations

    assert group_operations(args[0])[args[1]].paging == style
    single = cli(args, env)
    assert single.exit_code == 0, single.stderr
    merged = cli([*args, "--autopaginate", "-q"], env)
    assert merged.exit_code == 0, merged.stderr
    items = json.loads(merged.stdout)
    assert isinstance(items, list) and items
    first_page = json.loads(single.stdout)
    total = first_page.get("total")
    if style in ("page_number", "body", "search"):
        assert len(items) == total and total > len(next(v for v in first_page.values() if isinstance(v, list)))
    else:  # the spec-driven responder: pages until it repeats its token
        assert len(items) >= 1


def test_raw_api_follows_next_uri(env: dict[str, Any]) -> None:
    result = cli(["api", "GET", "/api/v2/routing/queues?pageSize=10", "--autopaginate", "-q", "--fields", "id"], env)
    assert result.exit_code == 0, result.stderr
    ids = [r["id"] for r in json.loads(result.stdout)]
    first = json.loads(cli(["api", "GET", "/api/v2/routing/queues", "-Q", "pageSize=1"], env).stdout)
    assert len(ids) == len(set(ids)) == first["total"]


# -- raw calls and bodies --------------------------------------------------------------------------------
def test_api_post_with_data_file_and_operation_body_from_stdin(env: dict[str, Any], tmp_path: Path) -> None:
    body = tmp_path / "queue.json"
    body.write_text(json.dumps({"name": "CLI queue from file"}))
    created = cli(["api", "POST", "/api/v2/routing/queues", "--data", f"@{body}"], env)
    assert created.exit_code == 0, created.stderr
    queue_id = json.loads(created.stdout)["id"]
    got = cli(["routing", "get-routing-queue", queue_id, "--fields", "name"], env)
    assert json.loads(got.stdout) == {"name": "CLI queue from file"}
    made = cli(["routing", "post-routing-queues", "--body", "-"], env, stdin=json.dumps({"name": "CLI queue stdin"}))
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["name"] == "CLI queue stdin"
    deleted = cli(["routing", "delete-routing-queue", json.loads(made.stdout)["id"]], env)
    assert deleted.exit_code == 0 and deleted.stdout == ""


# -- profiles, login, cached token ------------------------------------------------------------------------
def _token_requests(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests() if r["path"] == "/oauth/token")


def test_login_saves_profile_and_reuses_cached_token(home: Path) -> None:
    with Sandbox(seed=1, token_ttl=3600) as sandbox:
        env = base_env(home)
        result = cli(["login", "--api-host", sandbox.url, "--client-id", sandbox.client_id,
                      "--client-secret", sandbox.client_secret, "--profile", "lab"], env)
        assert result.exit_code == 0, result.stderr
        assert "profile 'lab' is current" in result.stderr
        assert sandbox.client_secret not in result.output + result.stderr
        secrets_file = home / ".genesyscloudpython" / "cli-secrets.json"
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
        profiles_file = home / ".genesyscloudpython" / "cli-profiles.json"
        assert sandbox.client_secret not in profiles_file.read_text()
        assert _token_requests(sandbox) == 1

        sandbox.clear_requests()
        for _ in range(2):
            who = cli(["whoami"], env)
            assert who.exit_code == 0, who.stderr
            assert json.loads(who.stdout)["profile"] == "lab"
        assert _token_requests(sandbox) == 0  # the cached token was reused
        assert len(sandbox.requests()) == 2

        sandbox.advance_clock(3700)  # the cached token expires on the sandbox clock
        sandbox.clear_requests()
        assert cli(["organization", "get-organizations-me"], env).exit_code == 0
        assert _token_requests(sandbox) == 1  # renewed once (on the 401) ...
        sandbox.clear_requests()
        assert cli(["organization", "get-organizations-me"], env).exit_code == 0
        assert _token_requests(sandbox) == 0  # ... and the new token was cached

        cached = json.loads(json.loads(secrets_file.read_text())["lab:token"])["access_token"]
        out = cli(["logout"], env)
        assert out.exit_code == 0 and "revoked" in out.stderr
        refused = httpx.get(f"{sandbox.url}/api/v2/tokens/me", headers={"Authorization": f"Bearer {cached}"})
        assert refused.status_code == 401
        assert "lab:token" not in json.loads(secrets_file.read_text())


def test_profiles_list_show_use_delete(sb: Sandbox, home: Path) -> None:
    env = base_env(home)
    for name in ("one", "two"):
        assert cli(["login", "--api-host", sb.url, "--client-id", sb.client_id, "--client-secret",
                    sb.client_secret, "-p", name], env).exit_code == 0
    listed = json.loads(cli(["profiles", "list"], env).stdout)
    assert [p["name"] for p in listed] == ["one", "two"]
    assert [p["current"] for p in listed] == [False, True]
    assert all(p["secret"] == "stored" for p in listed)
    assert sb.client_secret not in json.dumps(listed)
    assert cli(["profiles", "use", "one"], env).exit_code == 0
    assert json.loads(cli(["profiles", "show"], env).stdout)["name"] == "one"
    assert cli(["profiles", "delete", "one"], env).exit_code == 0
    assert [p["name"] for p in json.loads(cli(["profiles", "list"], env).stdout)] == ["two"]
    missing = cli(["-p", "one", "whoami"], env)
    assert missing.exit_code == 3 and "no profile named 'one'" in missing.stderr


def test_secrets_go_to_the_keyring_when_one_works(tmp_path: Path) -> None:
    from genesyscloud.cli._profiles import SecretStore

    class MemoryKeyring:
        def __init__(self) -> None:
            self.data: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, key: str) -> str | None:
            return self.data.get((service, key))

        def set_password(self, service: str, key: str, value: str) -> None:
            self.data[(service, key)] = value

        def delete_password(self, service: str, key: str) -> None:
            self.data.pop((service, key), None)

    ring = MemoryKeyring()
    store = SecretStore(tmp_path, use_keyring=True, backend=ring)
    store.set("p:client_secret", "s3cret")
    assert ring.data == {("genesyscloud-cli", "p:client_secret"): "s3cret"}
    assert store.get("p:client_secret") == "s3cret"
    assert not (tmp_path / "cli-secrets.json").exists()
    store.delete("p:client_secret")
    assert store.get("p:client_secret") is None


# -- errors and exit codes ---------------------------------------------------------------------------------
def test_exit_1_api_error_is_one_line_with_status_code_and_correlation_id(env: dict[str, Any]) -> None:
    result = cli(["routing", "get-routing-queue", "no-such-queue"], env)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: 404 not.found: ") and "correlation id " in lines[0]
    assert result.stdout == ""


def test_exit_2_usage_errors(env: dict[str, Any]) -> None:
    assert cli(["users", "get-users", "--no-such-option"], env).exit_code == 2
    assert cli(["no-such-group"], env).exit_code == 2
    bad = cli(["routing", "post-routing-queues", "--body", "{not json"], env)
    assert bad.exit_code == 2 and "--body: the argument is not valid JSON" in bad.stderr
    missing = cli(["routing", "post-routing-queues", "--body", "@/no/such/file.json"], env)
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    wrong_type = cli(["users", "get-users", "--page-size", "many"], env)
    assert wrong_type.exit_code == 2


def test_exit_3_auth_errors(sb: Sandbox, home: Path) -> None:
    env = base_env(home)
    nobody = cli(["users", "get-users-me"], env)
    assert nobody.exit_code == 3 and "not logged in" in nobody.stderr
    bad = cli(["login", "--api-host", sb.url, "--client-id", sb.client_id, "--client-secret", "wrong"], env)
    assert bad.exit_code == 3
    assert bad.stderr.startswith("error: authentication failed: 401 invalid_client")
    assert not (home / ".genesyscloudpython" / "cli-profiles.json").exists()  # nothing saved


def test_exit_4_connection_error(home: Path) -> None:
    env = base_env(home)
    env.update(GENESYSCLOUD_API_HOST=f"http://127.0.0.1:{free_port()}", GENESYSCLOUD_ACCESS_TOKEN="t0ken")
    result = cli(["users", "get-users-me"], {**env})
    assert result.exit_code == 4
    assert result.stderr.startswith("error: connection failed")
    assert "t0ken" not in result.stderr


def test_verbose_shows_redacted_request_and_response(env: dict[str, Any], sb: Sandbox) -> None:
    result = cli(["-v", "routing", "get-routing-queue", "no-such-queue"], env)
    assert result.exit_code == 1
    err = result.stderr
    assert "> POST " in err and "/oauth/token" in err and "> authorization: Basic ***" in err
    assert "> GET " in err and "> authorization: Bearer ***" in err
    assert "< 404 Not Found" in err and '"code": "not.found"' in err
    assert '"access_token": "[REDACTED]"' in err
    assert sb.client_secret not in err
    assert err.strip().splitlines()[-1].startswith("error: 404 not.found")


def test_ctrl_c_stops_cleanly(env: dict[str, Any], sb: Sandbox) -> None:
    sb.add_fault(path="^/api/v2/routing/skills$", latency=20, count=1)
    proc = subprocess.Popen([sys.executable, "-m", "genesyscloud.cli", "-v", "routing", "get-routing-skills"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(env))
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait (on the event, not a timer) until the request is sent
            if line.startswith("> GET ") and "/api/v2/routing/skills" in line:
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err


# -- sandbox, demo, completion ----------------------------------------------------------------------------
def test_sandbox_flag_as_subprocess(home: Path) -> None:
    exe = Path(sys.executable).with_name("genesys-cloud")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "genesyscloud.cli"]
    proc = subprocess.run([*cmd, "--sandbox", "users", "get-users", "--page-size", "2", "--fields", "email", "-o",
                           "csv"], capture_output=True, text=True, env=subprocess_env(base_env(home)), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["email", "ada.adeyemi@sandbox.example.com", "ada.becker@sandbox.example.com"]


def test_sandbox_serve_runs_in_the_foreground(home: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "genesyscloud.cli", "sandbox", "serve", "--port", str(port),
                             "--client-id", "cid", "--client-secret", "csecret"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env(base_env(home)))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == f"Genesys Cloud sandbox listening on http://127.0.0.1:{port}"
        env = base_env(home)
        env.update(GENESYSCLOUD_API_HOST=f"http://127.0.0.1:{port}", GENESYSCLOUD_OAUTHCLIENT_ID="cid",
                   GENESYSCLOUD_OAUTHCLIENT_SECRET="csecret")
        result = cli(["organization", "get-organizations-me", "--fields", "name"], env)
        assert json.loads(result.stdout) == {"name": "Sandbox Org"}
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_demo_runs_non_interactively(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    proc = subprocess.run([sys.executable, "-m", "genesyscloud.cli", "demo", "--out", str(out)],
                          capture_output=True, text=True, env=subprocess_env(base_env(home)), timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for marker in ("1. Authenticate", "Sandbox Org", "OAuth client", "Routing queue", "active users in",
                   f"{out / 'queues.csv'}", "Token revoked.", "The old token is now refused: 401",
                   "event PresenceEventUserPresence: systemPresence Away"):
        assert marker in text, marker
    rows = list(csv.reader((out / "queues.csv").open()))
    assert rows[0] == ["id", "name", "division.name", "memberCount", "dateCreated"]
    assert len(rows) == 50 and any(r[1].startswith("Demo Support") for r in rows)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(env: dict[str, Any], shell: str) -> None:
    result = cli(["completion", shell], env)
    assert result.exit_code == 0
    assert "_GENESYS_CLOUD_COMPLETE" in result.stdout


def test_completion_protocol_completes_groups_and_methods(home: Path) -> None:
    env = subprocess_env(base_env(home))
    env.update(_GENESYS_CLOUD_COMPLETE="bash_complete", COMP_WORDS="genesys-cloud speech-text-an", COMP_CWORD="1")
    proc = subprocess.run([sys.executable, "-m", "genesyscloud.cli"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert "plain,speech-text-analytics" in proc.stdout.splitlines()
    env.update(COMP_WORDS="genesys-cloud oauth get-oauth-cl", COMP_CWORD="2")
    proc = subprocess.run([sys.executable, "-m", "genesyscloud.cli"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert set(proc.stdout.split()) == {"plain,get-oauth-client", "plain,get-oauth-clients",
                                        "plain,get-oauth-client-usage-query-result",
                                        "plain,get-oauth-client-usage-summary"}


_FAKE_BROWSER = '''
import os, sys
from urllib.parse import parse_qsl, urlsplit
import httpx
url = sys.argv[1]
parts = urlsplit(url)
form = dict(parse_qsl(parts.query), email=os.environ["FAKE_EMAIL"], password=os.environ["FAKE_PASSWORD"])
answer = httpx.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data=form)
assert answer.status_code == 302, answer.text
httpx.get(answer.headers["location"])
'''


def test_interactive_login_with_pkce_saves_a_user_profile(sb: Sandbox, home: Path, tmp_path: Path) -> None:
    from genesyscloud import ClientCredentials, GenesysCloud

    port = free_port()
    redirect = f"http://127.0.0.1:{port}/"
    with GenesysCloud(api_host=sb.url, auth=ClientCredentials(sb.client_id, sb.client_secret)) as gc:
        client = gc.oauth.post_oauth_clients(body={"name": f"CLI PKCE {port}", "authorizedGrantType": "CODE",
                                                   "registeredRedirectUri": [redirect]})
    browser = tmp_path / "browser.py"
    browser.write_text(_FAKE_BROWSER)
    info = sb.info()
    env = subprocess_env(base_env(home))
    env.update(BROWSER=f"{sys.executable} {browser} %s", FAKE_EMAIL=info["defaultUser"]["email"],
               FAKE_PASSWORD=info["userPassword"])
    proc = subprocess.run([sys.executable, "-m", "genesyscloud.cli", "login", "--interactive", "--api-host", sb.url,
                           "--client-id", client.id, "--redirect-uri", redirect, "-p", "me"],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "profile 'me' is current" in proc.stderr
    me = cli(["users", "get-users-me", "--fields", "email"], base_env(home))
    assert me.exit_code == 0, me.stderr
    assert json.loads(me.stdout) == {"email": info["defaultUser"]["email"]}
    cached = json.loads(json.loads((home / ".genesyscloudpython" / "cli-secrets.json").read_text())["me:token"])
    assert cached["refresh_token"]
