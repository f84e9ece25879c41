"""A Redis token store (extra ``redis``): a fleet of workers sharing one OAuth client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
import uuid
import weakref
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

from ._token import Token, utcnow

__all__ = ["RedisTokenStore"]

# delete the lock only if we still own it (it may have expired and been taken by another worker)
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
# take the lock, or find that we hold it already: a SET NX that timed out on the client may
# have been applied by the server (and a retry of it then fails): the owner token says so
_ACQUIRE = ("local v = redis.call('get', KEYS[1]) "
            "if v == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end "
            "if v then return 0 end "
            "redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1")
#: seconds to wait for Redis on one command (URL clients); a frozen Redis then costs this once
SOCKET_TIMEOUT = 2.0
#: connection settings copied from a given ``redis.Redis`` to its ``redis.asyncio`` twin
_ASYNC_KEYS = ("host", "port", "db", "username", "password", "socket_timeout", "socket_connect_timeout",
               "client_name", "path")
#: seconds between attempts to release a lock whose acquisition or release failed midway
CLEANUP_INTERVAL = 1.0


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


class RedisTokenStore:
    """Tokens in Redis, with an owner-tokened lock that expires, so that every worker
    sharing one OAuth client performs one token request per expiry, not one per worker.

    The token is a JSON string under ``{prefix}token:{key}`` (expiring with the token when
    it has no refresh token); the lock is ``{prefix}lock:{key}``, holding a random owner
    token. It is taken by a script that also recognises a lock this worker already holds
    (a ``SET`` that timed out on the client but reached Redis), and released by a script
    that deletes it only for its owner. Its lifetime is the lock timeout the token manager
    passes (its token-request budget) unless ``lock_ttl`` is given, so a worker that dies or
    stalls while renewing blocks the others for about one token request at most; a waiter
    whose wait runs out renews for itself. A lock whose acquisition or release failed
    midway (Redis stalled: the command may still be applied when it resumes) is released
    by its owner from a background thread, every second until Redis answers.

    Async clients use ``redis.asyncio`` (one client per event loop, never blocking it);
    sync clients use ``redis``. Both come from the URL; a ``redis.Redis`` instance serves
    sync clients, and ``async_redis`` (a ``redis.asyncio.Redis``) async ones (without it,
    async clients run the sync calls in a thread).

    Args:
        redis: a ``redis.Redis`` client, or a URL such as ``redis://127.0.0.1:6379/0``
            (default); a password in the URL is never shown by ``repr``. URL clients wait
            at most ``socket_timeout`` seconds per command and do not retry (the token
            manager falls back to a local renewal instead).
        prefix: key prefix (default ``"genesyscloud:"``).
        lock_ttl: seconds after which an abandoned lock expires; default ``None``: the lock
            timeout the token manager passes (its token-request budget).
        async_redis: a ``redis.asyncio.Redis`` client for async clients.
        socket_timeout: seconds per Redis command for URL clients (default 2).

    Raises:
        ImportError: the ``redis`` package is missing (``pip install genesyscloud[redis]``).
        ValueError: a ``lock_ttl`` that is not a positive number.
    """

    def __init__(self, redis: Any = "redis://127.0.0.1:6379/0", *, prefix: str = "genesyscloud:",
                 lock_ttl: float | None = None, async_redis: Any = None,
                 socket_timeout: float = SOCKET_TIMEOUT) -> None:
        try:
            import redis as _redis
        except ImportError:
            raise ImportError("RedisTokenStore needs the redis package: pip install 'genesyscloud[redis]'") from None
        if lock_ttl is not None and (isinstance(lock_ttl, bool) or not isinstance(lock_ttl, int | float)
                                     or lock_ttl <= 0):
            raise ValueError("RedisTokenStore: lock_ttl must be None or a positive number of seconds")
        if isinstance(socket_timeout, bool) or not isinstance(socket_timeout, int | float) or socket_timeout <= 0:
            raise ValueError("RedisTokenStore: socket_timeout must be a positive number of seconds")
        self.socket_timeout = float(socket_timeout)
        self._url: str | None = None
        if isinstance(redis, str):
            self._where = _redact_url(redis)
            self._url = redis
            self.redis = _redis.Redis.from_url(redis, **self._url_options(_redis.retry.Retry))
        else:
            self._where = type(redis).__name__
            self.redis = redis
        self.prefix = prefix
        self.lock_ttl = None if lock_ttl is None else float(lock_ttl)
        self._release = self.redis.register_script(_RELEASE)
        self._acquire = self.redis.register_script(_ACQUIRE)
        self._async_given = async_redis
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        # (lock name, owner) -> [give up at (monotonic), releases that found nothing] of locks
        # whose acquisition or release failed midway
        self._orphans: dict[tuple[str, str], list[float]] = {}
        self._guard = threading.Lock()
        self._cleanup_timer: threading.Timer | None = None

    def _url_options(self, retry_cls: Any) -> dict[str, Any]:
        from redis.backoff import NoBackoff

        return {"socket_timeout": self.socket_timeout, "socket_connect_timeout": self.socket_timeout,
                "retry": retry_cls(NoBackoff(), 0)}

    # -- names ---------------------------------------------------------------------------
    def _token_name(self, key: str) -> str:
        return f"{self.prefix}token:{key}"

    def _lock_name(self, key: str) -> str:
        return f"{self.prefix}lock:{key}"

    def _ttl_ms(self, timeout: float) -> int:
        return max(1000, int((self.lock_ttl if self.lock_ttl is not None else timeout) * 1000))

    @staticmethod
    def _decode(raw: Any) -> Token | None:
        if raw is None:
            return None
        try:
            return Token.from_dict(json.loads(raw))
        except (ValueError, TypeError):
            return None  # a corrupt value is replaced by the next save

    @staticmethod
    def _encode(token: Token) -> tuple[str, int | None]:
        ttl_ms = None
        if token.refresh_token is None and token.expires_at is not None:
            ttl_ms = max(1000, int(((token.expires_at - utcnow()).total_seconds() + 60) * 1000))
        return json.dumps(token.to_dict()), ttl_ms

    def _orphan(self, name: str, owner: str, ttl_ms: int) -> None:
        """Remember a lock that may be held in our name, and release it soon (in a thread)."""
        with self._guard:
            self._orphans[(name, owner)] = [time.monotonic() + ttl_ms / 1000, 0]
            if self._cleanup_timer is None:
                timer = threading.Timer(CLEANUP_INTERVAL, self._cleanup)
                timer.daemon = True
                self._cleanup_timer = timer
                timer.start()

    def _cleanup(self) -> None:
        """Release orphaned locks. A command that timed out may still be applied when Redis
        resumes, even after our release: a lock is forgotten only after two releases in a
        row found nothing of ours (or once its lifetime is over)."""
        with self._guard:
            pending = dict(self._orphans)
        for (name, owner), (until, _) in pending.items():
            if until <= time.monotonic():
                outcome: Any = "expired"
            else:
                try:
                    outcome = self._release(keys=[name], args=[owner])
                except Exception:  # still unreachable: try again shortly
                    outcome = None
            with self._guard:
                entry = self._orphans.get((name, owner))
                if entry is None:
                    continue
                if outcome == "expired" or entry[1] >= 1 and outcome is not None:
                    del self._orphans[(name, owner)]
                elif outcome is not None:
                    entry[1] += 1
        with self._guard:
            self._cleanup_timer = None
            if self._orphans:
                timer = threading.Timer(CLEANUP_INTERVAL, self._cleanup)
                timer.daemon = True
                self._cleanup_timer = timer
                timer.start()

    # -- sync ----------------------------------------------------------------------------
    def load(self, key: str) -> Token | None:
        return self._decode(self.redis.get(self._token_name(key)))

    def save(self, key: str, token: Token) -> None:
        value, ttl_ms = self._encode(token)
        self.redis.set(self._token_name(key), value, px=ttl_ms)

    def delete(self, key: str) -> None:
        self.redis.delete(self._token_name(key))

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        """The renewal lock of ``key``, waited for up to ``timeout`` seconds.

        Raises:
            TimeoutError: another worker holds it for longer.
            redis.RedisError: Redis cannot be reached (the token manager then renews locally).
        """
        name, owner = self._lock_name(key), uuid.uuid4().hex
        ttl_ms = self._ttl_ms(timeout)
        deadline = time.monotonic() + max(0.0, timeout)
        delay = 0.005
        while True:
            try:
                taken = self._acquire(keys=[name], args=[owner, ttl_ms])
            except Exception:
                self._orphan(name, owner, ttl_ms)  # it may have reached Redis: released by its owner soon
                raise
            if taken:
                break
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the Redis token lock was not released within {timeout:g} s")
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            try:
                self._release(keys=[name], args=[owner])
            except Exception:
                self._orphan(name, owner, ttl_ms)
                raise

    # -- async (redis.asyncio) -------------------------------------------------------------
    def _aclient(self) -> Any:
        if self._async_given is not None:
            return self._async_given
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            for done in [other for other in list(self._async) if other.is_closed()]:
                self._async.pop(done, None)  # a finished asyncio.run(): its connections are gone
            import redis.asyncio as aredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            if self._url is not None:
                client = aredis.Redis.from_url(self._url, **self._url_options(Retry))
            else:  # the same server as the sync client
                given = self.redis.connection_pool.connection_kwargs
                kwargs = {k: given[k] for k in _ASYNC_KEYS if k in given}
                if "path" in kwargs:
                    kwargs["unix_socket_path"] = kwargs.pop("path")
                client = aredis.Redis(**kwargs, retry=Retry(NoBackoff(), 0))
            self._async[loop] = client
        return client

    async def _ascript(self, source: str, keys: list[str], args: list[Any]) -> Any:
        return await self._aclient().eval(source, len(keys), *keys, *args)

    async def aload(self, key: str) -> Token | None:
        """Async :meth:`load` (``redis.asyncio``)."""
        return self._decode(await self._aclient().get(self._token_name(key)))

    async def asave(self, key: str, token: Token) -> None:
        """Async :meth:`save` (``redis.asyncio``)."""
        value, ttl_ms = self._encode(token)
        await self._aclient().set(self._token_name(key), value, px=ttl_ms)

    async def adelete(self, key: str) -> None:
        """Async :meth:`delete` (``redis.asyncio``)."""
        await self._aclient().delete(self._token_name(key))

    def alock(self, key: str, timeout: float) -> Any:
        """Async :meth:`lock`: ``async with store.alock(key, timeout):`` (``redis.asyncio``)."""
        return self._alock(key, timeout)

    @contextlib.asynccontextmanager
    async def _alock(self, key: str, timeout: float) -> AsyncIterator[None]:
        name, owner = self._lock_name(key), uuid.uuid4().hex
        ttl_ms = self._ttl_ms(timeout)
        deadline = time.monotonic() + max(0.0, timeout)
        delay = 0.005
        while True:
            try:
                taken = await self._ascript(_ACQUIRE, [name], [owner, ttl_ms])
            except BaseException:
                self._orphan(name, owner, ttl_ms)
                raise
            if taken:
                break
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the Redis token lock was not released within {timeout:g} s")
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            try:
                await self._ascript(_RELEASE, [name], [owner])
            except BaseException:
                self._orphan(name, owner, ttl_ms)
                raise

    async def aclose(self) -> None:
        """Close this event loop's ``redis.asyncio`` client (the next use opens a new one);
        ``AsyncGenesysCloud.close()`` calls it. A given ``async_redis`` stays open."""
        client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def __repr__(self) -> str:
        return f"RedisTokenStore({self._where!r}, prefix={self.prefix!r})"
