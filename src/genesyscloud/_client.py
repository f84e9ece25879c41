"""The clients: :class:`GenesysCloud` (sync) and :class:`AsyncGenesysCloud` (asyncio).

One client per configuration; no module-level state. The ``httpx`` client is created
on the first request (importing ``genesyscloud`` and building a client stay cheap).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import platform
import threading
import time
from typing import TYPE_CHECKING, Any, Generator, Mapping

from ._core.response import APIResponse, decode
from ._core.retry import RetryPolicy
from ._core.send import call_flow, token_flow
from ._regions import Hosts, Region, resolve_hosts
from ._resources import AsyncResources, SyncResources
from ._version import __version__
from .auth import AccessToken, ClientCredentials, Grant, Token, TokenRequest
from .auth._manager import TokenManager

if TYPE_CHECKING:
    import httpx

    from ._core.operation import Operation
    from ._core.request import PreparedRequest

__all__ = ["GenesysCloud", "AsyncGenesysCloud", "ClientOptions"]

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"genesyscloud-python/{__version__} (Python {platform.python_version()})"


@dataclasses.dataclass(frozen=True, slots=True)
class ClientOptions:
    """Per-client settings (copied and changed by ``with_options``).

    Attributes:
        hosts: the API and login base URLs.
        timeout: seconds (``float``) or an ``httpx.Timeout``; never infinite.
        retry: the :class:`RetryPolicy`.
        default_headers: headers sent on every API request.
        return_extended_responses: return :class:`APIResponse` from every call.
    """

    hosts: Hosts
    timeout: Any = DEFAULT_TIMEOUT
    retry: RetryPolicy = RetryPolicy()
    default_headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    return_extended_responses: bool = False


class _Shared:
    """State shared by a client and its ``with_options`` copies: HTTP client and tokens."""

    def __init__(self, tokens: TokenManager | None, http_client: Any, owns_http: bool) -> None:
        self.tokens = tokens
        self.http = http_client
        self.owns_http = owns_http
        self.lock = threading.Lock()
        self.closed = False


def _auth_from_env() -> Grant | None:
    token = os.environ.get("GENESYSCLOUD_ACCESS_TOKEN")
    if token:
        return AccessToken(token)
    client_id = os.environ.get("GENESYSCLOUD_OAUTHCLIENT_ID")
    secret = os.environ.get("GENESYSCLOUD_OAUTHCLIENT_SECRET")
    if client_id or secret:
        if not (client_id and secret):
            raise ValueError("set both GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET")
        return ClientCredentials(client_id, secret)
    return None


class _BaseClient:
    _shared: _Shared
    _options: ClientOptions

    def __init__(
        self,
        *,
        region: str | Region | None = None,
        auth: Grant | None = None,
        api_host: str | None = None,
        login_host: str | None = None,
        timeout: Any = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: Any = None,
        return_extended_responses: bool = False,
    ) -> None:
        if auth is not None and not isinstance(auth, Grant):
            raise TypeError(f"auth must be a grant such as ClientCredentials(...), got {type(auth).__name__}")
        if timeout is None:
            raise ValueError("timeout must not be None: give seconds (float) or an httpx.Timeout")
        if isinstance(timeout, int | float) and timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be an int >= 0")
        policy = retry_policy or RetryPolicy()
        if retry_policy is None or max_retries != 3:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        self._options = ClientOptions(
            hosts=resolve_hosts(region, api_host, login_host),
            timeout=timeout,
            retry=policy,
            default_headers=dict(default_headers or {}),
            return_extended_responses=return_extended_responses,
        )
        self._shared = _Shared(TokenManager(auth) if auth is not None else None, http_client, http_client is None)

    @classmethod
    def from_env(cls, **overrides: Any) -> Any:
        """Build a client from ``GENESYSCLOUD_REGION``, ``GENESYSCLOUD_API_HOST``,
        ``GENESYSCLOUD_OAUTHCLIENT_ID``/``_SECRET`` or ``GENESYSCLOUD_ACCESS_TOKEN``;
        keyword arguments win over the environment.

        Raises:
            ValueError: an incomplete or invalid setting.
        """
        kwargs: dict[str, Any] = {}
        if os.environ.get("GENESYSCLOUD_REGION"):
            kwargs["region"] = os.environ["GENESYSCLOUD_REGION"]
        if os.environ.get("GENESYSCLOUD_API_HOST"):
            kwargs["api_host"] = os.environ["GENESYSCLOUD_API_HOST"]
        auth = _auth_from_env()
        if auth is not None:
            kwargs["auth"] = auth
        kwargs.update(overrides)
        return cls(**kwargs)

    # -- options ---------------------------------------------------------------------

    @property
    def hosts(self) -> Hosts:
        """The API and login base URLs in use."""
        return self._options.hosts

    @property
    def options(self) -> ClientOptions:
        return self._options

    @property
    def token(self) -> Token | None:
        """The current access token, if one has been obtained."""
        return self._shared.tokens.token if self._shared.tokens else None

    @property
    def token_manager(self) -> TokenManager | None:
        return self._shared.tokens

    def with_options(
        self,
        *,
        timeout: Any = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        return_extended_responses: bool | None = None,
    ) -> Any:
        """A cheap copy with some options changed; it shares the HTTP connection pool
        and the token with this client (closing either closes the pool)."""
        options = self._options
        if timeout is not None:
            options = dataclasses.replace(options, timeout=timeout)
        if max_retries is not None:
            if not isinstance(max_retries, int) or max_retries < 0:
                raise ValueError("max_retries must be an int >= 0")
            options = dataclasses.replace(options, retry=dataclasses.replace(options.retry, max_retries=max_retries))
        if default_headers is not None:
            options = dataclasses.replace(options, default_headers={**options.default_headers, **default_headers})
        if return_extended_responses is not None:
            options = dataclasses.replace(options, return_extended_responses=return_extended_responses)
        clone = object.__new__(type(self))
        clone._options = options
        clone._shared = self._shared
        return clone

    def _timeout(self) -> Any:
        import httpx

        t = self._options.timeout
        return t if isinstance(t, httpx.Timeout) else httpx.Timeout(float(t), connect=min(10.0, float(t)))

    def _headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, "Accept": "application/json", **self._options.default_headers}

    def _api_flow(self, op: Operation, prepared: PreparedRequest) -> Generator[tuple[str, Any], Any, Any]:
        if op.secured and self._shared.tokens is None:
            from ._core.errors import AuthError

            raise AuthError("missing_credentials",
                            f"{op.method_name} needs an access token: pass auth=ClientCredentials(...) or AccessToken(...)")
        return call_flow(
            prepared,
            base_url=self._options.hosts.api,
            default_headers=self._headers(),
            policy=self._options.retry,
            secured=op.secured,
            idempotent=op.idempotent,
        )

    def _token_flow(self, request: TokenRequest) -> Generator[tuple[str, Any], Any, Any]:
        return token_flow(self._options.hosts.login, request, default_headers={"User-Agent": USER_AGENT},
                          policy=self._options.retry)

    def _result(self, op: Operation, response: Any, raw: bool, started: float) -> Any:
        content = response.content
        headers = response.headers
        status = response.status_code
        if raw or self._options.return_extended_responses:
            return APIResponse(
                status_code=status,
                headers=headers,
                content=content,
                method=op.http_method,
                url=str(response.request.url.copy_with(query=None)),
                elapsed=time.monotonic() - started,
                parser=lambda: decode(op, status, headers, content),
            )
        return decode(op, status, headers, content)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} api={self._options.hosts.api!r}>"


class GenesysCloud(SyncResources, _BaseClient):
    """Synchronous client for the Genesys Cloud Platform API v2.

    Args:
        region: ``"us-east-1"``, ``"eu_west_1"``, a :class:`Region` or a domain
            (default ``us-east-1``).
        auth: a grant: ``ClientCredentials(client_id, client_secret)`` or ``AccessToken(token)``.
        api_host: any API base URL (e.g. the sandbox's ``http://127.0.0.1:8642``); wins
            over ``region``. The login host is the same origin, or ``login.`` for ``api.`` hosts.
        login_host: overrides the login base URL.
        timeout: seconds (``float``, default 30) or an ``httpx.Timeout``.
        max_retries: retries for 429, 502/503/504 and connection failures (default 3).
        default_headers: headers added to every API request.
        http_client: an ``httpx.Client`` to use (the caller keeps ownership).
        return_extended_responses: every call returns an :class:`APIResponse`.

    Raises:
        ValueError: an unknown region or an invalid option.
        TypeError: ``auth`` is not a grant.

    API groups are properties named after the definition's tags (``client.users``,
    ``client.oauth``, ...); their methods keep the official names (``get_users_me``).
    """

    def _http(self) -> httpx.Client:
        shared = self._shared
        if shared.http is None:
            with shared.lock:
                if shared.closed:
                    raise RuntimeError("this client is closed")
                if shared.http is None:
                    import httpx

                    shared.http = httpx.Client(timeout=self._timeout(), follow_redirects=False)
        return shared.http

    def _drive(self, flow: Generator[tuple[str, Any], Any, Any]) -> Any:
        import httpx

        http = self._http()
        timeout = self._timeout()
        result: Any = None
        try:
            action = next(flow)
            while True:
                kind, arg = action
                if kind == "send":
                    try:
                        result = http.request(arg.method, arg.url, params=arg.params or None, headers=arg.headers,
                                              content=arg.content, timeout=timeout)
                    except httpx.TransportError as exc:
                        result = exc
                elif kind == "token":
                    result = self._shared.tokens.get_sync(self._fetch_token)  # type: ignore[union-attr]
                elif kind == "invalidate":
                    result = self._shared.tokens.invalidate(arg)  # type: ignore[union-attr]
                else:  # sleep
                    time.sleep(arg)
                    result = None
                action = flow.send(result)
        except StopIteration as stop:
            return stop.value

    def _fetch_token(self, request: TokenRequest) -> Token:
        tokens = self._shared.tokens
        assert tokens is not None
        response = self._drive(self._token_flow(request))
        return tokens.grant.parse_token_response(response.status_code, response.headers,
                                                 response.content.decode("utf-8", "replace"))

    def _request(self, op: Operation, prepared: PreparedRequest, *, raw: bool = False) -> Any:
        started = time.monotonic()
        response = self._drive(self._api_flow(op, prepared))
        return self._result(op, response, raw, started)

    def authenticate(self) -> Token:
        """Obtain (or renew) the access token now instead of on the first call.

        Raises:
            AuthError: no credentials, or the login service refused them.
        """
        from ._core.errors import AuthError

        if self._shared.tokens is None:
            raise AuthError("missing_credentials", "this client has no auth grant")
        return self._shared.tokens.get_sync(self._fetch_token)

    def close(self) -> None:
        """Close the connection pool if this client created it (idempotent)."""
        shared = self._shared
        with shared.lock:
            shared.closed = True
            http, shared.http = shared.http, None
        if http is not None and shared.owns_http:
            http.close()

    def __enter__(self) -> GenesysCloud:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncGenesysCloud(AsyncResources, _BaseClient):
    """Asyncio client for the Genesys Cloud Platform API v2.

    Takes the same arguments as :class:`GenesysCloud` (``http_client`` is an
    ``httpx.AsyncClient``); every operation method is a coroutine. Use
    ``async with AsyncGenesysCloud(...) as client:`` or ``await client.close()``.
    """

    def _http(self) -> httpx.AsyncClient:
        shared = self._shared
        if shared.http is None:
            if shared.closed:
                raise RuntimeError("this client is closed")
            import httpx

            shared.http = httpx.AsyncClient(timeout=self._timeout(), follow_redirects=False)
        return shared.http

    async def _drive(self, flow: Generator[tuple[str, Any], Any, Any]) -> Any:
        import httpx

        http = self._http()
        timeout = self._timeout()
        result: Any = None
        try:
            action = next(flow)
            while True:
                kind, arg = action
                if kind == "send":
                    try:
                        result = await http.request(arg.method, arg.url, params=arg.params or None,
                                                    headers=arg.headers, content=arg.content, timeout=timeout)
                    except httpx.TransportError as exc:
                        result = exc
                elif kind == "token":
                    result = await self._shared.tokens.get_async(self._fetch_token)  # type: ignore[union-attr]
                elif kind == "invalidate":
                    result = self._shared.tokens.invalidate(arg)  # type: ignore[union-attr]
                else:
                    await asyncio.sleep(arg)
                    result = None
                action = flow.send(result)
        except StopIteration as stop:
            return stop.value

    async def _fetch_token(self, request: TokenRequest) -> Token:
        tokens = self._shared.tokens
        assert tokens is not None
        response = await self._drive(self._token_flow(request))
        return tokens.grant.parse_token_response(response.status_code, response.headers,
                                                 response.content.decode("utf-8", "replace"))

    async def _request(self, op: Operation, prepared: PreparedRequest, *, raw: bool = False) -> Any:
        started = time.monotonic()
        response = await self._drive(self._api_flow(op, prepared))
        return self._result(op, response, raw, started)

    async def authenticate(self) -> Token:
        """Obtain (or renew) the access token now. Raises ``AuthError``."""
        from ._core.errors import AuthError

        if self._shared.tokens is None:
            raise AuthError("missing_credentials", "this client has no auth grant")
        return await self._shared.tokens.get_async(self._fetch_token)

    async def close(self) -> None:
        """Close the connection pool if this client created it (idempotent)."""
        shared = self._shared
        shared.closed = True
        http, shared.http = shared.http, None
        if http is not None and shared.owns_http:
            await http.aclose()

    async def __aenter__(self) -> AsyncGenesysCloud:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
