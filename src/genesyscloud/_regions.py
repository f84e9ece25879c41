"""Genesys Cloud regions and their hosts.

Each region maps to a domain; the API host is ``https://api.<domain>``, the login
service ``https://login.<domain>``, notifications ``wss://streaming.<domain>`` and the
web apps (which also take the multipart uploads of content management documents and
legacy prompt resources) ``https://apps.<domain>``.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Region", "Hosts", "Gateway", "resolve_hosts"]


class Region(str, enum.Enum):
    """The 18 Genesys Cloud regions; each value is the region's domain."""

    us_east_1 = "mypurecloud.com"
    eu_west_1 = "mypurecloud.ie"
    ap_southeast_2 = "mypurecloud.com.au"
    ap_northeast_1 = "mypurecloud.jp"
    eu_central_1 = "mypurecloud.de"
    us_west_2 = "usw2.pure.cloud"
    ca_central_1 = "cac1.pure.cloud"
    ap_northeast_2 = "apne2.pure.cloud"
    eu_west_2 = "euw2.pure.cloud"
    ap_south_1 = "aps1.pure.cloud"
    us_east_2 = "use2.us-gov-pure.cloud"
    sa_east_1 = "sae1.pure.cloud"
    me_central_1 = "mec1.pure.cloud"
    ap_northeast_3 = "apne3.pure.cloud"
    eu_central_2 = "euc2.pure.cloud"
    mx_central_1 = "mxc1.pure.cloud"
    ap_southeast_1 = "apse1.pure.cloud"
    eusc_de_east_1 = "edee1.eusc-pure.cloud"

    @property
    def domain(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | Region) -> Region:
        """Accept ``"eu-west-1"``, ``"eu_west_1"``, ``"EU_WEST_1"``, a member, or a domain.

        Raises:
            ValueError: not a known region; the message lists the valid ones.
        """
        if isinstance(value, Region):
            return value
        if not isinstance(value, str):
            raise TypeError(f"region must be a str or Region, got {type(value).__name__}")
        text = value.strip().lower()
        key = text.replace("-", "_")
        if key in cls.__members__:
            return cls.__members__[key]
        domain = text.removeprefix("https://").removeprefix("http://").rstrip("/")
        domain = domain.removeprefix("api.").removeprefix("login.")
        for member in cls:
            if member.value == domain:
                return member
        valid = ", ".join(m.name.replace("_", "-") for m in cls)
        raise ValueError(f"unknown Genesys Cloud region {value!r}; valid regions: {valid} (or their domains)")


def dataclasses_field_repr_false() -> object:
    return dataclasses.field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Hosts:
    """Base URLs (scheme, host, optional port and path prefix; no trailing slash).

    ``apps`` is ``https://apps.<domain>`` of a region (``None`` behind a gateway or for an
    API host not named ``api.<domain>``, such as the sandbox).
    """

    api: str
    login: str
    streaming: str | None = None
    apps: str | None = None

    def carries_token(self, url: str) -> bool:
        """Whether a request to ``url`` may carry this client's access token.

        The access token is issued for the API, so it goes only to the API's origin
        (scheme, host and port, as a gateway or the sandbox gives it) and, on a region, to
        its web-apps origin ``https://apps.<domain>``, where Genesys Cloud takes the
        multipart uploads of content management documents (``uploadDestinationUri``) and of
        legacy prompt resources (``uploadUri``) with ``Authorization: bearer``. Never to
        any other host, never over ``http://`` to ``apps``, and never to a presigned
        object-store URL (those carry their own signature).
        """
        target = _origin(url)
        if target is None:
            return False
        return target == _origin(self.api) or (self.apps is not None and target == _origin(self.apps))


@dataclass(frozen=True, slots=True)
class Gateway:
    """A gateway in front of Genesys Cloud (the official SDKs' ``[gateway]`` settings).

    Both base URLs become ``<protocol>://<host>[:<port>][/<path_params_login|api>]``.

    Attributes:
        host: the gateway's host name (no scheme).
        protocol: ``"https"`` (default) or ``"http"``.
        port: TCP port, or ``-1``/``None`` to omit it.
        path_params_login: path prefix of the login service behind the gateway.
        path_params_api: path prefix of the API behind the gateway.
        username, password: reserved by the official SDKs (unused); never shown by ``repr``.

    Raises:
        ValueError: an empty host, an unknown protocol or a port outside 1..65535.
    """

    host: str
    protocol: str = "https"
    port: int | None = -1
    path_params_login: str = ""
    path_params_api: str = ""
    username: str | None = None
    password: str | None = dataclasses_field_repr_false()  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip() or "/" in self.host.strip("/"):
            raise ValueError(f"gateway host must be a host name such as 'gateway.example.com', got {self.host!r}")
        if self.protocol not in ("http", "https"):
            raise ValueError(f"gateway protocol must be 'http' or 'https', got {self.protocol!r}")
        if self.port is not None and self.port != -1 and (
                not isinstance(self.port, int) or isinstance(self.port, bool) or not 0 < self.port < 65536):
            raise ValueError(f"gateway port must be 1..65535 or -1 (none), got {self.port!r}")

    def url(self, path_params: str) -> str:
        host = self.host.strip().strip("/")
        if "://" in host:
            host = host.split("://", 1)[1]
        base = f"{self.protocol}://{host}"
        if self.port not in (None, -1):
            base += f":{self.port}"
        path = (path_params or "").strip().strip("/")
        return f"{base}/{path}" if path else base

    @property
    def api(self) -> str:
        return self.url(self.path_params_api)

    @property
    def login(self) -> str:
        return self.url(self.path_params_login)


_HOST_EXAMPLE = "'https://api.mypurecloud.com' or 'http://127.0.0.1:8642'"
_DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


def _origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, lower-case host, port)`` of an http(s) URL, the default port filled in;
    ``None`` for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None  # user info in a URL is refused: what it names is not what it looks like
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def _bad_host(url: object, why: str) -> ValueError:
    return ValueError(f"malformed host {url!r}: {why}; give a base URL such as {_HOST_EXAMPLE}")


def _normalise_base(url: str) -> str:
    """Check and normalise a base URL: ``scheme://host[:port][/path]`` without a trailing
    slash. A bare DNS name (``api.example.com``) means ``https://``; anything with a port,
    an IP address or ``localhost`` must say its scheme.

    Raises:
        ValueError: not such a URL (the message shows an example).
    """
    if not isinstance(url, str):
        raise TypeError(f"a host must be a str such as {_HOST_EXAMPLE}, got {type(url).__name__}")
    original = url
    url = url.strip()
    url = url[: url.index("://") + 3] + url[url.index("://") + 3:].rstrip("/") if "://" in url else url.rstrip("/")
    if not url or any(c.isspace() for c in url):
        raise _bad_host(original, "empty or contains spaces")
    if "://" not in url:
        labels = url.split(".")
        if len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
            why = ("no scheme: say http:// or https://" if ":" in url or url.replace(".", "").isdigit()
                   or url == "localhost" else "not a host name or URL")
            raise _bad_host(original, why)
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _bad_host(original, str(exc)) from None
    if parts.scheme not in ("http", "https"):
        raise _bad_host(original, f"the scheme must be http or https, not {parts.scheme!r}")
    host = parts.hostname or ""
    if not host:
        raise _bad_host(original, "no host name")
    if parts.username is not None or parts.password is not None:
        raise _bad_host(original, "credentials do not belong in a host URL")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise _bad_host(original, "a base URL has no query or fragment")
    if ":" not in host and not all(_DNS_LABEL.fullmatch(label) for label in host.split(".")):
        raise _bad_host(original, f"{host!r} is not a valid host name")
    if port == 0:
        raise _bad_host(original, "port 0")
    return url


def resolve_hosts(region: str | Region | None = None, api_host: str | None = None, login_host: str | None = None,
                  gateway: Gateway | None = None) -> Hosts:
    """Work out the API and login base URLs.

    A ``gateway`` wins over everything else (both URLs go through it, as in the
    official SDKs).

    ``api_host`` (any server, such as the sandbox) wins over ``region``. Its login host
    is the same origin, unless its host name starts with ``api.``, where it becomes
    ``login.`` (the official SDKs' rule). ``login_host`` overrides either.

    Raises:
        ValueError: an unknown region or a malformed host URL.
    """
    if gateway is not None:
        if not isinstance(gateway, Gateway):
            raise TypeError(f"gateway must be a Gateway(...), got {type(gateway).__name__}")
        return Hosts(api=gateway.api, login=_normalise_base(login_host) if login_host else gateway.login)
    if api_host:
        api = _normalise_base(api_host)
        parts = urlsplit(api)
        apps: str | None = None
        if parts.hostname and parts.hostname.startswith("api."):
            login = api.replace("://api.", "://login.", 1)
            streaming = "wss://streaming." + parts.netloc[4:]
            if parts.scheme == "https":
                apps = "https://apps." + parts.netloc[4:]
        else:
            login = f"{parts.scheme}://{parts.netloc}"
            streaming = None
        return Hosts(api=api, login=_normalise_base(login_host) if login_host else login, streaming=streaming,
                     apps=apps)
    member = Region.parse(region if region is not None else Region.us_east_1)
    return Hosts(
        api=f"https://api.{member.domain}",
        login=_normalise_base(login_host) if login_host else f"https://login.{member.domain}",
        streaming=f"wss://streaming.{member.domain}",
        apps=f"https://apps.{member.domain}",
    )
