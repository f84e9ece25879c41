"""Shared by the compat tests: the official SDK's interpreter and running scripts with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
OURS = "genesyscloud.compat.purecloud"
OFFICIAL = "PureCloudPlatformClientV2"


def official_python() -> str:
    """The official SDK's interpreter (``$GENESYSCLOUD_OFFICIAL_SDK_PYTHON``).

    Skips the test when it is not set, unless ``CI=true``, where it fails.
    """
    path = os.environ.get("GENESYSCLOUD_OFFICIAL_SDK_PYTHON")
    if not path:
        message = ("GENESYSCLOUD_OFFICIAL_SDK_PYTHON is not set (run scripts/test.sh, or point it at "
                   "`bash scripts/official-sdk-venv.sh`)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_json(python: str, script: Path, *args: str, timeout: float = 900, cwd: str | None = None) -> Any:
    """Run ``script`` with ``python`` and return the JSON it prints (fail with its stderr otherwise)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if cwd is not None:
        env["HOME"] = cwd  # no user config file (~/.genesyscloudpython/config) leaks in
    result = subprocess.run([python, str(script), *args], capture_output=True, text=True, timeout=timeout,
                            env=env, cwd=cwd)
    if result.returncode != 0:
        raise AssertionError(f"{script.name} failed with {python}:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout)


def our_python() -> str:
    return sys.executable
