"""The ``PlatformClient`` facade that tutorials use, over the compat ``ApiClient``.

::

    from genesyscloud.compat import PlatformClient

    client = PlatformClient()
    client.set_oauth_client_id(client_id)
    client.set_oauth_client_secret(client_secret)
    client.set_oauth_base_url("https://api.mypurecloud.ie")   # or a region: "eu-west-1"
    client.set_oauth_token_cache_path("~/.cache/genesys-token.json")  # optional, file 0600
    users = client.get_api_client().get_api_instance("UsersApi")
    print(users.get_users(page_size=10).total)

Tokens come from the client credentials grant (RFC 6749 section 4.4) and renew
themselves unless ``set_oauth_auto_refresh(False)``; with a cache path they are kept in a
:class:`genesyscloud.auth.FileTokenStore`, shared by every process using that file.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["PlatformClient", "PlatformApiClient"]


class PlatformApiClient:
    """What ``PlatformClient.get_api_client()`` returns: hands out ``*Api`` instances."""

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client

    def get_api_instance(self, name: str) -> Any:
        """An instance of the ``*Api`` class called ``name`` (``"UsersApi"``) bound to this client.

        Raises:
            ValueError: no API class of that name.
        """
        from . import purecloud
        from .purecloud import apis

        if name not in apis.api_classes():
            raise ValueError(f"no API class named {name!r}; e.g. {', '.join(apis.api_classes()[:5])}, ...")
        return getattr(purecloud, name)(self.api_client)


class PlatformClient:
    """A client-credentials setup in the ``PlatformClient`` style (see the module docstring)."""

    def __init__(self) -> None:
        self._client_id: str | None = None
        self._client_secret: str | None = None
        self._base_url: str | None = None
        self._auto_refresh = True
        self._cache_path: str | None = None
        self._api_client: Any = None

    def set_oauth_client_id(self, client_id: str) -> PlatformClient:
        self._client_id = client_id
        self._api_client = None
        return self

    def set_oauth_client_secret(self, client_secret: str) -> PlatformClient:
        self._client_secret = client_secret
        self._api_client = None
        return self

    def set_oauth_base_url(self, base_url: str) -> PlatformClient:
        """The API host (``https://api.mypurecloud.ie``), its login host, or a region
        (``eu-west-1``); any other URL (the sandbox's) is used as the API host.

        Raises:
            ValueError: an unknown region name.
        """
        from .._regions import Region

        text = base_url.strip().rstrip("/")
        if "://" not in text:
            text = f"https://api.{Region.parse(text).domain}"
        self._base_url = text.replace("://login.", "://api.", 1)
        self._api_client = None
        return self

    def set_oauth_auto_refresh(self, enabled: bool) -> PlatformClient:
        """Renew the access token automatically (default ``True``)."""
        self._auto_refresh = bool(enabled)
        if self._api_client is not None:
            self._api_client.should_refresh_access_token = self._auto_refresh
        return self

    def set_oauth_token_cache_path(self, path: str | os.PathLike[str]) -> PlatformClient:
        """Keep tokens in this file (created 0600, replaced atomically, locked while renewing)."""
        self._cache_path = os.path.expanduser(os.fspath(path))
        self._api_client = None
        return self

    def clear_oauth_token_cache(self) -> None:
        """Forget the cached tokens (delete the cache file, if any) and the current token."""
        if self._cache_path and os.path.exists(self._cache_path):
            os.remove(self._cache_path)
        if self._api_client is not None:
            self._api_client.close()
        self._api_client = None

    def get_api_client(self) -> PlatformApiClient:
        """The configured client; the token is obtained on the first API call.

        Raises:
            ValueError: the client id or secret is missing.
        """
        if not self._client_id or not self._client_secret:
            raise ValueError("set_oauth_client_id() and set_oauth_client_secret() first")
        if self._api_client is None:
            from ..auth import ClientCredentials
            from .purecloud.api_client import ApiClient

            api_client = ApiClient(host=self._base_url)
            api_client.should_refresh_access_token = self._auto_refresh
            if self._cache_path:
                from ..auth import FileTokenStore

                api_client.use_token_store(FileTokenStore(self._cache_path))
            api_client.use_grant(ClientCredentials(self._client_id, self._client_secret))
            api_client.client_id = self._client_id
            self._api_client = api_client
        return PlatformApiClient(self._api_client)

    def __repr__(self) -> str:
        return f"PlatformClient(client_id={self._client_id!r}, base_url={self._base_url!r}, client_secret='***')"
