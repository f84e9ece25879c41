"""The README as a new user tries it (issue 12, item 21): its sandbox snippet and its
error-handling snippet run as written against a real sandbox; the LICENSE it points to
exists and matches pyproject.toml; it cites no file the repository does not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def _block(marker: str) -> str:
    found = [b for b in BLOCKS if marker in b]
    assert len(found) == 1, f"expected one python block containing {marker!r}"
    return found[0]


def test_the_sandbox_snippet_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(_block("with Sandbox(seed=1) as sb:"), "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["GET /api/v2/users 200 5", "Sandbox Org"]


def test_the_error_handling_snippet_runs_against_the_sandbox() -> None:
    from genesyscloud import ClientCredentials, GenesysCloud
    from genesyscloud.sandbox import Sandbox

    with Sandbox(seed=1) as sb, GenesysCloud(api_host=sb.url, auth=ClientCredentials(sb.client_id,
                                                                                    sb.client_secret)) as gc:
        namespace = {"gc": gc, "user_id": "00000000-0000-4000-8000-000000000000"}
        exec(compile(_block("except NotFoundError:"), "README.md", "exec"), namespace)
    assert namespace["user"] is None  # the NotFoundError branch ran


def test_every_python_snippet_is_valid_python() -> None:
    assert len(BLOCKS) >= 8
    for block in BLOCKS:
        compile(block, "README.md", "exec", flags=0x2000)  # PyCF_ALLOW_TOP_LEVEL_AWAIT


def test_license_file_matches_pyproject_and_no_missing_files_are_cited() -> None:
    assert re.search(r'(?m)^license = "MIT"$', (ROOT / "pyproject.toml").read_text())
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    for target in re.findall(r"\]\(([^)#:]+)\)", README):  # relative links
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
    for name in re.findall(r"\b([A-Z][A-Z_-]+\.md)\b", README):
        assert (ROOT / name).exists() or (ROOT / "docs" / name).exists(), f"README cites {name}"
