"""Compatibility with code written for the official SDK (``PureCloudPlatformClientV2``).

* ``import genesyscloud.compat.purecloud as PureCloudPlatformClientV2`` offers the
  official module's surface (``configuration``, ``api_client.ApiClient``, every ``*Api``
  class, the models, ``rest.ApiException``, ``PureCloudRegionHosts``) on top of
  :class:`genesyscloud.GenesysCloud`.
* :class:`PlatformClient` is the ``PlatformClient``-style facade that tutorials use.

Importing ``genesyscloud`` never imports this package; importing this package imports
nothing else until a name is used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["purecloud", "PlatformClient"]


def __getattr__(name: str) -> Any:
    import importlib

    if name == "purecloud":
        return importlib.import_module(f"{__name__}.purecloud")
    if name == "PlatformClient":
        from ._platform_client import PlatformClient

        return PlatformClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
