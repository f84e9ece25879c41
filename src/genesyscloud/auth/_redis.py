"""A Redis token store (extra ``redis``): a fleet of workers sharing one OAuth client."""

from __future__ import annotations

import contextlib
import json
import random
import time
import uuid
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from ._token import Token, utcnow

__all__ = ["RedisTokenStore"]

# delete the lock only if we still own it (it may have expired and been taken by another worker)
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


class RedisTokenStore:
    """Tokens in Redis, with a lock that expires, so that every worker sharing one OAuth
    client performs one token request per expiry, not one per worker.

    The token is a JSON string under ``{prefix}token:{key}`` (expiring with the token when
    it has no refresh token); the lock is ``{prefix}lock:{key}``, taken with
    ``SET NX PX lock_ttl`` and released only by its owner, so a worker that dies while
    renewing blocks the others for at most ``lock_ttl`` seconds.

    Args:
        redis: a ``redis.Redis`` client, or a URL such as ``redis://127.0.0.1:6379/0``
            (default); a password in the URL is never shown by ``repr``.
        prefix: key prefix (default ``"genesyscloud:"``).
        lock_ttl: seconds after which an abandoned lock expires (default 60).

    Raises:
        ImportError: the ``redis`` package is missing (``pip install genesyscloud[redis]``).
    """

    def __init__(self, redis: Any = "redis://127.0.0.1:6379/0", *, prefix: str = "genesyscloud:",
                 lock_ttl: float = 60.0) -> None:
        try:
            import redis as _redis
        except ImportError:
            raise ImportError("RedisTokenStore needs the redis package: pip install 'genesyscloud[redis]'") from None
        if isinstance(redis, str):
            self._where = _redact_url(redis)
            self.redis = _redis.Redis.from_url(redis, socket_timeout=5.0, socket_connect_timeout=5.0)
        else:
            self._where = type(redis).__name__
            self.redis = redis
        if not isinstance(lock_ttl, int | float) or lock_ttl <= 0:
            raise ValueError("RedisTokenStore: lock_ttl must be a positive number of seconds")
        self.prefix = prefix
        self.lock_ttl = float(lock_ttl)
        self._release = self.redis.register_script(_RELEASE)

    def load(self, key: str) -> Token | None:
        raw = self.redis.get(f"{self.prefix}token:{key}")
        if raw is None:
            return None
        try:
            return Token.from_dict(json.loads(raw))
        except (ValueError, TypeError):
            return None  # a corrupt value is replaced by the next save

    def save(self, key: str, token: Token) -> None:
        ttl_ms = None
        if token.refresh_token is None and token.expires_at is not None:
            ttl_ms = max(1000, int(((token.expires_at - utcnow()).total_seconds() + 60) * 1000))
        self.redis.set(f"{self.prefix}token:{key}", json.dumps(token.to_dict()), px=ttl_ms)

    def delete(self, key: str) -> None:
        self.redis.delete(f"{self.prefix}token:{key}")

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        name = f"{self.prefix}lock:{key}"
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + max(0.0, timeout)
        ttl_ms = int(self.lock_ttl * 1000)
        delay = 0.005
        while not self.redis.set(name, owner, nx=True, px=ttl_ms):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the Redis token lock was not released within {timeout:g} s")
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            self._release(keys=[name], args=[owner])

    def __repr__(self) -> str:
        return f"RedisTokenStore({self._where!r}, prefix={self.prefix!r})"
