"""scripts/demo.sh installs only the demo's extras, and only when pyproject.toml changed
(issue 12, item 22). Run in a copy of the layout with a stand-in interpreter that records
its pip calls (no network, no real install)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = f"""#!/bin/sh
# records pip calls; anything else runs the real interpreter
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  echo "$@" >> "$(dirname "$0")/../pip-calls"
  exit 0
fi
exec {sys.executable} "$@"
"""

FAKE_CLI = """#!/bin/sh
echo "demo ran with: $@"
"""


def _layout(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    for script in ("demo.sh", "setup.sh"):
        shutil.copy(ROOT / "scripts" / script, tmp_path / "scripts" / script)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("genesys-cloud", FAKE_CLI)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def _demo(root: Path) -> str:
    done = subprocess.run(["bash", str(root / "scripts" / "demo.sh"), "--yes"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "demo ran with: demo --yes"
    calls = root / ".venv" / "pip-calls"
    return calls.read_text() if calls.exists() else ""


def test_demo_installs_only_the_sandbox_and_cli_extras_once(tmp_path: Path) -> None:
    root = _layout(tmp_path)
    first = _demo(root)
    assert first.splitlines() == ["-m pip install -q --disable-pip-version-check -e .[sandbox,cli]"]
    assert "dev]" not in first and "all]" not in first
    assert _demo(root) == first  # nothing changed: no second install
    with open(root / "pyproject.toml", "a") as fh:
        fh.write("\n# changed\n")
    assert len(_demo(root).splitlines()) == 2  # pyproject changed: installed again
    assert len(_demo(root).splitlines()) == 2
