"""genesyscloud.notifications against the sandbox, over real WebSocket on loopback.

Every behaviour runs twice: with ``AsyncNotificationListener`` on an ``AsyncGenesysCloud``
and with ``NotificationListener`` on a ``GenesysCloud`` (its calls made from a worker
thread, so one async scenario drives both). No assertion depends on timing: waits poll
for a state with a generous deadline.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid

import httpx
import pytest

from genesyscloud import AsyncGenesysCloud, ClientCredentials, GenesysCloud
from genesyscloud._topics import TOPIC_MODELS
from genesyscloud.notifications import (
    AsyncNotificationListener,
    NotificationEvent,
    NotificationListener,
    StreamGap,
    TopicLimitError,
    TopicRejectedError,
    topic_model,
)

WAIT = 60.0  # generous: the machine may be loaded


@pytest.fixture(scope="module")
def sb():
    from genesyscloud.sandbox import Sandbox

    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(sb):
    sb.reset()
    sb.notification_settings(heartbeat_interval=30)
    return sb


@pytest.fixture
def uid(sandbox):
    return sandbox.info()["defaultUser"]["id"]


class Stream:
    """One async surface over either listener."""

    def __init__(self, mode: str, sb, **options):
        self.mode = mode
        self.sb = sb
        self.options = options
        auth = ClientCredentials(sb.client_id, sb.client_secret)
        self.client = (AsyncGenesysCloud if mode == "async" else GenesysCloud)(api_host=sb.url, auth=auth)
        cls = AsyncNotificationListener if mode == "async" else NotificationListener
        self.listener = None
        self.cls = cls

    async def open(self, topics):
        self.listener = self.cls(self.client, topics, **self.options)
        if self.mode == "async":
            await self.listener.start()
        else:
            await asyncio.to_thread(self.listener.start)
        return self

    async def next(self, timeout=WAIT):
        if self.mode == "async":
            try:
                return await asyncio.wait_for(self.listener.__anext__(), timeout)
            except StopAsyncIteration:
                return None
        return await asyncio.to_thread(self.listener.get, timeout)

    async def events(self, n, timeout=WAIT):
        return [await self.next(timeout) for _ in range(n)]

    async def call(self, name, *args):
        method = getattr(self.listener, name)
        if self.mode == "async":
            return await method(*args)
        return await asyncio.to_thread(method, *args)

    async def rest(self, method, path, **kwargs):
        if self.mode == "async":
            return await self.client.request(method, path, **kwargs)
        return await asyncio.to_thread(self.client.request, method, path, **kwargs)

    async def close(self):
        if self.listener is not None:
            await self.call("close")
        if self.mode == "async":
            await self.client.close()
        else:
            self.client.close()


@pytest.fixture(params=["async", "sync"])
def mode(request):
    return request.param


def run(scenario):
    asyncio.run(asyncio.wait_for(scenario, 180))


async def publish(sb, topic, body=None, **kwargs):
    if body is None:
        return await asyncio.to_thread(sb.publish, topic, **kwargs)
    return await asyncio.to_thread(sb.publish, topic, body, **kwargs)


async def until(predicate, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def info(sb):
    return await asyncio.to_thread(sb.notification_info)


# -- 1. channels and subscriptions ------------------------------------------------------------------
def test_channels_subscriptions_and_rejections(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox)
        try:
            with pytest.raises(TopicRejectedError) as raised:
                await s.open([f"v2.users.{uid}.presence", "v2.no.such.topic"])
            assert raised.value.rejected[0].topic == "v2.no.such.topic"
            assert "v2.no.such.topic: The topic is not valid." in str(raised.value)
            rejected = []
            s.options = {"on_rejected": rejected.extend}
            await s.open([f"v2.users.{uid}.presence", "v2.no.such.topic"])
            assert [r.topic for r in rejected] == ["v2.no.such.topic"]
            assert s.listener.topics == [f"v2.users.{uid}.presence"]
            channels = (await info(sandbox))["channels"]
            mine = [c for c in channels if c["id"] == s.listener.channels[0]]
            assert mine and mine[0]["topics"] == 1 and mine[0]["sockets"] == 1
            assert await s.call("subscribe", [f"v2.users.{uid}.routingStatus"]) == [f"v2.users.{uid}.routingStatus"]
            await s.rest("PUT", f"/api/v2/users/{uid}/routingstatus", json={"status": "IDLE"})
            event = await s.next()
            assert event.topic == f"v2.users.{uid}.routingStatus"
            await s.call("unsubscribe", [f"v2.users.{uid}.presence"])
            assert s.listener.topics == [f"v2.users.{uid}.routingStatus"]
            log = [r for r in await asyncio.to_thread(sandbox.requests) if "/notifications/" in r["path"]]
            kinds = [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in log]
            assert ("POST", "channels") in kinds and ("PUT", "subscriptions") in kinds and ("POST", "subscriptions") in kinds
        finally:
            await s.close()

    run(scenario())


# -- 2. typed events ----------------------------------------------------------------------------------
def test_typed_events_and_untyped_topics(mode, sandbox, uid, caplog):
    untyped = next(t for t, d in TOPIC_MODELS.items() if d is None).replace("{id}", uid)

    async def scenario():
        s = Stream(mode, sandbox)
        try:
            await s.open([f"v2.users.{uid}.presence", untyped])
            await s.rest("PATCH", f"/api/v2/users/{uid}/presences/purecloud",
                         json={"presenceDefinition": {"systemPresence": "Away"}})
            event = await s.next()
            assert isinstance(event, NotificationEvent)
            assert type(event.body).__name__ == "PresenceEventUserPresence"
            assert event.body.presence_definition.system_presence == "Away"
            assert event.version == "2" and event.correlation_id and event.template == "v2.users.{id}.presence"
            assert event.body.to_dict() == event.raw["eventBody"]  # lossless
            for _ in range(3):
                await publish(sandbox, untyped, {"anything": [1, 2], "x": None})
            for event in await s.events(3):
                assert event.topic == untyped and event.body == {"anything": [1, 2], "x": None}
        finally:
            await s.close()

    with caplog.at_level(logging.WARNING, logger="genesyscloud"):
        run(scenario())
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_every_typed_topic_decodes_a_published_sample(sandbox):
    topics = {t.replace("{id}", str(uuid.UUID(int=i))): d for i, (t, d) in enumerate(sorted(TOPIC_MODELS.items()))}

    async def scenario():
        s = Stream("async", sandbox)
        try:
            await s.open(list(topics))
            def send():
                with httpx.Client(base_url=f"{sandbox.url}/__sandbox__/notifications", timeout=30) as control:
                    return {t: control.post("/publish", json={"topic": t}).json()["body"] for t in topics}

            sent = await asyncio.to_thread(send)
            got = {}
            while len(got) < len(topics) - 1:  # v2.system.socket_closing is consumed: it starts a rollover
                event = await s.next()
                got[event.topic] = event
            assert "v2.system.socket_closing" not in got
            await until(lambda: s.listener.rollovers == 1, "the rollover socket_closing asked for")
            closing = topic_model("v2.system.socket_closing").from_dict(sent["v2.system.socket_closing"])
            assert type(closing).__name__ == "SystemMessageSystemMessage"
            assert closing.to_dict() == sent["v2.system.socket_closing"]
            typed = 1
            for topic, event in got.items():
                definition = topics[topic]
                if definition is None:
                    assert event.body == sent[topic]
                    continue
                typed += 1
                assert type(event.body).__name__ == definition and topic_model(topic).__name__ == definition
                assert event.body.to_dict() == sent[topic]
            assert typed == 131
        finally:
            await s.close()

    run(scenario())


# -- 3. heartbeats and liveness -------------------------------------------------------------------------
def test_heartbeats_are_consumed_and_a_silent_socket_is_replaced(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox, liveness_timeout=1.0)
        try:
            await s.open([f"v2.users.{uid}.presence"])
            await asyncio.to_thread(sandbox.notification_settings, heartbeat_interval=0.05)
            await until(lambda: sandbox.notification_info()["heartbeats"] >= 5, "heartbeats")
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "after heartbeats"})
            first = await s.next()
            assert isinstance(first, NotificationEvent) and first.body.message == "after heartbeats"
            await asyncio.to_thread(sandbox.notification_settings, heartbeat_interval=30)
            await asyncio.to_thread(sandbox.drop_sockets, silent=True)  # open, but nothing arrives any more
            gap = await s.next()
            assert isinstance(gap, StreamGap) and gap.topics == (f"v2.users.{uid}.presence",)
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "after the gap"})
            event = await s.next()
            assert isinstance(event, NotificationEvent) and event.body.message == "after the gap"
        finally:
            await s.close()

    run(scenario())


# -- 4. socket_closing without loss -------------------------------------------------------------------------
def test_socket_closing_rolls_over_without_loss_or_duplicates(mode, sandbox, uid):
    topic = f"v2.users.{uid}.presence"

    async def scenario():
        s = Stream(mode, sandbox)
        try:
            await s.open([topic])
            old = s.listener.channels[0]
            await publish(sandbox, topic, {"message": "before"})
            await asyncio.to_thread(sandbox.socket_closing, 60)
            await until(lambda: s.listener.rollovers == 1, "the rollover")
            assert s.listener.channels != [old]
            await publish(sandbox, topic, {"message": "after"})
            got = [e.body.message for e in await s.events(2)]
            assert got == ["before", "after"]
            assert s.listener.reconnects == 0
            await publish(sandbox, topic, {"message": "last"})
            assert (await s.next()).body.message == "last"
        finally:
            await s.close()

    run(scenario())


def test_rollover_under_a_steady_thousand_events_per_second(mode, sandbox, uid):
    topic = f"v2.users.{uid}.presence"
    total = 3000

    async def scenario():
        s = Stream(mode, sandbox)
        try:
            await s.open([topic])
            await publish(sandbox, topic, {"message": "steady"}, count=total, rate=1000, sequence_field="n")
            seen = []
            while len(seen) < total // 3:
                item = await s.next()
                assert isinstance(item, NotificationEvent)
                seen.append(item.raw["eventBody"]["n"])
            await asyncio.to_thread(sandbox.socket_closing, 60)  # in the middle of the stream
            while len(seen) < total:
                item = await s.next()
                assert isinstance(item, NotificationEvent), item
                seen.append(item.raw["eventBody"]["n"])
            assert len(seen) == total and sorted(seen) == list(range(total))  # zero loss, zero duplicates
            assert s.listener.rollovers == 1 and s.listener.reconnects == 0
        finally:
            await s.close()

    run(scenario())


# -- 5. lifetime ----------------------------------------------------------------------------------------------
def test_channels_are_extended_before_expiry(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox, renew_before=86_400 - 0.5)  # the channel is "due" half a second after each renewal
        try:
            await s.open([f"v2.users.{uid}.presence"])
            channel = s.listener.channels[0]

            def puts():
                return sum(1 for r in sandbox.requests() if r["method"] == "PUT"
                           and r["path"] == f"/api/v2/notifications/channels/{channel}/subscriptions")

            await until(lambda: puts() >= 3, "renewals")
            assert s.listener.channels == [channel] and s.listener.reconnects == 0
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "still here"})
            assert (await s.next()).body.message == "still here"
        finally:
            await s.close()

    run(scenario())


def test_expired_channel_and_token_are_replaced(mode, sandbox, uid):
    """The sandbox clock jumps past the channel's 24 h and the token's lifetime: the socket
    closes, HEAD answers 404 (after the client renewed its token), a new channel follows."""
    async def scenario():
        s = Stream(mode, sandbox)
        try:
            await s.open([f"v2.users.{uid}.presence"])
            old = s.listener.channels[0]
            await asyncio.to_thread(sandbox.advance_clock, 86_401)
            gap = await s.next()
            assert isinstance(gap, StreamGap)
            assert s.listener.channels != [old]
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "new channel"})
            event = await s.next()
            assert isinstance(event, NotificationEvent) and event.body.message == "new channel"
        finally:
            await s.close()

    run(scenario())


def test_a_revoked_token_ends_the_channel_and_a_new_one_follows(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox)
        try:
            await s.open([f"v2.users.{uid}.presence"])
            old = s.listener.channels[0]
            await s.rest("DELETE", "/api/v2/tokens/me")  # the token that created the channel
            gap = await s.next()
            assert isinstance(gap, StreamGap) and s.listener.channels != [old]
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "new token"})
            assert (await s.next()).body.message == "new token"
        finally:
            await s.close()

    run(scenario())


def test_token_about_to_expire_rolls_the_channel_over_without_a_gap(mode, sb):
    from genesyscloud.sandbox import Sandbox

    async def scenario(short):
        uid = short.info()["defaultUser"]["id"]
        s = Stream(mode, short)
        try:
            await s.open([f"v2.users.{uid}.presence"])
            await publish(short, f"v2.users.{uid}.presence", {"message": "one"})
            await until(lambda: s.listener.rollovers >= 1, "a token rollover")
            await publish(short, f"v2.users.{uid}.presence", {"message": "two"})
            got = [e for e in await s.events(2)]
            assert [e.body.message for e in got] == ["one", "two"]  # no StreamGap
            assert s.listener.reconnects == 0
        finally:
            await s.close()

    with Sandbox(token_ttl=4) as short:
        run(scenario(short))


# -- 6. unplanned drops ---------------------------------------------------------------------------------------
def test_an_abrupt_drop_yields_exactly_one_gap(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox, max_backoff=0.5)
        try:
            await s.open([f"v2.users.{uid}.presence"])
            channel = s.listener.channels[0]
            await asyncio.to_thread(sandbox.drop_sockets)
            gap = await s.next()
            assert isinstance(gap, StreamGap) and gap.started <= gap.ended and "ConnectionClosed" in gap.reason
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "after"})
            event = await s.next()
            assert isinstance(event, NotificationEvent) and event.body.message == "after"
            assert s.listener.reconnects == 1 and s.listener.channels == [channel]  # same channel, new socket
        finally:
            await s.close()

    run(scenario())


def test_a_failure_the_stream_cannot_recover_from_reaches_the_consumer(mode, sandbox, uid):
    from genesyscloud import PermissionDeniedError

    async def scenario():
        s = Stream(mode, sandbox)
        try:
            await s.open([f"v2.users.{uid}.presence"])
            await asyncio.to_thread(sandbox.add_fault, path="^/api/v2/notifications/channels/", status=403)
            await asyncio.to_thread(sandbox.drop_sockets)
            with pytest.raises(PermissionDeniedError):
                await s.next()
        finally:
            await s.close()

    run(scenario())


# -- 7. limits ------------------------------------------------------------------------------------------------
def test_topics_beyond_a_thousand_spread_over_channels_and_the_limit_is_clear(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox)
        try:
            with pytest.raises(TopicLimitError, match="20 channels"):
                await s.open([f"v2.users.u{i}.presence" for i in range(20_001)])
            assert not [r for r in await asyncio.to_thread(sandbox.requests) if "/notifications/" in r["path"]]
            topics = [f"v2.users.u{i}.presence" for i in range(1500)]
            await s.open(topics)
            assert len(s.listener.channels) == 2
            counts = sorted(c["topics"] for c in (await info(sandbox))["channels"])
            assert counts == [500, 1000]
            await s.call("subscribe", [f"v2.users.{uid}.presence"])  # fills the second channel
            assert len(s.listener.channels) == 2
            await publish(sandbox, "v2.users.u1499.presence", {"message": "second channel"})
            assert (await s.next()).body.message == "second channel"
        finally:
            await s.close()

    run(scenario())


# -- 8. back-pressure -------------------------------------------------------------------------------------------
def test_drop_oldest_counts_what_it_dropped(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox, buffer_size=10, overflow="drop_oldest")
        try:
            await s.open([f"v2.users.{uid}.presence"])
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "m"}, count=100, sequence_field="n")
            await until(lambda: s.listener.dropped == 90, "90 drops")
            got = [e.raw["eventBody"]["n"] for e in await s.events(10)]
            assert got == list(range(90, 100))
        finally:
            await s.close()

    run(scenario())


def test_blocking_buffer_stays_bounded_and_loses_nothing(mode, sandbox, uid):
    async def scenario():
        s = Stream(mode, sandbox, buffer_size=10)
        try:
            await s.open([f"v2.users.{uid}.presence"])
            await publish(sandbox, f"v2.users.{uid}.presence", {"message": "m"}, count=500, sequence_field="n")
            buffer = s.listener._engine.buffer
            await until(lambda: len(buffer.items) == 10, "a full buffer")
            got = []
            for _ in range(500):
                assert len(buffer.items) <= 10
                got.append((await s.next()).raw["eventBody"]["n"])
            assert got == list(range(500)) and s.listener.dropped == 0
        finally:
            await s.close()

    run(scenario())


# -- 9. close ------------------------------------------------------------------------------------------------------
def test_close_ends_cleanly_and_logs_no_secrets(mode, sandbox, uid, caplog):
    async def scenario():
        before = set(asyncio.all_tasks())
        s = Stream(mode, sandbox)
        await s.open([f"v2.users.{uid}.presence"])
        await publish(sandbox, f"v2.users.{uid}.presence", {"message": "unread"}, count=5)
        await until(lambda: len(s.listener._engine.buffer.items) == 5, "buffered events")
        await asyncio.to_thread(sandbox.drop_sockets)  # a reconnect in the log, too
        assert isinstance(await s.next(), NotificationEvent)
        token = s.client.token.access_token
        await s.close()
        assert len(s.listener._engine.buffer.items) == 0
        assert await s.next(5) is None  # the iteration ended
        await until(lambda: all(c["sockets"] == 0 for c in sandbox.notification_info()["channels"]), "closed sockets")
        if mode == "async":
            assert s.listener._engine.tasks == set()
            leftover = [t for t in asyncio.all_tasks() - before if not t.done()]
            assert leftover == []
        else:
            assert not [t for t in threading.enumerate() if t.name == "genesyscloud-notifications"]
        return token

    with caplog.at_level(logging.DEBUG, logger="genesyscloud"):
        box = []

        async def wrapper():
            box.append(await scenario())

        run(wrapper())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert box[0] not in text and sandbox.client_secret not in text


def test_sync_iteration_and_close_from_another_thread(sandbox, uid):
    client = GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret))
    with client, NotificationListener(client, [f"v2.users.{uid}.presence"]) as listener:
        sandbox.publish(f"v2.users.{uid}.presence", {"message": "x"}, count=3)
        got = []
        for event in listener:
            got.append(event.body.message)
            if len(got) == 3:
                threading.Thread(target=listener.close).start()
        assert got == ["x", "x", "x"]


def test_bad_arguments_fail_before_any_traffic(sandbox):
    client = GenesysCloud(api_host=sandbox.url, auth=ClientCredentials(sandbox.client_id, sandbox.client_secret))
    with client:
        with pytest.raises(TypeError):
            NotificationListener(client, "v2.users.x.presence")
        with pytest.raises(ValueError):
            NotificationListener(client, [], overflow="grow")
        with pytest.raises(ValueError):
            NotificationListener(client, [], buffer_size=0)
        with pytest.raises(TopicLimitError):
            NotificationListener(client, [f"t{i}" for i in range(20_001)])
        with pytest.raises(TypeError, match="NotificationListener"):
            AsyncNotificationListener(client, [])
        with pytest.raises(TypeError):
            NotificationListener(object(), [])
    assert sandbox.requests() == []
