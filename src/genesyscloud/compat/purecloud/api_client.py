"""``PureCloudPlatformClientV2.api_client.ApiClient`` over :class:`genesyscloud.GenesysCloud`.

An :class:`ApiClient` holds what the official one holds (host, default headers, gateway,
the access token and, after a login, the grant that produced it) and turns it into a
``GenesysCloud`` client, rebuilt only when a setting changes. Tokens live in a
per-``ApiClient`` token store, so a rebuilt client keeps them.

Behaviour that is better than the official SDK's, on purpose:

* client-credentials (and SAML2 bearer) tokens renew themselves before they expire and
  after a 401; authorization-code and PKCE tokens renew with their (rotated) refresh
  token; ``configuration.should_refresh_access_token = False`` turns renewal off;
* 429 and 502/503/504 are retried with bounded backoff (``Retry-After`` honoured);
  every request has a timeout (``configuration.timeout``, 30 s);
* ``generate_pkce_code_verifier`` uses ``secrets`` (a CSPRNG) and the full RFC 7636 alphabet;
* nothing is logged, stored or shown with a secret in it.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import re
import threading
from typing import TYPE_CHECKING, Any, Mapping

from ._configuration import get_configuration
from .gateway_configuration import GatewayConfiguration
from .rest import ApiException, from_error

if TYPE_CHECKING:
    from ..._core.operation import Operation

__all__ = ["ApiClient"]

_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def _client_parameters() -> frozenset[str]:
    from ... import GenesysCloud

    return frozenset(inspect.signature(GenesysCloud.__init__).parameters)


class ApiClient:
    """The official ``ApiClient``: logins, default headers, gateway; API classes take one.

    Args:
        host: API base URL; default ``configuration.host`` at construction time.
        header_name, header_value: one default header to send on every API request.
        cookie: a ``Cookie`` header value to send on every API request.
    """

    def __init__(self, host: str | None = None, header_name: str | None = None, header_value: str | None = None,
                 cookie: str | None = None) -> None:
        config = get_configuration()
        config.reload_if_changed()
        self.default_headers: dict[str, str] = {}
        if header_name is not None:
            self.default_headers[header_name] = header_value  # type: ignore[assignment]
        self.host: str = host if host is not None else config.host
        self.cookie = cookie
        self.client_id = ""
        self.refresh_token = ""
        self.gateway_configuration: GatewayConfiguration | None = config.gateway_configuration
        self.http_client: Any = None
        self.last_response: Any = None
        self._client_secret = ""
        self._grant: Any = None
        self._manual_token = ""
        self._fixed: dict[str, Any] = {}  # access token text -> AccessToken grant
        self._store: Any = None
        #: renew tokens automatically; ``None`` follows ``configuration.should_refresh_access_token``
        self.should_refresh_access_token: bool | None = None
        self._client: Any = None
        self._client_key: tuple[Any, ...] | None = None
        self._lock = threading.RLock()

    # -- official attributes ------------------------------------------------------------

    @property
    def client_secret(self) -> str:
        return self._client_secret

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self._client_secret = value

    @property
    def access_token(self) -> str:
        """The access token in use: the grant's current token, or the one set here."""
        if self._grant is not None and self._client is not None and self._client.token is not None:
            return self._client.token.access_token
        return self._manual_token

    @access_token.setter
    def access_token(self, value: str) -> None:
        with self._lock:
            self._manual_token = value or ""
            self._grant = None

    @property
    def user_agent(self) -> str:
        from ..._client import USER_AGENT

        return self.default_headers.get("User-Agent", USER_AGENT)

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, header_name: str, header_value: str) -> None:
        """Send ``header_name: header_value`` on every API request of this client."""
        self.default_headers[header_name] = header_value

    def set_gateway(self, host: str | None = None, protocol: str | None = None, port: int | None = -1,
                    path_params_login: str | None = None, path_params_api: str | None = None, *,
                    hostname: str | None = None, scheme: str | None = None, login_path: str | None = None,
                    api_path: str | None = None) -> None:
        """Send login and API requests through a gateway:
        ``<protocol>://<host>[:<port>][/<path_params_login|path_params_api>]``.

        Also accepts the keyword names of the official README's mTLS example
        (``hostname``, ``scheme``, ``login_path``, ``api_path``).
        """
        self.gateway_configuration = GatewayConfiguration(
            host=host or hostname, protocol=protocol or scheme, port=port,
            path_params_login=path_params_login if path_params_login is not None else login_path,
            path_params_api=path_params_api if path_params_api is not None else api_path)

    def get_conf_url(self, path_type: str, base_path: str) -> str:
        """The base URL of ``"login"`` or ``"api"`` requests for ``base_path`` (the API host):
        the gateway's when one is set, else ``base_path`` (with ``//api.`` -> ``//login.`` for login)."""
        gateway = self.gateway_configuration
        if gateway is not None and gateway.host:
            return gateway.base_url("login" if path_type == "login" else "api")
        if path_type == "login":
            return re.sub(r"//api\.", "//login.", base_path)
        return base_path

    def get_http_client(self) -> Any:
        """The caller's ``httpx.Client`` if one was set, else the SDK's transport object."""
        client = self._genesys()
        return client._shared.http_client or client._http()

    def set_http_client(self, http_client: Any) -> None:
        """Use this ``httpx.Client`` for every request (its proxy and TLS settings apply;
        ``configuration``'s proxy and TLS settings then do not).

        Raises:
            ValueError: ``http_client`` is not an ``httpx.Client``.
        """
        import httpx

        if not isinstance(http_client, httpx.Client):
            raise ValueError("http_client must be an httpx.Client (the official AbstractHttpClient is not supported)")
        self.http_client = http_client

    # -- logins (POST {login}/oauth/token) ------------------------------------------------

    def use_token_store(self, store: Any) -> None:
        """Keep this client's tokens in ``store`` (a ``genesyscloud.auth`` token store, e.g.
        ``FileTokenStore(path)``) instead of memory (an addition)."""
        with self._lock:
            self._store = store
            self._client_key = None

    def use_grant(self, grant: Any) -> None:
        """Use ``grant`` (a ``genesyscloud.auth`` grant) for API calls; the first call runs it
        (an addition: the official client logs in eagerly)."""
        with self._lock:
            self._grant = grant
            self._manual_token = ""

    def _login(self, grant: Any) -> Any:
        """Run ``grant`` now; keep it for renewals. Raises :class:`ApiException`."""
        from ... import GenesysCloudError

        with self._lock:
            previous = self._grant, self._manual_token
            self._grant = grant
            self._manual_token = ""
            try:
                token = self._genesys().authenticate()
            except GenesysCloudError as exc:
                self._grant, self._manual_token = previous
                raise from_error(exc) from exc
        return token

    @staticmethod
    def _token_info(token: Any) -> dict[str, Any]:
        info: dict[str, Any] = {"access_token": token.access_token, "token_type": token.token_type}
        remaining = token.expires_in()
        if remaining is not None:
            info["expires_in"] = max(0, int(round(remaining)))
        if token.refresh_token:
            info["refresh_token"] = token.refresh_token
        return info

    def get_client_credentials_token(self, client_id: str, client_secret: str) -> ApiClient:
        """Client credentials grant (RFC 6749 section 4.4): ``POST {login}/oauth/token`` with
        HTTP Basic client authentication. The token renews itself. Returns this client.

        Raises:
            ApiException: the login service refused (``status``, ``body``), or no response.
            ValueError: an empty id or secret.
        """
        from ...auth import ClientCredentials

        self._login(ClientCredentials(client_id, client_secret))
        self.client_id = client_id
        return self

    def get_saml2bearer_token(self, client_id: str, client_secret: str, org_name: str, assertion: str) -> ApiClient:
        """SAML2 bearer grant (RFC 7522 as Genesys uses it: ``orgName`` + base64 ``assertion``).
        Returns this client. Raises :class:`ApiException`."""
        from ...auth import Saml2Bearer

        self._login(Saml2Bearer(client_id, client_secret, org_name, assertion))
        self.client_id = client_id
        return self

    def get_code_authorization_token(self, client_id: str, client_secret: str, auth_code: str,
                                     redirect_uri: str) -> tuple[ApiClient, dict[str, Any]]:
        """Authorization code grant (RFC 6749 section 4.1). Returns ``(self, token_info)`` with
        ``access_token``, ``token_type``, ``expires_in`` (seconds) and ``refresh_token``.
        Raises :class:`ApiException`."""
        from ...auth import AuthorizationCode

        token = self._login(AuthorizationCode(client_id, client_secret, auth_code, redirect_uri))
        self.client_id, self._client_secret = client_id, client_secret
        self.refresh_token = token.refresh_token or ""
        return self, self._token_info(token)

    def refresh_code_authorization_token(self, client_id: str, client_secret: str,
                                         refresh_token: str) -> tuple[ApiClient, dict[str, Any]]:
        """Refresh token grant (RFC 6749 section 6); the refresh token is rotated. Returns
        ``(self, token_info)``. Raises :class:`ApiException`."""
        from ...auth import RefreshToken

        token = self._login(RefreshToken(client_id, client_secret, refresh_token))
        self.client_id, self._client_secret = client_id, client_secret
        self.refresh_token = token.refresh_token or ""
        return self, self._token_info(token)

    def get_pkce_token(self, client_id: str, code_verifier: str, auth_code: str,
                       redirect_uri: str) -> tuple[ApiClient, dict[str, Any]]:
        """Authorization code grant with PKCE (RFC 7636), no client secret. Returns
        ``(self, token_info)``. Raises :class:`ApiException`, or ``ValueError`` for an invalid verifier."""
        from ...auth import Pkce

        token = self._login(Pkce(client_id, redirect_uri, code=auth_code, code_verifier=code_verifier))
        self.client_id = client_id
        self.refresh_token = token.refresh_token or ""
        return self, self._token_info(token)

    def generate_pkce_code_verifier(self, length: int) -> str:
        """A PKCE code verifier of ``length`` (43-128) unreserved characters, from ``secrets``.

        Raises:
            ValueError: ``length`` outside 43..128.
        """
        import secrets

        if not isinstance(length, int) or not 43 <= length <= 128:
            raise ValueError("PKCE Code Verifier (length) must be between 43 and 128 characters")
        return "".join(secrets.choice(_UNRESERVED) for _ in range(length))

    def compute_pkce_code_challenge(self, code: str) -> str:
        """The ``S256`` challenge of a verifier: base64url(SHA-256(verifier)) without padding.

        Raises:
            ValueError: the verifier is not 43-128 characters long.
        """
        if not 43 <= len(code) <= 128:
            raise ValueError("PKCE Code Verifier (length) must be between 43 and 128 characters")
        digest = hashlib.sha256(code.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    # -- the underlying client -------------------------------------------------------------

    def _effective_grant(self) -> Any:
        if self._grant is not None:
            return self._grant
        token = self._manual_token or get_configuration().access_token
        if not token:
            return None
        grant = self._fixed.get(token)
        if grant is None:
            from ...auth import AccessToken

            self._fixed = {token: AccessToken(token)}
            grant = self._fixed[token]
        return grant

    def _genesys(self) -> Any:
        """The ``GenesysCloud`` for the current settings (rebuilt when one changed)."""
        from ... import GenesysCloud

        config = get_configuration()
        config.reload_if_changed()
        with self._lock:
            grant = self._effective_grant()
            api = self.get_conf_url("api", self.host)
            login = self.get_conf_url("login", self.host)
            logger = config.logger.settings()
            refresh = (config.should_refresh_access_token if self.should_refresh_access_token is None
                       else self.should_refresh_access_token)
            key = (api, login, id(grant), id(self.http_client), id(self._store), refresh, config.proxy, config.proxy_username,
                   config.proxy_password, config.verify_ssl, config.ssl_ca_cert, config.cert_file, config.key_file,
                   id(config.ssl_context), config.timeout, config.should_refresh_access_token,
                   config.refresh_token_wait_time, config.logger.key())
            if self._client is not None and self._client_key == key:
                return self._client
            accepted = _client_parameters()
            if self._store is None and "token_store" in accepted:
                from ...auth import MemoryTokenStore

                self._store = MemoryTokenStore()
            kwargs: dict[str, Any] = {
                "api_host": api, "login_host": login, "auth": grant, "timeout": config.timeout,
                "token_store": self._store, "log_settings": logger,
                "should_refresh_access_token": bool(refresh),
                "refresh_token_wait_time": float(config.refresh_token_wait_time),
            }
            if self.http_client is not None:
                kwargs["http_client"] = self.http_client
            else:
                kwargs.update(proxy=config.proxy or None, proxy_username=config.proxy_username or None,
                              proxy_password=config.proxy_password or None)
                if config.ssl_context is not None:
                    kwargs["ssl_context"] = config.ssl_context  # set_mtls_*: in-memory certificates
                else:
                    kwargs.update(verify_ssl=bool(config.verify_ssl), ssl_ca_cert=config.ssl_ca_cert or None,
                                  cert_file=config.cert_file or None, key_file=config.key_file or None)
            unsupported = sorted(k for k, v in kwargs.items() if k not in accepted and v is not None)
            if unsupported:
                raise ApiException(0, f"this genesyscloud version cannot apply: {', '.join(unsupported)}")
            old = self._client
            self._client = GenesysCloud(**{k: v for k, v in kwargs.items() if k in accepted})
            self._client_key = key
            if old is not None:
                old.close()
            return self._client

    def call_operation(self, op: Operation, args: Mapping[str, Any]) -> Any:
        """Send ``op`` with ``args`` (our parameter names) and decode the answer into compat models.

        Raises:
            ApiException: an error status, a refused login, or no response.
            ValueError, TypeError: a missing required parameter or a wrong type (nothing sent).
        """
        from ... import GenesysCloudError
        from ..._core.api import _prepare

        values = {k: _lenient(op.param(k), v) for k, v in args.items()}
        prepared = _prepare(op, values)  # array query parameters come out comma-joined, as the official SDK sends them
        headers = dict(self.default_headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        prepared.headers = {**headers, **prepared.headers}
        client = self._genesys()
        try:
            response = client._request(op, prepared, raw=True)
        except GenesysCloudError as exc:
            raise from_error(exc) from exc
        self.last_response = response
        return _decode(op, response)

    def close(self) -> None:
        """Close the connection pool (an addition; the official client has none to close)."""
        with self._lock:
            client, self._client, self._client_key = self._client, None, None
        if client is not None:
            client.close()

    def __repr__(self) -> str:
        return f"<ApiClient host={self.host!r} client_id={self.client_id!r}>"


def _lenient(param: Any, value: Any) -> Any:
    """Accept what the official SDK accepts: models anywhere in a body; numbers for
    string parameters (sent as their decimal text, as ``str()`` gives it)."""
    from ..._core.models import Model
    from .models import wire

    if param.location == "body":
        return wire(value) if isinstance(value, Model | list | dict) else value
    if param.type in ("str", "list[str]") and not param.enum:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, list | tuple) and param.type == "list[str]":
            return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value]
    return value


def _decode(op: Operation, response: Any) -> Any:
    from ..._core.errors import ResponseDecodeError
    from .models import decode_value

    spec = op.response
    content = response.content
    if spec is None or response.status_code == 204 or not content:
        return None
    content_type = response.headers.get("content-type", "")
    if spec in ("str", "binary") and "json" not in content_type:  # the official SDK returns text
        return content.decode("utf-8", "replace")
    try:
        data = json.loads(content)
    except ValueError as exc:
        if spec == "str":
            return content.decode("utf-8", "replace")
        error = ResponseDecodeError(f"{op.method_name}: the {response.status_code} response body is not valid JSON",
                                    status=response.status_code, headers=response.headers,
                                    text=content.decode("utf-8", "replace"))
        raise from_error(error) from exc
    return decode_value(spec, data)
