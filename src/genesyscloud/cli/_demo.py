"""``genesys-cloud demo``: the quick start, a realistic administrator task against an
embedded sandbox org, every step a real SDK call over HTTP.

1. start the sandbox (loopback, seeded) and authenticate (client credentials grant,
   ``POST /oauth/token``);
2. show the org (``GET /api/v2/organizations/me``) and the token (``GET /api/v2/tokens/me``);
3. create an OAuth client (``POST /api/v2/oauth/clients``) and a routing queue
   (``POST /api/v2/routing/queues``);
4. page through every user (``GET /api/v2/users``, 100 per page) with a progress bar;
5. export every routing queue to CSV (``GET /api/v2/routing/queues``, all pages);
6. watch a presence change arrive live (Notifications: a channel, ``v2.users.{id}.presence``
   over the WebSocket, then ``PATCH /api/v2/users/{id}/presences/purecloud``);
7. revoke the token (``DELETE /api/v2/tokens/me``) and show that it is refused afterwards.

Runs without a terminal (CI) and takes a few seconds.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path
from typing import Any

import click

__all__ = ["demo", "run_demo"]


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Directory for queues.csv (default: a new temporary directory).")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the sandbox org.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def demo(out_dir: Path | None, seed: int, quiet: bool) -> None:
    """Quick start: a guided administrator task against an embedded sandbox org.

    Starts a local Genesys Cloud sandbox, authenticates, shows the org, creates an OAuth
    client and a routing queue, pages through thousands of users with a progress bar,
    exports the queues to CSV (the path is printed), shows a presence change arriving live
    over the notifications WebSocket and revokes the token.
    """
    run_demo(out_dir=out_dir, seed=seed, progress=not quiet)


def run_demo(*, out_dir: Path | None = None, seed: int = 1, progress: bool = True, console: Any = None) -> Path:
    """Run the demo; returns the path of the CSV file written.

    Raises:
        GenesysCloudError: an SDK call failed (the sandbox is stopped either way).
    """
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from .. import GenesysCloud, __version__
    from .._core.errors import AuthenticationError, AuthError
    from ..auth import ClientCredentials
    from ..sandbox import Sandbox
    from ._paging import collect

    console = console or Console()
    started = time.monotonic()

    def step(number: int, text: str) -> None:
        console.print()
        console.rule(f"[bold cyan]{number}. {text}", align="left")

    console.print(Panel.fit(f"[bold]genesyscloud {__version__}[/] quick start: an administrator's morning, "
                            "against a local sandbox org\n[dim]Every step below is a real SDK call over HTTP.",
                            border_style="cyan"))
    with Sandbox(seed=seed) as sb:
        console.print(f"Sandbox org listening on [bold]{sb.url}[/] (seed {seed}, OAuth client {sb.client_id})")
        with GenesysCloud(api_host=sb.url, auth=ClientCredentials(sb.client_id, sb.client_secret)) as gc:
            step(1, "Authenticate (client credentials grant, POST /oauth/token)")
            token = gc.authenticate()
            expires = token.expires_at.isoformat(timespec="seconds") if token.expires_at else "unknown"
            console.print(f"Access token obtained: type {token.token_type}, expires {expires} "
                          f"[dim](the token itself is never printed)")

            step(2, "Who am I? (GET /api/v2/organizations/me, GET /api/v2/tokens/me)")
            org = gc.organization.get_organizations_me()
            info = gc.tokens.get_tokens_me()
            table = Table(show_header=False, box=None)
            table.add_row("Org", f"[bold]{org.name}[/] ({org.id})")
            table.add_row("Domain", str(org.domain))
            table.add_row("State", str(org.state))
            table.add_row("Default language", str(org.default_language))
            table.add_row("OAuth client", str(info.o_auth_client.name if info.o_auth_client else sb.client_id))
            console.print(table)

            step(3, "Create an OAuth client and a routing queue (POST /api/v2/oauth/clients, /routing/queues)")
            stamp = time.strftime("%Y%m%d-%H%M%S")
            client = gc.oauth.post_oauth_clients(body={
                "name": f"Reporting integration {stamp}", "description": "created by genesys-cloud demo",
                "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 3600,
            })
            console.print(f"OAuth client [bold]{client.name}[/] id {client.id}, grant {client.authorized_grant_type}")
            queue = gc.routing.post_routing_queues(body={
                "name": f"Demo Support {stamp}", "description": "created by genesys-cloud demo",
                "acwSettings": {"wrapupPrompt": "OPTIONAL", "timeoutMs": 30000},
            })
            console.print(f"Routing queue [bold]{queue.name}[/] id {queue.id}")

            step(4, "Page through every user (GET /api/v2/users, 100 per page)")
            first = gc.users.get_users(page_size=100)
            users, pages = collect(first, label="users", progress=progress)
            by_department: dict[str, int] = {}
            for user in users:
                dept = (user.get("department") if isinstance(user, dict) else None) or "(none)"
                by_department[dept] = by_department.get(dept, 0) + 1
            console.print(f"{len(users):,} active users in {pages} pages")
            table = Table(title="Users by department", title_justify="left")
            table.add_column("department")
            table.add_column("users", justify="right")
            for dept, count in sorted(by_department.items(), key=lambda kv: -kv[1])[:6]:
                table.add_row(dept, f"{count:,}")
            console.print(table)

            step(5, "Export every routing queue to CSV (GET /api/v2/routing/queues, all pages)")
            queues, _ = collect(gc.routing.get_routing_queues(page_size=25), label="queues", progress=progress)
            directory = out_dir or Path(tempfile.mkdtemp(prefix="genesys-cloud-demo-"))
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / "queues.csv"
            columns = ["id", "name", "division.name", "memberCount", "dateCreated"]
            from ._output import csv_text

            path.write_text(csv_text(queues, columns), encoding="utf-8")
            with path.open(newline="", encoding="utf-8") as fh:
                rows = sum(1 for _ in csv.reader(fh)) - 1
            console.print(f"Wrote {rows} queues to [bold]{path}[/]")
            table = Table(title="First queues", title_justify="left")
            for column in ("name", "division.name", "memberCount"):
                table.add_column(column)
            from ._output import pick

            for row in queues[:5]:
                table.add_row(*[str(pick(row, c) if pick(row, c) is not None else "") for c in
                                ("name", "division.name", "memberCount")])
            console.print(table)

            step(6, "Watch a presence change arrive live (Notifications WebSocket)")
            from ._demo_notifications import live_presence

            live_presence(gc, sb, console)

            step(7, "Revoke the token (DELETE /api/v2/tokens/me)")
            gc.tokens.delete_tokens_me()
            console.print("Token revoked.")
            with GenesysCloud(api_host=sb.url, auth=_revoked(token.access_token), max_retries=0) as check:
                try:
                    check.tokens.get_tokens_me()
                    console.print("[yellow]The revoked token still works (unexpected).")
                except (AuthenticationError, AuthError) as exc:
                    console.print(f"The old token is now refused: {getattr(exc, 'status', '')} "
                                  f"{getattr(exc, 'code', None) or ''}".rstrip())
    console.print()
    console.print(Panel.fit(f"[green]Done in {time.monotonic() - started:.1f} s.[/] Next: "
                            "`genesys-cloud --sandbox users get-users --autopaginate -o table`, "
                            "`genesys-cloud login`, `genesys-cloud --help`", border_style="green"))
    return path


def _revoked(token: str) -> Any:
    from ..auth import AccessToken

    return AccessToken(token)
