"""Genesys Cloud regions and their hosts.

Each region maps to a domain; the API host is ``https://api.<domain>``, the login
service ``https://login.<domain>`` and notifications ``wss://streaming.<domain>``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Region", "Hosts", "resolve_hosts"]


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


@dataclass(frozen=True, slots=True)
class Hosts:
    """Base URLs (scheme, host, optional port and path prefix; no trailing slash)."""

    api: str
    login: str
    streaming: str | None = None


def _normalise_base(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) base URL: {url!r}")
    return url


def resolve_hosts(region: str | Region | None = None, api_host: str | None = None, login_host: str | None = None) -> Hosts:
    """Work out the API and login base URLs.

    ``api_host`` (any server, such as the sandbox) wins over ``region``. Its login host
    is the same origin, unless its host name starts with ``api.``, where it becomes
    ``login.`` (the official SDKs' rule). ``login_host`` overrides either.

    Raises:
        ValueError: an unknown region or a malformed host URL.
    """
    if api_host:
        api = _normalise_base(api_host)
        parts = urlsplit(api)
        if parts.hostname and parts.hostname.startswith("api."):
            login = api.replace("://api.", "://login.", 1)
            streaming = "wss://streaming." + parts.netloc[4:]
        else:
            login = f"{parts.scheme}://{parts.netloc}"
            streaming = None
        return Hosts(api=api, login=_normalise_base(login_host) if login_host else login, streaming=streaming)
    member = Region.parse(region if region is not None else Region.us_east_1)
    return Hosts(
        api=f"https://api.{member.domain}",
        login=_normalise_base(login_host) if login_host else f"https://login.{member.domain}",
        streaming=f"wss://streaming.{member.domain}",
    )
