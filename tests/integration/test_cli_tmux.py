"""A real terminal session, driven through tmux: the progress bar of ``--autopaginate``
and a table, as a person sees them. The captured screen is kept as a fixture
(tests/cli_fixtures/tmux_screen.txt) and compared after masking the numbers that depend
on timing (rate, elapsed time).

Needs the Debian package ``tmux`` (``apt-get install tmux``); skipped without it unless
``CI`` is set, where its absence is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from genesyscloud.sandbox import Sandbox

FIXTURE = Path(__file__).resolve().parents[1] / "cli_fixtures" / "tmux_screen.txt"
WIDTH, HEIGHT = 110, 40


def normalize(screen: str) -> str:
    """Mask timing-dependent numbers and trailing blanks; drop the empty tail."""
    lines = []
    for line in screen.splitlines():
        line = re.sub(r"[\d,.]+ items/s", "N items/s", line)
        line = re.sub(r"\b\d+:\d\d:\d\d\b", "H:MM:SS", line)
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _tmux() -> str:
    path = shutil.which("tmux")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is missing in CI: apt-get install tmux")
        pytest.skip("tmux is not installed (apt-get install tmux)")
    return path


def test_progress_bar_and_table_in_a_terminal(tmp_path: Path) -> None:
    tmux = _tmux()
    bindir = Path(sys.executable).parent
    exe = bindir / "genesys-cloud"
    if not exe.exists():
        pytest.skip("the genesys-cloud console script is not installed next to this interpreter")
    socket_name = f"gc-cli-test-{uuid.uuid4().hex[:12]}"
    home = tmp_path / "home"
    home.mkdir()
    with Sandbox(seed=1) as sb:
        env = {
            "HOME": str(home), "PATH": f"{bindir}:/usr/bin:/bin", "TERM": "xterm-256color", "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "PS1": "$ ", "GENESYSCLOUD_KEYRING": "0", "GENESYSCLOUD_API_HOST": sb.url,
            "GENESYSCLOUD_OAUTHCLIENT_ID": sb.client_id, "GENESYSCLOUD_OAUTHCLIENT_SECRET": sb.client_secret,
        }
        base = [tmux, "-L", socket_name, "-f", "/dev/null"]
        shell = "exec env -i " + " ".join(f"{k}='{v}'" for k, v in env.items()) + " bash --norc --noprofile -i"
        subprocess.run([*base, "new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(tmp_path), shell],
                       check=True, timeout=30)
        try:
            def send(text: str) -> None:
                subprocess.run([*base, "send-keys", "-t", "0", "-l", text], check=True, timeout=30)
                subprocess.run([*base, "send-keys", "-t", "0", "Enter"], check=True, timeout=30)

            def capture() -> str:
                return subprocess.run([*base, "capture-pane", "-p", "-t", "0"], check=True, capture_output=True,
                                      text=True, timeout=30).stdout

            def wait_for_prompt(count: int) -> str:
                """Poll the screen until the shell shows its prompt for the count-th time."""
                deadline = time.monotonic() + 120
                while True:
                    screen = capture()
                    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
                    prompts = sum(1 for line in lines if line.startswith("$"))
                    if lines and lines[-1] == "$" and prompts >= count:
                        return screen
                    if time.monotonic() > deadline:
                        raise AssertionError(f"no prompt #{count} on the screen:\n{screen}")
                    time.sleep(0.05)  # polling the screen for an event, not waiting for a timer

            wait_for_prompt(1)
            send("genesys-cloud users get-users --page-size 100 --autopaginate -o csv > users.csv")
            wait_for_prompt(2)
            send("wc -l < users.csv")
            wait_for_prompt(3)
            send("genesys-cloud routing get-routing-queues --page-size 8 -o table --fields name,division.name,memberCount")
            screen = wait_for_prompt(4)
        finally:
            subprocess.run([*base, "kill-server"], timeout=30)
    got = normalize(screen)
    if os.environ.get("GENESYSCLOUD_UPDATE_FIXTURES") == "1":
        FIXTURE.write_text(got, encoding="utf-8")
    # structure first, for a readable failure
    assert re.search(r"✓ get_users ━+ 100% 3,141 items 32 pages N items/s H:MM:SS", got), got
    assert "3142" in got  # csv header + every active user
    assert "┃ name " in got and "┃ division.name " in got and "│ Billing APAC " in got
    assert "8 rows" in got
    assert got == FIXTURE.read_text(encoding="utf-8")
