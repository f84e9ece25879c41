"""Settings from arguments, environment variables and the configuration file.

Precedence: explicit arguments, then environment variables, then the configuration
file (a named profile over its top-level sections), then defaults.

When files are read: only in ``GenesysCloud.from_config(...)``, ``from_env()`` (which
reads ``~/.genesyscloudpython/config`` or ``$GENESYSCLOUD_CONFIG_FILE`` when it
exists), or when the constructor gets ``config_file=`` or ``profile=``. A plain
``GenesysCloud(...)`` reads no file, but takes what it is not given from the
environment (:func:`env_defaults`): the region or host when none is given, and the
credentials when ``auth`` is not given and they belong to the same login host.

The file is ``~/.genesyscloudpython/config`` (the official Python SDK's path) or a given
path, INI or JSON (detected from the first character: ``{`` is JSON). Sections are the
official ones plus ``retry`` and profiles::

    [general]                  host, live_reload_config, region, login_host, client_id,
                               client_secret, timeout, connect_timeout, read_timeout,
                               write_timeout, pool_timeout, max_connections,
                               max_keepalive_connections, proxy, proxy_username,
                               proxy_password, verify_ssl, ssl_ca_cert, cert_file, key_file,
                               return_extended_responses
    [logging]                  log_level (trace|debug|error|none), log_format (text|json),
                               log_to_console, log_file_path, log_request_body,
                               log_response_body, log_headers, log_query_params (comma lists)
    [reauthentication]         refresh_access_token, refresh_token_wait_max (seconds)
    [gateway]                  host, protocol, port (-1: none), path_params_login,
                               path_params_api, username, password
    [retry]                    retry_max, retry_wait_max (total seconds), retry_wait_min
                               (first backoff seconds), retry_backoff_max, retry_after_max,
                               retry_after_default
    [profile NAME]             general keys of profile NAME
    [profile NAME.logging]     (and .retry, .gateway, .reauthentication) that section

In JSON the same sections are objects, and profiles live under
``{"profiles": {"NAME": {"general": {...}, "logging": {...}}}}``.

Any malformed file, unknown section or key, or bad value raises :class:`ConfigError`
naming the file, the section, the key and what was expected.
"""

from __future__ import annotations

import configparser
import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping

from ._core.errors import ConfigError

__all__ = ["default_config_path", "read_config_file", "env_settings", "env_defaults", "gather", "ConfigError",
           "ENV_VARIABLES",
           "HOST_KEYS", "LOGGING_KEYS", "RETRY_KEYS", "TIMEOUT_KEYS"]

HOST_KEYS = ("region", "api_host", "login_host", "gateway")
#: the environment variables the SDK (and the command line) read
ENV_VARIABLES = ("GENESYSCLOUD_REGION", "GENESYSCLOUD_API_HOST", "GENESYSCLOUD_OAUTHCLIENT_ID",
                 "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_ACCESS_TOKEN", "GENESYSCLOUD_CONFIG_FILE",
                 "GENESYSCLOUD_PROFILE")
SECTIONS = ("general", "logging", "reauthentication", "gateway", "retry")


def default_config_path() -> Path:
    """``~/.genesyscloudpython/config`` (``%USERPROFILE%`` on Windows)."""
    return Path(os.path.expanduser("~")) / ".genesyscloudpython" / "config"


# -- value parsers --------------------------------------------------------------------------

def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    raise ValueError("true or false")


def _int(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"an integer >= {minimum}")
        try:
            number = int(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(f"an integer >= {minimum}") from None
        if not isinstance(number, int) or number < minimum:
            raise ValueError(f"an integer >= {minimum}")
        return number
    return parse


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a number of seconds > 0")
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValueError("a number of seconds > 0") from None
    if not number > 0 or number == float("inf"):
        raise ValueError("a number of seconds > 0")
    return number


def _seconds0(value: Any) -> float:
    if isinstance(value, str) and value.strip() in ("0", "0.0") or value == 0:
        return 0.0
    return _seconds(value)


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value.strip()


def _opt_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value.strip()


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        raise ValueError(" or ".join(choices))
    return parse


def _names(value: Any) -> frozenset[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(v.strip() for v in value if v.strip())
    if isinstance(value, str):
        return frozenset(v.strip() for v in value.split(",") if v.strip())
    raise ValueError("a comma-separated list of names")


def _port(value: Any) -> int:
    number = _int(-1)(value)
    if number == 0 or number > 65535:
        raise ValueError("a port 1..65535 or -1")
    return number


def _existing_file(value: Any) -> str:
    text = _str(value)
    path = os.path.expanduser(text)
    if not os.path.isfile(path):
        raise ValueError("the path of an existing file")
    return path


def _url(value: Any) -> str:
    text = _str(value)
    from ._regions import _normalise_base

    return _normalise_base(text)


def _proxy(value: Any) -> str:
    from urllib.parse import urlsplit

    text = _str(value)
    parts = urlsplit(text if "://" in text else "http://" + text)
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise ValueError("a proxy URL such as http://proxy.example.com:3128")
    return parts.geturl()


def _region(value: Any) -> str:
    from ._regions import Region

    text = _str(value)
    try:
        Region.parse(text)
    except ValueError as exc:
        raise ValueError(str(exc).replace("unknown Genesys Cloud region", "a region, not")) from None
    return text


# section -> key -> (setting name, parser); setting names are flat
_KEYS: dict[str, dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "general": {
        "host": ("api_host", _url),
        "live_reload_config": ("live_reload_config", _bool),
        "region": ("region", _region),
        "login_host": ("login_host", _url),
        "client_id": ("client_id", _str),
        "client_secret": ("client_secret", _str),
        "timeout": ("timeout", _seconds),
        "connect_timeout": ("connect_timeout", _seconds),
        "read_timeout": ("read_timeout", _seconds),
        "write_timeout": ("write_timeout", _seconds),
        "pool_timeout": ("pool_timeout", _seconds),
        "max_connections": ("max_connections", _int(1)),
        "max_keepalive_connections": ("max_keepalive_connections", _int(0)),
        "proxy": ("proxy", _proxy),
        "proxy_username": ("proxy_username", _str),
        "proxy_password": ("proxy_password", _str),
        "verify_ssl": ("verify_ssl", _bool),
        "ssl_ca_cert": ("ssl_ca_cert", _existing_file),
        "cert_file": ("cert_file", _existing_file),
        "key_file": ("key_file", _existing_file),
        "return_extended_responses": ("return_extended_responses", _bool),
    },
    "logging": {
        "log_level": ("log_level", _choice("trace", "debug", "error", "none")),
        "log_format": ("log_format", _choice("text", "json")),
        "log_to_console": ("log_to_console", _bool),
        "log_file_path": ("log_file_path", _str),
        "log_request_body": ("log_request_body", _bool),
        "log_response_body": ("log_response_body", _bool),
        "log_headers": ("log_headers", _names),
        "log_query_params": ("log_query_params", _names),
    },
    "reauthentication": {
        "refresh_access_token": ("should_refresh_access_token", _bool),
        "refresh_token_wait_max": ("refresh_token_wait_time", _seconds),
    },
    "gateway": {
        "host": ("gateway_host", _str),
        "protocol": ("gateway_protocol", _choice("http", "https")),
        "port": ("gateway_port", _port),
        "path_params_login": ("gateway_path_params_login", _opt_str),
        "path_params_api": ("gateway_path_params_api", _opt_str),
        "username": ("gateway_username", _opt_str),
        "password": ("gateway_password", _opt_str),
    },
    "retry": {
        "retry_max": ("retry_max", _int(0)),
        "retry_wait_max": ("retry_wait_max", _seconds),
        "retry_wait_min": ("retry_wait_min", _seconds0),
        "retry_backoff_max": ("retry_backoff_max", _seconds0),
        "retry_after_max": ("retry_after_max", _seconds0),
        "retry_after_default": ("retry_after_default", _seconds0),
    },
}
LOGGING_KEYS = tuple(name for name, _ in _KEYS["logging"].values())
RETRY_KEYS = tuple(name for name, _ in _KEYS["retry"].values())
TIMEOUT_KEYS = ("timeout", "connect_timeout", "read_timeout", "write_timeout", "pool_timeout")


def _parse_section(file: str, section: str, kind: str, items: Mapping[str, Any]) -> dict[str, Any]:
    known = _KEYS[kind]
    out: dict[str, Any] = {}
    for key, raw in items.items():
        if key not in known:
            raise ConfigError("unknown key", file=file, section=section, key=key,
                              expected="one of " + ", ".join(sorted(known)))
        name, parser = known[key]
        try:
            out[name] = parser(raw)
        except ValueError as exc:
            shown = "***" if "password" in key or "secret" in key else repr(raw)
            raise ConfigError(f"bad value {shown}", file=file, section=section, key=key, expected=str(exc)) from None
    return out


def _load(path: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:
    """(top-level sections, profiles) as raw mappings."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("the configuration file does not exist", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration file: {exc}", file=path) from None
    sections: dict[str, dict[str, Any]] = {}
    profiles: dict[str, dict[str, dict[str, Any]]] = {}
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"malformed JSON: {exc}", file=path, expected="a JSON object of sections") from None
        for name, body in data.items():
            if name == "profiles":
                if not isinstance(body, dict):
                    raise ConfigError("profiles must be an object", file=path, section="profiles",
                                      expected='{"NAME": {"general": {...}, ...}}')
                for pname, psections in body.items():
                    if not isinstance(psections, dict):
                        raise ConfigError("a profile must be an object of sections", file=path,
                                          section=f"profile {pname}", expected="an object")
                    profiles[pname] = {}
                    for sname, sbody in psections.items():
                        _check_section(path, f"profile {pname}.{sname}", sname, sbody)
                        profiles[pname][sname] = sbody
                continue
            _check_section(path, name, name, body)
            sections[name] = body
        return sections, profiles
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    problem = None
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        problem = _ini_problem(exc)
    if problem is not None:
        # never quote the offending line (`client_secret XYZ`, no `=`, holds a secret), and
        # raised outside the handler so that not even __context__ keeps configparser's message
        raise ConfigError(f"malformed INI: {problem}", file=path,
                          expected="INI sections such as [logging] with key = value lines")
    for name in parser.sections():
        items = dict(parser.items(name, raw=True))
        if name.startswith("profile "):
            pname, _, sname = name[len("profile "):].strip().partition(".")
            sname = sname or "general"
            _check_section(path, name, sname, items)
            profiles.setdefault(pname, {})[sname] = items
        else:
            _check_section(path, name, name, items)
            sections[name] = items
    return sections, profiles


def _ini_problem(exc: configparser.Error) -> str:
    """What is wrong with an INI file, by line number, without quoting its lines."""
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(number) for number, _ in exc.errors)
        return f"line {lines} is not a 'key = value' line" if len(exc.errors) == 1 else \
            f"lines {lines} are not 'key = value' lines"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: key {exc.option!r} appears twice in section [{exc.section}]"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: section [{exc.section}] appears twice"
    return type(exc).__name__


def _check_section(path: str, label: str, kind: str, body: Any) -> None:
    if kind not in SECTIONS:
        raise ConfigError("unknown section", file=path, section=label,
                          expected="one of " + ", ".join(SECTIONS) + ", 'profile NAME' or 'profile NAME.SECTION'")
    if not isinstance(body, dict):
        raise ConfigError("a section must hold keys and values", file=path, section=label, expected="an object")


def read_config_file(path: str | os.PathLike[str] | None = None, profile: str | None = None) -> dict[str, Any]:
    """Read and validate a configuration file; returns flat settings (see the module docstring).

    Args:
        path: the file; ``None``: ``~/.genesyscloudpython/config``.
        profile: a profile whose sections override the top-level ones.

    Raises:
        ConfigError: a missing or malformed file, an unknown section, key or profile,
            or a bad value.
    """
    file = str(path if path is not None else default_config_path())
    sections, profiles = _load(file)
    out: dict[str, Any] = {}
    for name, body in sections.items():
        out.update(_parse_section(file, name, name, body))
    if profile is not None:
        if profile not in profiles:
            raise ConfigError(f"no profile {profile!r}", file=file, section=f"profile {profile}",
                              expected="one of " + (", ".join(sorted(profiles)) or "(no profiles in the file)"))
        layer: dict[str, Any] = {}
        for name, body in profiles[profile].items():
            layer.update(_parse_section(file, f"profile {profile}" + ("" if name == "general" else f".{name}"),
                                        name, body))
        if any(k in layer for k in ("region", "api_host", "login_host")) or any(k.startswith("gateway_") for k in layer):
            for key in [k for k in out if k in HOST_KEYS or k.startswith("gateway_")]:
                del out[key]
        out.update(layer)
    out["config_file_path"] = file
    return out


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from ``GENESYSCLOUD_REGION``, ``GENESYSCLOUD_API_HOST``,
    ``GENESYSCLOUD_OAUTHCLIENT_ID``/``_SECRET`` and ``GENESYSCLOUD_ACCESS_TOKEN``.

    Raises:
        ConfigError: only one of the client id and secret is set, or a bad region or host.
    """
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for var, name, parser in (("GENESYSCLOUD_REGION", "region", _region), ("GENESYSCLOUD_API_HOST", "api_host", _url)):
        if env.get(var):
            try:
                out[name] = parser(env[var])
            except ValueError as exc:
                raise ConfigError(f"bad value {env[var]!r}", key=var, expected=str(exc)) from None
    if env.get("GENESYSCLOUD_ACCESS_TOKEN"):
        out["access_token"] = env["GENESYSCLOUD_ACCESS_TOKEN"].strip()
    client_id, secret = env.get("GENESYSCLOUD_OAUTHCLIENT_ID"), env.get("GENESYSCLOUD_OAUTHCLIENT_SECRET")
    if client_id or secret:
        if not (client_id and secret):
            raise ConfigError("set both GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET",
                              key="GENESYSCLOUD_OAUTHCLIENT_ID" if not client_id else "GENESYSCLOUD_OAUTHCLIENT_SECRET")
        out["client_id"], out["client_secret"] = client_id.strip(), secret.strip()
    return out


def env_defaults(given_auth: bool, hosts: Mapping[str, Any]) -> dict[str, Any]:
    """What a plain ``GenesysCloud(...)`` takes from the environment.

    ``region``/``api_host`` from ``GENESYSCLOUD_REGION``/``GENESYSCLOUD_API_HOST`` when
    ``hosts`` (the host arguments given) are all ``None``; ``auth`` from
    ``GENESYSCLOUD_OAUTHCLIENT_ID``/``_SECRET`` or ``GENESYSCLOUD_ACCESS_TOKEN`` when no
    ``auth`` was given, but only if the client's login host is the one the environment
    names (its credentials are never sent to another host).

    Raises:
        ConfigError: a half-set client id / secret pair, or a bad region or host.
    """
    from ._regions import resolve_hosts
    from .auth import AccessToken, ClientCredentials

    env = env_settings()
    out: dict[str, Any] = {}
    env_hosts = {k: env[k] for k in ("region", "api_host") if k in env}
    if all(v is None for v in hosts.values()):
        out.update(env_hosts)
    if not given_auth and ("access_token" in env or "client_id" in env):
        mine = {**hosts, **out}
        if resolve_hosts(mine.get("region"), mine.get("api_host"), mine.get("login_host"), mine.get("gateway")).login \
                == resolve_hosts(env_hosts.get("region"), env_hosts.get("api_host")).login:
            try:
                out["auth"] = (AccessToken(env["access_token"]) if "access_token" in env
                               else ClientCredentials(env["client_id"], env["client_secret"]))
            except ValueError as exc:
                raise ConfigError(str(exc), key="GENESYSCLOUD_ACCESS_TOKEN" if "access_token" in env
                                  else "GENESYSCLOUD_OAUTHCLIENT_ID") from None
    return out


def _merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge layers, lowest first; the host group (region/api_host/login_host/gateway)
    comes whole from the highest layer that sets any of it."""
    out: dict[str, Any] = {}
    for layer in layers:
        if any(k in layer for k in ("region", "api_host", "gateway")) or any(k.startswith("gateway_") for k in layer):
            for key in [k for k in out if k in HOST_KEYS or k.startswith("gateway_")]:
                del out[key]
        if "access_token" in layer or "client_id" in layer or "auth" in layer:
            for key in ("access_token", "client_id", "client_secret", "auth"):
                out.pop(key, None)
        out.update(layer)
    return out


def gather(explicit: Mapping[str, Any], *, config_file: str | os.PathLike[str] | None = None,
           profile: str | None = None, use_env: bool = True, require_file: bool = True) -> dict[str, Any]:
    """Flat settings: ``explicit`` > environment > file (profile over sections).

    ``config_file=None`` means the default path (or ``$GENESYSCLOUD_CONFIG_FILE``); with
    ``require_file=False`` a missing default file is skipped.
    """
    path = config_file
    if path is None:
        path = os.environ.get("GENESYSCLOUD_CONFIG_FILE") or default_config_path()
        if not require_file and not os.path.exists(path):
            path = None
    if profile is None and use_env:
        profile = os.environ.get("GENESYSCLOUD_PROFILE") or None
    file_layer = read_config_file(path, profile) if path is not None else {}
    env_layer = env_settings() if use_env else {}
    return _merge(file_layer, env_layer, {k: v for k, v in explicit.items() if v is not None})


# -- settings -> client keyword arguments ----------------------------------------------------

def to_client_kwargs(flat: Mapping[str, Any], *, file: str | None = None) -> dict[str, Any]:
    """Turn flat settings into ``GenesysCloud(...)`` keyword arguments (grants, a
    :class:`Gateway`, :class:`LogSettings`, a :class:`RetryPolicy`, timeouts)."""
    from ._core.logging import LogSettings
    from ._core.retry import RetryPolicy
    from ._regions import Gateway
    from .auth import AccessToken, ClientCredentials

    flat = dict(flat)
    out: dict[str, Any] = {}
    access_token = flat.pop("access_token", None)
    client_id, client_secret = flat.pop("client_id", None), flat.pop("client_secret", None)
    if "auth" in flat:
        out["auth"] = flat.pop("auth")
    elif access_token:
        try:
            out["auth"] = AccessToken(access_token)
        except ValueError as exc:
            raise ConfigError(str(exc), key="GENESYSCLOUD_ACCESS_TOKEN") from None
    elif client_id or client_secret:
        if not (client_id and client_secret):
            raise ConfigError("client_id and client_secret go together", file=file, section="general",
                              key="client_secret" if client_id else "client_id", expected="both keys")
        try:
            out["auth"] = ClientCredentials(client_id, client_secret)
        except ValueError as exc:
            raise ConfigError(str(exc), file=file, section="general") from None
    gateway = {k[len("gateway_"):]: flat.pop(k) for k in [k for k in flat if k.startswith("gateway_")]}
    if gateway:
        if "host" not in gateway:
            raise ConfigError("a gateway needs a host", file=file, section="gateway", key="host",
                              expected="the gateway's host name")
        try:
            out["gateway"] = Gateway(**gateway)
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc), file=file, section="gateway") from None
    log = {k: flat.pop(k) for k in LOGGING_KEYS if k in flat}
    if log:
        try:
            out["log_settings"] = LogSettings(
                level=log.get("log_level"), format=log.get("log_format", "text"),
                to_console=log.get("log_to_console", False), file_path=log.get("log_file_path"),
                request_body=log.get("log_request_body", False), response_body=log.get("log_response_body", False),
                allowed_headers=log.get("log_headers", frozenset()),
                allowed_query=log.get("log_query_params", frozenset()))
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc), file=file, section="logging") from None
    retry = {k: flat.pop(k) for k in RETRY_KEYS if k in flat}
    if retry:
        names = {"retry_max": "max_retries", "retry_wait_max": "total_budget", "retry_wait_min": "backoff_base",
                 "retry_backoff_max": "backoff_max", "retry_after_max": "max_retry_after",
                 "retry_after_default": "retry_after_default"}
        try:
            out["retry_policy"] = RetryPolicy(**{names[k]: v for k, v in retry.items()})
        except (ValueError, TypeError) as exc:
            raise ConfigError(str(exc), file=file, section="retry") from None
    timeouts = {k: flat.pop(k) for k in TIMEOUT_KEYS if k in flat}
    if timeouts:
        if list(timeouts) == ["timeout"]:
            out["timeout"] = timeouts["timeout"]
        else:
            out["timeout"] = {k.replace("_timeout", ""): v for k, v in timeouts.items()}
    flat.pop("config_file_path", None)
    out.update(flat)
    return out


def _merge_kwargs(lower: Mapping[str, Any], higher: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(lower)
    if any(k in higher for k in ("region", "api_host", "gateway")):
        for key in HOST_KEYS:
            out.pop(key, None)
    out.update(higher)
    return out


class ConfigSource:
    """Where a client's layered settings came from (for live reload)."""

    def __init__(self, path: str | None, profile: str | None, explicit: Mapping[str, Any],
                 env: Mapping[str, Any]) -> None:
        self.path = path
        self.profile = profile
        self.explicit = dict(explicit)
        self.env = dict(env)

    def __repr__(self) -> str:
        return f"ConfigSource(path={self.path!r}, profile={self.profile!r})"


def client_kwargs(init: Callable[..., Any], given: Mapping[str, Any], *, config_file: Any, profile: str | None,
                  require_file: bool) -> tuple[dict[str, Any], ConfigSource]:
    """Constructor keyword arguments from ``given`` > environment > file > defaults.

    Settings the constructor does not take (for example ``[reauthentication]`` keys
    before the token manager supports them) are left out and logged at debug level.
    """
    import inspect
    import logging

    explicit = {k: v for k, v in given.items()
                if k not in ("self", "__class__", "config_file", "profile", "live_reload_config") and v is not None}
    path: Any = config_file
    if path is None:
        path = os.environ.get("GENESYSCLOUD_CONFIG_FILE") or default_config_path()
        if not require_file and not os.path.exists(path):
            path = None
    if profile is None:
        profile = os.environ.get("GENESYSCLOUD_PROFILE") or None
    file_flat = read_config_file(path, profile) if path is not None else {}
    env_flat = env_settings()
    merged = to_client_kwargs(_merge(file_flat, env_flat), file=str(path) if path is not None else None)
    kwargs = _merge_kwargs(merged, explicit)
    if given.get("live_reload_config") is not None:
        kwargs["live_reload_config"] = bool(given["live_reload_config"])
    params = inspect.signature(init).parameters
    for key in [k for k in kwargs if k not in params and k != "live_reload_config"]:
        logging.getLogger("genesyscloud").debug("configuration setting %r is not supported by this client; ignored",
                                                key)
        del kwargs[key]
    source = ConfigSource(str(path) if path is not None else None, profile, explicit, env_flat)
    return kwargs, source


class ConfigWatcher:
    """Live reload of one configuration file (``watchdog``; a thread starts only here).

    A reload re-reads the file and swaps the client's base options whole (logging,
    retry, timeout; arguments and environment variables still win), so a request sees
    either the old or the new settings, never a mix.
    """

    def __init__(self, source: ConfigSource, shared: Any) -> None:
        self.source = source
        self.shared = shared
        self.observer: Any = None
        self.listeners: list[Callable[[BaseException | None], None]] = []

    def reload(self) -> None:
        """Apply the file now. Raises :class:`ConfigError` for any problem with the file
        (the old settings stay)."""
        try:
            self._reload()
        except ConfigError:
            raise
        except (ValueError, TypeError, OSError) as exc:  # whatever a setting's own check raised
            raise ConfigError(f"not applied: {exc}", file=self.source.path) from None

    def _reload(self) -> None:
        import dataclasses

        from ._core.logging import LogSettings
        from ._core.retry import RetryPolicy

        src = self.source
        flat = _merge(read_config_file(src.path, src.profile), src.env)
        kw = to_client_kwargs(flat, file=src.path)
        options = self.shared.options
        changes: dict[str, Any] = {}
        if "log_settings" not in src.explicit:
            changes["log"] = kw.get("log_settings", LogSettings())
        if "retry_policy" not in src.explicit:
            retry = kw.get("retry_policy", RetryPolicy())
            if "max_retries" in src.explicit:
                retry = dataclasses.replace(retry, max_retries=src.explicit["max_retries"])
            changes["retry"] = retry
        if "timeout" not in src.explicit:
            changes["timeout"] = kw.get("timeout")
        self.shared.options = dataclasses.replace(options, **changes)
        self.shared.reloads += 1

    def _on_change(self) -> None:
        import logging

        error: BaseException | None = None
        try:
            if os.path.getsize(self.source.path or "") == 0:
                # an editor truncated the file and has not written it yet: wait for the next event
                return
        except OSError:
            return  # deleted or being replaced: the "created"/"moved" event follows
        try:
            self.reload()
        except Exception as exc:  # noqa: BLE001 - the watcher thread must outlive any bad edit
            error = exc
            logging.getLogger("genesyscloud").error("configuration not reloaded, keeping the previous settings: %s",
                                                    exc)
        for listener in list(self.listeners):
            try:
                listener(error)
            except Exception as exc:  # noqa: BLE001 - reported, and the watcher goes on
                logging.getLogger("genesyscloud").error("a configuration reload listener raised %s",
                                                        type(exc).__name__)

    def start(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        target = os.path.realpath(self.source.path or "")
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                if event.event_type not in ("modified", "created", "moved", "closed"):
                    return
                paths = {getattr(event, "src_path", ""), getattr(event, "dest_path", "")}
                if any(p and os.path.realpath(os.fsdecode(p)) == target for p in paths):
                    watcher._on_change()

        observer = Observer()
        observer.daemon = True
        observer.schedule(Handler(), os.path.dirname(target), recursive=False)
        observer.start()
        self.observer = observer

    def stop(self) -> None:
        observer, self.observer = self.observer, None
        if observer is not None:
            observer.stop()
            observer.join(5)
