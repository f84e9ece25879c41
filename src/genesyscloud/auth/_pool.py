"""A pool of client-credentials tokens (``ClientCredentials(..., pool_size=N)``).

Genesys Cloud limits each access token to 300 requests a minute, so N tokens of one OAuth
client allow up to N x 300 a minute where the org's other limits (3,000 a minute per user,
per-API limits, the org's own) allow it. Each pooled token is a slot with its own
:class:`TokenManager`: renewed single-flight like any token, and, with a shared token store,
shared by the fleet under its own key (slot ``i`` of every process is the same token).
Calls take the slots in turn (round robin), so each token's window fills evenly; rate-limit
pacing keeps a window per token.

Trade-off: minting costs a token request per slot (and the login service limits those),
and only the per-token limit multiplies.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, Awaitable, Callable

from ._manager import TokenManager
from ._token import Token, TokenRequest

__all__ = ["TokenPool"]


class TokenPool:
    """N :class:`TokenManager` slots used in turn; has the manager's interface for the clients."""

    def __init__(self, managers: list[TokenManager]) -> None:
        if not managers:
            raise ValueError("TokenPool needs at least one slot")
        self.managers = managers
        self._turn = itertools.count()
        self._lock = threading.Lock()

    @property
    def grant(self) -> Any:
        return self.managers[0].grant

    @property
    def token(self) -> Token | None:
        """The first slot's token (``tokens`` lists every slot's)."""
        return self.managers[0].token

    @property
    def tokens(self) -> list[Token | None]:
        return [m.token for m in self.managers]

    @property
    def token_requests(self) -> int:
        return sum(m.token_requests for m in self.managers)

    def _next(self) -> TokenManager:
        with self._lock:
            return self.managers[next(self._turn) % len(self.managers)]

    def get_sync(self, fetch: Callable[[TokenRequest], Token]) -> Token:
        return self._next().get_sync(fetch)

    async def get_async(self, fetch: Callable[[TokenRequest], Awaitable[Token]]) -> Token:
        return await self._next().get_async(fetch)

    def invalidate(self, token: Token) -> bool:
        """The API refused ``token`` (401): invalidate the slot that holds it."""
        for manager in self.managers:
            if manager.token is not None and manager.token.access_token == token.access_token:
                return manager.invalidate(token)
        return self.managers[0].invalidate(token)

    def set_token(self, token: Token) -> None:
        self.managers[0].set_token(token)

    def __repr__(self) -> str:
        return f"TokenPool(size={len(self.managers)}, grant={self.grant!r})"
