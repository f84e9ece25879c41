"""The sandbox's Notifications service: channels, subscriptions and the streaming WebSocket.

Follows the real service (GENESYS-FACTS §6; Genesys Developer Center "Notifications"):

* ``POST /api/v2/notifications/channels`` -> ``{id, connectUri, expires}``; ``connectUri`` is
  ``ws://<host>/channels/<id>`` on the sandbox's own origin (the same uvicorn process).
* ``GET|POST|PUT|DELETE /api/v2/notifications/channels/{id}/subscriptions`` (POST appends,
  PUT replaces; ``ignoreErrors=true`` answers 200 with the ``Rejected`` topics listed, else
  a rejected topic is a 400), ``HEAD /api/v2/notifications/channels/{id}`` (200 / 404),
  ``GET /api/v2/notifications/channels`` and ``GET /api/v2/notifications/availabletopics``
  answer from the generated topic table (``genesyscloud._topics``).
* Limits: 20 channels per user and OAuth client (a 21st evicts the least recently used,
  idle channels first); 1,000 topics per channel (400 beyond).
* Lifetime: 24 hours on the sandbox clock, extended by every subscription change; a channel
  also ends when the token that created it expires or is revoked. Its sockets are closed.
* The socket: ``channel.metadata`` heartbeats every ``heartbeat_interval`` seconds;
  ``{"message":"ping"}`` answers ``pong``; ``{"message":"subscribe","topics":[...]}``
  subscribes (``{"result":"200","status":"subscribed"}`` or a ``400``/``404`` result).
* Events: ``{topicName, version, eventBody, metadata}`` from state changes (presence,
  routing status, call conversations, analytics job completion) and from the control API
  ``/__sandbox__/notifications/{publish,socket-closing,drop,settings}``.

Everything runs in the server's event loop thread (no locks).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .._topics import TOPIC_MODELS
from ..notifications import topic_template
from ._errors import ApiError, bad_request, not_found
from ._resources import HANDLERS, Ctx, Result, iso, route

#: Channels per user and OAuth client (the real service's limit).
MAX_CHANNELS = 20
#: Topics per channel.
MAX_TOPICS = 1000
#: Channel lifetime, seconds of sandbox time.
CHANNEL_TTL = 86400.0
#: Default seconds between ``channel.metadata`` heartbeats.
DEFAULT_HEARTBEAT = 30.0
#: How often (seconds) a socket checks whether its channel still lives (expiry by the sandbox clock).
_SWEEP = 0.2
_CLOSE = object()
_DROP = object()

#: The scope of the HTTP request being handled (set by the app; used for ``connectUri``).
REQUEST_SCOPE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "genesyscloud_sandbox_request_scope", default=None)

SYSTEM_PRESENCES = ("Available", "Away", "Busy", "Offline", "Idle", "OnQueue", "Meal", "Training", "Meeting", "Break")
ROUTING_STATUSES = ("OFF_QUEUE", "IDLE", "INTERACTING", "NOT_RESPONDING", "COMMUNICATING")


def _presence_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"genesyscloud-sandbox/presence/{name}"))


PRESENCE_IDS = {name: _presence_id(name) for name in SYSTEM_PRESENCES}
PRESENCE_NAMES = {v: k for k, v in PRESENCE_IDS.items()}


def sample_body(template: str) -> Any:
    """A schema-valid sample of the topic's event body (``{}`` for an untyped topic)."""
    definition = TOPIC_MODELS.get(template)
    if definition is None:
        return {}
    from .._spec import sample

    return sample({"$ref": f"#/definitions/{definition}"}, depth=3, seed=template)


class _Socket:
    __slots__ = ("channel", "send", "queue", "wake", "silent", "closed")

    def __init__(self, channel: "Channel", send: Any) -> None:
        self.channel = channel
        self.send = send
        self.queue: deque[Any] = deque()
        self.wake = asyncio.Event()
        self.silent = False
        self.closed = False

    def push(self, item: Any) -> None:
        if not self.closed and not self.silent:
            self.queue.append(item)
            self.wake.set()

    def close(self, code: int = 1000, reason: str = "") -> None:
        if not self.closed:
            self.queue.append((_CLOSE, code, reason))
            self.wake.set()

    def drop(self) -> None:
        """Kill the TCP connection without a close frame (an abrupt network failure)."""
        self.closed = True
        protocol = getattr(self.send, "__self__", None)
        transport = getattr(protocol, "transport", None)
        if transport is not None:
            transport.abort()
        self.queue.append(_DROP)
        self.wake.set()


@dataclass
class Channel:
    id: str
    client_id: str
    user_id: str | None
    token: str
    created: float
    expires: float
    last_used: float
    topics: dict[str, None] = field(default_factory=dict)
    sockets: set[_Socket] = field(default_factory=set)

    def describe(self, base: str) -> dict[str, Any]:
        return {"id": self.id, "connectUri": f"{base}/channels/{self.id}", "expires": iso(self.expires)}


def _encode(topic: str, body: Any, version: str = "2") -> str:
    return json.dumps({"topicName": topic, "version": version, "eventBody": body,
                       "metadata": {"CorrelationId": str(uuid.uuid4())}}, separators=(",", ":"))


def _metadata(message: str) -> str:
    return json.dumps({"topicName": "channel.metadata", "eventBody": {"message": message}}, separators=(",", ":"))


class NotificationService:
    """Channels and sockets of one sandbox org (``reset()`` forgets them and closes the sockets)."""

    def __init__(self, state: Any, heartbeat_interval: float = DEFAULT_HEARTBEAT) -> None:
        self.state = state
        self.heartbeat_interval = float(heartbeat_interval)
        state.notifications = self  # the REST handlers reach the service through their Ctx.state
        self.channels: dict[str, Channel] = {}
        self.presence: dict[str, dict[str, Any]] = {}
        self.routing: dict[str, dict[str, Any]] = {}
        self.published = 0
        self.announced_jobs: set[str] = set()
        self._streams: set[asyncio.Task[None]] = set()
        self.streams_done = 0
        self.heartbeats = 0

    def reset(self) -> None:
        for task in self._streams:
            task.cancel()
        self._streams.clear()
        for channel in list(self.channels.values()):
            self._end(channel, 1000, "sandbox reset")
        self.channels.clear()
        self.presence.clear()
        self.routing.clear()
        self.announced_jobs.clear()
        self.published = 0

    # -- channels -------------------------------------------------------------------------
    def alive(self, channel: Channel) -> bool:
        if channel.expires <= self.state.now():
            return False
        record, _ = self.state.lookup_token(channel.token)
        return record is not None

    def _end(self, channel: Channel, code: int, reason: str) -> None:
        self.channels.pop(channel.id, None)
        for sock in list(channel.sockets):
            sock.close(code, reason)

    def get_channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is not None and not self.alive(channel):
            self._end(channel, 1000, "channel expired")
            channel = None
        if channel is None:
            raise not_found(f"Channel {channel_id} not found (expired, evicted or never created)", channelId=channel_id)
        return channel

    def create_channel(self, ctx: Ctx) -> Channel:
        assert ctx.token is not None and ctx.token_value is not None
        now = self.state.now()
        key = (ctx.token.client_id, ctx.token.user_id)
        for channel in [c for c in self.channels.values() if not self.alive(c)]:
            self._end(channel, 1000, "channel expired")
        mine = [c for c in self.channels.values() if (c.client_id, c.user_id) == key]
        if len(mine) >= MAX_CHANNELS:
            # the least recently used goes, channels without a connected socket first
            victim = min(mine, key=lambda c: (bool(c.sockets), c.last_used))
            self._end(victim, 1000, "channel evicted: another channel was created")
        channel = Channel(id=str(uuid.uuid4()), client_id=key[0], user_id=key[1], token=ctx.token_value,
                          created=now, expires=now + CHANNEL_TTL, last_used=now)
        self.channels[channel.id] = channel
        return channel

    def check_topics(self, topics: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
        ok: list[str] = []
        rejected: list[dict[str, Any]] = []
        for topic in topics:
            if topic_template(topic) is None:
                rejected.append({"id": topic, "state": "Rejected", "rejectionReason": "The topic is not valid.",
                                 "missingPermissions": []})
            else:
                ok.append(topic)
        return ok, rejected

    def subscribe(self, channel: Channel, topics: list[str], replace: bool) -> tuple[list[str], list[dict[str, Any]]]:
        ok, rejected = self.check_topics(topics)
        merged = dict.fromkeys(ok) if replace else {**channel.topics, **dict.fromkeys(ok)}
        if len(merged) > MAX_TOPICS:
            raise ApiError(400, "bad.request", f"A channel can be subscribed to at most {MAX_TOPICS} topics; "
                           f"this request would subscribe it to {len(merged)}.",
                           {"limit": str(MAX_TOPICS)})
        channel.topics = merged
        now = self.state.now()
        channel.expires = now + CHANNEL_TTL
        channel.last_used = now
        return ok, rejected

    # -- events ---------------------------------------------------------------------------
    def publish(self, topic: str, body: Any, *, count: int = 1) -> int:
        """Send ``count`` events of ``topic`` to every socket of every channel subscribed to it;
        return how many socket deliveries were queued."""
        targets = [s for c in list(self.channels.values()) if topic in c.topics and self.alive(c) for s in c.sockets]
        delivered = 0
        for _ in range(count):
            text = _encode(topic, body)
            self.published += 1
            for sock in targets:
                sock.push(text)
                delivered += 1
        return delivered

    def subscribed(self, topic: str) -> bool:
        return any(topic in c.topics for c in self.channels.values())

    def sockets(self) -> list[_Socket]:
        return [s for c in self.channels.values() for s in c.sockets]

    # -- the WebSocket endpoint (raw ASGI) ------------------------------------------------
    async def websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        match = re.fullmatch(r"/channels/([^/]+)/?", scope.get("path", ""))
        channel = self.channels.get(match.group(1)) if match else None
        if channel is not None and not self.alive(channel):
            self._end(channel, 1000, "channel expired")
            channel = None
        if channel is None:
            await send({"type": "websocket.close", "code": 1008, "reason": "channel not found"})  # HTTP 403
            return
        await send({"type": "websocket.accept"})
        sock = _Socket(channel, send)
        channel.sockets.add(sock)
        channel.last_used = self.state.now()
        writer = asyncio.create_task(self._writer(sock))
        ticker = asyncio.create_task(self._ticker(sock))
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", "replace")
                if text is not None:
                    self._client_message(sock, text)
        finally:
            sock.closed = True
            channel.sockets.discard(sock)
            ticker.cancel()
            writer.cancel()
            await asyncio.gather(writer, ticker, return_exceptions=True)

    async def _writer(self, sock: _Socket) -> None:
        send = sock.send
        queue = sock.queue
        try:
            while True:
                await sock.wake.wait()
                sock.wake.clear()
                while queue:
                    item = queue.popleft()
                    if item is _DROP:
                        return
                    if isinstance(item, tuple):
                        sock.closed = True
                        await send({"type": "websocket.close", "code": item[1], "reason": item[2]})
                        return
                    await send({"type": "websocket.send", "text": item})
        except (OSError, RuntimeError):  # the client went away mid-send; the reader sees the disconnect
            sock.closed = True
        except Exception as exc:  # uvicorn raises ClientDisconnected (an OSError subclass in most versions)
            if type(exc).__name__ != "ClientDisconnected":
                raise
            sock.closed = True

    async def _ticker(self, sock: _Socket) -> None:
        loop = asyncio.get_running_loop()
        last_beat = loop.time()
        while not sock.closed:
            next_beat = last_beat + self.heartbeat_interval  # read each time: the interval can change
            await asyncio.sleep(min(_SWEEP, max(0.0, next_beat - loop.time())))
            channel = sock.channel
            if not self.alive(channel):
                self._end(channel, 1000, "channel expired")
                return
            if loop.time() >= last_beat + self.heartbeat_interval:
                sock.push(_metadata("WebSocket Heartbeat"))
                self.heartbeats += 1
                last_beat = loop.time()

    def _client_message(self, sock: _Socket, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            sock.push(json.dumps({"result": "400", "status": "error", "message": "The message is not valid JSON."}))
            return
        kind = message.get("message") if isinstance(message, dict) else None
        if kind == "ping":
            sock.push(_metadata("pong"))
            return
        correlation = message.get("correlationId") if isinstance(message, dict) else None
        if kind == "subscribe":
            topics = message.get("topics")
            if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
                reply = {"result": "400", "status": "error", "message": "topics must be a list of topic names"}
            elif not self.alive(sock.channel) or sock.channel.id not in self.channels:
                reply = {"result": "404", "status": "error", "message": "The channel expired or was evicted."}
            else:
                ok, rejected = self.check_topics(topics)
                if rejected:
                    names = ", ".join(r["id"] for r in rejected)
                    reply = {"result": "400", "status": "failed", "message": f"Invalid topics: {names}"}
                else:
                    try:
                        self.subscribe(sock.channel, ok, replace=False)
                        reply = {"result": "200", "status": "subscribed"}
                    except ApiError as exc:
                        reply = {"result": "400", "status": "failed", "message": exc.message}
        else:
            reply = {"result": "400", "status": "error", "message": f"Unknown message {kind!r}; expected ping or subscribe"}
        if correlation is not None:
            reply["correlationId"] = correlation
        sock.push(json.dumps(reply, separators=(",", ":")))

    # -- control API ------------------------------------------------------------------------
    async def control(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        action = request.path_params["action"]
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            if action == "publish":
                return JSONResponse(self._ctl_publish(body))
            if action == "socket-closing":
                grace = float(body.get("grace", 60.0))
                if grace < 0:
                    raise ValueError("grace must be >= 0 seconds")
                sockets = self.sockets()
                text = _encode("v2.system.socket_closing", {"message": "The socket will close; reconnect."})
                for sock in sockets:
                    sock.push(text)
                asyncio.get_running_loop().call_later(grace, self._close_all, sockets)
                return JSONResponse({"sockets": len(sockets), "grace": grace})
            if action == "drop":
                sockets = self.sockets()
                silent = bool(body.get("silent", False))
                for sock in sockets:
                    if silent:
                        sock.silent = True  # the connection stays open but nothing more is sent
                    else:
                        sock.drop()
                return JSONResponse({"sockets": len(sockets), "silent": silent})
            if action == "settings":
                if "heartbeatInterval" in body:
                    value = float(body["heartbeatInterval"])
                    if value <= 0:
                        raise ValueError("heartbeatInterval must be > 0 seconds")
                    self.heartbeat_interval = value
                return JSONResponse(self._ctl_info())
            if action == "info" and request.method == "GET":
                return JSONResponse(self._ctl_info())
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            return JSONResponse({"error": "invalid_request", "message": str(exc)}, status_code=400)
        return JSONResponse({"error": "not_found", "message": f"no control action {action!r}"}, status_code=404)

    def _close_all(self, sockets: list[_Socket]) -> None:
        for sock in sockets:
            sock.close(1001, "socket closing for maintenance")

    def _ctl_info(self) -> dict[str, Any]:
        self._streams = {t for t in self._streams if not t.done()}
        return {"heartbeatInterval": self.heartbeat_interval, "published": self.published,
                "streamsRunning": len(self._streams), "streamsDone": self.streams_done, "heartbeats": self.heartbeats,
                "channels": [{**c.describe(""), "topics": len(c.topics), "sockets": len(c.sockets),
                              "clientId": c.client_id, "userId": c.user_id} for c in self.channels.values()]}

    def _ctl_publish(self, body: dict[str, Any]) -> dict[str, Any]:
        topic = body.get("topic")
        if not isinstance(topic, str) or not topic:
            raise ValueError("topic (a concrete topic name) is required")
        count = int(body.get("count", 1))
        if count < 1 or count > 1_000_000:
            raise ValueError("count must be between 1 and 1000000")
        if "body" in body:
            event_body = body["body"]
        else:
            template = topic_template(topic)
            if template is None:
                raise ValueError(f"{topic} is not in the topic table; give a body")
            event_body = sample_body(template)
        sequence = body.get("sequenceField")
        rate = body.get("rate")
        if sequence is not None and (not isinstance(sequence, str) or not isinstance(event_body, dict)):
            raise ValueError("sequenceField names a field of an object body")
        if rate is not None:
            rate = float(rate)
            if rate <= 0:
                raise ValueError("rate must be > 0 events per second")
            self._streams.add(asyncio.get_running_loop().create_task(
                self._steady(topic, event_body, count, rate, sequence)))
            return {"topic": topic, "count": count, "rate": rate, "scheduled": True}
        if sequence is not None:
            delivered = sum(self.publish(topic, {**event_body, sequence: i}) for i in range(count))
        else:
            delivered = self.publish(topic, event_body, count=count)
        return {"topic": topic, "count": count, "deliveries": delivered, "body": event_body}

    async def _steady(self, topic: str, body: Any, count: int, rate: float, sequence: str | None) -> None:
        """Publish ``count`` events at ``rate`` per second (in ticks of 10 ms, catching up when late)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = 0
        try:
            while sent < count:
                due = min(count, int((loop.time() - start) * rate) + 1)
                while sent < due:
                    self.publish(topic, {**body, sequence: sent} if sequence else body)
                    sent += 1
                await asyncio.sleep(0.01)
        finally:
            self.streams_done += 1


def _service(ctx: Ctx) -> NotificationService:
    return ctx.state.notifications  # type: ignore[no-any-return]


def _base_url() -> str:
    scope = REQUEST_SCOPE.get() or {}
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"ws://{host}"


def _topic_list(body: Any) -> list[str]:
    if not isinstance(body, list):
        raise bad_request("The body must be a list of topics: [{\"id\": \"v2.users.{id}.presence\"}]")
    out = []
    for item in body:
        topic = item.get("id") if isinstance(item, dict) else None
        if not isinstance(topic, str) or not topic:
            raise bad_request("Every topic needs an id")
        out.append(topic)
    return out


def _listing(channel: Channel, rejected: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    entities = [{"id": t, "state": "Permitted", "selfUri": f"/api/v2/notifications/availabletopics/{t}"}
                for t in channel.topics]
    return {"entities": entities + list(rejected)}


# -- REST -------------------------------------------------------------------------------------
@route("POST", "/api/v2/notifications/channels")
def create_channel(ctx: Ctx) -> Result:
    channel = _service(ctx).create_channel(ctx)
    return 200, channel.describe(_base_url()), {}


@route("GET", "/api/v2/notifications/channels")
def list_channels(ctx: Ctx) -> Result:
    service = _service(ctx)
    assert ctx.token is not None
    which = (ctx.q("includechannels") or "token").lower()
    items = [c for c in service.channels.values() if service.alive(c)
             and (c.client_id, c.user_id) == (ctx.token.client_id, ctx.token.user_id)
             and (which != "token" or c.token == ctx.token_value)]
    base = _base_url()
    return 200, {"entities": [c.describe(base) for c in items]}, {}


@route("HEAD", "/api/v2/notifications/channels/{channelId}")
def head_channel(ctx: Ctx) -> Result:
    _service(ctx).get_channel(ctx.path_params["channelId"])
    return 200, None, {}


@route("GET", "/api/v2/notifications/channels/{channelId}/subscriptions")
def get_subscriptions(ctx: Ctx) -> Result:
    return 200, _listing(_service(ctx).get_channel(ctx.path_params["channelId"])), {}


def _change(ctx: Ctx, replace: bool) -> Result:
    service = _service(ctx)
    channel = service.get_channel(ctx.path_params["channelId"])
    topics = _topic_list(ctx.body)
    ok, rejected = service.check_topics(topics)
    if rejected and (ctx.q("ignoreErrors") or "false").lower() != "true":
        names = ", ".join(f"{r['id']} ({r['rejectionReason']})" for r in rejected)
        raise ApiError(400, "bad.request", f"Some topics cannot be subscribed: {names}",
                       {"topics": ", ".join(r["id"] for r in rejected)})
    service.subscribe(channel, ok, replace)
    return 200, _listing(channel, rejected), {}


@route("POST", "/api/v2/notifications/channels/{channelId}/subscriptions")
def post_subscriptions(ctx: Ctx) -> Result:
    return _change(ctx, replace=False)


@route("PUT", "/api/v2/notifications/channels/{channelId}/subscriptions")
def put_subscriptions(ctx: Ctx) -> Result:
    return _change(ctx, replace=True)


@route("DELETE", "/api/v2/notifications/channels/{channelId}/subscriptions")
def delete_subscriptions(ctx: Ctx) -> Result:
    channel = _service(ctx).get_channel(ctx.path_params["channelId"])
    channel.topics = {}
    return 204, None, {}


@route("GET", "/api/v2/notifications/availabletopics")
def available_topics(ctx: Ctx) -> Result:
    expand = set(ctx.q_list("expand"))
    items = []
    for template, definition in TOPIC_MODELS.items():
        item: dict[str, Any] = {"id": template, "description": f"Events of {template}",
                                "requiresPermissions": [], "transports": ["All"], "publicApiTemplateUriPaths": []}
        if "schema" in expand and definition:
            item["schema"] = {"$ref": f"#/definitions/{definition}"}
        items.append(item)
    return 200, {"entities": items}, {}


# -- state that publishes events ----------------------------------------------------------------
def _user(ctx: Ctx) -> dict[str, Any]:
    user_id = ctx.path_params["userId"]
    if user_id == "me":
        return ctx.require_user()
    user = ctx.state.users.get(user_id)
    if user is None:
        raise not_found(f"User {user_id} not found", userId=user_id)
    return user


def _presence(service: NotificationService, user_id: str) -> dict[str, Any]:
    current = service.presence.get(user_id)
    if current is None:
        current = {"source": "PURECLOUD", "primary": True, "message": "",
                   "presenceDefinition": {"id": PRESENCE_IDS["Offline"], "systemPresence": "Offline"},
                   "modifiedDate": iso(service.state.now())}
    return current


def _user_presence(user: dict[str, Any], presence: dict[str, Any], source_id: str) -> dict[str, Any]:
    return {"id": source_id, "name": presence["presenceDefinition"]["systemPresence"], "source": presence["source"],
            "sourceId": source_id, "primary": presence["primary"], "message": presence["message"],
            "modifiedDate": presence["modifiedDate"],
            "presenceDefinition": {**presence["presenceDefinition"],
                                   "selfUri": f"/api/v2/presencedefinitions/{presence['presenceDefinition']['id']}"},
            "selfUri": f"/api/v2/users/{user['id']}/presences/{source_id}"}


@route("GET", "/api/v2/users/{userId}/presences/{sourceId}")
def get_presence(ctx: Ctx) -> Result:
    user = _user(ctx)
    return 200, _user_presence(user, _presence(_service(ctx), user["id"]), ctx.path_params["sourceId"]), {}


@route("GET", "/api/v2/users/{userId}/presences/purecloud")
def get_presence_purecloud(ctx: Ctx) -> Result:
    user = _user(ctx)
    return 200, _user_presence(user, _presence(_service(ctx), user["id"]), "purecloud"), {}


def _set_presence(ctx: Ctx, source_id: str) -> Result:
    user = _user(ctx)
    service = _service(ctx)
    body = ctx.body or {}
    wanted = body.get("presenceDefinition") or {}
    name = wanted.get("systemPresence")
    pid = wanted.get("id")
    if pid and pid in PRESENCE_NAMES:
        name = PRESENCE_NAMES[pid]
    elif name:
        match = next((n for n in SYSTEM_PRESENCES if n.lower() == str(name).lower()), None)
        if match is None:
            raise bad_request(f"Unknown system presence {name!r}; one of {', '.join(SYSTEM_PRESENCES)}",
                              fieldName="presenceDefinition.systemPresence")
        name = match
    else:
        raise bad_request("presenceDefinition needs an id or a systemPresence", fieldName="presenceDefinition")
    presence = {"source": "PURECLOUD" if source_id.lower() == "purecloud" else source_id,
                "primary": bool(body.get("primary", True)), "message": str(body.get("message") or ""),
                "presenceDefinition": {"id": PRESENCE_IDS[name], "systemPresence": name},
                "modifiedDate": iso(service.state.now())}
    service.presence[user["id"]] = presence
    service.publish(f"v2.users.{user['id']}.presence", presence)
    return 200, _user_presence(user, presence, source_id), {}


@route("PATCH", "/api/v2/users/{userId}/presences/{sourceId}")
def patch_presence(ctx: Ctx) -> Result:
    return _set_presence(ctx, ctx.path_params["sourceId"])


@route("PATCH", "/api/v2/users/{userId}/presences/purecloud")
def patch_presence_purecloud(ctx: Ctx) -> Result:
    return _set_presence(ctx, "purecloud")


@route("GET", "/api/v2/users/{userId}/routingstatus")
def get_routing_status(ctx: Ctx) -> Result:
    user = _user(ctx)
    status = _service(ctx).routing.get(user["id"]) or {"status": "OFF_QUEUE", "startTime": iso(ctx.state.now())}
    return 200, {"userId": user["id"], **status}, {}


@route("PUT", "/api/v2/users/{userId}/routingstatus")
def put_routing_status(ctx: Ctx) -> Result:
    user = _user(ctx)
    service = _service(ctx)
    status = (ctx.body or {}).get("status")
    if status not in ROUTING_STATUSES:
        raise bad_request(f"status must be one of {', '.join(ROUTING_STATUSES)}", fieldName="status")
    record = {"status": status, "startTime": iso(service.state.now())}
    service.routing[user["id"]] = record
    service.publish(f"v2.users.{user['id']}.routingStatus", {"id": user["id"], "routingStatus": record})
    return 200, {"userId": user["id"], **record}, {}


def _conversation_event(conv: dict[str, Any]) -> dict[str, Any]:
    participants = []
    for p in conv["participants"]:
        item = {k: p[k] for k in ("id", "purpose", "userId", "queueId", "name", "address", "startTime") if k in p}
        item["calls"] = [{"state": c.get("state", "connected"), "direction": c.get("direction", "inbound")}
                         for c in p.get("calls", [])]
        participants.append(item)
    return {"id": conv["id"], "maxParticipants": conv.get("maxParticipants", len(participants)),
            "participants": participants, "recordingState": conv.get("recordingState", "NONE")}


def conform(value: Any, schema: dict[str, Any], definitions: dict[str, Any], depth: int = 0) -> Any:
    """``value`` trimmed to what ``schema`` allows: unknown properties and values outside an
    enum (after a case-insensitive match) are left out, so an event body built from the
    org's state validates against the topic's own definition."""
    _missing = conform
    if depth > 20:
        return _missing
    if "$ref" in schema:
        schema = definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
    kind = schema.get("type")
    if "enum" in schema:
        if value in schema["enum"]:
            return value
        match = [e for e in schema["enum"] if isinstance(e, str) and isinstance(value, str) and e.lower() == value.lower()]
        return match[0] if match else _missing
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return _missing
        props = schema.get("properties", {})
        out = {}
        for key, item in value.items():
            if key in props:
                fixed = conform(item, props[key], definitions, depth + 1)
                if fixed is not _missing:
                    out[key] = fixed
        return out
    if kind == "array":
        if not isinstance(value, list):
            return _missing
        items = [conform(v, schema.get("items", {}), definitions, depth + 1) for v in value]
        return [v for v in items if v is not _missing]
    if kind == "string":
        return value if isinstance(value, str) else _missing
    if kind == "boolean":
        return value if isinstance(value, bool) else _missing
    if kind in ("integer", "number"):
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else _missing
    return value


def typed_body(topic: str, body: Any) -> Any:
    """``body`` conformed to the definition of ``topic``'s template (unchanged when untyped)."""
    template = topic_template(topic)
    definition = TOPIC_MODELS.get(template) if template else None
    if definition is None:
        return body
    from .._spec import load_spec

    definitions = load_spec()["definitions"]
    fixed = conform(body, {"$ref": f"#/definitions/{definition}"}, definitions)
    return {} if fixed is conform else fixed


def publish_conversation(service: NotificationService, conv: dict[str, Any]) -> None:
    """Publish the user and queue conversation topics (and their ``.calls`` variants) of ``conv``."""
    body = _conversation_event(conv)
    users = {p["userId"] for p in conv["participants"] if p.get("userId")}
    queues = {p["queueId"] for p in conv["participants"] if p.get("queueId")}
    topics = [t for uid in sorted(users) for t in (f"v2.users.{uid}.conversations", f"v2.users.{uid}.conversations.calls")]
    topics += [t for qid in sorted(queues)
               for t in (f"v2.routing.queues.{qid}.conversations", f"v2.routing.queues.{qid}.conversations.calls")]
    for topic in topics:
        if service.subscribed(topic):
            service.publish(topic, typed_body(topic, body))


@route("POST", "/api/v2/conversations/calls")
def create_call(ctx: Ctx) -> Result:
    body = ctx.body or {}
    state = ctx.state
    user_id = body.get("callUserId") or (ctx.token.user_id if ctx.token else None) or next(iter(state.users))
    user = state.users.get(user_id)
    if user is None:
        raise bad_request(f"User {user_id} not found", fieldName="callUserId")
    queue_id = body.get("callFromQueueId") or body.get("callQueueId")
    queue = state.queues.get(queue_id) if queue_id else None
    if queue_id and queue is None:
        raise bad_request(f"Queue {queue_id} not found", fieldName="callFromQueueId")
    now = iso(state.now())
    conv_id = state.new_id()
    number = body.get("phoneNumber") or "+13175550100"
    participants = [
        {"id": state.new_id(), "startTime": now, "purpose": "agent", "participantType": "Internal", "userId": user["id"],
         "name": user["name"], "attributes": {}, "calls": [{"state": "connected", "direction": "outbound"}],
         **({"queueId": queue["id"]} if queue else {})},
        {"id": state.new_id(), "startTime": now, "purpose": "customer", "participantType": "External",
         "address": f"tel:{number}", "name": "Customer", "attributes": {},
         "calls": [{"state": "connected", "direction": "outbound"}]},
    ]
    conv = {"id": conv_id, "startTime": now, "participants": participants, "conversationIds": [],
            "maxParticipants": 2, "recordingState": "NONE", "state": "connected", "divisions": [],
            "selfUri": f"/api/v2/conversations/{conv_id}"}
    state.conversations[conv_id] = conv
    publish_conversation(_service(ctx), conv)
    return 200, {"id": conv_id, "selfUri": f"/api/v2/conversations/{conv_id}"}, {}


@route("PATCH", "/api/v2/conversations/calls/{conversationId}")
def update_call(ctx: Ctx) -> Result:
    conv = ctx.state.conversations.get(ctx.path_params["conversationId"])
    if conv is None:
        raise not_found(f"Conversation {ctx.path_params['conversationId']} not found",
                        conversationId=ctx.path_params["conversationId"])
    body = ctx.body or {}
    new_state = body.get("state")
    if new_state is not None:
        conv["state"] = new_state
        for p in conv["participants"]:
            for call in p.get("calls", []):
                call["state"] = new_state
        if new_state == "disconnected":
            conv["endTime"] = iso(ctx.state.now())
    if "recordingState" in body:
        conv["recordingState"] = body["recordingState"]
    publish_conversation(_service(ctx), conv)
    return 200, conv, {}


def _announce_jobs(key: tuple[str, str], topic: str) -> None:
    """Wrap an analytics job status handler: when a job turns FULFILLED, publish ``topic``."""
    original = HANDLERS.get(key)
    if original is None:
        return

    def status(ctx: Ctx) -> Result:
        result = original(ctx)
        job_id = ctx.path_params.get("jobId", "")
        payload = result[1]
        service = _service(ctx)
        if isinstance(payload, dict) and payload.get("state") == "FULFILLED" and job_id not in service.announced_jobs:
            service.announced_jobs.add(job_id)
            service.publish(topic, {"dataAvailabilityDate": payload.get("completionDate") or iso(ctx.state.now())})
        return result

    HANDLERS[key] = status


_announce_jobs(("GET", "/api/v2/analytics/conversations/details/jobs/{jobId}"),
               "v2.analytics.conversations.details.jobs.availability")
_announce_jobs(("GET", "/api/v2/analytics/users/details/jobs/{jobId}"),
               "v2.analytics.users.details.jobs.availability")
