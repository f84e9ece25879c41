"""Building the SDK client for one command: settings, profile, environment, sandbox.

Precedence (first wins), the SDK's own (``GenesysCloud.from_env``): ``--sandbox``; command
line flags (``--profile``, ``--region``, ``--api-host``); ``GENESYSCLOUD_*`` environment
variables; the current CLI profile; the SDK's configuration file
(``$GENESYSCLOUD_CONFIG_FILE`` or ``~/.genesyscloudpython/config``); the default region.
An explicit ``--profile`` takes its credentials from the profile even when
``GENESYSCLOUD_OAUTHCLIENT_*`` / ``GENESYSCLOUD_ACCESS_TOKEN`` are set; a name that is no CLI
profile is looked up in the configuration file's ``[profile NAME]`` sections.

A profile's secret and cached token are bound to the login host and client id they were
issued for: a ``--region``/``--api-host``/``GENESYSCLOUD_API_HOST`` that points elsewhere is
refused (exit code 3) instead of sending them there.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..auth import ClientCredentials, Grant, Token
from ._errors import EXIT_AUTH, EXIT_USAGE, CLIError
from ._profiles import Profile, ProfileStore

__all__ = ["Settings", "Session", "open_session", "redact_headers", "redact_body"]

_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}


@dataclass
class Settings:
    """Options common to every command (root flags merged with the command's own)."""

    profile: str | None = None
    region: str | None = None
    api_host: str | None = None
    sandbox: bool = False
    verbose: bool = False
    quiet: bool = False
    output: str | None = None
    fields: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def merged(self, **leaf: Any) -> Settings:
        """A copy where every leaf value that is set (not ``None``/``False``) wins."""
        data = {k: getattr(self, k) for k in ("profile", "region", "api_host", "sandbox", "verbose", "quiet",
                                              "output", "fields")}
        for key, value in leaf.items():
            if key in data and value not in (None, False):
                data[key] = value
        return Settings(**data)


class _CachedClientCredentials(ClientCredentials):
    """Client credentials that start from a cached access token (renewed when it expires or is refused)."""

    def __init__(self, client_id: str, client_secret: str, token: Token | None) -> None:
        super().__init__(client_id, client_secret)
        self._cached = token

    def initial_token(self) -> Token | None:
        return self._cached


@dataclass
class Session:
    """An open client plus what is needed to persist its token afterwards."""

    client: Any
    profile: Profile | None
    store: ProfileStore | None
    cached_token: str | None
    sandbox: Any = None

    def save_token(self) -> None:
        """Cache the client's current token in the profile when it changed (bound to the
        profile's login host and client id)."""
        if self.profile is None or self.store is None:
            return
        token = self.client.token
        if token is None or token.access_token == self.cached_token:
            return
        self.store.secrets.set_token(self.profile.name, token.access_token, token.expires_at, token.refresh_token,
                                     login_host=self.profile.bound_login_host(), client_id=self.profile.client_id)
        self.cached_token = token.access_token


def redact_headers(headers: Any) -> list[tuple[str, str]]:
    """Header pairs with credentials replaced by ``***`` (the auth scheme is kept)."""
    out = []
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} ***".strip()
        out.append((name, value))
    return out


def redact_body(content: bytes, content_type: str = "") -> str:
    """A body for display (at most 4,000 characters) with secret fields masked: the
    SDK's own redaction (:func:`genesyscloud._core.logging.redact_body`), so the tool, the
    SDK's logs and the sandbox's request log mask the same fields."""
    from .._core.logging import redact_body as _redact

    shown = _redact(content, content_type)
    if shown is None:
        return ""
    text = shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
    return text if len(text) <= 4000 else text[:4000] + f"... ({len(text)} characters)"


def _verbose_http_client() -> Any:
    """An ``httpx.Client`` that prints every request and response (redacted) to stderr."""
    import httpx

    def on_request(request: httpx.Request) -> None:
        request.extensions["cli_started"] = time.monotonic()
        lines = [f"> {request.method} {request.url}"]
        lines += [f"> {k}: {v}" for k, v in redact_headers(request.headers)]
        body = redact_body(request.content, request.headers.get("content-type", ""))
        if body:
            lines.append(f"> {body}")
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()

    def on_response(response: httpx.Response) -> None:
        response.read()
        started = response.request.extensions.get("cli_started")
        took = f" ({(time.monotonic() - started) * 1000:.0f} ms)" if started else ""
        lines = [f"< {response.status_code} {response.reason_phrase}{took}"]
        lines += [f"< {k}: {v}" for k, v in redact_headers(response.headers)]
        body = redact_body(response.content, response.headers.get("content-type", ""))
        if body:
            lines.append(f"< {body}")
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()

    return httpx.Client(event_hooks={"request": [on_request], "response": [on_response]}, follow_redirects=False)


_ENV_AUTH = ("GENESYSCLOUD_ACCESS_TOKEN", "GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET")


def profile_grant(store: ProfileStore, profile: Profile) -> tuple[Grant, str | None]:
    """The grant of a stored profile and its cached access token (or ``None``); only
    secrets and tokens bound to the profile's login host and client id are used."""
    login_host = profile.bound_login_host()
    cached = store.secrets.get_token(profile.name, login_host=login_host, client_id=profile.client_id)
    token = Token(access_token=cached[0], expires_at=cached[1], refresh_token=cached[2]) if cached else None
    if profile.grant_type == "pkce" and profile.client_id:
        if token is None:
            raise CLIError(f"profile {profile.name!r} has no cached token; run "
                           f"`genesys-cloud login --interactive --profile {profile.name}`", EXIT_AUTH)
        from ..auth import Pkce

        class _CachedPkce(Pkce):
            def initial_token(self) -> Token | None:
                return token

        return _CachedPkce(profile.client_id, profile.redirect_uri or "http://127.0.0.1/"), token.access_token
    if profile.grant_type != "client_credentials" or not profile.client_id:
        raise CLIError(f"profile {profile.name!r} has no usable credentials; run "
                       f"`genesys-cloud login --profile {profile.name}`", EXIT_AUTH)
    secret = store.secrets.get_secret(profile.name, login_host=login_host, client_id=profile.client_id)
    if not secret:
        raise CLIError(f"the client secret of profile {profile.name!r} is missing from "
                       f"{store.secrets.location}; run `genesys-cloud login --profile {profile.name}`", EXIT_AUTH)
    return _CachedClientCredentials(profile.client_id, secret, token), (cached[0] if cached else None)


def _hosts(settings: Settings, profile: Profile | None) -> dict[str, Any]:
    for region, api_host in ((settings.region, settings.api_host),
                             (os.environ.get("GENESYSCLOUD_REGION"), os.environ.get("GENESYSCLOUD_API_HOST")),
                             ((profile.region, profile.api_host) if profile else (None, None))):
        if region or api_host:
            return {"region": region or None, "api_host": api_host or None}
    return {}


def login_host_of(hosts: dict[str, Any]) -> str:
    """The login base URL that ``GenesysCloud(**hosts)`` would use.

    Raises:
        CLIError: an unknown region or a malformed host (exit code 2).
    """
    from .._regions import resolve_hosts

    try:
        return resolve_hosts(hosts.get("region"), hosts.get("api_host")).login
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from exc


def check_binding(settings: Settings, profile: Profile) -> dict[str, Any]:
    """The hosts to use with ``profile``'s credentials.

    Raises:
        CLIError: the flags or environment point at another login host than the one the
            profile's credentials were issued by (exit code 3); nothing is sent.
    """
    hosts = _hosts(settings, profile)
    bound, target = profile.bound_login_host(), login_host_of(hosts)
    if target != bound:
        raise CLIError(f"profile {profile.name!r} holds credentials issued by {bound}; they are not sent to "
                       f"{target}. Log in there first: `genesys-cloud login --profile NAME --api-host ...` "
                       "(or --region)", EXIT_AUTH)
    return hosts


def _config_profile(name: str) -> bool:
    """Whether the SDK's configuration file exists (then ``name`` is looked up in it)."""
    from .._config import default_config_path

    return os.path.isfile(os.environ.get("GENESYSCLOUD_CONFIG_FILE") or default_config_path())


@contextlib.contextmanager
def open_session(settings: Settings, *, store: ProfileStore | None = None, need_auth: bool = True) -> Iterator[Session]:
    """Open a client for one command and close it (and any sandbox) afterwards.

    Raises:
        CLIError: no credentials anywhere (exit code 3) or inconsistent settings (2).
        ProfileError: a named profile does not exist.
    """
    from .. import GenesysCloud

    http_client = _verbose_http_client() if settings.verbose else None
    sandbox = None
    profile: Profile | None = None
    cached: str | None = None
    try:
        if settings.sandbox:
            from ..sandbox import Sandbox

            sandbox = Sandbox(seed=int(os.environ.get("GENESYSCLOUD_SANDBOX_SEED", "1"))).start()
            kwargs: dict[str, Any] = {"api_host": sandbox.url,
                                      "auth": ClientCredentials(sandbox.client_id, sandbox.client_secret)}
            store = None
        else:
            store = store or ProfileStore()
            explicit = settings.profile or os.environ.get("GENESYSCLOUD_PROFILE")
            file_profile: str | None = None
            if explicit:
                if explicit in store.names() or not _config_profile(explicit):
                    profile = store.get(explicit)  # ProfileError when it is nowhere
                else:
                    file_profile = explicit
            elif not any(os.environ.get(var) for var in _ENV_AUTH) and store.current:
                profile = store.get(store.current)
            if profile is not None:
                auth, cached = profile_grant(store, profile)
                kwargs = {"auth": auth, **check_binding(settings, profile)}
            else:
                # no CLI profile: exactly the SDK's layering (flags > environment > config file)
                kwargs = {"from_env": True, "profile": file_profile,
                          **{k: v for k, v in (("region", settings.region), ("api_host", settings.api_host)) if v}}
        try:
            if kwargs.pop("from_env", False):
                try:
                    client = GenesysCloud.from_env(http_client=http_client, live_reload_config=False, **kwargs)
                except ValueError as exc:
                    if not getattr(exc, "missing_credentials", False):
                        raise
                    if need_auth:
                        raise CLIError("not logged in: run `genesys-cloud login`, set GENESYSCLOUD_OAUTHCLIENT_ID "
                                       "and GENESYSCLOUD_OAUTHCLIENT_SECRET (or GENESYSCLOUD_ACCESS_TOKEN), put "
                                       "client_id and client_secret in ~/.genesyscloudpython/config, or add "
                                       "--sandbox", EXIT_AUTH) from None
                    kwargs.pop("profile", None)
                    client = GenesysCloud(http_client=http_client, **kwargs)
            else:
                client = GenesysCloud(http_client=http_client, **kwargs)
        except ValueError as exc:
            raise CLIError(str(exc), EXIT_USAGE) from exc
        session = Session(client=client, profile=profile, store=store, cached_token=cached, sandbox=sandbox)
        try:
            yield session
        finally:
            session.save_token()
            client.close()
    finally:
        if http_client is not None:
            http_client.close()
        if sandbox is not None:
            sandbox.stop()
