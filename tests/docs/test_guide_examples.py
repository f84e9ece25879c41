"""Every Python block of README.md and of the guides in docs/ runs against the sandbox.

The rules (markers, the per-file namespace and preamble, what the runner routes to the
sandbox) are in ``tests/docs/examples.py``. A block that fails and is not marked
``<!-- not-run: REASON -->`` fails here, with its file and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .examples import MarkdownError, parse, run_file, run_text

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_examples_run(page, genesys_sandbox_session, monkeypatch, tmp_path):
    counts = run_file(page, ROOT, genesys_sandbox_session, monkeypatch, tmp_path)
    blocks = parse(page.read_text(encoding="utf-8"), page.name)
    assert counts["run"] == sum(1 for b in blocks if b.language in ("python", "py") and b.not_run is None)


def test_readme_and_guides_have_running_examples():
    total = {"run": 0, "not_run": 0}
    for page in PAGES:
        for block in parse(page.read_text(encoding="utf-8"), str(page)):
            if block.language in ("python", "py"):
                total["not_run" if block.not_run else "run"] += 1
    assert total["run"] >= 40, total
    assert total["not_run"] <= total["run"] // 5, f"too many blocks marked not-run: {total}"


# -- the runner itself: it must be able to fail ---------------------------------------------------
def test_an_unmarked_failing_block_fails(genesys_sandbox_session, monkeypatch, tmp_path):
    text = "# t\n\n```python\nx = 1\n```\n\ntext\n\n```python\nassert x == 2, 'x is not 2'\n```\n"
    with pytest.raises(AssertionError, match=r"page\.md:9: the code block failed with AssertionError: x is not 2"):
        run_text(text, "page.md", genesys_sandbox_session, monkeypatch, tmp_path)


def test_a_failing_api_call_fails(genesys_sandbox_session, monkeypatch, tmp_path):
    text = ("```python\nfrom genesyscloud import GenesysCloud, ClientCredentials\n"
            "gc = GenesysCloud(region='eu-west-1', auth=ClientCredentials(client_id, client_secret))\n"
            "gc.users.get_user('no-such-user')\n```\n")
    with pytest.raises(AssertionError, match="NotFoundError"):
        run_text(text, "page.md", genesys_sandbox_session, monkeypatch, tmp_path)


def test_markers_setup_and_top_level_await(genesys_sandbox_session, monkeypatch, tmp_path):
    text = (
        "<!-- setup:\nseen = []\n-->\n\n"
        "<!-- not-run: needs a real org -->\n```python\nraise SystemExit('must not run')\n```\n\n"
        "```bash\nexit 1\n```\n\n"
        "- in a list:\n\n    ```python\n    seen.append(1)\n    ```\n\n"
        "```python\nfrom genesyscloud import AsyncGenesysCloud, ClientCredentials\n"
        "async with AsyncGenesysCloud(region='eu-west-1', auth=ClientCredentials(client_id, client_secret)) as agc:\n"
        "    clients = await agc.oauth.get_oauth_clients()\nseen.append(len(clients.entities))\n```\n\n"
        "```python\ndef test_plugin(genesys_client):\n    seen.append(genesys_client.organization.get_organizations_me().name)\n```\n"
        "<!-- setup:\nassert seen[0] == 1 and seen[1] > 0 and isinstance(seen[2], str), seen\n-->\n"
    )
    counts = run_text(text, "page.md", genesys_sandbox_session, monkeypatch, tmp_path)
    assert counts == {"run": 3, "not_run": 1, "other": 1, "commands": 0}


def test_command_blocks_run_and_fail(genesys_sandbox_session, monkeypatch, tmp_path):
    text = ("<!-- run -->\n```bash\ngenesys-cloud users get-users --page-size 2 -o csv --fields email > users.csv\n"
            "genesys-cloud api GET /api/v2/organizations/me   # a comment\n```\n")
    counts = run_text(text, "page.md", genesys_sandbox_session, monkeypatch, tmp_path)
    assert counts["commands"] == 1
    assert (tmp_path / "users.csv").read_text().splitlines()[0] == "email"
    with pytest.raises(AssertionError, match="exited 1"):
        run_text("<!-- run -->\n```bash\ngenesys-cloud users get-user no-such-user\n```\n", "page.md",
                 genesys_sandbox_session, monkeypatch, tmp_path)


@pytest.mark.parametrize("text, message", [
    ("<!-- run -->\n```python\nx = 1\n```\n", "is for shell blocks"),
    ("<!-- not-run -->\n```python\nx\n```\n", "needs a reason"),
    ("<!-- not-run: real org -->\n\nsome prose\n\n```python\nx\n```\n", "not followed by a code block"),
    ("```python\nx = 1\n", "unclosed code fence"),
    ("<!-- setup:\nx = 1\n", "unclosed HTML comment"),
])
def test_malformed_markers_are_errors(text, message):
    with pytest.raises(MarkdownError, match=message):
        parse(text, "page.md")
