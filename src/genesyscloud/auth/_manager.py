"""The token manager: one valid access token per client, renewed single-flight.

It never performs I/O itself; the client's drivers pass a ``fetch`` callable that sends
a :class:`TokenRequest` to the login service and returns the new :class:`Token`.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import threading
from typing import Awaitable, Callable

from .._core.errors import AuthError
from . import Grant, Token, TokenRequest

__all__ = ["TokenManager"]


class TokenManager:
    """Holds the current token for one grant and renews it ahead of expiry.

    Args:
        grant: the OAuth grant to run.
        refresh_window: renew when fewer than this many seconds remain; ``None`` uses
            the smaller of 300 s and 10 % of the token's lifetime.
    """

    def __init__(self, grant: Grant, *, refresh_window: float | None = None) -> None:
        self.grant = grant
        self.refresh_window = refresh_window
        self._token: Token | None = grant.initial_token()
        self._issued_at: _dt.datetime | None = None
        self._lock = threading.Lock()
        self._async_locks: dict[int, asyncio.Lock] = {}
        self.token_requests = 0  # how many token requests this manager has sent

    @property
    def token(self) -> Token | None:
        """The current token (may be expired), or ``None``."""
        return self._token

    def _window(self, token: Token) -> float:
        if self.refresh_window is not None:
            return self.refresh_window
        if token.expires_at is None or self._issued_at is None:
            return 0.0
        lifetime = (token.expires_at - self._issued_at).total_seconds()
        return min(300.0, 0.1 * lifetime)

    def _usable(self) -> Token | None:
        token = self._token
        if token is None:
            return None
        if self.grant.renewable and token.is_expired(margin=self._window(token)):
            return None
        return token

    def _request(self) -> TokenRequest:
        request = self.grant.token_request()
        if request is None:
            if self._token is not None:
                raise AuthError("invalid_token", "the access token was rejected and this grant cannot renew it")
            raise AuthError("invalid_grant", "this grant has no token and cannot obtain one")
        return request

    def _store(self, token: Token) -> Token:
        self._token = token
        self._issued_at = _dt.datetime.now(_dt.timezone.utc)
        self.token_requests += 1
        return token

    def get_sync(self, fetch: Callable[[TokenRequest], Token]) -> Token:
        """Return a usable token, renewing it (one thread at a time) when needed.

        Raises:
            AuthError: the login service refused, or the grant cannot renew.
        """
        token = self._usable()
        if token is not None:
            return token
        with self._lock:
            token = self._usable()
            if token is not None:
                return token
            if not self.grant.renewable and self._token is not None:
                return self._token
            return self._store(fetch(self._request()))

    async def get_async(self, fetch: Callable[[TokenRequest], Awaitable[Token]]) -> Token:
        """Async counterpart of :meth:`get_sync` (one task at a time per event loop)."""
        token = self._usable()
        if token is not None:
            return token
        loop_id = id(asyncio.get_running_loop())
        lock = self._async_locks.get(loop_id)
        if lock is None:
            lock = self._async_locks.setdefault(loop_id, asyncio.Lock())
        async with lock:
            token = self._usable()
            if token is not None:
                return token
            if not self.grant.renewable and self._token is not None:
                return self._token
            return self._store(await fetch(self._request()))

    def invalidate(self, token: Token) -> bool:
        """Forget ``token`` after the API rejected it (401).

        Returns whether a renewal is possible (the grant can run again).
        """
        if self._token is token and self.grant.renewable:
            self._token = None
        return self.grant.renewable
