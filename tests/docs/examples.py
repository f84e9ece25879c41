"""Run the Python code blocks of a Markdown file against the sandbox (the docs' proof).

Used by ``tests/docs/test_guide_examples.py`` for ``README.md`` and every page under
``docs/``. The rules, which are also what a writer of those pages needs to know:

* Every fenced block whose info string is ``python`` or ``py`` runs, in document order,
  in **one namespace per file**: later blocks see the names earlier ones defined, as a
  reader going down the page would. Other languages (``bash``, ``ini``, ``json``...) are
  not run.
* ``<!-- not-run: REASON -->`` right before a block (blank lines between are allowed)
  skips it. The reason is required; say why it cannot run (a real org, a browser on a
  desktop, a server the tests do not start) and, if something else proves it, what.
* ``<!-- setup: ... -->`` is hidden Python run at that point of the page: a per-file
  preamble when it comes first, or the names one block needs (``client_id``, a model)
  right before it. The rest of the ``setup:`` line is a label (not run); the code
  starts on the next line. Readers of the rendered page do not see it::

      <!-- setup: the names the async example uses
      cid, secret = client_id, client_secret
      -->

* ``<!-- file: PATH -->`` right before a block (say an ``ini`` or ``json`` one) writes
  the block's text to ``PATH`` (relative to the page's temporary working directory, ``~``
  being its temporary ``HOME``) when the runner reaches it, so that the configuration a
  page shows is the one its Python blocks read.
* ``<!-- run -->`` right before a shell block (``bash``) runs each of its lines, which
  must all be ``genesys-cloud ...`` commands, through the command line tool in-process
  against the sandbox (``GENESYSCLOUD_API_HOST`` and the client credentials set, no
  keyring); each must exit 0. A trailing ``> FILE`` writes the output to ``FILE``.
  Unmarked shell blocks are not run.
* A block whose top level awaits (``await``, ``async with``, ``async for``) runs in the
  file's event loop (one loop per file, so async clients survive between blocks).
* A block that defines ``test_*`` functions gets them called with the sandbox pytest
  plugin's fixtures by parameter name (``genesys_sandbox``, ``genesys_sandbox_session``,
  ``genesys_client``).

Every file starts from the seeded sandbox (reset), and its namespace holds ``sandbox``
(the running :class:`genesyscloud.sandbox.Sandbox`) and ``client_id`` /
``client_secret`` (its OAuth client, which allows every grant) and ``sign_in(url)`` (what a
person's browser does with an authorize address: signs the default user in and returns
the redirect address, for hidden setups of authorization-code pages). While the file runs:
every region (``region="eu-west-1"``, the default region, and ``https://api.<genesys
domain>`` hosts, and ``http://127.0.0.1:8642``, the address the docs give a sandbox started
with ``genesys-cloud sandbox serve --port 8642``) resolves to the sandbox; ``webbrowser.open`` is a scripted sign-in of
the sandbox's default user (so ``interactive_login()`` completes); ``HOME`` and the
working directory are a fresh temporary folder; ``GENESYSCLOUD_*`` variables are unset.
An unmarked block that raises fails the test, naming the file and line.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import httpx

__all__ = ["Block", "MarkdownError", "parse", "run_file", "run_text"]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")
_COMMENT_START = re.compile(r"^\s*<!--")
RUN_LANGUAGES = ("python", "py")
SHELL_LANGUAGES = ("bash", "sh", "console", "shell")
#: the address the docs give a sandbox started by hand (``genesys-cloud sandbox serve --port 8642``)
DOCS_SANDBOX = "http://127.0.0.1:8642"


class MarkdownError(ValueError):
    """A page's markers are malformed (a not-run without a reason, an unclosed fence...)."""


@dataclass
class Block:
    """A code block, or a hidden ``setup`` (``language == "setup"``)."""

    path: str
    line: int  # 1-based line of the opening fence (or of the comment)
    language: str
    code: str
    not_run: str | None = None  # the reason, when marked not-run
    file: str | None = None  # ``<!-- file: PATH -->``: write the block's text there instead of running it

    @property
    def runs(self) -> bool:
        return self.not_run is None and self.language in RUN_LANGUAGES + ("setup", "genesys-cloud")


def parse(text: str, path: str = "<text>") -> list[Block]:
    """Split a Markdown text into its code blocks and setup comments, markers applied."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: tuple[int, str] | None = None  # (line, reason) of a not-run marker awaiting its block
    i = 0
    while i < len(lines):
        line = lines[i]
        if _COMMENT_START.match(line):
            start = i
            comment = line.strip()[4:]
            while "-->" not in comment and i + 1 < len(lines):
                i += 1
                comment += "\n" + lines[i]
            if "-->" not in comment:
                raise MarkdownError(f"{path}:{start + 1}: unclosed HTML comment")
            body = comment[:comment.index("-->")]
            head = body.strip()
            if head.startswith("not-run"):
                reason = head[len("not-run"):].lstrip(":").strip()
                if not reason:
                    raise MarkdownError(f"{path}:{start + 1}: <!-- not-run: REASON --> needs a reason")
                if pending is not None:
                    raise MarkdownError(f"{path}:{pending[0]}: not-run marker not followed by a code block")
                pending = (start + 1, reason)
            elif head == "run":
                if pending is not None:
                    raise MarkdownError(f"{path}:{start + 1}: <!-- run --> needs its own block")
                pending = (start + 1, "\0run")
            elif head.startswith("file:"):
                target = head[len("file:"):].strip()
                if not target or pending is not None:
                    raise MarkdownError(f"{path}:{start + 1}: <!-- file: PATH --> needs a path and its own block")
                pending = (start + 1, "\0file:" + target)
            elif head.startswith("setup:") or head == "setup":
                code = body.split("setup", 1)[1].split("\n", 1)[1] if "\n" in body else ""  # after the label line
                blocks.append(Block(path, start + 1, "setup", textwrap.dedent(code).strip("\n") + "\n"))
            i += 1
            continue
        match = _FENCE.match(line)
        if match:
            start, fence, indent = i, match["fence"], len(match["indent"].expandtabs())
            body_lines: list[str] = []
            i += 1
            while i < len(lines) and not re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
                body_lines.append(lines[i])
                i += 1
            if i >= len(lines):
                raise MarkdownError(f"{path}:{start + 1}: unclosed code fence")
            code = "\n".join(body_lines)
            code = textwrap.dedent(code) if indent else code
            marker = pending[1] if pending else None
            if marker is not None and marker.startswith("\0file:"):
                blocks.append(Block(path, start + 1, match["info"].lower(), code + "\n", file=marker[6:]))
            elif marker == "\0run":
                if match["info"].lower() not in SHELL_LANGUAGES:
                    raise MarkdownError(f"{path}:{start + 1}: <!-- run --> is for shell blocks "
                                        f"(python blocks always run)")
                blocks.append(Block(path, start + 1, "genesys-cloud", code + "\n"))
            else:
                blocks.append(Block(path, start + 1, match["info"].lower(), code + "\n", not_run=marker))
            pending = None
            i += 1
            continue
        if pending is not None and line.strip():
            raise MarkdownError(f"{path}:{pending[0]}: not-run marker not followed by a code block")
        i += 1
    if pending is not None:
        raise MarkdownError(f"{path}:{pending[0]}: not-run marker not followed by a code block")
    return blocks


# -- the environment a page runs in ------------------------------------------------------------------
def _same(url: Any, other: str) -> bool:
    return str(url).rstrip("/") == other


def _routing(sandbox: Any) -> Callable[..., Any]:
    from genesyscloud import _regions

    original = _regions.resolve_hosts
    domains = {member.domain for member in _regions.Region}

    def resolve_hosts(region: Any = None, api_host: Any = None, login_host: Any = None, gateway: Any = None) -> Any:
        if gateway is None:
            if api_host is None:
                _regions.Region.parse(region if region is not None else _regions.Region.us_east_1)  # still checked
                return original(None, sandbox.url)
            host = urlsplit(str(api_host) if "://" in str(api_host) else f"https://{api_host}").hostname or ""
            if any(host == d or host.endswith("." + d) for d in domains) or _same(api_host, DOCS_SANDBOX):
                return original(None, sandbox.url)
        return original(region, api_host, login_host, gateway)

    return resolve_hosts


def _sign_in(sandbox: Any) -> Callable[[str], str]:
    """What a person's browser does on the sandbox's sign-in page: returns the redirect address."""

    def sign_in(url: str) -> str:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        email = sandbox.info()["defaultUser"]["email"]
        with httpx.Client(base_url=sandbox.url, timeout=30) as http:
            http.get("/oauth/authorize", params=query).raise_for_status()
            answer = http.post("/oauth/authorize", data={**query, "email": email, "password": "sandbox"})
        if answer.status_code != 302:
            raise AssertionError(f"the sandbox refused the sign-in: {answer.status_code} {answer.text[:200]}")
        return answer.headers["location"]

    return sign_in


def _browser(sandbox: Any) -> Callable[..., bool]:
    """``webbrowser.open`` as a person signing in to the sandbox (the seeded default user)."""
    sign_in = _sign_in(sandbox)

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        def person() -> None:
            httpx.get(sign_in(url), timeout=30)  # the redirect reaches the waiting loopback listener

        threading.Thread(target=person, daemon=True).start()
        return True

    return open_url


def _fixtures(sandbox: Any) -> dict[str, Callable[[], Any]]:
    import genesyscloud

    def client() -> Any:
        return genesyscloud.GenesysCloud(api_host=sandbox.url,
                                         auth=genesyscloud.ClientCredentials(sandbox.client_id, sandbox.client_secret))

    def reset() -> Any:
        sandbox.reset()
        return sandbox

    return {"genesys_sandbox": reset, "genesys_sandbox_session": lambda: sandbox, "genesys_client": client}


def _run_commands(block: Block, sandbox: Any) -> None:
    """Each ``genesys-cloud ...`` line of a shell block, in-process, against the sandbox."""
    import os
    import shlex
    import sys

    import click
    from click.testing import CliRunner

    from genesyscloud.cli import run

    wrapper = click.Command(
        "genesys-cloud", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                           "help_option_names": []},
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        callback=lambda args: sys.exit(run(list(args))))
    env = {k: None for k in os.environ if k.startswith("GENESYSCLOUD_")}
    env.update(GENESYSCLOUD_API_HOST=sandbox.url, GENESYSCLOUD_OAUTHCLIENT_ID=sandbox.client_id,
               GENESYSCLOUD_OAUTHCLIENT_SECRET=sandbox.client_secret, GENESYSCLOUD_KEYRING="0", COLUMNS="120")
    ran = 0
    for number, line in enumerate(block.code.splitlines(), block.line + 1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] != "genesys-cloud":
            raise MarkdownError(f"{block.path}:{number}: a <!-- run --> block holds only genesys-cloud commands")
        target = None
        if len(words) >= 3 and words[-2] == ">":
            target, words = words[-1], words[:-2]
        result = CliRunner().invoke(wrapper, words[1:], env=env, catch_exceptions=False)
        if result.exit_code != 0:
            raise AssertionError(f"line {number}: `{line.strip()}` exited {result.exit_code}:\n{result.output[-2000:]}")
        if target is not None:
            Path(target).write_text(result.stdout, encoding="utf-8")
        else:
            print(result.output, end="")
        ran += 1
    if not ran:
        raise MarkdownError(f"{block.path}:{block.line}: a <!-- run --> block without a genesys-cloud command")


def _run_block(block: Block, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop, sandbox: Any) -> None:
    if block.language == "genesys-cloud":
        _run_commands(block, sandbox)
        return
    code = compile(block.code, f"{block.path}:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                   dont_inherit=True)
    before = set(namespace)
    if code.co_flags & inspect.CO_COROUTINE:
        loop.run_until_complete(eval(code, namespace))
    else:
        exec(code, namespace)
    fixtures = _fixtures(sandbox)
    for name in sorted(set(namespace) - before):
        func = namespace[name]
        if name.startswith("test_") and inspect.isfunction(func):
            kwargs = {}
            for param in inspect.signature(func).parameters:
                if param not in fixtures:
                    raise MarkdownError(f"{block.path}:{block.line}: {name}() asks for fixture {param!r}, which the "
                                        f"docs runner does not provide (it has {', '.join(sorted(fixtures))})")
                kwargs[param] = fixtures[param]()
            try:
                result = func(**kwargs)
                if inspect.iscoroutine(result):
                    loop.run_until_complete(result)
            finally:
                client = kwargs.get("genesys_client")
                if client is not None:
                    client.close()


def run_text(text: str, path: str, sandbox: Any, monkeypatch: Any, tmp_path: Path) -> dict[str, int]:
    """Run a Markdown text's blocks as described in the module docstring.

    Returns ``{"run": n, "not_run": n, "other": n, "commands": n}``: Python blocks run and
    not run, other blocks (not run, or written as files), and shell blocks run.

    Raises:
        AssertionError: a block raised (the message names the file, the line and the code).
        MarkdownError: malformed markers.
    """
    import os
    import webbrowser

    import genesyscloud._client
    import genesyscloud._regions

    blocks = parse(text, path)
    sandbox.reset()
    routed = _routing(sandbox)
    monkeypatch.setattr(genesyscloud._regions, "resolve_hosts", routed)
    monkeypatch.setattr(genesyscloud._client, "resolve_hosts", routed)
    monkeypatch.setattr(webbrowser, "open", _browser(sandbox))

    for var in list(os.environ):
        if var.startswith("GENESYSCLOUD_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__", "sandbox": sandbox, "client_id": sandbox.client_id,
                                 "client_secret": sandbox.client_secret, "sign_in": _sign_in(sandbox)}
    counts = {"run": 0, "not_run": 0, "other": 0, "commands": 0}
    loop = asyncio.new_event_loop()
    try:
        for block in blocks:
            if block.not_run is not None:
                counts["not_run"] += 1
                continue
            if block.file is not None:
                target = Path(os.path.expanduser(block.file))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.code, encoding="utf-8")
                counts["other"] += 1
                continue
            if not block.runs:
                counts["other"] += 1
                continue
            try:
                _run_block(block, namespace, loop, sandbox)
            except MarkdownError:
                raise
            except BaseException as exc:
                kind = {"setup": "setup comment", "genesys-cloud": "command block"}.get(block.language, "code block")
                raise AssertionError(f"{path}:{block.line}: the {kind} failed with {type(exc).__name__}: {exc}\n"
                                     f"--- the block ---\n{block.code}--- (mark it <!-- not-run: REASON --> only "
                                     f"if it cannot run against the sandbox) ---") from exc
            if block.language == "genesys-cloud":
                counts["commands"] += 1
            elif block.language != "setup":
                counts["run"] += 1
        for value in list(namespace.values()):  # close clients the page left open
            close = getattr(value, "close", None)
            if type(value).__name__ == "GenesysCloud" and callable(close):
                close()
            elif type(value).__name__ == "AsyncGenesysCloud" and callable(close):
                loop.run_until_complete(close())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    return counts


def run_file(path: Path, root: Path, sandbox: Any, monkeypatch: Any, tmp_path: Path) -> dict[str, int]:
    return run_text(path.read_text(encoding="utf-8"), str(path.relative_to(root)), sandbox, monkeypatch, tmp_path)
