"""The tool's own commands: login, logout, whoami, profiles, api, sandbox serve, completion."""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import click

from ._errors import EXIT_AUTH, EXIT_USAGE, CLIError
from ._ops import emit, output_options, paging_options, read_data, session_options, settings_from

__all__ = ["login", "logout", "whoami", "profiles", "api", "sandbox", "completion"]


def _with(*groups: list[click.Option]) -> Any:
    def decorate(cmd: click.Command) -> click.Command:
        for group in groups:
            cmd.params.extend(group)
        return cmd
    return decorate


# -- login / logout / whoami ---------------------------------------------------------------------
@_with(session_options(), output_options())
@click.command("login")
@click.option("--client-id", envvar="GENESYSCLOUD_OAUTHCLIENT_ID", metavar="ID",
              help="OAuth client id (env GENESYSCLOUD_OAUTHCLIENT_ID; prompted on a terminal).")
@click.option("--client-secret", envvar="GENESYSCLOUD_OAUTHCLIENT_SECRET", metavar="SECRET",
              help="Its secret (env GENESYSCLOUD_OAUTHCLIENT_SECRET; prompted on a terminal without echo).")
@click.option("--interactive", is_flag=True, help="Sign in as a person in the browser (PKCE, RFC 7636).")
@click.option("--redirect-uri", metavar="URL", help="With --interactive: the loopback redirect URI registered on the "
                                                    "OAuth client (default http://127.0.0.1:<any port>/).")
def login(client_id: str | None, client_secret: str | None, interactive: bool, redirect_uri: str | None,
          **kw: Any) -> None:
    """Log in with client credentials (RFC 6749 section 4.4), or with --interactive as a
    person in the browser (authorization code with PKCE, RFC 7636), and save the profile.

    Requests a token from POST {login host}/oauth/token; on success stores the profile
    (default name `default`) and makes it current; the secret and the token go to the OS
    keyring, or to a 0600 file when there is no keyring.
    """
    from .. import GenesysCloud
    from ..auth import ClientCredentials
    from ._profiles import DEFAULT_PROFILE, Profile, ProfileStore
    from ._session import _hosts, login_host_of

    settings = settings_from(click.get_current_context(), kw)
    if settings.sandbox:
        raise CLIError("login --sandbox makes no sense: the embedded sandbox lives for one command", EXIT_USAGE)
    name = settings.profile or DEFAULT_PROFILE
    if interactive:
        if not client_id:
            raise CLIError("--interactive needs --client-id (a PKCE OAuth client whose redirect URIs include "
                           "--redirect-uri)", EXIT_USAGE)
        from ..auth import interactive_login

        hosts = _hosts(settings, None)
        grant = interactive_login(client_id.strip(), redirect_uri=redirect_uri, **hosts)
        token = grant.token
        if token is None:
            raise CLIError("the interactive login returned no token", EXIT_AUTH)
        store = ProfileStore()
        login_host = login_host_of(hosts)
        store.secrets.delete(f"{name}:client_secret")  # a PKCE profile has none; drop an older one
        store.secrets.set_token(name, token.access_token, token.expires_at, token.refresh_token,
                                login_host=login_host, client_id=grant.client_id)
        store.save(Profile(name=name, client_id=grant.client_id, region=hosts.get("region"),
                           api_host=hosts.get("api_host"), grant_type="pkce", redirect_uri=grant.redirect_uri,
                           login_host=login_host), make_current=True)
        click.echo(f"Signed in with client {grant.client_id}; profile {name!r} is current.", err=True)
        return
    interactive_tty = sys.stdin.isatty()
    if not client_id:
        if not interactive_tty:
            raise CLIError("give --client-id (or set GENESYSCLOUD_OAUTHCLIENT_ID)", EXIT_USAGE)
        client_id = click.prompt("OAuth client id")
    if not client_secret:
        if not interactive_tty:
            raise CLIError("give --client-secret (or set GENESYSCLOUD_OAUTHCLIENT_SECRET)", EXIT_USAGE)
        client_secret = click.prompt("Client secret", hide_input=True)
    flags = {k: v for k, v in (("region", settings.region), ("api_host", settings.api_host)) if v}
    try:
        grant = ClientCredentials(client_id.strip(), client_secret.strip())
        # where to log in: flags > environment > the SDK's configuration file (as every command)
        client = GenesysCloud.from_env(auth=grant, live_reload_config=False, **flags)
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from exc
    with client:
        token = client.authenticate()
    hosts = _hosts(settings, None) or {"api_host": client.hosts.api}
    login_host = client.hosts.login
    store = ProfileStore()
    profile = Profile(name=name, client_id=grant.client_id, region=hosts.get("region"),
                      api_host=hosts.get("api_host"), grant_type="client_credentials", login_host=login_host)
    store.secrets.set_secret(name, client_secret.strip(), login_host=login_host, client_id=grant.client_id)
    store.secrets.set_token(name, token.access_token, token.expires_at, login_host=login_host,
                            client_id=grant.client_id)
    store.save(profile, make_current=True)
    expires = token.expires_at.isoformat(timespec="seconds") if token.expires_at else "unknown"
    click.echo(f"Logged in to {client.hosts.api} with client {grant.client_id}; profile {name!r} is current.",
               err=True)
    click.echo(f"Token expires {expires}; secrets stored in {store.secrets.location}.", err=True)


@_with(session_options())
@click.command("logout")
def logout(**kw: Any) -> None:
    """Revoke the profile's cached access token (DELETE /api/v2/tokens/me) and forget it,
    with the profile's stored client secret.

    The profile itself (client id, host) stays, so `login --profile NAME` asks only for the
    secret again; `profiles delete NAME` removes the profile too.
    """
    from .._core.errors import AuthenticationError
    from ._profiles import ProfileStore

    settings = settings_from(click.get_current_context(), kw)
    store = ProfileStore()
    name = settings.profile or os.environ.get("GENESYSCLOUD_PROFILE") or store.current
    if not name:
        raise CLIError("no profile to log out of (not logged in)", EXIT_AUTH)
    profile = store.get(name)
    from ._session import check_binding

    hosts = check_binding(settings, profile)  # the token goes only to the host that issued it
    cached = store.secrets.get_token(profile.name, login_host=profile.bound_login_host(), client_id=profile.client_id)
    note = "none cached"
    if cached is not None:  # revoke first: if that fails, nothing is forgotten yet
        from .. import GenesysCloud
        from ..auth import AccessToken

        with GenesysCloud(auth=AccessToken(cached[0]), **hosts) as client:
            try:
                client.tokens.delete_tokens_me()
                note = "revoked and forgotten"
            except AuthenticationError:
                note = "already invalid, forgotten"
    had_secret = store.secrets.get(f"{name}:client_secret") is not None
    store.secrets.delete(f"{name}:token")
    store.secrets.delete(f"{name}:client_secret")
    forgot = "; client secret forgotten" if had_secret else ""
    click.echo(f"Logged out of profile {name!r}: token {note}{forgot}. "
               f"`genesys-cloud login --profile {name}` logs in again.", err=True)


@_with(session_options(), output_options())
@click.command("whoami")
def whoami(**kw: Any) -> None:
    """The current token's org, OAuth client and scopes (GET /api/v2/tokens/me)."""
    from ._output import parse_fields, render, to_plain
    from ._session import open_session

    settings = settings_from(click.get_current_context(), kw)
    with open_session(settings) as session:
        info = to_plain(session.client.tokens.get_tokens_me())
        data = {"profile": session.profile.name if session.profile else None, "apiHost": session.client.hosts.api,
                **(info if isinstance(info, dict) else {"token": info})}
        render(data, settings.output or "json", parse_fields(settings.fields))


# -- profiles ------------------------------------------------------------------------------------
@click.group("profiles", no_args_is_help=True)
def profiles() -> None:
    """Profiles saved by `genesys-cloud login` (~/.genesyscloudpython/cli-profiles.json)."""


def _profile_view(store: Any, name: str) -> dict[str, Any]:
    profile = store.get(name)
    cached = store.secrets.get_token(name)
    return {"name": name, "current": store.current == name, **profile.to_dict(),
            "secret": "stored" if store.secrets.get(f"{name}:client_secret") else "missing",
            "tokenExpires": (cached[1].isoformat(timespec="seconds") if cached and cached[1] else None),
            "secretStore": store.secrets.location}


@_with(output_options())
@profiles.command("list")
def profiles_list(**kw: Any) -> None:
    """Every profile (secrets are never shown)."""
    from ._output import parse_fields, render
    from ._profiles import ProfileStore

    settings = settings_from(click.get_current_context(), kw)
    store = ProfileStore()
    rows = [_profile_view(store, n) for n in store.names()]
    render(rows, settings.output or "json", parse_fields(settings.fields))


@_with(output_options())
@profiles.command("show")
@click.argument("name", required=False)
def profiles_show(name: str | None, **kw: Any) -> None:
    """One profile (default: the current one)."""
    from ._output import parse_fields, render
    from ._profiles import ProfileStore

    settings = settings_from(click.get_current_context(), kw)
    store = ProfileStore()
    name = name or store.current
    if not name:
        raise CLIError("no current profile; run `genesys-cloud login`", EXIT_AUTH)
    render(_profile_view(store, name), settings.output or "json", parse_fields(settings.fields))


@profiles.command("use")
@click.argument("name")
def profiles_use(name: str) -> None:
    """Make NAME the current profile."""
    from ._profiles import ProfileStore

    ProfileStore().use(name)
    click.echo(f"Profile {name!r} is current.", err=True)


@profiles.command("delete")
@click.argument("name")
def profiles_delete(name: str) -> None:
    """Delete a profile with its client secret and cached token (the token is not revoked)."""
    from ._profiles import ProfileStore

    ProfileStore().delete(name)
    click.echo(f"Profile {name!r} deleted.", err=True)


# -- raw API calls -------------------------------------------------------------------------------
@_with(session_options(), output_options(), paging_options())
@click.command("api")
@click.argument("method", type=click.Choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], case_sensitive=False))
@click.argument("path")
@click.option("--data", "-d", metavar="JSON|@FILE|-", help="Request body: JSON text, @file or - for stdin.")
@click.option("--query", "-Q", "query", multiple=True, metavar="NAME=VALUE", help="Query parameter (repeatable).")
@click.option("--header", "-H", "header", multiple=True, metavar="NAME:VALUE", help="Request header (repeatable).")
def api(method: str, path: str, data: str | None, query: tuple[str, ...], header: tuple[str, ...], **kw: Any) -> None:
    """Send METHOD PATH (`/api/v2/...`, or a full URL on the API host) with the profile's token.

    Retries, token renewal and errors work as for operation commands. With --autopaginate
    or --stream a GET follows `nextUri` / `pageNumber` of entity listings.
    """
    from ._output import parse_fields
    from ._session import open_session

    ctx = click.get_current_context()
    settings = settings_from(ctx, kw)
    split = urlsplit(path)
    if not split.path.startswith("/api/"):
        raise CLIError(f"PATH must start with /api/ (got {path!r})", EXIT_USAGE)
    pairs = parse_qsl(split.query, keep_blank_values=True)
    for item in query:
        if "=" not in item:
            raise CLIError(f"--query {item!r}: expected NAME=VALUE", EXIT_USAGE)
        pairs.append(tuple(item.split("=", 1)))  # type: ignore[arg-type]
    headers: dict[str, str] = {}
    for item in header:
        if ":" not in item:
            raise CLIError(f"--header {item!r}: expected NAME:VALUE", EXIT_USAGE)
        key, value = item.split(":", 1)
        if key.strip().lower() == "authorization":
            raise CLIError("--header Authorization is not allowed: the token comes from the profile", EXIT_USAGE)
        headers[key.strip()] = value.strip()
    method = method.upper()
    body = read_data(data, "--data") if data is not None else None
    fields = parse_fields(settings.fields)
    with open_session(settings) as session:
        client = session.client

        def call(query_pairs: list[tuple[str, str]], req_path: str) -> Any:
            if data is not None:
                response = client.request(method, req_path, params=list(query_pairs), json=body, headers=headers)
            else:
                response = client.request(method, req_path, params=list(query_pairs), headers=headers)
            return response.json() if response.content else None

        result = call(pairs, split.path)
        if (kw.get("c_autopaginate") or kw.get("c_stream")) and method == "GET" and isinstance(result, dict):
            result = _RawPages(result, call, pairs, split.path)
        emit(result, settings, fields, label=f"{method} {split.path}", autopaginate=bool(kw.get("c_autopaginate")),
             stream=bool(kw.get("c_stream")), max_pages=kw.get("c_max_pages"), max_items=kw.get("c_max_items"))


class _RawPages(dict):  # type: ignore[type-arg]
    """A raw JSON listing that can follow ``nextUri`` (or ``pageNumber``/``pageCount``)."""

    def __init__(self, first: dict[str, Any], call: Any, query: list[tuple[str, str]], path: str) -> None:
        super().__init__(first)
        self._call, self._query, self._path = call, query, path

    def iter_pages(self, *, max_pages: int | None = None) -> Any:
        """Pages, one request each; never the same request twice (a server that ignores
        ``pageNumber`` or repeats a ``nextUri`` ends the walk with a warning)."""
        import warnings

        from .._core.pagination import PaginationWarning

        page: Any = dict(self)
        sent = {(self._path, tuple(sorted(self._query)))}
        count = 0
        while True:
            yield page
            count += 1
            if max_pages is not None and count >= max_pages or not isinstance(page, dict):
                return
            nxt = page.get("nextUri") or page.get("nextPage")
            if isinstance(nxt, str) and nxt.startswith("/"):
                parts = urlsplit(nxt)
                path, query = parts.path, parse_qsl(parts.query, keep_blank_values=True)
            elif isinstance(page.get("pageNumber"), int) and isinstance(page.get("pageCount"), int) \
                    and page["pageNumber"] < page["pageCount"]:
                path = self._path
                query = [(k, v) for k, v in self._query if k != "pageNumber"] + [
                    ("pageNumber", str(page["pageNumber"] + 1))]
            else:
                return
            key = (path, tuple(sorted(query)))
            if key in sent:
                warnings.warn(f"GET {path}: the next page would repeat a request already sent; the server "
                              "ignored the paging parameters; stopping instead of looping", PaginationWarning)
                return
            sent.add(key)
            page = self._call(query, path)


# -- sandbox -------------------------------------------------------------------------------------
@click.group("sandbox", no_args_is_help=True)
def sandbox() -> None:
    """A local Genesys Cloud sandbox org (genesyscloud.sandbox)."""


@sandbox.command("serve")
@click.option("--client-id", metavar="ID", help="OAuth client id accepted by /oauth/token (default: generated).")
@click.option("--client-secret", metavar="SECRET", help="Its secret (default: generated and printed).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8642, show_default=True, type=click.IntRange(0, 65535), help="TCP port (0 = any).")
@click.option("--token-ttl", type=click.IntRange(min=1), help="Token lifetime in seconds (default 86400).")
@click.option("--rate-limit", type=click.IntRange(min=1), help="Requests per window per token (default: none).")
@click.option("--rate-limit-window", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Rate-limit window, seconds.")
@click.option("--user-rate-limit", type=click.IntRange(min=1), help="Requests per window per user (default: none).")
@click.option("--token-rate-limit", type=click.IntRange(min=1),
              help="Token requests per window per OAuth client (default: none).")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the generated org.")
@click.option("--heartbeat-interval", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds between notification socket heartbeats.")
def sandbox_serve(client_id: str | None, client_secret: str | None, host: str, port: int, token_ttl: int | None,
                  rate_limit: int | None, rate_limit_window: float, user_rate_limit: int | None,
                  token_rate_limit: int | None, seed: int, heartbeat_interval: float) -> None:
    """Serve the sandbox in the foreground until Ctrl-C / SIGTERM; prints its URL once it accepts connections."""
    from ..sandbox import serve as run

    generated = not (client_id and client_secret)
    client_id = client_id or f"sandbox-{secrets.token_hex(8)}"
    client_secret = client_secret or secrets.token_urlsafe(24)

    def announce(line: str) -> None:
        click.echo(line)
        if generated:
            click.echo(f"client id:     {client_id}\nclient secret: {client_secret}")
        url = line.rsplit(" ", 1)[-1]
        # a command that works as printed with client credentials (no user context needed);
        # the secret is this local sandbox's own, given or generated just above
        click.echo(f"try: GENESYSCLOUD_API_HOST={shlex.quote(url)} GENESYSCLOUD_OAUTHCLIENT_ID={shlex.quote(client_id)} "
                   f"GENESYSCLOUD_OAUTHCLIENT_SECRET={shlex.quote(client_secret)} "
                   "genesys-cloud users get-users --page-size 5 -o table --fields id,name,email")
        sys.stdout.flush()

    try:
        run(host, port, client_id=client_id, client_secret=client_secret, seed=seed, token_ttl=token_ttl,
            rate_limit=rate_limit, announce=announce, rate_limit_window=rate_limit_window,
            user_rate_limit=user_rate_limit, token_rate_limit=token_rate_limit, heartbeat_interval=heartbeat_interval)
    except KeyboardInterrupt:
        pass


# -- completion ----------------------------------------------------------------------------------
@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(genesys-cloud completion bash)"   (or save it under ~/.local/share/bash-completion/completions/)
    zsh:   eval "$(genesys-cloud completion zsh)"
    fish:  genesys-cloud completion fish > ~/.config/fish/completions/genesys-cloud.fish
    """
    from click.shell_completion import get_completion_class

    from ._app import PROG

    root = click.get_current_context().find_root().command
    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(root, {}, PROG, "_GENESYS_CLOUD_COMPLETE").source())
