"""Notifications: a managed real-time event stream over the Notifications API (WebSocket).

    from genesyscloud.notifications import AsyncNotificationListener, NotificationListener, StreamGap

    async with AsyncNotificationListener(agc, topics=[f"v2.users.{uid}.presence"]) as listener:
        async for event in listener:            # NotificationEvent, or a StreamGap marker
            print(event.topic, event.body.presence_definition.system_presence)

    with NotificationListener(gc, topics=[...]) as listener:   # the same, sync (a background thread)
        for event in listener: ...

What it does (Genesys Developer Center, "Notifications"; GENESYS-FACTS §6):

* creates channels (``POST /api/v2/notifications/channels``) and subscribes over REST
  (``PUT /api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true``; ``POST`` to
  add), through the client, so tokens renew themselves; a ``Rejected`` topic raises
  :class:`TopicRejectedError` naming each topic and why, or goes to ``on_rejected``;
* decodes each event body into the model of its topic (the generated topic map,
  ``genesyscloud._topics``), lazily; a topic not in the table keeps its body as a ``dict``;
* consumes ``channel.metadata`` heartbeats and pongs; a socket silent for
  ``liveness_timeout`` seconds (it sends a ping at half of that) is replaced;
* on ``v2.system.socket_closing`` opens a second channel, subscribes the same topics, drains
  the old socket (a ping/pong barrier), then closes it; events seen on both sockets are
  yielded once (de-duplicated by topic and body, at most ``dedup_capacity`` keys);
* re-subscribes before a channel's 24 h expiry, rolls over before the token that created
  the channel expires, and replaces a channel that answers 404;
* after an abrupt drop reconnects with capped exponential backoff and full jitter and
  yields a :class:`StreamGap` (the service does not replay what was missed);
* spreads more than 1,000 topics over several channels, up to 20 (more is a
  :class:`TopicLimitError` before any request);
* a bounded buffer sits between the sockets and the consumer: ``overflow="block"`` (the
  default) stops reading the sockets while it is full; ``"drop_oldest"`` discards the oldest
  event and counts it in :attr:`dropped`.

Needs the ``notifications`` extra (the ``websockets`` library); importing this module does
not import it.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as _dt
import importlib
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Iterable, Iterator, Literal

from ._core.errors import APIConnectionError, APIStatusError, GenesysCloudError, NotFoundError
from ._core.logging import scrub_text
from ._topics import TOPIC_MODELS

__all__ = [
    "AsyncNotificationListener", "NotificationListener", "NotificationEvent", "StreamGap", "RejectedTopic",
    "NotificationError", "TopicRejectedError", "TopicLimitError", "topic_template", "topic_model",
    "MAX_TOPICS_PER_CHANNEL", "MAX_CHANNELS",
]

log = logging.getLogger("genesyscloud.notifications")

#: Topics one channel (and socket) carries (the service's limit).
MAX_TOPICS_PER_CHANNEL = 1000
#: Channels per user and OAuth client (the service evicts the oldest beyond this).
MAX_CHANNELS = 20
_HEARTBEAT = "channel.metadata"
_SOCKET_CLOSING = "v2.system.socket_closing"
_UNSET: Any = object()
_END: Any = object()


# -- errors -------------------------------------------------------------------------------------
class NotificationError(GenesysCloudError):
    """A notification stream failed (a socket could not be opened and the channel could not be
    replaced, or a REST call of the stream failed for good)."""


@dataclass(frozen=True)
class RejectedTopic:
    """A topic the service refused: ``reason`` (its ``rejectionReason``) and the
    ``missing_permissions`` it named."""

    topic: str
    reason: str
    missing_permissions: tuple[str, ...] = ()

    def __str__(self) -> str:
        extra = f"; missing permissions: {', '.join(self.missing_permissions)}" if self.missing_permissions else ""
        return f"{self.topic}: {self.reason or 'rejected'}{extra}"


class TopicRejectedError(NotificationError):
    """The service rejected topics (``state: Rejected``). ``rejected``: the :class:`RejectedTopic` list."""

    def __init__(self, rejected: list[RejectedTopic]) -> None:
        self.rejected = list(rejected)
        super().__init__("the service rejected %d topic(s): %s" % (len(rejected), "; ".join(map(str, rejected))))


class TopicLimitError(NotificationError, ValueError):
    """More topics than ``MAX_CHANNELS`` x ``MAX_TOPICS_PER_CHANNEL`` (raised before any request)."""


# -- topics ---------------------------------------------------------------------------------------
def _build_trie() -> dict[str, Any]:
    trie: dict[str, Any] = {}
    for template in TOPIC_MODELS:
        node = trie
        for seg in template.split("."):
            node = node.setdefault("*" if seg == "{id}" else seg, {})
        node[""] = template
    return trie


_TRIE: dict[str, Any] | None = None


def _walk(node: dict[str, Any], segs: list[str], i: int) -> str | None:
    if i == len(segs):
        return node.get("")
    child = node.get(segs[i])
    if child is not None:
        found = _walk(child, segs, i + 1)
        if found is not None:
            return found
    star = node.get("*")
    if star is not None and segs[i]:
        return _walk(star, segs, i + 1)
    return None


def topic_template(topic: str) -> str | None:
    """The topic table's template for a concrete topic (``v2.users.8f3....presence`` ->
    ``v2.users.{id}.presence``; literal segments win over ``{id}``), or ``None``."""
    global _TRIE
    if _TRIE is None:
        _TRIE = _build_trie()
    if not isinstance(topic, str) or not topic:
        return None
    return _walk(_TRIE, topic.split("."), 0)


_MODEL_CACHE: dict[str, Any] = {}


def topic_model(topic: str) -> Any:
    """The model class of a topic's event body (``PresenceEventUserPresence`` for
    ``v2.users.{id}.presence``), or ``None`` when the table has no definition for it."""
    try:
        return _MODEL_CACHE[topic]
    except KeyError:
        pass
    template = topic_template(topic)
    definition = TOPIC_MODELS.get(template) if template else None
    model = None
    if definition:
        model = getattr(importlib.import_module("genesyscloud.models"), definition)
    elif len(_MODEL_CACHE) < 100_000:
        log.debug("no model for topic %s: its events keep the raw body", scrub_text(topic))
    if len(_MODEL_CACHE) < 100_000:
        _MODEL_CACHE[topic] = model
    return model


# -- what the stream yields -------------------------------------------------------------------------
class NotificationEvent:
    """One event: ``topic`` (``topicName``), ``version``, ``body`` (the topic's model, decoded
    on first read; a ``dict`` for a topic without one), ``metadata`` and ``raw`` (the whole
    message as received)."""

    __slots__ = ("topic", "raw", "_model", "_body")

    def __init__(self, topic: str, raw: dict[str, Any], model: Any) -> None:
        self.topic = topic
        self.raw = raw
        self._model = model
        self._body = _UNSET

    @property
    def version(self) -> str | None:
        return self.raw.get("version")

    @property
    def metadata(self) -> dict[str, Any]:
        return self.raw.get("metadata") or {}

    @property
    def correlation_id(self) -> str | None:
        """``metadata.CorrelationId``, when the service sent one."""
        return self.metadata.get("CorrelationId")

    @property
    def template(self) -> str | None:
        return topic_template(self.topic)

    @property
    def body(self) -> Any:
        body = self._body
        if body is _UNSET:
            wire = self.raw.get("eventBody")
            body = self._model.from_dict(wire) if self._model is not None and isinstance(wire, dict) else wire
            self._body = body
        return body

    def __repr__(self) -> str:
        kind = self._model.__name__ if self._model is not None else "dict"
        return f"NotificationEvent(topic={self.topic!r}, body={kind})"


@dataclass(frozen=True)
class StreamGap:
    """Events may have been missed between ``started`` and ``ended`` (aware UTC datetimes):
    a socket dropped and had to be reopened (the service does not replay). ``topics``: the
    topics of that socket; ``reason``: what happened."""

    started: _dt.datetime
    ended: _dt.datetime
    topics: tuple[str, ...] = ()
    reason: str = ""

    @property
    def seconds(self) -> float:
        return (self.ended - self.started).total_seconds()


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


# -- the buffer ---------------------------------------------------------------------------------------
class _Buffer:
    """A bounded FIFO between the socket readers (the event loop) and one consumer, which is
    either a coroutine on the same loop or another thread (``threaded=True``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int, policy: str, threaded: bool) -> None:
        self.loop = loop
        self.maxsize = maxsize
        self.drop_oldest = policy == "drop_oldest"
        self.items: collections.deque[Any] = collections.deque()
        self.dropped = 0
        self.closed = False
        self.error: BaseException | None = None
        self.threaded = threaded
        self.cond = threading.Condition() if threaded else None
        self._space: asyncio.Future[None] | None = None
        self._data: asyncio.Future[None] | None = None

    # producer side (the loop) -------------------------------------------------------------------
    def offer(self, item: Any) -> bool:
        """Append unless full under the blocking policy (then ``False``)."""
        cond = self.cond
        if cond is not None:
            with cond:
                if len(self.items) >= self.maxsize:
                    if not self.drop_oldest:
                        return False
                    self.items.popleft()
                    self.dropped += 1
                self.items.append(item)
                cond.notify()
            return True
        if len(self.items) >= self.maxsize:
            if not self.drop_oldest:
                return False
            self.items.popleft()
            self.dropped += 1
        self.items.append(item)
        data = self._data
        if data is not None and not data.done():
            data.set_result(None)
        return True

    async def put(self, item: Any) -> None:
        while not self.offer(item):
            if self.closed:
                return
            space = self.loop.create_future()
            self._space = space
            if self.cond is not None:
                with self.cond:
                    full = len(self.items) >= self.maxsize
                if not full:
                    continue
            await space
            self._space = None

    def _wake_space(self) -> None:
        space = self._space
        if space is not None and not space.done():
            space.set_result(None)

    def finish(self, error: BaseException | None = None) -> None:
        """No more items (``error``: the consumer raises it after the buffered items)."""
        if error is not None and self.error is None:
            self.error = error
        self.closed = True
        if self.cond is not None:
            with self.cond:
                self.cond.notify_all()
        data = self._data
        if data is not None and not data.done():
            data.set_result(None)
        self._wake_space()

    def clear(self) -> None:
        if self.cond is not None:
            with self.cond:
                self.items.clear()
        else:
            self.items.clear()
        self._wake_space()

    # consumer side -----------------------------------------------------------------------------
    async def aget(self) -> Any:
        while True:
            if self.items:
                item = self.items.popleft()
                if self._space is not None:
                    self._wake_space()
                return item
            if self.closed:
                if self.error is not None:
                    error, self.error = self.error, None
                    raise error
                return _END
            self._data = self.loop.create_future()
            await self._data

    def get_sync(self, timeout: float | None = None) -> Any:
        cond = self.cond
        assert cond is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        with cond:
            while not self.items:
                if self.closed:
                    if self.error is not None:
                        error, self.error = self.error, None
                        raise error
                    return _END
                wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
                if wait <= 0:
                    raise TimeoutError("no event within the timeout")
                cond.wait(wait)  # short waits keep Ctrl-C responsive
            item = self.items.popleft()
        if self._space is not None:
            try:
                self.loop.call_soon_threadsafe(self._wake_space)
            except RuntimeError:  # the loop already closed
                pass
        return item


class _Dedup:
    """Bounded memory of events seen during a socket overlap: ``seen`` is true for the second copy."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.keys: collections.OrderedDict[tuple[str, str], None] = collections.OrderedDict()

    def seen(self, topic: str, message: dict[str, Any]) -> bool:
        key = (topic, json.dumps(message.get("eventBody"), sort_keys=True, separators=(",", ":")))
        keys = self.keys
        if key in keys:
            del keys[key]  # an event comes at most twice: once per socket
            return True
        keys[key] = None
        if len(keys) > self.capacity:
            keys.popitem(last=False)
        return False


# -- REST, through the client's public API -----------------------------------------------------------
class _Rest:
    """The channel and subscription calls, awaited on the engine's loop; a sync client's
    calls run in worker threads."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.sync = not asyncio.iscoroutinefunction(getattr(client, "request", None))
        self.api = client.notifications

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.sync:
            return await asyncio.to_thread(fn, *args, **kwargs)
        return await fn(*args, **kwargs)

    async def create_channel(self) -> Any:
        """``POST /api/v2/notifications/channels`` -> ``Channel`` (``id``, ``connect_uri``, ``expires``)."""
        return await self._call(self.api.post_notifications_channels)

    async def subscribe(self, channel_id: str, topics: list[str], replace: bool) -> list[dict[str, Any]]:
        """``PUT`` (replace) or ``POST`` (append) ``.../subscriptions?ignoreErrors=true``; the entities."""
        body = [{"id": t} for t in topics]
        fn = self.api.put_notifications_channel_subscriptions if replace else self.api.post_notifications_channel_subscriptions
        listing = await self._call(fn, channel_id, body, ignore_errors=True)
        return list((listing.to_dict() if listing is not None else {}).get("entities") or [])

    async def clear(self, channel_id: str) -> None:
        await self._call(self.api.delete_notifications_channel_subscriptions, channel_id)

    async def exists(self, channel_id: str) -> bool:
        """``HEAD /api/v2/notifications/channels/{id}``: 200 alive, 404 gone."""
        try:
            await self._call(self.api.head_notifications_channel, channel_id)
        except NotFoundError:
            return False
        return True

    def renew_token(self) -> None:
        """Have the token manager renew the token before the next call (the channel about to
        be made must outlive the current token)."""
        manager = getattr(self.client, "token_manager", None)
        token = getattr(manager, "token", None) if manager is not None else None
        if token is not None:
            manager.invalidate(token)

    def token_deadline(self) -> float | None:
        """Monotonic time by which a channel made now should roll over (before its token expires)."""
        manager = getattr(self.client, "token_manager", None)
        token = getattr(manager, "token", None) if manager is not None else None
        remaining = token.expires_in() if token is not None else None
        if remaining is None or remaining <= 0:
            return None
        margin = min(max(manager.window(token) / 2, 30.0), remaining / 2)
        return time.monotonic() + remaining - margin


def _rejections(entities: list[dict[str, Any]]) -> list[RejectedTopic]:
    out = []
    for item in entities:
        if str(item.get("state", "")).lower() == "rejected":
            out.append(RejectedTopic(topic=str(item.get("id", "")), reason=str(item.get("rejectionReason") or ""),
                                     missing_permissions=tuple(item.get("missingPermissions") or ())))
    return out


# -- one socket ------------------------------------------------------------------------------------------
@dataclass(eq=False)
class _Channel:
    id: str
    uri: str
    topics: list[str]
    renew_at: float
    token_deadline: float | None
    ws: Any = None
    reader: asyncio.Task[Any] | None = None
    frames: int = 0
    planned: bool = False  # we are closing it: its end is no gap
    retired: bool = False
    rolling: bool = False
    pong: asyncio.Future[None] | None = None
    blocked: bool = False
    last_frame_at: _dt.datetime = field(default_factory=_utcnow)


class _Engine:
    """The async machinery behind both listeners (runs on one event loop)."""

    def __init__(self, client: Any, topics: Iterable[str], *, on_rejected: Callable[[list[RejectedTopic]], Any] | None,
                 buffer_size: int, overflow: str, liveness_timeout: float, max_backoff: float,
                 renew_before: float, dedup_capacity: int, connect_timeout: float, threaded: bool) -> None:
        self.rest = _Rest(client)
        self.topics = _unique(topics)
        self.on_rejected = on_rejected
        self.buffer_size = buffer_size
        self.overflow = overflow
        self.liveness_timeout = liveness_timeout
        self.max_backoff = max_backoff
        self.renew_before = renew_before
        self.dedup_capacity = dedup_capacity
        self.connect_timeout = connect_timeout
        self.threaded = threaded
        self.channels: list[_Channel] = []
        self.buffer: _Buffer | None = None
        self.dedup: _Dedup | None = None
        self.overlaps = 0
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closing = False
        self.reconnects = 0
        self.rollovers = 0
        self.lock: asyncio.Lock | None = None
        self.rng = random.Random()

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.buffer = _Buffer(loop, self.buffer_size, self.overflow, self.threaded)
        self.lock = asyncio.Lock()
        _check_limit(len(self.topics))
        try:
            for chunk in _chunks(self.topics):
                await self._open_channel(chunk)
            self._spawn(self._maintain())
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self.closing:
            return
        self.closing = True
        for task in list(self.tasks):
            task.cancel()
        channels, self.channels = self.channels, []
        await asyncio.gather(*(self._close_socket(c) for c in channels), return_exceptions=True)
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.buffer is not None:
            self.buffer.clear()
            self.buffer.finish()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not self.closing:
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        """A failure the stream cannot recover from: the consumer raises it."""
        if not isinstance(error, GenesysCloudError):
            wrapped = NotificationError(f"the notification stream failed: {type(error).__name__}: {error}")
            wrapped.__cause__ = error
            error = wrapped
        log.error("notification stream failed: %s", scrub_text(str(error)))
        assert self.buffer is not None
        self.buffer.finish(error)
        for task in list(self.tasks):
            task.cancel()

    # -- channels ---------------------------------------------------------------------------------
    async def _subscribe(self, channel_id: str, topics: list[str], replace: bool) -> list[str]:
        """Subscribe; return the topics accepted. Rejections raise or go to ``on_rejected``."""
        entities = await self.rest.subscribe(channel_id, topics, replace)
        rejected = _rejections(entities)
        if rejected:
            if self.on_rejected is None:
                raise TopicRejectedError(rejected)
            result = self.on_rejected(rejected)
            if asyncio.iscoroutine(result):
                await result
        refused = {r.topic for r in rejected}
        return [t for t in topics if t not in refused]

    async def _new_channel(self, topics: list[str]) -> tuple[_Channel, list[str]]:
        """Create a channel, connect its socket, subscribe ``topics`` (the socket first: no
        event published after the subscription can be missed)."""
        made = await self.rest.create_channel()
        token_deadline = self.rest.token_deadline()  # the token that just created the channel
        channel = _Channel(id=made.id, uri=made.connect_uri, topics=list(topics),
                           renew_at=self._renew_time(made.expires), token_deadline=token_deadline)
        await self._connect(channel)
        try:
            if topics:
                channel.topics = await self._subscribe(channel.id, topics, replace=True)
        except BaseException:
            await self._close_socket(channel)
            raise
        return channel, channel.topics

    async def _open_channel(self, topics: list[str]) -> list[str]:
        channel, accepted = await self._new_channel(topics)
        self.channels.append(channel)
        channel.reader = self._spawn(self._read(channel))
        return accepted

    def _renew_time(self, expires: Any) -> float:
        lifetime = 86400.0
        if isinstance(expires, _dt.datetime):
            when = expires if expires.tzinfo else expires.replace(tzinfo=_dt.timezone.utc)
            lifetime = (when - _utcnow()).total_seconds()
            if lifetime <= 0:
                lifetime = 86400.0  # a skewed clock: fall back to the documented 24 h
        return time.monotonic() + max(lifetime - self.renew_before, 0.5)

    async def _connect(self, channel: _Channel) -> None:
        from websockets.asyncio.client import connect

        channel.ws = await connect(channel.uri, compression=None, ping_interval=None, max_size=2 ** 24,
                                   max_queue=64, open_timeout=self.connect_timeout, close_timeout=5,
                                   user_agent_header="genesyscloud-python")
        channel.frames = 0
        channel.planned = False
        channel.last_frame_at = _utcnow()

    async def _close_socket(self, channel: _Channel, drain: bool = False) -> None:
        """Close the socket; ``drain``: let its reader deliver every frame that arrived first."""
        channel.planned = True
        ws = channel.ws
        reader = channel.reader
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), 5)
            except (asyncio.TimeoutError, OSError, Exception) as exc:  # noqa: BLE001 - closing anyway
                log.debug("closing a notification socket: %s", scrub_text(repr(exc)))
                transport = getattr(ws, "transport", None)
                if transport is not None:
                    transport.abort()
        if reader is not None and reader is not asyncio.current_task():
            if not drain:
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    # -- reading ---------------------------------------------------------------------------------
    async def _read(self, channel: _Channel) -> None:
        """Read ``channel``'s socket until it ends; then replace it (unless that was planned)."""
        while not self.closing and not channel.retired:
            watchdog = self._spawn(self._watch(channel))
            try:
                await self._pump(channel)
                reason = "the socket closed"
            except Exception as exc:  # noqa: BLE001 - every socket failure means: reconnect
                from websockets.exceptions import ConnectionClosed

                if not isinstance(exc, (ConnectionClosed, OSError, asyncio.TimeoutError)):
                    raise
                reason = f"the socket failed: {type(exc).__name__}"
            finally:
                watchdog.cancel()
            if channel.planned or self.closing or channel.retired:
                return
            await self._recover(channel, reason)

    async def _pump(self, channel: _Channel) -> None:
        ws = channel.ws
        buffer = self.buffer
        assert buffer is not None
        loads = json.loads
        models = _MODEL_CACHE
        async for text in ws:
            channel.frames += 1
            try:
                message = loads(text)
                topic = message.get("topicName")
            except (ValueError, AttributeError, TypeError):
                log.debug("ignored a notification frame that is not a JSON object")
                continue
            if topic is None:
                self._reply(channel, message)
                continue
            if topic == _HEARTBEAT:
                body = message.get("eventBody") or {}
                if body.get("message") == "pong" and channel.pong is not None and not channel.pong.done():
                    channel.pong.set_result(None)
                continue
            if topic == _SOCKET_CLOSING:
                if not channel.rolling:
                    channel.rolling = True
                    self._spawn(self._rollover(channel, "the service announced socket_closing"))
                continue
            dedup = self.dedup
            if dedup is not None and dedup.seen(topic, message):
                continue
            model = models[topic] if topic in models else topic_model(topic)
            event = NotificationEvent(topic, message, model)
            if not buffer.offer(event):
                channel.blocked = True
                try:
                    await buffer.put(event)
                finally:
                    channel.blocked = False
                    channel.frames += 1

    def _reply(self, channel: _Channel, message: Any) -> None:
        if isinstance(message, dict) and str(message.get("result", "")) == "404":
            log.info("notification channel %s answered 404 on its socket", channel.id)

    async def _watch(self, channel: _Channel) -> None:
        """Liveness: ping after half the timeout without a frame; abort after the full timeout."""
        timeout = self.liveness_timeout
        step = timeout / 4
        seen = channel.frames
        quiet = 0.0
        pinged = False
        while True:
            await asyncio.sleep(step)
            if channel.frames != seen or channel.blocked:
                seen = channel.frames
                quiet = 0.0
                pinged = False
                channel.last_frame_at = _utcnow()
                continue
            quiet += step
            if quiet >= timeout:
                log.warning("notification socket of channel %s silent for %.0f s: replacing it", channel.id, quiet)
                transport = getattr(channel.ws, "transport", None)
                if transport is not None:
                    transport.abort()
                return
            if quiet >= timeout / 2 and not pinged:
                pinged = True
                try:
                    await channel.ws.send('{"message":"ping"}')
                except Exception as exc:  # noqa: BLE001 - the reader sees the failure
                    log.debug("ping failed: %s", scrub_text(repr(exc)))

    async def _recover(self, channel: _Channel, reason: str) -> None:
        """Reopen ``channel``'s socket (or replace the channel when it answers 404), then yield a gap."""
        started = channel.last_frame_at
        log.info("notification socket of channel %s ended (%s): reconnecting", channel.id, reason)
        attempt = 0
        while not self.closing and not channel.retired:  # a rollover may have replaced it meanwhile
            await asyncio.sleep(backoff_delay(attempt, self.max_backoff, self.rng))
            attempt += 1
            try:
                if await self.rest.exists(channel.id):
                    await self._connect(channel)
                    # the channel's subscriptions live on, but PUT them again: cheap, and it extends the channel
                    channel.topics = await self._subscribe(channel.id, channel.topics, replace=True)
                else:
                    replacement, _ = await self._new_channel(channel.topics)
                    channel.id, channel.uri, channel.ws = replacement.id, replacement.uri, replacement.ws
                    channel.renew_at, channel.token_deadline = replacement.renew_at, replacement.token_deadline
                    channel.topics, channel.frames, channel.planned = replacement.topics, 0, False
                break
            except (APIConnectionError, OSError, asyncio.TimeoutError) as exc:
                log.info("reconnecting channel %s failed: %s", channel.id, scrub_text(repr(exc)))
            except APIStatusError as exc:
                if exc.status not in (404, 408, 429) and exc.status < 500:
                    raise
                log.info("reconnecting channel %s failed: HTTP %s", channel.id, exc.status)
            except Exception as exc:  # noqa: BLE001 - websockets handshake errors
                from websockets.exceptions import InvalidHandshake, InvalidURI

                if isinstance(exc, InvalidURI) or not isinstance(exc, InvalidHandshake):
                    raise
                log.info("reconnecting channel %s failed: %s", channel.id, scrub_text(str(exc)))
        if self.closing or channel.retired:
            return
        self.reconnects += 1
        assert self.buffer is not None
        await self.buffer.put(StreamGap(started=started, ended=_utcnow(), topics=tuple(channel.topics), reason=reason))

    # -- planned replacement ------------------------------------------------------------------------
    async def _rollover(self, old: _Channel, reason: str) -> None:
        """A second channel and socket with the same topics; drain the old one; close it."""
        log.info("rolling notification channel %s over (%s)", old.id, reason)
        self.overlaps += 1
        if self.dedup is None:
            self.dedup = _Dedup(self.dedup_capacity)
        new: _Channel | None = None
        try:
            for attempt in range(6):
                try:
                    new, _ = await self._new_channel(list(old.topics))
                    break
                except (APIConnectionError, OSError, asyncio.TimeoutError) as exc:
                    log.info("rollover of channel %s: %s; retrying", old.id, scrub_text(repr(exc)))
                    await asyncio.sleep(backoff_delay(attempt + 1, self.max_backoff, self.rng))
            if new is None:
                return  # the old socket's end is handled as a drop (with a gap)
            new.reader = self._spawn(self._read(new))
            self.channels.append(new)
            await self._barrier(old)  # everything published before the new subscription has arrived
            old.retired = True
            if old in self.channels:
                self.channels.remove(old)
            await self._close_socket(old, drain=True)
            await self._barrier(new)  # the new socket's copies of what the old one delivered have arrived
            self.rollovers += 1
        finally:
            self.overlaps -= 1
            if self.overlaps == 0:
                self.dedup = None
            old.rolling = False

    async def _barrier(self, channel: _Channel, timeout: float = 10.0) -> None:
        """Send a ping and wait for its pong: the socket has delivered everything queued before it."""
        if channel.ws is None:
            return
        channel.pong = asyncio.get_running_loop().create_future()
        try:
            await channel.ws.send('{"message":"ping"}')
            await asyncio.wait_for(asyncio.shield(channel.pong), timeout)
        except Exception as exc:  # noqa: BLE001 - a dead socket has nothing more to deliver
            log.debug("drain barrier on channel %s: %s", channel.id, scrub_text(repr(exc)))
        finally:
            channel.pong = None

    async def _maintain(self) -> None:
        """Extend channels before their 24 h expiry; roll over before their token expires."""
        while True:
            now = time.monotonic()
            for channel in list(self.channels):
                if channel.rolling or channel.retired:
                    continue
                if channel.token_deadline is not None and now >= channel.token_deadline:
                    channel.rolling = True
                    self.rest.renew_token()
                    self._spawn(self._rollover(channel, "the token that created the channel expires soon"))
                elif now >= channel.renew_at:
                    channel.renew_at = now + max(self.renew_before, 60.0)
                    self._spawn(self._extend(channel))
            await asyncio.sleep(0.25 if any(c.renew_at - now < 5 for c in self.channels) else 1.0)

    async def _extend(self, channel: _Channel) -> None:
        try:
            async with self._locked():
                channel.topics = await self._subscribe(channel.id, channel.topics, replace=True)
            channel.renew_at = self._renew_time(None)
            log.debug("extended notification channel %s", channel.id)
        except NotFoundError:
            if not channel.rolling:
                channel.rolling = True
                await self._rollover(channel, "the channel answered 404")
        except (APIConnectionError, APIStatusError) as exc:
            if isinstance(exc, APIStatusError) and exc.status not in (408, 429) and exc.status < 500:
                raise
            log.info("extending channel %s failed (%s); trying again in a minute", channel.id, scrub_text(str(exc)))
            channel.renew_at = time.monotonic() + 60.0

    def _locked(self) -> asyncio.Lock:
        assert self.lock is not None
        return self.lock

    # -- subscriptions while running ----------------------------------------------------------------
    async def subscribe(self, topics: Iterable[str]) -> list[str]:
        new = [t for t in _unique(topics) if t not in set(self.all_topics())]
        _check_limit(len(self.all_topics()) + len(new))
        accepted: list[str] = []
        async with self._locked():
            for channel in self.channels:
                room = MAX_TOPICS_PER_CHANNEL - len(channel.topics)
                if room <= 0 or not new:
                    continue
                part, new = new[:room], new[room:]
                ok = await self._subscribe(channel.id, part, replace=False)
                channel.topics += ok
                accepted += ok
            for chunk in _chunks(new):
                accepted += await self._open_channel(chunk)
        return accepted

    async def unsubscribe(self, topics: Iterable[str]) -> None:
        gone = set(_unique(topics))
        async with self._locked():
            for channel in self.channels:
                keep = [t for t in channel.topics if t not in gone]
                if len(keep) == len(channel.topics):
                    continue
                if keep:
                    channel.topics = await self._subscribe(channel.id, keep, replace=True)
                else:
                    await self.rest.clear(channel.id)
                    channel.topics = []

    def all_topics(self) -> list[str]:
        return [t for c in self.channels for t in c.topics]


def backoff_delay(attempt: int, cap: float, rng: random.Random) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0: at once): exponential from
    0.1 s, capped at ``cap``, with full jitter (AWS Architecture Blog, "Exponential Backoff
    And Jitter")."""
    if attempt <= 0:
        return 0.0
    return rng.uniform(0, min(cap, 0.1 * 2 ** min(attempt, 30)))


def _unique(topics: Iterable[str]) -> list[str]:
    if isinstance(topics, str):
        raise TypeError("topics must be a list of topic names, not one string")
    out = list(dict.fromkeys(topics))
    for topic in out:
        if not isinstance(topic, str) or not topic:
            raise TypeError(f"every topic must be a non-empty string, got {topic!r}")
    return out


def _chunks(topics: list[str]) -> list[list[str]]:
    return [topics[i:i + MAX_TOPICS_PER_CHANNEL] for i in range(0, len(topics), MAX_TOPICS_PER_CHANNEL)]


def _check_limit(count: int) -> None:
    limit = MAX_CHANNELS * MAX_TOPICS_PER_CHANNEL
    if count > limit:
        raise TopicLimitError(f"{count} topics need more than {MAX_CHANNELS} channels of {MAX_TOPICS_PER_CHANNEL} "
                              f"topics; the service allows {limit} topics per user and OAuth client")


def _check_client(client: Any, want_async: bool) -> None:
    request = getattr(client, "request", None)
    if request is None or not hasattr(client, "notifications"):
        raise TypeError(f"expected a GenesysCloud or AsyncGenesysCloud client, got {type(client).__name__}")
    if asyncio.iscoroutinefunction(request) != want_async:
        wanted = "AsyncNotificationListener" if not want_async else "NotificationListener"
        raise TypeError(f"{type(client).__name__} goes with {wanted}")


def _check_options(buffer_size: int, overflow: str, liveness_timeout: float, max_backoff: float) -> None:
    if not isinstance(buffer_size, int) or buffer_size < 1:
        raise ValueError("buffer_size must be a positive integer")
    if overflow not in ("block", "drop_oldest"):
        raise ValueError("overflow must be 'block' or 'drop_oldest'")
    if not liveness_timeout > 0:
        raise ValueError("liveness_timeout must be > 0 seconds")
    if not max_backoff > 0:
        raise ValueError("max_backoff must be > 0 seconds")


_DOC_ARGS = """
    Args:
        client: a signed-in client (REST calls go through it: auth, retries, logging).
        topics: concrete topic names (``v2.users.<id>.presence``); duplicates are ignored.
        on_rejected: called with the list of :class:`RejectedTopic` instead of raising
            :class:`TopicRejectedError`; those topics are left out.
        buffer_size: events held between the sockets and the consumer.
        overflow: ``"block"`` (stop reading while full) or ``"drop_oldest"`` (count in ``dropped``).
        liveness_timeout: seconds without any frame after which a socket counts as dead (the
            service sends a heartbeat every 30 s); a ping goes out at half of it.
        max_backoff: cap of the reconnect backoff, seconds (full jitter).
        renew_before: re-subscribe this many seconds before a channel's expiry (24 h).
        dedup_capacity: most events remembered while two sockets overlap.
        connect_timeout: seconds to open a socket.

    Raises:
        TypeError, ValueError: bad arguments; TopicLimitError: more than 20,000 topics.
        On entering: TopicRejectedError, APIStatusError, APIConnectionError, AuthError.
"""


class AsyncNotificationListener:
    """The notification stream for an :class:`~genesyscloud.AsyncGenesysCloud` (asyncio).

    ``async with AsyncNotificationListener(agc, topics=[...]) as listener: async for event in listener``
    yields :class:`NotificationEvent` and :class:`StreamGap` items until :meth:`close`.
    """

    __doc__ = (__doc__ or "") + _DOC_ARGS

    def __init__(self, client: Any, topics: Iterable[str] = (), *,
                 on_rejected: Callable[[list[RejectedTopic]], Any] | None = None, buffer_size: int = 10_000,
                 overflow: Literal["block", "drop_oldest"] = "block", liveness_timeout: float = 45.0,
                 max_backoff: float = 30.0, renew_before: float = 3600.0, dedup_capacity: int = 100_000,
                 connect_timeout: float = 30.0) -> None:
        _check_client(client, want_async=True)
        _check_options(buffer_size, overflow, liveness_timeout, max_backoff)
        self._engine = _Engine(client, topics, on_rejected=on_rejected, buffer_size=buffer_size, overflow=overflow,
                               liveness_timeout=liveness_timeout, max_backoff=max_backoff, renew_before=renew_before,
                               dedup_capacity=dedup_capacity, connect_timeout=connect_timeout, threaded=False)
        _check_limit(len(self._engine.topics))
        self._started = False

    async def start(self) -> "AsyncNotificationListener":
        """Create the channels, open the sockets and subscribe (``async with`` does this)."""
        if not self._started:
            self._started = True
            await self._engine.start()
        return self

    async def close(self) -> None:
        """Close the sockets, empty the buffer and end the iteration (idempotent)."""
        await self._engine.close()

    async def __aenter__(self) -> "AsyncNotificationListener":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[NotificationEvent | StreamGap]:
        return self

    async def __anext__(self) -> NotificationEvent | StreamGap:
        buffer = self._engine.buffer
        if buffer is None:
            raise RuntimeError("start the listener first: `async with AsyncNotificationListener(...)`")
        item = await buffer.aget()
        if item is _END:
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    async def subscribe(self, topics: Iterable[str]) -> list[str]:
        """Add topics (``POST .../subscriptions``; new channels beyond 1,000 per channel).
        Returns the topics accepted. Raises TopicRejectedError, TopicLimitError."""
        return await self._engine.subscribe(topics)

    async def unsubscribe(self, topics: Iterable[str]) -> None:
        """Remove topics (``PUT`` the remaining list, or ``DELETE`` when none is left)."""
        await self._engine.unsubscribe(topics)

    @property
    def topics(self) -> list[str]:
        """The topics subscribed now."""
        return self._engine.all_topics()

    @property
    def channels(self) -> list[str]:
        """The ids of the channels in use."""
        return [c.id for c in self._engine.channels]

    @property
    def dropped(self) -> int:
        """Events discarded by ``overflow="drop_oldest"``."""
        return self._engine.buffer.dropped if self._engine.buffer else 0

    @property
    def reconnects(self) -> int:
        """Unplanned socket replacements (each yielded a StreamGap)."""
        return self._engine.reconnects

    @property
    def rollovers(self) -> int:
        """Planned, lossless channel replacements (socket_closing, token or channel expiry)."""
        return self._engine.rollovers


class NotificationListener:
    """The notification stream for a :class:`~genesyscloud.GenesysCloud`: the same machinery
    as :class:`AsyncNotificationListener`, on an event loop in a background thread.

    ``with NotificationListener(gc, topics=[...]) as listener: for event in listener`` yields
    :class:`NotificationEvent` and :class:`StreamGap` items until :meth:`close` (callable
    from any thread).
    """

    __doc__ = (__doc__ or "") + _DOC_ARGS

    def __init__(self, client: Any, topics: Iterable[str] = (), *,
                 on_rejected: Callable[[list[RejectedTopic]], Any] | None = None, buffer_size: int = 10_000,
                 overflow: Literal["block", "drop_oldest"] = "block", liveness_timeout: float = 45.0,
                 max_backoff: float = 30.0, renew_before: float = 3600.0, dedup_capacity: int = 100_000,
                 connect_timeout: float = 30.0) -> None:
        _check_client(client, want_async=False)
        _check_options(buffer_size, overflow, liveness_timeout, max_backoff)
        self._engine = _Engine(client, topics, on_rejected=on_rejected, buffer_size=buffer_size, overflow=overflow,
                               liveness_timeout=liveness_timeout, max_backoff=max_backoff, renew_before=renew_before,
                               dedup_capacity=dedup_capacity, connect_timeout=connect_timeout, threaded=True)
        _check_limit(len(self._engine.topics))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def _run(self, coro: Any, timeout: float | None = None) -> Any:
        if self._loop is None:
            raise RuntimeError("start the listener first: `with NotificationListener(...)`")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> "NotificationListener":
        """Start the background thread, create the channels and subscribe (``with`` does this)."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="genesyscloud-notifications", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self._run(self._engine.start())
        except BaseException:
            self._stop_thread()
            raise
        return self

    def _stop_thread(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            if thread is not threading.current_thread():
                thread.join(30)

    def close(self) -> None:
        """Close the sockets, empty the buffer, end the iteration and join the thread (idempotent)."""
        if self._closed or self._loop is None:
            self._closed = True
            return
        self._closed = True
        try:
            if self._thread is not None and self._thread.is_alive():
                self._run(self._engine.close(), 60)
        finally:
            self._stop_thread()

    def __enter__(self) -> "NotificationListener":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[NotificationEvent | StreamGap]:
        return self

    def __next__(self) -> NotificationEvent | StreamGap:
        item = self.get()
        if item is None:
            raise StopIteration
        return item

    def get(self, timeout: float | None = None) -> NotificationEvent | StreamGap | None:
        """The next item, waiting at most ``timeout`` seconds (``None``: no limit); ``None``
        once the listener is closed. Raises TimeoutError, or the stream's failure."""
        buffer = self._engine.buffer
        if buffer is None:
            raise RuntimeError("start the listener first: `with NotificationListener(...)`")
        item = buffer.get_sync(timeout)
        return None if item is _END else item  # type: ignore[no-any-return]

    def subscribe(self, topics: Iterable[str]) -> list[str]:
        """Add topics; see :meth:`AsyncNotificationListener.subscribe`."""
        return self._run(self._engine.subscribe(topics))  # type: ignore[no-any-return]

    def unsubscribe(self, topics: Iterable[str]) -> None:
        """Remove topics; see :meth:`AsyncNotificationListener.unsubscribe`."""
        self._run(self._engine.unsubscribe(topics))

    topics = AsyncNotificationListener.topics
    channels = AsyncNotificationListener.channels
    dropped = AsyncNotificationListener.dropped
    reconnects = AsyncNotificationListener.reconnects
    rollovers = AsyncNotificationListener.rollovers
