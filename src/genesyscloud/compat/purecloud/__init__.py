"""The official SDK's surface: ``import genesyscloud.compat.purecloud as PureCloudPlatformClientV2``.

Everything the official ``PureCloudPlatformClientV2`` package offers at its top level
resolves here on first use (PEP 562), backed by :class:`genesyscloud.GenesysCloud`:

* ``configuration`` (the process-wide :class:`Configuration`), ``Configuration``,
  ``api_client.ApiClient`` / ``ApiClient``, ``rest.ApiException``, ``logger``,
  ``GatewayConfiguration``, ``PureCloudRegionHosts``, ``ApiNullValue``;
* every ``*Api`` class (``UsersApi``, ``OAuthApi``, ...), built from the operation
  descriptors with the official method signatures;
* every model (``PureCloudPlatformClientV2.User`` / ``.models.User``), a thin subclass
  of ``genesyscloud.models.User``.

Importing this module creates nothing global; ``configuration`` is created (and the
config file read) when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import api_client, logger, rest  # light modules: no API groups, no models
from .api_client import ApiClient
from .gateway_configuration import GatewayConfiguration
from .purecloud_region_hosts import PureCloudRegionHosts
from .rest import ApiException

__all__ = ["configuration", "Configuration", "ApiClient", "ApiException", "GatewayConfiguration",
           "PureCloudRegionHosts", "ApiNullValue", "api_client", "rest", "logger", "models", "apis"]


def __getattr__(name: str) -> Any:
    if name == "configuration":
        from ._configuration import get_configuration

        return get_configuration()
    if name == "Configuration":
        from ._configuration import Configuration

        return Configuration
    if name in ("models", "apis"):
        return importlib.import_module(f"{__name__}.{name}")
    if name == "ApiNullValue":
        from .models import ApiNullValue

        return ApiNullValue
    if name.startswith("_"):
        raise AttributeError(name)
    if name.endswith("Api"):
        from . import apis

        try:
            return getattr(apis, name)
        except AttributeError:
            pass
    from . import models

    try:
        return models.model_class(name)
    except LookupError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    from . import apis, models

    return sorted(set(globals()) | set(__all__) | set(apis.api_classes()) | set(models.__dir__()))
