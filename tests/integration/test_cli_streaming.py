"""The command line tool as a new user meets it (issue 12, items 6 and 20): pages written
as they arrive, Ctrl-C keeps what was written, unknown ``--fields`` refused, a working
``sandbox serve`` hint, and one line naming the extra when one is not installed.

Streaming is proven without timing: the loopback server holds the second page until the
test has read the first page's rows from the tool's stdout; a tool that buffered would
never print them, and the server records that it was released by the test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from genesyscloud.cli import run
from genesyscloud.sandbox import Sandbox
from tests.support.loopback import serve

HOLD = 60.0  # seconds the server holds a page when the test never releases it (only on failure)
HIDE = Path(__file__).with_name("_hide_modules.py")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    env.update(HOME=str(home), GENESYSCLOUD_KEYRING="0", COLUMNS="200", PYTHONUNBUFFERED="0", **extra)
    return env


class HeldListing:
    """``GET /api/v2/users``: 3 pages of 2 users; page ``hold`` waits for :attr:`release`."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.release = threading.Event()
        self.released_by_test: bool | None = None

    def __call__(self, req: Any) -> tuple[int, dict[str, str], Any]:
        n = int(req.param("pageNumber") or 1)
        if n == self.hold:
            self.released_by_test = self.release.wait(HOLD)
        users = [{"id": f"u{n}-{k}", "name": f"User {n}.{k}", "email": f"u{n}{k}@example.com"} for k in range(2)]
        return 200, {}, {"entities": users, "pageNumber": n, "pageSize": 2, "pageCount": 3, "total": 6}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _start(url: str, home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "genesyscloud.cli", "users", "get-users", "--page-size", "2",
                             "--autopaginate", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(home, GENESYSCLOUD_API_HOST=url, GENESYSCLOUD_ACCESS_TOKEN="t"))


@pytest.mark.parametrize("fmt, first_lines", [
    ("csv", ["id,name", "u1-0,User 1.0", "u1-1,User 1.1"]),
    ("jsonl", ['{"id":"u1-0","name":"User 1.0"}', '{"id":"u1-1","name":"User 1.1"}']),
    ("table", None),
])
def test_autopaginate_writes_each_page_as_it_arrives(home: Path, fmt: str, first_lines: list[str] | None) -> None:
    listing = HeldListing(hold=2)
    with serve(listing) as srv:
        proc = _start(srv.url, home, "-o", fmt, "--fields", "id,name")
        try:
            assert proc.stdout is not None
            # the first page's rows are readable while the server still holds page 2
            got = [proc.stdout.readline().rstrip("\n") for _ in range(4 if fmt == "table" else len(first_lines or ()))]
            listing.release.set()
            rest, err = proc.communicate(timeout=120)
        finally:
            listing.release.set()
            if proc.poll() is None:
                proc.kill()
    assert listing.released_by_test is True, "the tool printed nothing before page 2 arrived"
    assert proc.returncode == 0, err
    if fmt == "table":
        assert got[0].split() == ["id", "name"] and set(got[1]) == {"─", " "}
        assert got[2].split()[0] == "u1-0" and got[3].split()[0] == "u1-1"
        assert rest.splitlines()[-1] == "6 rows" and len(rest.splitlines()) == 5
    else:
        assert got == first_lines
        lines = got + rest.splitlines()
        assert len(lines) == (7 if fmt == "csv" else 6)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_ctrl_c_keeps_what_was_already_written(home: Path, fmt: str) -> None:
    listing = HeldListing(hold=3)  # pages 1 and 2 arrive, page 3 never does
    with serve(listing) as srv:
        proc = _start(srv.url, home, "-o", fmt, "--fields", "id", "-q")
        try:
            assert proc.stdout is not None
            seen = ""
            while seen.count("u2-1") == 0:  # wait (on the output, not a timer) for page 2's last row
                chunk = proc.stdout.readline()
                assert chunk, "the tool ended early"
                seen += chunk
            proc.send_signal(signal.SIGINT)
            rest, err = proc.communicate(timeout=60)
        finally:
            listing.release.set()
            if proc.poll() is None:
                proc.kill()
    out = seen + rest
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    if fmt == "json":  # the array is closed: still valid JSON, with every row fetched so far
        assert json.loads(out) == [{"id": "u1-0"}, {"id": "u1-1"}, {"id": "u2-0"}, {"id": "u2-1"}]
    else:
        assert list(csv.reader(io.StringIO(out))) == [["id"], ["u1-0"], ["u1-1"], ["u2-0"], ["u2-1"]]


# -- --fields -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=1) as sandbox:
        yield sandbox


def _run_in_process(args: list[str], sb: Sandbox, home: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    for key in [k for k in os.environ if k.startswith("GENESYSCLOUD_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GENESYSCLOUD_KEYRING", "0")
    monkeypatch.setenv("GENESYSCLOUD_API_HOST", sb.url)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", sb.client_id)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", sb.client_secret)
    code = run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fields, message", [
    ("nosuchfield", "User has no field 'nosuchfield'"),
    ("id,emial", "did you mean email"),
    ("division.nosuch", "has no field 'nosuch'"),
    ("name.first", "'name' is a str"),
])
def test_unknown_fields_are_a_usage_error_before_any_request(sb: Sandbox, home: Path, fields: str, message: str,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    sb.clear_requests()
    code, out, err = _run_in_process(["users", "get-users", "--fields", fields], sb, home, monkeypatch, capsys)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1
    assert not [r for r in sb.requests() if r["path"].startswith("/api/")]


def test_known_nested_and_indexed_fields_are_accepted(sb: Sandbox, home: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run_in_process(["users", "get-users", "--page-size", "2", "-o", "jsonl", "--fields",
                                      "id,division.name,addresses.0.address"], sb, home, monkeypatch, capsys)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2 and set(rows[0]) == {"id", "division", "addresses"}


# -- sandbox serve's hint ----------------------------------------------------------------------------
@pytest.mark.parametrize("given", [True, False])
def test_the_sandbox_serve_hint_works_as_printed(home: Path, given: bool) -> None:
    extra = ["--client-id", "hint-id", "--client-secret", "hint secret $x"] if given else []
    proc = subprocess.Popen([sys.executable, "-m", "genesyscloud.cli", "sandbox", "serve", "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(home))
    try:
        assert proc.stdout is not None
        hint = ""
        for line in proc.stdout:
            if line.startswith("try: "):
                hint = line[len("try: "):].strip()
                break
        assert hint, "no hint printed"
        bindir = str(Path(sys.executable).parent)
        done = subprocess.run(hint, shell=True, capture_output=True, text=True, timeout=120,
                              env={**_env(home), "PATH": bindir + os.pathsep + os.environ.get("PATH", "")})
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "5 rows" and "@sandbox.example.com" in done.stdout


# -- base install without the extras ---------------------------------------------------------------------
@pytest.mark.parametrize("hidden, argv, extra", [
    ("click,rich,yaml,keyring", ["genesyscloud.cli", "users", "get-users"], "cli"),
    ("click", ["genesyscloud.cli", "--help"], "cli"),
    ("rich", ["genesyscloud.cli", "--sandbox", "users", "get-users", "--page-size", "2", "-o", "table"], "cli"),
    ("uvicorn", ["genesyscloud.sandbox", "serve", "--client-id", "a", "--client-secret", "b"], "sandbox"),
    ("uvicorn", ["genesyscloud.cli", "sandbox", "serve"], "sandbox"),
    ("uvicorn,starlette", ["genesyscloud.cli", "--sandbox", "users", "get-users"], "sandbox"),
])
def test_without_an_extra_one_line_names_it(home: Path, hidden: str, argv: list[str], extra: str) -> None:
    done = subprocess.run([sys.executable, str(HIDE), hidden, *argv], capture_output=True, text=True, timeout=120,
                          env=_env(home))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"pip install 'genesyscloud[{extra}]'" in done.stderr


def test_the_sandbox_api_without_its_extra_raises_an_import_error_naming_it(home: Path) -> None:
    code = ("import sys; sys.modules['uvicorn'] = None\n"
            "from genesyscloud.sandbox import Sandbox\n"
            "try:\n    Sandbox().start()\nexcept ImportError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_env(home))
    assert "pip install 'genesyscloud[sandbox]'" in done.stdout, done.stderr


# -- the raw `api` command's paging ------------------------------------------------------------------
def test_raw_api_autopaginate_never_repeats_a_request(home: Path) -> None:
    def ignores_page_number(req: Any) -> tuple[int, dict[str, str], Any]:
        return 200, {}, {"entities": [{"id": "a"}], "pageNumber": 1, "pageCount": 4, "pageSize": 1, "total": 4}

    with serve(ignores_page_number) as srv:
        done = subprocess.run([sys.executable, "-m", "genesyscloud.cli", "api", "GET", "/api/v2/users", "-a",
                               "-o", "jsonl", "-q"], capture_output=True, text=True, timeout=120,
                              env=_env(home, GENESYSCLOUD_API_HOST=srv.url, GENESYSCLOUD_ACCESS_TOKEN="t"))
    queries = [s.raw_query for s in srv.seen]
    assert done.returncode == 0, done.stderr
    assert len(queries) == len(set(queries)) == 2 and "repeat a request" in done.stderr
    assert done.stdout.splitlines() == ['{"id":"a"}', '{"id":"a"}']


def test_piping_autopaginate_into_head_ends_cleanly_with_status_0(home: Path) -> None:
    cli = f"{sys.executable} -m genesyscloud.cli --sandbox users get-users --page-size 100 -a -o csv --fields id -q"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {cli} | head -2"], capture_output=True, text=True,
                          timeout=300, env=_env(home))
    assert done.returncode == 0, done.stderr  # the reader going away is not an error
    assert done.stdout.splitlines()[0] == "id" and len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and done.stderr == ""
