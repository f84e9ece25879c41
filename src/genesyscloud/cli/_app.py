"""The root command: global options, the tool's own commands and one group per API tag.

Nothing here imports an API module, Rich or the sandbox: ``genesys-cloud --help`` lists
the groups from ``genesyscloud.api.GROUPS`` alone.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from .._version import __version__
from ._ops import ApiGroup, group_names, output_options, session_options

__all__ = ["build_root", "PROG"]

PROG = "genesys-cloud"

#: name -> (module, attribute, one-line help); imported only when the command runs
_STATIC: dict[str, tuple[str, str, str]] = {
    "demo": ("._demo", "demo", "Quick start: a guided administrator task against an embedded sandbox."),
    "login": ("._commands", "login", "Log in with client credentials and save a profile."),
    "logout": ("._commands", "logout", "Revoke the profile's cached token and forget it."),
    "whoami": ("._commands", "whoami", "Show the org, OAuth client and scopes of the current token."),
    "profiles": ("._commands", "profiles", "List, show, switch or delete profiles."),
    "api": ("._commands", "api", "Raw call: genesys-cloud api GET /api/v2/users/me"),
    "sandbox": ("._commands", "sandbox", "A local Genesys Cloud sandbox org."),
    "download": ("._files", "download", "Stream a file to disk: genesys-cloud download <id|url> [-o path]"),
    "upload": ("._files", "upload", "Stream a file to an upload target: genesys-cloud upload @document.json FILE"),
    "jobs": ("._jobs", "jobs", "Long-running jobs: genesys-cloud jobs run KIND --body query.json -o jsonl"),
    "completion": ("._commands", "completion", "Print the shell completion script (bash, zsh, fish)."),
}


class RootGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_STATIC) + sorted(group_names())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _STATIC:
            module, attr, _ = _STATIC[cmd_name]
            return getattr(importlib.import_module(module, __package__), attr)
        names = group_names()
        name = cmd_name if cmd_name in names else cmd_name.replace("_", "-")
        if name == "notifications" and name in names:  # the API group plus `listen`
            from ._notifications import NotificationsGroup

            return NotificationsGroup(name, names[name])
        if name in names:
            return ApiGroup(name, names[name])
        return None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd else name), cmd, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, _, text) in _STATIC.items()])
        groups = group_names()
        with formatter.section(f"API groups ({len(groups)}; `genesys-cloud GROUP --help` lists the operations)"):
            formatter.write_dl(sorted(groups.items()))


def _root_callback(**kw: Any) -> None:
    from ._session import Settings

    ctx = click.get_current_context()
    ctx.obj = Settings(**{k[2:]: v for k, v in kw.items()})


def build_root() -> click.Group:
    """The ``genesys-cloud`` command."""
    params: list[click.Parameter] = [*session_options(), *output_options()]
    params.append(click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                               callback=_print_version, help="Show the version and exit."))
    return RootGroup(
        PROG,
        params=params,
        callback=_root_callback,
        no_args_is_help=True,
        help="Genesys Cloud Platform API v2 from the shell: every operation as "
             "`genesys-cloud GROUP METHOD`, e.g. `genesys-cloud users get-users --autopaginate -o table`.\n\n"
             "Exit codes: 0 success, 1 API error, 2 usage error, 3 auth error, 4 connection error.",
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
    )


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"{PROG} {__version__}")
        ctx.exit(0)
