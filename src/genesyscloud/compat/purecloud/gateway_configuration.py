"""``PureCloudPlatformClientV2.GatewayConfiguration``: send login and API requests through a gateway."""

from __future__ import annotations

__all__ = ["GatewayConfiguration"]


class GatewayConfiguration:
    """Where a gateway is: ``<protocol>://<host>[:<port>][/<path_params_login|api>]``.

    ``protocol`` defaults to ``https``; ``port`` ``-1`` omits the port; ``username`` and
    ``password`` are reserved (unused, as in the official SDK) and never shown by ``repr``.
    """

    def __init__(self, *, host: str | None = None, protocol: str | None = None, port: int | None = -1,
                 path_params_login: str | None = None, path_params_api: str | None = None,
                 username: str | None = None, password: str | None = None) -> None:
        self.host = host
        self.protocol = protocol
        self.port = port
        self.path_params_login = path_params_login
        self.path_params_api = path_params_api
        self.username = username
        self.password = password

    @property
    def host(self) -> str | None:
        return self._host

    @host.setter
    def host(self, value: str | None) -> None:
        self._host = value or None

    @property
    def protocol(self) -> str:
        return self._protocol

    @protocol.setter
    def protocol(self, value: str | None) -> None:
        self._protocol = value or "https"

    @property
    def port(self) -> int:
        return self._port

    @port.setter
    def port(self, value: int | None) -> None:
        if value is None:
            value = -1
        if not isinstance(value, int) or isinstance(value, bool) or value < -1 or value > 65535:
            raise ValueError(f"gateway port must be -1 (none) or 0..65535, got {value!r}")
        self._port = value

    @property
    def path_params_login(self) -> str:
        return self._path_params_login

    @path_params_login.setter
    def path_params_login(self, value: str | None) -> None:
        self._path_params_login = (value or "").rstrip("/")

    @property
    def path_params_api(self) -> str:
        return self._path_params_api

    @path_params_api.setter
    def path_params_api(self, value: str | None) -> None:
        self._path_params_api = (value or "").rstrip("/")

    def base_url(self, kind: str) -> str:
        """The base URL for ``"login"`` or ``"api"`` requests."""
        url = f"{self.protocol}://{self.host}"
        if self.port > -1:
            url += f":{self.port}"
        path = self.path_params_login if kind == "login" else self.path_params_api
        if path:
            url += path if path.startswith("/") else "/" + path
        return url

    def __repr__(self) -> str:
        return (f"GatewayConfiguration(host={self.host!r}, protocol={self.protocol!r}, port={self.port!r}, "
                f"path_params_login={self.path_params_login!r}, path_params_api={self.path_params_api!r})")
