"""``-o PATH`` of operation commands whose response is not JSON: the bytes are written
(through ``.part`` and a rename), or go to stdout unparsed."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
import pytest
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
    with Sandbox(seed=2) as sandbox:
        yield sandbox


@pytest.fixture
def env(sb: Sandbox, tmp_path: Path) -> dict[str, str | None]:
    home = tmp_path / "home"
    home.mkdir()
    e: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GENESYSCLOUD_")}
    e.update(HOME=str(home), GENESYSCLOUD_KEYRING="0", COLUMNS="200", GENESYSCLOUD_API_HOST=sb.url,
             GENESYSCLOUD_OAUTHCLIENT_ID=sb.client_id, GENESYSCLOUD_OAUTHCLIENT_SECRET=sb.client_secret)
    return e


def cli(args: list[str], env: dict[str, str | None]) -> Any:
    return CliRunner().invoke(_WRAPPER, args, env=env, catch_exceptions=False)


def test_dash_o_writes_the_bytes_of_a_binary_response(env: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "shifts.ics"
    result = cli(["workforce-management", "get-workforcemanagement-calendar-data-ics", "--calendar-id", "c1",
                  "-o", str(target)], env)
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n") and b"BEGIN:VEVENT" in target.read_bytes()
    assert not list(tmp_path.glob("*.part"))
    into = tmp_path / "dir"
    into.mkdir()
    result = cli(["workforce-management", "get-workforcemanagement-calendar-data-ics", "--calendar-id", "c1",
                  "-o", str(into)], env)
    assert result.exit_code == 0 and (into / "calendar.ics").read_bytes() == target.read_bytes()


def test_without_dash_o_the_bytes_go_to_stdout_unparsed(env: dict[str, Any]) -> None:
    result = cli(["integrations", "get-integrations-action-template", "a1", "requesttemplate.vm"], env)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b'{"actionId": "$input.actionId"}\n'  # as sent, not re-rendered as JSON


def test_binary_command_help_documents_dash_o(env: dict[str, Any]) -> None:
    result = cli(["workforce-management", "get-workforcemanagement-calendar-data-ics", "--help"], env)
    assert result.exit_code == 0 and "Write the response bytes to PATH" in result.output
