"""``PureCloudPlatformClientV2.configuration`` / ``Configuration()``: the process-wide settings.

As in the official SDK, ``Configuration()`` always returns the same object, created on
first use (never at ``import genesyscloud``). Differences, all deliberate:

* no thread is started: with ``live_reload_config`` on (the default), the config file's
  modification time is checked before each API call and the file re-read when it changed;
* a malformed config file or value raises ``ValueError`` naming the file, section and
  key, instead of being ignored silently;
* ``set_mtls_contents`` works with PEM text (the official one passes text where a path
  is expected).
"""

from __future__ import annotations

import configparser
import json
import os
import ssl
import sys
import threading
from typing import Any

from .gateway_configuration import GatewayConfiguration
from .logger import LogFormat, Logger, LogLevel

__all__ = ["Configuration", "get_configuration"]

DEFAULT_HOST = "https://api.mypurecloud.com"

_lock = threading.Lock()
_instance: Configuration | None = None


def default_config_file_path() -> str:
    home = os.environ.get("HOME") or os.environ.get("USERPROFILE") or os.path.expanduser("~")
    return os.path.join(home, ".genesyscloudpython", "config")


class Configuration:
    """The official SDK's global settings (see the module docstring).

    Attributes:
        host: API base URL (default ``https://api.mypurecloud.com``); the login service is
            the same URL with ``api.`` replaced by ``login.``.
        access_token: a bearer token used by API clients that hold none of their own.
        should_refresh_access_token: renew tokens automatically (default ``True``).
        refresh_token_wait_time: seconds other threads wait for a renewal in progress.
        verify_ssl, ssl_ca_cert, cert_file, key_file: TLS settings (paths).
        proxy, proxy_username, proxy_password: an HTTP(S) proxy URL and its credentials.
        gateway_configuration: a :class:`GatewayConfiguration`, or ``None``.
        logger: the :class:`Logger` settings.
        config_file_path: the INI or JSON config file (``~/.genesyscloudpython/config``).
        live_reload_config: re-read the config file when it changes (default ``True``).
        timeout: seconds per request (an addition; default 30).
    """

    def __new__(cls) -> Configuration:
        global _instance
        with _lock:
            if _instance is None:
                obj = super().__new__(cls)
                obj._setup()
                _instance = obj
            return _instance

    def _setup(self) -> None:
        self.host = DEFAULT_HOST
        self.api_client: Any = None
        self.temp_folder_path: str | None = None
        self.api_key: dict[str, str] = {}
        self.api_key_prefix: dict[str, str] = {}
        self.username = ""
        self.password = ""
        self.access_token = ""
        self.should_refresh_access_token = True
        self.refresh_token_wait_time = 10
        self.verify_ssl = True
        self.ssl_ca_cert: str | None = None
        self.cert_file: str | None = None
        self.key_file: str | None = None
        self.ssl_context: ssl.SSLContext | None = None
        self.proxy: str | None = None
        self.proxy_username: str | None = None
        self.proxy_password: str | None = None
        self.gateway_configuration: GatewayConfiguration | None = None
        self.logger = Logger()
        self.timeout: float = 30.0
        self.live_reload_config = True
        self._file_stamp: tuple[float, int] | None = None
        self._config_file_path = default_config_file_path()
        self._read_file()

    # -- config file ---------------------------------------------------------------------

    @property
    def config_file_path(self) -> str:
        return self._config_file_path

    @config_file_path.setter
    def config_file_path(self, value: str) -> None:
        self._config_file_path = os.fspath(value)
        self._file_stamp = None
        self._read_file()

    def _stamp(self) -> tuple[float, int] | None:
        try:
            st = os.stat(self._config_file_path)
        except FileNotFoundError:
            return None
        return (st.st_mtime, st.st_size)

    def reload_if_changed(self) -> bool:
        """Re-read the config file if live reload is on and the file changed; returns whether it did.

        Raises:
            ValueError: the file is malformed (file, section and key named).
        """
        if not self.live_reload_config:
            return False
        if self._stamp() == self._file_stamp:
            return False
        self._read_file()
        return True

    def _read_file(self) -> None:
        path = self._config_file_path
        stamp = self._stamp()
        self._file_stamp = stamp
        if stamp is None:
            return
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        sections = _parse(path, text)
        apply_sections(self, sections, path)

    # -- TLS -----------------------------------------------------------------------------

    def set_mtls_certificates(self, certPath: str, keyPath: str, caPath: str | None = None) -> None:  # noqa: N803
        """Use a client certificate and key (PEM files) for mutual TLS, and ``caPath`` to
        verify the server (default: the system / certifi store).

        Raises:
            ValueError: a path is missing; ``OSError``/``ssl.SSLError``: unreadable files.
        """
        if not certPath or not keyPath:
            raise ValueError("set_mtls_certificates: certPath and keyPath are required")
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=caPath or None)
        context.load_cert_chain(certfile=certPath, keyfile=keyPath)
        self.ssl_context = context

    def set_mtls_contents(self, certContent: str, keyContent: str, caContent: str) -> None:  # noqa: N803
        """Same as :meth:`set_mtls_certificates` with PEM text instead of paths (the key is
        written to a private temporary file only for the moment of loading it)."""
        if not certContent or not keyContent or not caContent:
            raise ValueError("set_mtls_contents: certContent, keyContent and caContent are required")
        import tempfile

        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=caContent)
        with tempfile.TemporaryDirectory() as folder:
            os.chmod(folder, 0o700)
            cert_path = os.path.join(folder, "cert.pem")
            key_path = os.path.join(folder, "key.pem")
            for file_path, content in ((cert_path, certContent), (key_path, keyContent)):
                fd = os.open(file_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(content)
            context.load_cert_chain(certfile=cert_path, keyfile=key_path)
        self.ssl_context = context

    def create_mtls_or_ssl_context(self) -> None:
        """Build ``ssl_context`` from ``ssl_ca_cert`` / ``cert_file`` / ``key_file`` if none is set."""
        if self.ssl_context is None:
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ssl_ca_cert or None)
            if self.cert_file and self.key_file:
                context.load_cert_chain(certfile=self.cert_file, keyfile=self.key_file)
            self.ssl_context = context

    # -- official helpers ------------------------------------------------------------------

    def get_api_key_with_prefix(self, identifier: str) -> str | None:
        key = self.api_key.get(identifier)
        if key and self.api_key_prefix.get(identifier):
            return f"{self.api_key_prefix[identifier]} {key}"
        return key or None

    def get_basic_auth_token(self) -> str:
        import base64

        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")

    def auth_settings(self, access_token: str | None = None) -> dict[str, Any]:
        token = access_token or self.access_token
        return {"PureCloud OAuth": {"type": "oauth2", "in": "header", "key": "Authorization",
                                    "value": f"Bearer {token}"}}

    def to_debug_report(self) -> str:
        from ..._version import __version__

        return (f"Python SDK Debug Report:\nOS: {sys.platform}\nPython Version: {sys.version}\n"
                f"Version of the API: v2\nSDK Package Version: genesyscloud {__version__} (compat)")

    def __repr__(self) -> str:
        return f"<Configuration host={self.host!r} config_file_path={self.config_file_path!r}>"


def get_configuration() -> Configuration:
    """The process-wide :class:`Configuration` (created on first use)."""
    return Configuration()


# --------------------------------------------------------------------------- file format


def _parse(path: str, text: str) -> dict[str, dict[str, Any]]:
    """INI or JSON (detected from the first character), as section -> key -> value."""
    stripped = text.lstrip()
    if not stripped:
        return {}
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise ValueError(f"{path}: a JSON config file must be an object of sections (objects)")
        return data
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        raise ValueError(f"{path}: not a valid INI file: {exc}") from exc
    return {name: dict(parser[name]) for name in parser.sections()}


def _bool(path: str, section: str, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{path}: [{section}] {key} must be true or false, got {value!r}")


def _int(path: str, section: str, key: str, value: Any) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{path}: [{section}] {key} must be an integer, got {value!r}") from None


def _wrap(path: str, section: str, key: str, func: Any, value: Any) -> Any:
    try:
        return func(value)
    except ValueError as exc:
        raise ValueError(f"{path}: [{section}] {key}: {exc}") from None


def apply_sections(config: Configuration, sections: dict[str, dict[str, Any]], path: str) -> None:
    """Apply the official sections (``logging``, ``reauthentication``, ``general``, ``gateway``).

    Everything is validated before anything is changed, so a bad file changes nothing.
    """
    updates: list[tuple[Any, str, Any]] = []
    logging_ = sections.get("logging", {})
    for key, value in logging_.items():
        if key == "log_level":
            updates.append((config.logger, "log_level", _wrap(path, "logging", key, LogLevel.from_string, value)))
        elif key == "log_format":
            updates.append((config.logger, "log_format", _wrap(path, "logging", key, LogFormat.from_string, value)))
        elif key in ("log_to_console", "log_request_body", "log_response_body"):
            updates.append((config.logger, key, _bool(path, "logging", key, value)))
        elif key == "log_file_path":
            updates.append((config.logger, key, str(value).strip() or None))
    general = sections.get("general", {})
    if "host" in general:
        updates.append((config, "host", str(general["host"]).strip()))
    if "live_reload_config" in general:
        updates.append((config, "live_reload_config", _bool(path, "general", "live_reload_config",
                                                            general["live_reload_config"])))
    reauth = sections.get("reauthentication", {})
    if "refresh_access_token" in reauth:
        updates.append((config, "should_refresh_access_token",
                        _bool(path, "reauthentication", "refresh_access_token", reauth["refresh_access_token"])))
    if "refresh_token_wait_max" in reauth:
        updates.append((config, "refresh_token_wait_time",
                        _int(path, "reauthentication", "refresh_token_wait_max", reauth["refresh_token_wait_max"])))
    gateway = sections.get("gateway", {})
    host = str(gateway.get("host", "") or "").strip()
    if host:
        gw = GatewayConfiguration(host=host)
        for key in ("protocol", "path_params_login", "path_params_api", "username", "password"):
            if key in gateway:
                setattr(gw, key, str(gateway[key]).strip())
        if "port" in gateway:
            port = _int(path, "gateway", "port", gateway["port"])
            _wrap(path, "gateway", "port", lambda v: setattr(gw, "port", v), port)
        updates.append((config, "gateway_configuration", gw))
    elif "gateway" in sections:
        updates.append((config, "gateway_configuration", None))
    for target, name, value in updates:
        setattr(target, name, value)
