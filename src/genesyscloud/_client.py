"""The clients: :class:`GenesysCloud` (sync) and :class:`AsyncGenesysCloud` (asyncio).

One client per configuration; no module-level state. The transport (urllib3 for the
sync client, aiohttp for the async one, or the caller's httpx client; see
:mod:`genesyscloud._core.transport`) is created on the first request, so importing
``genesyscloud`` and building a client stay cheap.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import platform
import threading
import time
from typing import TYPE_CHECKING, Any, Generator, Mapping

from ._core.logging import HttpLogger, LogSettings
from ._core.response import APIResponse, decode
from ._core.retry import RetryPolicy
from ._core.send import call_flow, token_flow
from ._core.transport import Timeout, TransportConfig
from ._regions import Gateway, Hosts, Region, resolve_hosts
from ._resources import AsyncResources, SyncResources
from ._version import __version__
from .auth import Grant, Token, TokenRequest, TokenStore
from .auth._manager import TokenManager

if TYPE_CHECKING:
    from ._core.operation import Operation
    from ._core.request import PreparedRequest

__all__ = ["GenesysCloud", "AsyncGenesysCloud", "ClientOptions"]

class _NotGiven:
    """The default of arguments whose ``None`` means something else."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()
#: the environment variables a plain constructor reads (``_config.env_settings``); checked
#: here so that a client built without them never imports the configuration module
_ENV_SETTINGS = ("GENESYSCLOUD_REGION", "GENESYSCLOUD_API_HOST", "GENESYSCLOUD_ACCESS_TOKEN",
                 "GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET")
_NO_BODY: Any = object()  # "no body" for request(); None means a JSON null
#: seconds: connect 10, read 30, write 30, pool 10, total (per attempt) 60; never infinite
DEFAULT_TIMEOUT = Timeout()
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_KEEPALIVE = 100
USER_AGENT = f"genesyscloud-python/{__version__} (Python {platform.python_version()})"


@dataclasses.dataclass(frozen=True, slots=True)
class ClientOptions:
    """Per-client settings (copied and changed by ``with_options``).

    Attributes:
        hosts: the API and login base URLs.
        timeout: a :class:`Timeout` (``None``: the default); never infinite.
        retry: the :class:`RetryPolicy`.
        default_headers: headers sent on every API request.
        return_extended_responses: return :class:`APIResponse` from every call.
        log: the :class:`LogSettings`.
        pre_request_hook: called with each outgoing API request (an ``HttpRequest``:
            ``method``, ``url``, ``params``, ``headers``, ``content``, ``timeout``; it may
            change ``headers``) before it is sent; may be a coroutine function on the async client.
        post_request_hook: called with each ``Response`` of an API request
            (``status_code``, ``headers``, ``content``, ``json()``, ``request``).
    """

    hosts: Hosts
    timeout: Any = DEFAULT_TIMEOUT
    retry: RetryPolicy = RetryPolicy()
    default_headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    return_extended_responses: bool = False
    log: LogSettings = LogSettings()
    pre_request_hook: Any = None
    post_request_hook: Any = None


def _check_timeout(timeout: Any) -> Timeout | None:
    """A :class:`Timeout` from seconds, a mapping, a ``Timeout`` (or, for code written
    against earlier versions, an object with ``connect``/``read``/``write``/``pool``)."""
    if timeout is None:
        return None
    if isinstance(timeout, Timeout):
        return timeout
    if isinstance(timeout, bool):
        raise ValueError("timeout must be seconds (float), a mapping or a genesyscloud.Timeout, not a bool")
    if isinstance(timeout, int | float):
        return Timeout(timeout)
    if isinstance(timeout, Mapping):
        unknown = set(timeout) - {"connect", "read", "write", "pool", "total", "timeout"}
        if unknown:
            raise ValueError(f"timeout mapping has unknown keys {sorted(unknown)}; use connect, read, write, pool, "
                             "total")
        for key, value in timeout.items():
            if value is None:
                raise ValueError(f"timeout[{key!r}] must be seconds, not None (timeouts are never infinite)")
        parts = {k: v for k, v in timeout.items() if k != "timeout"}
        if "timeout" in timeout:
            base = float(timeout["timeout"])
            parts = {"connect": min(10.0, base), "pool": min(10.0, base), "read": base, "write": base, **parts}
        return Timeout(**parts)
    if all(hasattr(timeout, k) for k in ("connect", "read", "write", "pool")):
        for key in ("connect", "read", "write", "pool"):
            if getattr(timeout, key) is None:
                raise ValueError(f"timeout {key} is None (infinite); give seconds")
        return Timeout(connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool)
    raise TypeError(f"timeout must be seconds (float), a mapping or a genesyscloud.Timeout, "
                    f"got {type(timeout).__name__}")


def _token_request_budget(timeout: Timeout | None) -> float:
    """Seconds one token request may take: the timeout's ``total`` (one attempt). Token
    waiters wait this long, and a shared store's lock lives about as long."""
    return (timeout or DEFAULT_TIMEOUT).total  # type: ignore[return-value]


class _Shared:
    """State shared by a client and its ``with_options`` copies: HTTP client and tokens."""

    def __init__(self, tokens: TokenManager | None, http_client: Any, owns_http: bool) -> None:
        self.tokens = tokens
        self.http_client = http_client  # the caller's httpx client, if any
        self.http: Any = None  # the transport, created on first use
        self.owns_http = owns_http
        self.lock = threading.Lock()
        self.closed = False
        self.options: ClientOptions | None = None  # the base options; swapped whole on live reload
        self.transport = TransportConfig()
        self.loggers: dict[LogSettings, HttpLogger] = {}
        self.watcher: Any = None  # the live-reload watcher, when on
        self.config_source: Any = None  # where layered settings came from (from_config, config_file=)
        self.reloads = 0
        self.pacer: Any = None  # the rate-limit Pacer (genesyscloud._fleet), or None when off
        self.auth_memo = [("", "", "")]  # the last Authorization value built (see _core.send)

    def logger(self, settings: LogSettings) -> HttpLogger:
        found = self.loggers.get(settings)
        if found is None:
            with self.lock:
                found = self.loggers.setdefault(settings, HttpLogger(settings))
        return found

    def shutdown(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()
        for logger in list(self.loggers.values()):
            logger.close()


def _proxy_url(proxy: str) -> str:
    """Validate a proxy URL (``http://``, ``https://`` or ``socks5://``; credentials may be inline)."""
    from urllib.parse import urlsplit

    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a URL string, got {type(proxy).__name__}")
    parts = urlsplit(proxy.strip() if "://" in proxy else "http://" + proxy.strip())
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise ValueError("proxy must be a URL such as 'http://proxy.example.com:3128'")
    return parts.geturl()


class _BaseClient:
    _shared: _Shared
    _options: ClientOptions
    _is_async = False

    def __init__(
        self,
        *,
        region: str | Region | None = None,
        auth: Grant | None = None,
        token_store: TokenStore | None = None,
        refresh_window: float | None = None,
        refresh_token_wait_time: float | None = None,
        should_refresh_access_token: bool | None = None,
        on_token: Any = None,
        api_host: str | None = None,
        login_host: str | None = None,
        timeout: Any = NOT_GIVEN,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        gateway: Gateway | None = None,
        proxy: str | None = None,
        proxy_username: str | None = None,
        proxy_password: str | None = None,
        verify_ssl: bool | None = None,
        ssl_ca_cert: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        ssl_context: Any = None,
        max_connections: int | None = None,
        max_keepalive_connections: int | None = None,
        trust_env: bool | None = None,
        pre_request_hook: Any = None,
        post_request_hook: Any = None,
        log_settings: LogSettings | None = None,
        config_file: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        live_reload_config: bool | None = None,
        http_client: Any = None,
        return_extended_responses: bool | None = None,
        rate_limit: Any = NOT_GIVEN,
        rate_limit_store: Any = None,
    ) -> None:
        if config_file is not None or profile is not None or live_reload_config:
            # layered settings: these arguments > environment > file > defaults
            from . import _config

            given = {k: v for k, v in locals().items() if k not in ("self", "__class__") and v is not NOT_GIVEN}
            kwargs, source = _config.client_kwargs(_BaseClient.__init__, given, config_file=config_file,
                                                   profile=profile, require_file=True)
            live = kwargs.pop("live_reload_config", False)
            _BaseClient.__init__(self, **kwargs)
            self._shared.config_source = source
            if live:
                self._start_live_reload(source)
            return
        if auth is not None and not isinstance(auth, Grant):
            raise TypeError(f"auth must be a grant such as ClientCredentials(...), got {type(auth).__name__}")
        hosts_given = {"region": region, "api_host": api_host, "login_host": login_host, "gateway": gateway}
        if (auth is None or all(v is None for v in hosts_given.values())) and \
                any(os.environ.get(k) for k in _ENV_SETTINGS):
            # what is not given comes from GENESYSCLOUD_* (explicit arguments win)
            from ._config import env_defaults

            found = env_defaults(auth is not None, hosts_given)
            region, api_host = found.get("region", region), found.get("api_host", api_host)
            auth = found.get("auth", auth)
        if timeout is None:
            raise ValueError("timeout must not be None (timeouts are never infinite): give seconds (float), "
                             "a mapping of connect/read/write/pool/total seconds, or a genesyscloud.Timeout")
        timeout = None if timeout is NOT_GIVEN else _check_timeout(timeout)
        if max_retries is not None and (not isinstance(max_retries, int) or isinstance(max_retries, bool)
                                        or max_retries < 0):
            raise ValueError("max_retries must be an int >= 0")
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise TypeError(f"retry_policy must be a RetryPolicy, got {type(retry_policy).__name__}")
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        if log_settings is not None and not isinstance(log_settings, LogSettings):
            raise TypeError(f"log_settings must be a LogSettings, got {type(log_settings).__name__}")
        for name, hook in (("pre_request_hook", pre_request_hook), ("post_request_hook", post_request_hook)):
            if hook is not None and not callable(hook):
                raise TypeError(f"{name} must be callable")
        for name, path in (("ssl_ca_cert", ssl_ca_cert), ("cert_file", cert_file), ("key_file", key_file)):
            if path is not None and not os.path.isfile(path):
                raise ValueError(f"{name}: no such file: {path!r}")
        if ssl_context is not None:
            import ssl

            if not isinstance(ssl_context, ssl.SSLContext):
                raise TypeError(f"ssl_context must be an ssl.SSLContext, got {type(ssl_context).__name__}")
            if ssl_ca_cert or cert_file or verify_ssl is False:
                raise ValueError("ssl_context replaces ssl_ca_cert, cert_file/key_file and verify_ssl: give one or "
                                 "the other")
        if key_file is not None and cert_file is None:
            raise ValueError("key_file needs cert_file (mutual TLS takes a certificate and its key)")
        if proxy_password is not None and proxy_username is None:
            raise ValueError("proxy_password needs proxy_username")
        for name, value, minimum in (("max_connections", max_connections, 1),
                                     ("max_keepalive_connections", max_keepalive_connections, 0)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
                raise ValueError(f"{name} must be an int >= {minimum}")
        transport = TransportConfig(
            proxy=_proxy_url(proxy) if proxy else None,
            proxy_username=proxy_username,
            proxy_password=proxy_password,
            verify_ssl=True if verify_ssl is None else bool(verify_ssl),
            ssl_ca_cert=ssl_ca_cert,
            cert_file=cert_file,
            key_file=key_file,
            ssl_context=ssl_context,
            max_connections=max_connections or DEFAULT_MAX_CONNECTIONS,
            max_keepalive_connections=(DEFAULT_MAX_KEEPALIVE if max_keepalive_connections is None
                                       else max_keepalive_connections),
            trust_env=True if trust_env is None else bool(trust_env),
        )
        options = ClientOptions(
            hosts=resolve_hosts(region, api_host, login_host, gateway),
            timeout=timeout,
            retry=policy,
            default_headers=dict(default_headers or {}),
            return_extended_responses=bool(return_extended_responses),
            log=log_settings or LogSettings(),
            pre_request_hook=pre_request_hook,
            post_request_hook=post_request_hook,
        )
        self._overrides: dict[str, Any] = {}
        self._cache: tuple[ClientOptions, ClientOptions] | None = None
        self._call_cache: tuple[Any, ...] | None = None
        def manager(grant: Grant) -> TokenManager:
            return TokenManager(
                grant, store=token_store, refresh_window=refresh_window,
                refresh_token_wait_time=10.0 if refresh_token_wait_time is None else refresh_token_wait_time,
                should_refresh_access_token=should_refresh_access_token is not False, on_token=on_token,
                login_host=options.hosts.login, token_request_budget=_token_request_budget(timeout))

        tokens: Any = None if auth is None else manager(auth)
        if auth is not None and getattr(auth, "pool_size", 1) > 1:  # ClientCredentials(..., pool_size=N)
            from .auth._pool import TokenPool

            tokens = TokenPool([tokens] + [manager(auth.slot(i)) for i in range(1, auth.pool_size)])  # type: ignore[attr-defined]
        self._shared = _Shared(tokens, http_client, http_client is None)
        self._shared.options = options
        self._shared.transport = transport
        from ._fleet import make_pacer

        self._shared.pacer = make_pacer("adaptive" if rate_limit is NOT_GIVEN else rate_limit, rate_limit_store,
                                        token_store, login_host=options.hosts.login,
                                        client_id=str(getattr(auth, "client_id", "") or ""), asyncio=self._is_async)

    @classmethod
    def from_env(cls, **overrides: Any) -> Any:
        """Build a client from ``GENESYSCLOUD_REGION``, ``GENESYSCLOUD_API_HOST``,
        ``GENESYSCLOUD_OAUTHCLIENT_ID``/``_SECRET`` or ``GENESYSCLOUD_ACCESS_TOKEN``,
        over the configuration file when one exists (``$GENESYSCLOUD_CONFIG_FILE`` or
        ``~/.genesyscloudpython/config``, profile ``$GENESYSCLOUD_PROFILE``); keyword
        arguments win over both.

        Raises:
            ConfigError (a ``ValueError``): an incomplete or invalid setting or file, or no
                credentials anywhere (the message names the variables looked for).
        """
        client = cls._layered(overrides, config_file=None, profile=overrides.pop("profile", None),
                              require_file=False)
        if client._shared.tokens is None:
            from ._config import default_config_path
            from ._core.errors import ConfigError

            client._shared.shutdown()
            error = ConfigError(
                "no credentials found: set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET, or "
                "GENESYSCLOUD_ACCESS_TOKEN (and GENESYSCLOUD_REGION or GENESYSCLOUD_API_HOST for the org's "
                f"region), or client_id and client_secret in {default_config_path()} "
                "(or the file GENESYSCLOUD_CONFIG_FILE names, profile GENESYSCLOUD_PROFILE); or pass auth=")
            error.missing_credentials = True  # type: ignore[attr-defined]
            raise error
        return client

    @classmethod
    def from_config(cls, config_file: str | os.PathLike[str] | None = None, *, profile: str | None = None,
                    **overrides: Any) -> Any:
        """Build a client from a configuration file (INI or JSON, see :mod:`genesyscloud._config`),
        default ``~/.genesyscloudpython/config``; environment variables and keyword
        arguments win over it. ``[general] live_reload_config = true`` turns live reload on.

        Raises:
            ConfigError (a ``ValueError``): a missing or malformed file, an unknown
                section, key or profile, or a bad value; the message names the file,
                section and key and what was expected.
        """
        return cls._layered(overrides, config_file=config_file, profile=profile, require_file=True)

    @classmethod
    def _layered(cls, overrides: dict[str, Any], *, config_file: Any, profile: str | None,
                 require_file: bool) -> Any:
        from . import _config

        kwargs, source = _config.client_kwargs(_BaseClient.__init__, overrides, config_file=config_file,
                                               profile=profile, require_file=require_file)
        live = kwargs.pop("live_reload_config", False)
        client = cls(**kwargs)
        client._shared.config_source = source
        if live:
            client._start_live_reload(source)
        return client

    # -- live reload -----------------------------------------------------------------

    def _start_live_reload(self, source: Any) -> None:
        from ._config import ConfigWatcher

        if source is None or source.path is None:
            from ._core.errors import ConfigError

            raise ConfigError("live_reload_config needs a configuration file", key="live_reload_config")
        shared = self._shared
        if shared.watcher is None:
            shared.watcher = ConfigWatcher(source, shared)
            shared.watcher.start()

    def reload_config(self) -> None:
        """Re-read the configuration file now and apply its logging, retry and timeout
        settings (arguments and environment still win); the change takes effect at
        the next request. Works for clients built from a file (``from_config``,
        ``from_env`` with a file, ``config_file=``), with or without live reload.

        Raises:
            ConfigError: the client has no configuration file, or the file is now
                malformed (the previous settings stay).
        """
        shared = self._shared
        watcher = shared.watcher
        if watcher is None:
            from ._config import ConfigWatcher
            from ._core.errors import ConfigError

            if shared.config_source is None or shared.config_source.path is None:
                raise ConfigError("this client was not built from a configuration file", key="config_file")
            watcher = ConfigWatcher(shared.config_source, shared)  # not started: no thread
        watcher.reload()

    # -- options ---------------------------------------------------------------------

    @property
    def _options(self) -> ClientOptions:
        base = self._shared.options
        assert base is not None
        overrides = self._overrides
        if not overrides:
            return base
        cache = self._cache
        if cache is None or cache[0] is not base:
            changes = dict(overrides)
            if "max_retries" in changes:
                retry = changes.pop("retry", base.retry)
                changes["retry"] = dataclasses.replace(retry, max_retries=changes.pop("max_retries"))
            if "default_headers" in changes:
                changes["default_headers"] = {**base.default_headers, **changes["default_headers"]}
            cache = (base, dataclasses.replace(base, **changes))
            self._cache = cache
        return cache[1]

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
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        return_extended_responses: bool | None = None,
        log_settings: LogSettings | None = None,
        pre_request_hook: Any = None,
        post_request_hook: Any = None,
    ) -> Any:
        """A cheap copy with some options changed (per call: ``client.with_options(max_retries=0).users...``).

        It shares the HTTP connection pool, the token and a live-reloaded configuration
        with this client (closing either closes the pool); options given here win over
        reloaded ones.

        Raises:
            ValueError, TypeError: an invalid option.
        """
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = _check_timeout(timeout)
        if retry_policy is not None:
            if not isinstance(retry_policy, RetryPolicy):
                raise TypeError(f"retry_policy must be a RetryPolicy, got {type(retry_policy).__name__}")
            changes["retry"] = retry_policy
        if max_retries is not None:
            if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
                raise ValueError("max_retries must be an int >= 0")
            changes["max_retries"] = max_retries
        if default_headers is not None:
            changes["default_headers"] = {**self._overrides.get("default_headers", {}), **default_headers}
        if return_extended_responses is not None:
            changes["return_extended_responses"] = bool(return_extended_responses)
        if log_settings is not None:
            if not isinstance(log_settings, LogSettings):
                raise TypeError(f"log_settings must be a LogSettings, got {type(log_settings).__name__}")
            changes["log"] = log_settings
        for name, hook in (("pre_request_hook", pre_request_hook), ("post_request_hook", post_request_hook)):
            if hook is not None:
                if not callable(hook):
                    raise TypeError(f"{name} must be callable")
                changes[name] = hook
        clone = object.__new__(type(self))
        clone._shared = self._shared
        clone._overrides = {**self._overrides, **changes}
        if "retry" in changes and "max_retries" not in changes:
            clone._overrides.pop("max_retries", None)
        clone._cache = None
        clone._call_cache = None
        return clone

    def _timeout(self, options: ClientOptions | None = None) -> Timeout:
        timeout = (options or self._options).timeout
        if timeout is None:
            return DEFAULT_TIMEOUT
        # a live reload stores the file's value as given (seconds or a mapping)
        return timeout if isinstance(timeout, Timeout) else _check_timeout(timeout)  # type: ignore[return-value]

    def _headers(self, options: ClientOptions | None = None) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, "Accept": "application/json", **(options or self._options).default_headers}

    def _logger(self, options: ClientOptions | None = None) -> HttpLogger:
        return self._shared.logger((options or self._options).log)

    def _call_settings(self, options: ClientOptions) -> tuple[Any, ...]:
        """``(options, default headers, logger, timeout, headers given)`` of an options
        snapshot: ``_api_flow`` keeps it while the snapshot is the same (a live reload or
        ``with_options`` makes a new one) and its ``default_headers`` were not changed in
        place. The headers dict is shared by the calls: the send loop never changes it."""
        cache = (options, self._headers(options), self._logger(options), self._timeout(options),
                 dict(options.default_headers))
        self._call_cache = cache
        return cache

    def _api_flow(self, op: Operation, prepared: PreparedRequest, options: ClientOptions | None = None,
                  stream: bool = False, base_url: str | None = None) -> Generator[tuple[str, Any], Any, Any]:
        options = options or self._options
        shared = self._shared
        if op.secured and shared.tokens is None:
            from ._core.errors import AuthError

            raise AuthError("missing_credentials",
                            f"{op.method_name} needs an access token: pass auth=ClientCredentials(...) or AccessToken(...)")
        cache = self._call_cache
        if cache is None or cache[0] is not options or cache[4] != options.default_headers:
            cache = self._call_settings(options)
        _, headers, logger, timeout, _ = cache
        return call_flow(
            prepared,
            base_url=base_url or options.hosts.api,
            default_headers=headers,
            policy=options.retry,
            secured=op.secured,
            idempotent=op.idempotent,
            logger=logger,
            timeout=timeout,
            pacer=shared.pacer,
            stream=stream,
            auth_memo=shared.auth_memo,
        )

    @staticmethod
    def _streams(op: Operation, raw: bool, options: ClientOptions) -> bool:
        """Whether the response body is left unread for a streaming ``BinaryResponse``:
        an operation that produces no JSON, called for its body (not ``with_raw_response``)."""
        return op.response == "binary" and not raw and not options.return_extended_responses

    def _raw_call(self, method: str, path: str, params: Any, json: Any, headers: Mapping[str, str] | None,
                  has_body: bool, content: Any = None) -> tuple[Operation, PreparedRequest, str | None]:
        """Validate a raw call; build its descriptor, its request and, for an absolute URL,
        its base (the URL's origin; see ``request``)."""
        from urllib.parse import parse_qsl, urlsplit

        from ._core.models import encode_value
        from ._core.operation import Operation
        from ._core.request import PreparedRequest

        method = method.upper()
        if method not in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
            raise ValueError(f"request(): unsupported HTTP method {method!r}")
        if not isinstance(path, str):
            raise TypeError(f"request(): path must be a str, got {type(path).__name__}")
        split = urlsplit(path)
        base: str | None = None
        if split.scheme or split.netloc:
            hosts = self._options.hosts
            if not hosts.carries_token(path):
                from ._core.errors import ForeignHostError

                raise ForeignHostError(
                    f"request(): {split.scheme}://{split.netloc} is not a host this client's access token is for "
                    f"(the API {hosts.api}" + (f" and {hosts.apps}" if hosts.apps else "") + "); nothing was sent")
            base = f"{split.scheme}://{split.netloc}"
            if not split.path.startswith("/"):
                raise ValueError(f"request(): {split.scheme}://{split.netloc} needs a path")
        elif not split.path.startswith("/api/"):
            raise ValueError(f"request(): path must be an API path such as /api/v2/users, got {path!r}")
        if content is not None:
            if has_body:
                raise ValueError("request(): give json= or content=, not both")
            if not (isinstance(content, bytes | bytearray | memoryview) or callable(content)):
                raise TypeError("request(): content must be bytes, or a callable that returns a fresh body "
                                "(bytes or an iterable of bytes) for each attempt")
            if isinstance(content, bytearray | memoryview):
                content = bytes(content)
        query = parse_qsl(split.query, keep_blank_values=True)
        items = params.items() if isinstance(params, Mapping) else (params or ())
        for key, value in items:
            for one in value if isinstance(value, list | tuple) else (value,):
                if one is not None:
                    query.append((key, str(one).lower() if isinstance(one, bool) else str(one)))
        extra = dict(headers or {})
        if any(k.lower() == "authorization" for k in extra):
            raise ValueError("request(): the Authorization header comes from the client's auth grant")
        op = Operation("rawRequest", "request", method, split.path, (), (), "any")
        return op, PreparedRequest(method, split.path, query, extra, encode_value(json) if has_body else None,
                                   has_body, op, content), base

    def _token_flow(self, request: TokenRequest) -> Generator[tuple[str, Any], Any, Any]:
        options = self._options
        return token_flow(options.hosts.login, request, default_headers={"User-Agent": USER_AGENT},
                          policy=options.retry, logger=self._logger(options), timeout=self._timeout(options))

    def _result(self, op: Operation, response: Any, raw: bool, started: float,
                options: ClientOptions | None = None, stream: bool = False) -> Any:
        if stream:
            from ._core.binary import BinaryResponse

            return BinaryResponse.streaming(response)
        content = response.content
        headers = response.headers
        status = response.status_code
        if raw or (options or self._options).return_extended_responses:
            return APIResponse(
                status_code=status,
                headers=headers,
                content=content,
                method=op.http_method,
                url=response.url,
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
        auth: a grant: ``ClientCredentials(client_id, client_secret)``, ``AuthorizationCode``,
            ``RefreshToken``, ``Pkce``, ``Saml2Bearer``, ``AccessToken(token)`` or ``interactive_login()``.
        token_store: where tokens live: ``MemoryTokenStore`` (default), ``FileTokenStore(path)``
            or ``RedisTokenStore(url)`` to share one token (and one renewal) between processes.
        refresh_window: renew when fewer than this many seconds remain (default: 300 s or
            10 % of the token's lifetime, whichever is smaller).
        refresh_token_wait_time: the least number of seconds a call waits for a renewal in
            progress (default 10; the wait covers the token request's own budget, its connect
            and read timeouts); a call whose wait runs out renews for itself.
        should_refresh_access_token: ``False`` never renews a token (default ``True``).
        on_token: called with each new :class:`Token` (to persist it).
        api_host: any API base URL (e.g. the sandbox's ``http://127.0.0.1:8642``); wins
            over ``region``. The login host is the same origin, or ``login.`` for ``api.`` hosts.
        login_host: overrides the login base URL.
        timeout: seconds (``float``: every phase and the whole attempt), a
            :class:`Timeout` ``(connect=, read=, write=, pool=, total=)`` or a mapping of
            those keys; default connect 10, read 30, write 30, pool 10, total 60 per
            attempt. The whole call, retries included, is bounded by
            ``RetryPolicy.total_budget`` (default 300). Never infinite (``None`` is refused).
        max_retries: retries for 429, 502/503/504 and connection failures (default 3).
        retry_policy: a :class:`RetryPolicy` (backoff, Retry-After cap, total budget).
        default_headers: headers added to every API request.
        gateway: a :class:`Gateway`: login and API URLs go through it (wins over region/api_host).
        proxy: an HTTP(S) or SOCKS proxy URL; ``proxy_username``/``proxy_password`` its
            credentials. Without it the standard ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``
            variables apply (``trust_env``, default ``True``).
        verify_ssl: verify server certificates (default ``True``); ``ssl_ca_cert``: a CA
            bundle file; ``cert_file``/``key_file``: a client certificate for mutual TLS;
            ``ssl_context``: a ready ``ssl.SSLContext`` instead (in-memory certificates).
            The context is built once, on the first https request.
        max_connections: connections per origin (sync) or in all (async), default 100;
            callers beyond it wait up to ``timeout.pool``. Idle connections are kept
            (HTTP/1.1 keep-alive). ``max_keepalive_connections`` is accepted and
            validated for compatibility; every idle connection is kept.
        pre_request_hook: called with each API request before it is sent (may change
            its ``headers``); ``post_request_hook``: called with each ``Response``.
        log_settings: a :class:`LogSettings` (level trace/debug/error/none, text or
            JSON, console/file, bodies); default: follow the ``genesyscloud`` logger.
        config_file, profile: read settings from this file / profile (arguments win,
            then environment variables, then the file); see :meth:`from_config`.
        live_reload_config: watch the configuration file and apply logging, retry and
            timeout changes between requests (starts a watchdog thread; off by default).
        http_client: an ``httpx.Client`` to send through instead of the default urllib3
            transport (for respx or a custom httpx transport; the caller keeps ownership;
            proxy, TLS and limit options then do not apply). Needs ``httpx`` installed.
        return_extended_responses: every call returns an :class:`APIResponse`.
        rate_limit: pacing per rate-limit bucket (the access token): ``"adaptive"`` (default:
            learns the limit from the ``inin-ratelimit-*`` headers and delays a request only
            when it would exceed the window), ``"off"``, or a fixed budget ``(limit, seconds)``
            such as ``(300, 60)``. Delays are logged at debug level on ``genesyscloud`` and
            count against the retry policy's ``total_budget``.
        rate_limit_store: share the windows across processes: a Redis URL or client
            (default: the Redis of a ``RedisTokenStore`` token store); when Redis fails,
            pacing goes on per process with one warning.

    What is not given comes from the environment: ``region``/``api_host`` from
    ``GENESYSCLOUD_REGION``/``GENESYSCLOUD_API_HOST`` when no host argument is given, and
    ``auth`` from ``GENESYSCLOUD_OAUTHCLIENT_ID``/``_SECRET`` or ``GENESYSCLOUD_ACCESS_TOKEN``
    when the client's login host is the one the environment names. Files are read only
    by :meth:`from_env`, :meth:`from_config` and ``config_file=``.

    Raises:
        ValueError: an unknown region or an invalid option (``ConfigError`` for files and
            environment variables).
        TypeError: ``auth`` is not a grant.

    API groups are properties named after the definition's tags (``client.users``,
    ``client.oauth``, ...); their methods keep the official names (``get_users_me``).
    """

    def _http(self) -> Any:
        """The transport (created on first use)."""
        shared = self._shared
        if shared.http is None:
            with shared.lock:
                if shared.closed:
                    raise RuntimeError("this client is closed")
                if shared.http is None:
                    if shared.http_client is not None:
                        from ._core.transport_httpx import HttpxTransport

                        shared.http = HttpxTransport(shared.http_client)
                    else:
                        from ._core.transport_urllib3 import Urllib3Transport

                        shared.http = Urllib3Transport(shared.transport)
        return shared.http

    def _drive(self, flow: Generator[tuple[str, Any], Any, Any], options: ClientOptions | None = None) -> Any:
        """Run a flow; ``options`` (a snapshot) marks an API call, whose hooks run."""
        transport = self._shared.http or self._http()  # (created on first use)
        opts = options or self._options
        pre = opts.pre_request_hook if options is not None else None
        post = opts.post_request_hook if options is not None else None
        result: Any = None
        try:
            action = next(flow)
            while True:
                kind, arg = action
                if kind == "send" or kind == "stream":
                    if pre is not None:
                        pre(arg)
                    try:
                        result = transport.send(arg, stream=kind == "stream")
                        if kind == "stream" and result.status_code >= 400:
                            result.read()
                    except Exception as exc:  # noqa: BLE001 - the flow decides (TransportError) or raises
                        result = exc
                    else:
                        if post is not None:
                            post(result)
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

    def request(self, method: str, path: str, *, params: Any = None, json: Any = _NO_BODY, content: Any = None,
                headers: Mapping[str, str] | None = None, stream: bool = False) -> Any:
        """Call any API path with this client's auth, retries and logging (for paths the
        definition lacks, raw access, uploads and streamed downloads).

        Args:
            method: ``GET``, ``HEAD``, ``POST``, ``PUT``, ``PATCH`` or ``DELETE``.
            path: an API path, optionally with a query (``/api/v2/users?pageSize=5``); or an
                absolute URL on a host this client's access token is for
                (:meth:`Hosts.carries_token`: the API's origin, or a region's
                ``https://apps.<domain>``, where the multipart upload URLs of documents and
                legacy prompt resources point).
            params: more query parameters (a mapping or ``(name, value)`` pairs; list values repeat).
            json: the JSON body (models and dates are encoded); omit for no body.
            content: a body sent as it is instead of JSON: ``bytes``, or a zero-argument
                callable returning a fresh body (``bytes`` or an iterable of ``bytes``) for
                each attempt, so that a retry or a 401 replay sends it whole; name its
                ``Content-Type`` (and ``Content-Length`` to avoid chunked encoding) in ``headers``.
            headers: extra request headers (not ``Authorization``).
            stream: return a :class:`~genesyscloud.BinaryResponse` whose body is read as
                you iterate it (``iter_bytes``, ``write_to``) instead of an ``APIResponse``;
                an error status is still read and raised.

        Returns:
            :class:`APIResponse` (``status_code``, ``headers``, ``correlation_id``,
            ``json()``), or a streaming :class:`~genesyscloud.BinaryResponse` with ``stream=True``.

        Raises:
            ValueError: a bad method, or a relative path that is not ``/api/...``;
            ForeignHostError (a ``ValueError``): an absolute URL on any other host (nothing
            is sent); TypeError: a bad ``content``; then the usual
            ``APIStatusError``/``APIConnectionError``/``AuthError``.
        """
        op, prepared, base = self._raw_call(method, path, params, json, headers, json is not _NO_BODY, content)
        return self._request(op, prepared, raw=True, base_url=base, stream=stream)

    def _request(self, op: Operation, prepared: PreparedRequest, *, raw: bool = False,
                 base_url: str | None = None, stream: bool = False) -> Any:
        started = time.monotonic()
        options = self._options  # one snapshot per call: a live reload applies between calls
        stream = stream or self._streams(op, raw, options)
        response = self._drive(self._api_flow(op, prepared, options, stream, base_url), options)
        return self._result(op, response, raw, started, options, stream)

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
        if http is not None:
            http.close()  # an http_client= of the caller's is left open
        close = getattr(getattr(shared.pacer, "shared", None), "close", None)
        if close is not None:
            close()
        shared.shutdown()

    def __enter__(self) -> GenesysCloud:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncGenesysCloud(AsyncResources, _BaseClient):
    """Asyncio client for the Genesys Cloud Platform API v2.

    Takes the same arguments as :class:`GenesysCloud` (``http_client`` is an
    ``httpx.AsyncClient``; the default transport is aiohttp); every operation method is
    a coroutine. Use
    ``async with AsyncGenesysCloud(...) as client:`` or ``await client.close()``.
    A shared ``rate_limit_store`` uses ``redis.asyncio``.
    """

    _is_async = True

    def _http(self) -> Any:
        """The transport (created on first use, inside the running event loop)."""
        shared = self._shared
        if shared.http is None:
            if shared.closed:
                raise RuntimeError("this client is closed")
            if shared.http_client is not None:
                from ._core.transport_httpx import AsyncHttpxTransport

                shared.http = AsyncHttpxTransport(shared.http_client)
            else:
                from ._core.transport_aiohttp import AiohttpTransport

                shared.http = AiohttpTransport(shared.transport)
        return shared.http

    async def _drive(self, flow: Generator[tuple[str, Any], Any, Any], options: ClientOptions | None = None) -> Any:
        """Run a flow; ``options`` (a snapshot) marks an API call, whose hooks run
        (a hook may be a coroutine function)."""
        transport = self._shared.http or self._http()  # (created on first use)
        opts = options or self._options
        pre = opts.pre_request_hook if options is not None else None
        post = opts.post_request_hook if options is not None else None
        result: Any = None
        try:
            action = next(flow)
            while True:
                kind, arg = action
                if kind == "send" or kind == "stream":
                    if pre is not None and inspect.isawaitable(called := pre(arg)):
                        await called
                    try:
                        result = await transport.send(arg, stream=kind == "stream")
                        if kind == "stream" and result.status_code >= 400:
                            await result.aread()
                    except Exception as exc:  # noqa: BLE001 - the flow decides (TransportError) or raises
                        result = exc
                    else:
                        if post is not None and inspect.isawaitable(called := post(result)):
                            await called
                elif kind == "token":
                    result = await self._shared.tokens.get_async(self._fetch_token)  # type: ignore[union-attr]
                elif kind == "invalidate":
                    result = self._shared.tokens.invalidate(arg)  # type: ignore[union-attr]
                else:
                    import asyncio

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

    async def request(self, method: str, path: str, *, params: Any = None, json: Any = _NO_BODY,
                      content: Any = None, headers: Mapping[str, str] | None = None, stream: bool = False) -> Any:
        """Async counterpart of :meth:`GenesysCloud.request` (a callable ``content`` returns
        ``bytes`` or an async iterable of ``bytes``)."""
        op, prepared, base = self._raw_call(method, path, params, json, headers, json is not _NO_BODY, content)
        return await self._request(op, prepared, raw=True, base_url=base, stream=stream)

    async def _request(self, op: Operation, prepared: PreparedRequest, *, raw: bool = False,
                       base_url: str | None = None, stream: bool = False) -> Any:
        started = time.monotonic()
        options = self._options  # one snapshot per call: a live reload applies between calls
        stream = stream or self._streams(op, raw, options)
        response = await self._drive(self._api_flow(op, prepared, options, stream, base_url), options)
        return self._result(op, response, raw, started, options, stream)

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
        if http is not None:
            await http.close()  # an http_client= of the caller's is left open
        aclose = getattr(getattr(shared.tokens, "store", None), "aclose", None)
        if aclose is not None:  # the store's connections on this event loop (redis.asyncio)
            await aclose()
        aclose = getattr(getattr(shared.pacer, "shared", None), "aclose", None)
        if aclose is not None:
            await aclose()
        shared.shutdown()

    async def __aenter__(self) -> AsyncGenesysCloud:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
