"""Build a client's rate-limit pacer (per process, or shared through Redis)."""

from __future__ import annotations

from typing import Any

from ._core.pacing import Pacer, parse_rate_limit

__all__ = ["make_pacer"]


def make_pacer(rate_limit: Any, store: Any, token_store: Any, *, login_host: str, client_id: str,
               asyncio: bool) -> Pacer | None:
    """The :class:`Pacer` for ``rate_limit=`` (``None`` when ``"off"``).

    ``store`` is ``rate_limit_store=``: a Redis URL, a ``redis.Redis`` (or, on the async
    client, ``redis.asyncio.Redis``) client, or a ready window store. Without it, a
    ``RedisTokenStore`` given as ``token_store=`` lends its Redis server, so the fleet that
    shares a token also shares its window.

    Raises:
        TypeError, ValueError: a bad ``rate_limit``.
        ImportError: a Redis store without the ``redis`` package.
    """
    mode = parse_rate_limit(rate_limit)
    if not mode.enabled:
        return None
    if store is None and token_store is not None:
        redis = getattr(token_store, "redis", None)
        if redis is not None and hasattr(redis, "connection_pool"):
            store = redis
    shared = None
    if store is not None:
        if hasattr(store, "reserve") and hasattr(store, "block"):
            shared = store
        else:
            from ._pacing_redis import AsyncRedisWindows, RedisWindows

            namespace = f"{login_host.split('://', 1)[-1].rstrip('/')}:{client_id}"
            shared = (AsyncRedisWindows if asyncio else RedisWindows)(store, namespace=namespace)
    return Pacer(mode, shared=shared)
