"""Rate-limit windows shared by a fleet through Redis (extra ``redis``).

One Redis hash per bucket, ``{prefix}ratelimit:{namespace}:{bucket}`` (namespace: the
login host and the OAuth client id; bucket: a hash of the access token), holds the
window's end (Redis server time, ms), the count of slots handed out, and a block set by
a 429. One Lua script takes slots atomically and learns the window from what the calling
process saw in the ``inin-ratelimit-*`` headers, in one round trip, with Redis' own
clock as the fleet's common clock (machines' clocks need not agree).

Why a Lua script and not the ``limits`` package: ``limits`` counts in windows of its own
(from the first hit, or a moving log of timestamps), with a fixed limit given up front;
pacing here must follow the *server's* window, learned from ``inin-ratelimit-reset`` and
``-allowed`` as responses arrive, and take the learning and the reservation in the same
round trip. The script is 1 round trip per request on the sync path (measured in
``bench/fleet.py``); the asyncio path takes slots in batches (fewer than 1 per request).

Near a known window's end (the last 5 % of it, at most 250 ms) no slot is handed out: a
request sent then could reach the server after its window rolled over and count in the
next window, which Redis would start from zero.

Failures: a Redis error or a reply slower than ``socket_timeout`` (a stalled server)
makes the store unavailable for ``retry_interval`` seconds, with one warning per outage;
the pacer then paces on its own windows and no call fails.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from ._core.pacing import Grant, StoreUnavailable

__all__ = ["RedisWindows", "AsyncRedisWindows", "StoreUnavailable", "redis_kwargs_of"]

log = logging.getLogger("genesyscloud.pacing")

# KEYS[1] window hash; ARGV: limit (-1 unknown), remaining ms (-1 unknown), window ms (-1 unknown),
# seen count, slots wanted, 1 to start the window afresh (after an outage). Returns {granted, ms until the window ends, limit (-1 unknown), window ms}.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local remaining = tonumber(ARGV[2])
local length = tonumber(ARGV[3])
local seen = tonumber(ARGV[4])
local want = tonumber(ARGV[5])
local w = redis.call('HMGET', KEYS[1], 'end', 'count', 'known', 'blocked', 'start', 'limit', 'len')
local e = tonumber(w[1]) or 0
local count = tonumber(w[2]) or 0
local known = w[3] == '1'
local blocked = tonumber(w[4]) or 0
local start = tonumber(w[5]) or 0
if limit < 0 then limit = tonumber(w[6]) or -1 end
if length < 0 then length = tonumber(w[7]) or -1 end
if ARGV[6] == '1' then
  e = 0
  blocked = 0
end
if blocked > now then
  return {0, blocked - now, limit, length}
end
if now >= e then
  start = now
  count = 0
  known = false
  if length > 0 then e = now + length else e = now + 3600000 end
end
if remaining >= 0 and length > 0 then
  local obs = now + remaining
  local half = length / 2
  if not known then
    if obs > start + half then
      e = obs
      known = true
      if seen > count then count = seen end
    end
  elseif obs > e + half then
    start = obs - length
    e = obs
    count = seen
  elseif obs >= e - half then
    if obs < e then e = obs end
    if seen > count then count = seen end
  end
end
local grant = 0
local guard = math.min(250, math.max(length, 0) * 0.05)
if limit < 0 then
  grant = want
elseif known and now >= e - guard then
  grant = 0
elseif count < limit then
  grant = math.min(limit - count, want)
end
count = count + grant
redis.call('HSET', KEYS[1], 'end', e, 'count', count, 'known', known and '1' or '0', 'start', start,
           'limit', limit, 'len', length)
redis.call('PEXPIRE', KEYS[1], math.floor(e - now + math.max(length, 0) + 60000))
return {grant, e - now, limit, length}
"""

# KEYS[1] window hash; ARGV: ms to block
_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local old = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if until_ > old then redis.call('HSET', KEYS[1], 'blocked', until_) end
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[1]) + 60000))
return 1
"""


def redis_kwargs_of(client: Any) -> dict[str, Any]:
    """Connection settings of a ``redis.Redis`` client (to open a second client, e.g. the
    asyncio one, to the same server)."""
    kwargs = dict(client.connection_pool.connection_kwargs)
    keep = ("host", "port", "db", "username", "password", "path", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
    out = {k: v for k, v in kwargs.items() if k in keep and v is not None}
    if "SSL" in type(client.connection_pool.connection_class).__name__ or \
            "SSL" in getattr(client.connection_pool.connection_class, "__name__", ""):
        out["ssl"] = True
    return out


class _Health:
    """Up/down bookkeeping: one warning per outage."""

    def __init__(self, where: str, retry_interval: float) -> None:
        self.where = where
        self.retry_interval = retry_interval
        self.down_until = 0.0
        self.down = False
        self.outages = 0
        self.lock = threading.Lock()

    def check(self) -> None:
        if self.down and time.monotonic() < self.down_until:
            raise StoreUnavailable(self.where)

    def failed(self, exc: BaseException) -> None:
        with self.lock:
            self.down_until = time.monotonic() + self.retry_interval
            if not self.down:
                self.down = True
                self.outages += 1
                log.warning("rate-limit pacing: Redis at %s is unavailable (%s: %s); pacing per process "
                            "until it answers again (retrying every %g s)", self.where, type(exc).__name__,
                            exc, self.retry_interval)

    def ok(self) -> None:
        if self.down:
            with self.lock:
                if self.down:
                    self.down = False
                    log.info("rate-limit pacing: Redis at %s answers again; pacing is shared", self.where)


class RedisWindows:
    """Shared windows through a sync ``redis.Redis`` (one round trip per slot).

    Args:
        redis: a ``redis.Redis`` client or a URL (``redis://127.0.0.1:6379/0``).
        namespace: what the buckets belong to (login host and client id).
        prefix: key prefix (default ``"genesyscloud:"``, as the token store).
        socket_timeout: seconds a reply may take before the store counts as stalled.
        retry_interval: seconds to pace per process after a failure before trying again.
    """

    def __init__(self, redis: Any, *, namespace: str, prefix: str = "genesyscloud:",
                 socket_timeout: float = 0.5, retry_interval: float = 5.0) -> None:
        import redis as _redis

        if isinstance(redis, str):
            from .auth._redis import _redact_url

            where = _redact_url(redis)
            redis = _redis.Redis.from_url(redis, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout)
        else:
            where = type(redis).__name__
            redis = _redis.Redis(**redis_kwargs_of(redis), socket_timeout=socket_timeout,
                                 socket_connect_timeout=socket_timeout)
        self.redis = redis
        self.key_prefix = f"{prefix}ratelimit:{namespace}:"
        self.health = _Health(where, retry_interval)
        self._reserve = redis.register_script(_RESERVE)
        self._block = redis.register_script(_BLOCK)
        self.round_trips = 0

    def reserve(self, bucket: str, *, limit: int | None, remaining: float | None, window: float | None,
                seen: int) -> Grant:
        self.health.check()
        try:
            self.round_trips += 1
            args = _args(limit, remaining, window, seen, 1, afresh=self.health.down)
            granted, wait_ms, known_limit, length = self._reserve(keys=[self.key_prefix + bucket], args=args)
        except Exception as exc:  # redis.RedisError, OSError, a timeout: fall back (warned once)
            self.health.failed(exc)
            raise StoreUnavailable(self.health.where) from exc
        self.health.ok()
        return Grant(int(granted), None if granted else max(0.0, int(wait_ms) / 1000), _known(known_limit),
                     _known(length, 1000))

    def block(self, bucket: str, seconds: float) -> None:
        self.health.check()
        try:
            self.round_trips += 1
            self._block(keys=[self.key_prefix + bucket], args=[int(seconds * 1000)])
        except Exception as exc:
            self.health.failed(exc)
            raise StoreUnavailable(self.health.where) from exc

    def close(self) -> None:
        self.redis.close()

    def __repr__(self) -> str:
        return f"RedisWindows({self.health.where!r})"


class _Lease:
    __slots__ = ("slots", "end", "full_until", "task", "demand", "limit", "length")

    def __init__(self) -> None:
        self.limit: int | None = None  # what Redis knows of the bucket
        self.length: float | None = None
        self.slots = 0
        self.end = 0.0  # local monotonic time the leased slots' window ends
        self.full_until = 0.0
        self.task: asyncio.Task[None] | None = None
        self.demand = 0


class AsyncRedisWindows:
    """Shared windows through ``redis.asyncio`` (never blocks the event loop).

    ``reserve`` never waits: it hands out slots leased from Redis in batches (sized by how
    many requests asked since the last batch, at most ``max_batch``) and starts a
    background task for the next batch; until that task answers, callers are told to
    look again shortly (the pacer sleeps ``POLL_INTERVAL``). Leased slots die with their
    window. Arguments as :class:`RedisWindows`.
    """

    GUARD = 0.002  # seconds: a leased slot is not used this close to its window's end

    def __init__(self, redis: Any, *, namespace: str, prefix: str = "genesyscloud:",
                 socket_timeout: float = 0.5, retry_interval: float = 5.0, max_batch: int = 32) -> None:
        import redis.asyncio as _aredis

        if isinstance(redis, str):
            from .auth._redis import _redact_url

            where = _redact_url(redis)
            client = _aredis.Redis.from_url(redis, socket_timeout=socket_timeout,
                                            socket_connect_timeout=socket_timeout)
        elif isinstance(redis, _aredis.Redis):
            where, client = type(redis).__name__, redis
        else:
            where = type(redis).__name__
            client = _aredis.Redis(**redis_kwargs_of(redis), socket_timeout=socket_timeout,
                                   socket_connect_timeout=socket_timeout)
        self.redis = client
        self.key_prefix = f"{prefix}ratelimit:{namespace}:"
        self.health = _Health(where, retry_interval)
        self.socket_timeout = socket_timeout
        self.max_batch = max_batch
        self._reserve = client.register_script(_RESERVE)
        self._block = client.register_script(_BLOCK)
        self._leases: dict[str, _Lease] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.round_trips = 0

    def reserve(self, bucket: str, *, limit: int | None, remaining: float | None, window: float | None,
                seen: int) -> Grant:
        self.health.check()
        now = time.monotonic()
        lease = self._leases.get(bucket)
        if lease is None:
            lease = self._leases[bucket] = _Lease()
        if lease.slots > 0 and now < lease.end - self.GUARD:
            lease.slots -= 1
            return Grant(1, None, lease.limit, lease.length)
        lease.slots = 0
        if lease.full_until > now:
            return Grant(0, lease.full_until - now)
        lease.demand += 1
        if lease.task is None:
            want = max(1, min(lease.demand, self.max_batch))
            lease.demand = 0
            task = asyncio.get_running_loop().create_task(
                self._refill(bucket, lease, _args(limit, remaining, window, seen, want, afresh=self.health.down)))
            lease.task = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return Grant(0, None)

    async def _refill(self, bucket: str, lease: _Lease, args: list[Any]) -> None:
        try:
            self.round_trips += 1
            granted, wait_ms, known_limit, length = await asyncio.wait_for(
                self._reserve(keys=[self.key_prefix + bucket], args=args), self.socket_timeout)
        except Exception as exc:  # redis errors, timeouts, a stalled server: fall back (warned once)
            self.health.failed(exc)
            return
        finally:
            lease.task = None
        self.health.ok()
        now = time.monotonic()
        lease.limit, lease.length = _known(known_limit), _known(length, 1000)
        if int(granted) > 0:
            lease.slots = int(granted)
            lease.end = now + int(wait_ms) / 1000
            lease.full_until = 0.0
        else:
            lease.full_until = now + max(0, int(wait_ms)) / 1000

    def block(self, bucket: str, seconds: float) -> None:
        self.health.check()
        lease = self._leases.get(bucket)
        if lease is not None:
            lease.slots = 0
            lease.full_until = time.monotonic() + seconds

        async def send() -> None:
            try:
                self.round_trips += 1
                await asyncio.wait_for(self._block(keys=[self.key_prefix + bucket], args=[int(seconds * 1000)]),
                                       self.socket_timeout)
            except Exception as exc:
                self.health.failed(exc)

        task = asyncio.get_running_loop().create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.redis.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisWindows({self.health.where!r})"


def _args(limit: int | None, remaining: float | None, window: float | None, seen: int, want: int,
          afresh: bool = False) -> list[Any]:
    """The script's arguments; ``afresh`` (the first call after an outage) drops the stored
    window: commands that were queued in a stalled server may have run late and skewed it."""
    return [-1 if limit is None else int(limit), -1 if remaining is None else max(0, int(remaining * 1000)),
            -1 if window is None else int(window * 1000), int(seen), int(want), 1 if afresh else 0]


def _known(value: Any, scale: int = 1) -> Any:
    number = int(value)
    if number < 0:
        return None
    return number if scale == 1 else number / scale
