"""genesyscloud: a typed, sync and asyncio SDK for the Genesys Cloud Platform API v2.

    from genesyscloud import GenesysCloud, ClientCredentials

    gc = GenesysCloud(region="eu-west-1", auth=ClientCredentials(client_id, client_secret))
    me = gc.users.get_users_me(expand=["presence"])

Importing this package loads the clients, grants and errors only; API groups and
models load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import AsyncGenesysCloud, ClientOptions, GenesysCloud
from ._core.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    AuthError,
    BadRequestError,
    ConflictError,
    GenesysCloudError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
)
from ._core.models import NULL, Model
from ._core.retry import RetryPolicy
from ._core.transport import Timeout
from ._core.errors import ConfigError, ForeignHostError
from ._core.logging import LogSettings
from ._regions import Gateway, Hosts, Region
from ._version import __version__
from .auth import (
    AccessToken,
    AuthorizationCode,
    ClientCredentials,
    FileTokenStore,
    Grant,
    MemoryTokenStore,
    Pkce,
    RefreshToken,
    Saml2Bearer,
    Token,
    TokenStore,
)

if TYPE_CHECKING:
    from ._core.operation import Operation
    from ._core.binary import BinaryResponse
    from ._core.response import APIResponse

__all__ = [
    "GenesysCloud",
    "AsyncGenesysCloud",
    "ClientOptions",
    "ClientCredentials",
    "AuthorizationCode",
    "RefreshToken",
    "Pkce",
    "Saml2Bearer",
    "AccessToken",
    "interactive_login",
    "Grant",
    "Token",
    "TokenStore",
    "MemoryTokenStore",
    "FileTokenStore",
    "RedisTokenStore",
    "Region",
    "Gateway",
    "Hosts",
    "ConfigError",
    "ForeignHostError",
    "LogSettings",
    "RetryPolicy",
    "Timeout",
    "Model",
    "NULL",
    "Repeated",
    "APIResponse",
    "BinaryResponse",
    "GenesysCloudError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "InternalServerError",
    "AuthError",
    "ResponseDecodeError",
    "operations",
    "__version__",
]

_operations: tuple[Operation, ...] | None = None


def operations() -> tuple[Operation, ...]:
    """Every operation descriptor of the Platform API (3,355), sorted by method name.

    Imports every API module on first use (a few hundred milliseconds, once).
    """
    global _operations
    if _operations is None:
        import importlib

        from .api import GROUPS

        found: dict[str, Operation] = {}
        for module, *_ in GROUPS.values():
            for op in importlib.import_module(f"{__name__}.api.{module}").OPERATIONS:
                found[op.operation_id] = op
        _operations = tuple(sorted(found.values(), key=lambda o: o.method_name))
    return _operations


def __getattr__(name: str) -> Any:
    if name == "APIResponse":
        from ._core.response import APIResponse

        return APIResponse
    if name == "Repeated":
        from ._core.request import Repeated

        return Repeated
    if name == "BinaryResponse":
        from ._core.binary import BinaryResponse

        return BinaryResponse
    if name in ("interactive_login", "RedisTokenStore"):
        from . import auth

        return getattr(auth, name)
    if name == "models":
        import importlib

        return importlib.import_module(f"{__name__}.models")
    raise AttributeError(f"module 'genesyscloud' has no attribute {name!r}")
