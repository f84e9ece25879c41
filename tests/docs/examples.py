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

* A block whose top level awaits (``await``, ``async with``, ``async for``) runs in the
  file's event loop (one loop per file, so async clients survive between blocks).
* A block that defines ``test_*`` functions gets them called with the sandbox pytest
  plugin's fixtures by parameter name (``genesys_sandbox``, ``genesys_sandbox_session``,
  ``genesys_client``).

Every file starts from the seeded sandbox (reset), and its namespace holds ``sandbox``
(the running :class:`genesyscloud.sandbox.Sandbox`) and ``client_id`` /
``client_secret`` (its OAuth client, which allows every grant). While the file runs:
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

    @property
    def runs(self) -> bool:
        return self.not_run is None and self.language in RUN_LANGUAGES + ("setup",)


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
            blocks.append(Block(path, start + 1, match["info"].lower(), code + "\n",
                                not_run=pending[1] if pending else None))
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


def _browser(sandbox: Any) -> Callable[..., bool]:
    """``webbrowser.open`` as a person signing in to the sandbox (the seeded default user)."""

    def sign_in(url: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        email = sandbox.info()["defaultUser"]["email"]
        with httpx.Client(base_url=sandbox.url, timeout=30) as http:
            http.get("/oauth/authorize", params=query).raise_for_status()
            answer = http.post("/oauth/authorize", data={**query, "email": email, "password": "sandbox"})
            location = answer.headers["location"]
        httpx.get(location, timeout=30)  # the redirect reaches the waiting loopback listener

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        threading.Thread(target=sign_in, args=(url,), daemon=True).start()
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


def _run_block(block: Block, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop, sandbox: Any) -> None:
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

    Returns ``{"run": n, "not_run": n, "other": n}`` (blocks of other languages).

    Raises:
        AssertionError: a block raised (the message names the file, the line and the code).
        MarkdownError: malformed markers.
    """
    import webbrowser

    import genesyscloud._client
    import genesyscloud._regions

    blocks = parse(text, path)
    sandbox.reset()
    routed = _routing(sandbox)
    monkeypatch.setattr(genesyscloud._regions, "resolve_hosts", routed)
    monkeypatch.setattr(genesyscloud._client, "resolve_hosts", routed)
    monkeypatch.setattr(webbrowser, "open", _browser(sandbox))
    import os

    for var in list(os.environ):
        if var.startswith("GENESYSCLOUD_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__", "sandbox": sandbox, "client_id": sandbox.client_id,
                                 "client_secret": sandbox.client_secret}
    counts = {"run": 0, "not_run": 0, "other": 0}
    loop = asyncio.new_event_loop()
    try:
        for block in blocks:
            if block.not_run is not None:
                counts["not_run"] += 1
                continue
            if not block.runs:
                counts["other"] += 1
                continue
            try:
                _run_block(block, namespace, loop, sandbox)
            except MarkdownError:
                raise
            except BaseException as exc:
                kind = "setup comment" if block.language == "setup" else "code block"
                raise AssertionError(f"{path}:{block.line}: the {kind} failed with {type(exc).__name__}: {exc}\n"
                                     f"--- the block ---\n{block.code}--- (mark it <!-- not-run: REASON --> only "
                                     f"if it cannot run against the sandbox) ---") from exc
            if block.language != "setup":
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
