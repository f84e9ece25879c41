"""Authentication: OAuth 2.0 grants (RFC 6749 / 7636), tokens, the token manager and stores.

A grant knows how to ask the login service for a token (``POST {login}/oauth/token``,
form-encoded) and nothing about HTTP transport: the client's send loop performs the
request and hands the answer back (sans-IO), so sync and async share this code.

Grants: :class:`ClientCredentials`, :class:`AuthorizationCode`, :class:`RefreshToken`,
:class:`Pkce`, :class:`Saml2Bearer`, :class:`AccessToken` and :func:`interactive_login`.
Stores: :class:`MemoryTokenStore` (default), :class:`FileTokenStore`,
:class:`RedisTokenStore` (extra ``redis``), behind the :class:`TokenStore` protocol.
``RedisTokenStore`` and ``interactive_login`` load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._core.errors import AuthError
from ._grants import (
    SAML2_BEARER,
    AccessToken,
    AuthorizationCode,
    ClientCredentials,
    Grant,
    Pkce,
    RefreshToken,
    Saml2Bearer,
    authorization_url,
)
from ._manager import TokenManager
from ._stores import FileTokenStore, MemoryTokenStore, TokenStore
from ._token import Token, TokenRequest

if TYPE_CHECKING:
    from ._interactive import interactive_login
    from ._redis import RedisTokenStore

__all__ = [
    "Token", "TokenRequest", "Grant",
    "ClientCredentials", "AuthorizationCode", "RefreshToken", "Pkce", "Saml2Bearer", "AccessToken",
    "interactive_login", "authorization_url", "SAML2_BEARER",
    "TokenManager", "TokenStore", "MemoryTokenStore", "FileTokenStore", "RedisTokenStore",
    "AuthError",
]

_LAZY = {"interactive_login": "._interactive", "RedisTokenStore": "._redis"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
