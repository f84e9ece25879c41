"""The sandbox's Notifications service, over real HTTP and a raw WebSocket client on loopback."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from genesyscloud._spec import load_spec
from genesyscloud._topics import TOPIC_MODELS
from genesyscloud.sandbox import Sandbox

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def sb():
    with Sandbox(heartbeat_interval=30) as sandbox:
        yield sandbox


@pytest.fixture
def api(sb):
    sb.reset()
    sb.notification_settings(heartbeat_interval=30)
    token = httpx.post(f"{sb.url}/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(sb.client_id, sb.client_secret)).json()["access_token"]
    with httpx.Client(base_url=sb.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client


def _uid(sb):
    return sb.info()["defaultUser"]["id"]


def _channel(api, topics=()):
    channel = api.post("/api/v2/notifications/channels").json()
    if topics:
        r = api.put(f"/api/v2/notifications/channels/{channel['id']}/subscriptions", json=[{"id": t} for t in topics])
        assert r.status_code == 200, r.text
    return channel


async def _recv_json(ws, skip_heartbeats=True):
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if skip_heartbeats and message.get("eventBody", {}).get("message") == "WebSocket Heartbeat":
            continue
        return message


def test_channel_shape_head_and_subscriptions(sb, api):
    channel = api.post("/api/v2/notifications/channels").json()
    assert set(channel) == {"id", "connectUri", "expires"}
    assert channel["connectUri"] == f"ws://127.0.0.1:{sb.port}/channels/{channel['id']}"
    assert api.head(f"/api/v2/notifications/channels/{channel['id']}").status_code == 200
    assert api.head("/api/v2/notifications/channels/no-such-channel").status_code == 404
    uid = _uid(sb)
    path = f"/api/v2/notifications/channels/{channel['id']}/subscriptions"
    assert api.put(path, json=[{"id": f"v2.users.{uid}.presence"}]).status_code == 200
    assert api.post(path, json=[{"id": f"v2.users.{uid}.routingStatus"}]).status_code == 200
    ids = [t["id"] for t in api.get(path).json()["entities"]]
    assert ids == [f"v2.users.{uid}.presence", f"v2.users.{uid}.routingStatus"]
    assert api.put(path, json=[{"id": f"v2.users.{uid}.activity"}]).json()["entities"][0]["state"] == "Permitted"
    assert [t["id"] for t in api.get(path).json()["entities"]] == [f"v2.users.{uid}.activity"]
    # unknown topics: 400 naming them, or Rejected entries with ignoreErrors=true
    bad = api.post(path, json=[{"id": "v2.no.such.topic"}])
    assert bad.status_code == 400 and "v2.no.such.topic" in bad.json()["message"]
    mixed = api.post(path, params={"ignoreErrors": "true"}, json=[{"id": "v2.no.such.topic"}, {"id": f"v2.users.{uid}.presence"}])
    rejected = [t for t in mixed.json()["entities"] if t["state"] == "Rejected"]
    assert rejected == [{"id": "v2.no.such.topic", "state": "Rejected", "rejectionReason": "The topic is not valid.",
                         "missingPermissions": []}]
    assert api.delete(path).status_code == 204
    assert api.get(path).json()["entities"] == []
    listed = api.get("/api/v2/notifications/channels").json()["entities"]
    assert [c["id"] for c in listed] == [channel["id"]]


def test_available_topics_come_from_the_table(api):
    entities = api.get("/api/v2/notifications/availabletopics", params={"expand": "schema"}).json()["entities"]
    assert len(entities) == len(TOPIC_MODELS) == 139
    assert sum(1 for e in entities if "schema" in e) == 131


def test_topic_limit_per_channel(api):
    channel = api.post("/api/v2/notifications/channels").json()
    path = f"/api/v2/notifications/channels/{channel['id']}/subscriptions"
    topics = [{"id": f"v2.users.user{i}.presence"} for i in range(1000)]
    assert api.put(path, json=topics).status_code == 200
    over = api.post(path, json=[{"id": "v2.users.one-more.presence"}])
    assert over.status_code == 400 and "1000" in over.json()["message"]
    assert len(api.get(path).json()["entities"]) == 1000


def test_a_21st_channel_evicts_the_least_recently_used_idle_one(sb, api):
    async def main():
        first = api.post("/api/v2/notifications/channels").json()
        async with websockets.connect(first["connectUri"]):  # connected: not idle
            second = api.post("/api/v2/notifications/channels").json()
            others = [api.post("/api/v2/notifications/channels").json() for _ in range(18)]
            assert api.head(f"/api/v2/notifications/channels/{second['id']}").status_code == 200
            api.post("/api/v2/notifications/channels")  # the 21st
            assert api.head(f"/api/v2/notifications/channels/{second['id']}").status_code == 404
            assert api.head(f"/api/v2/notifications/channels/{first['id']}").status_code == 200
            assert all(api.head(f"/api/v2/notifications/channels/{c['id']}").status_code == 200 for c in others)

    asyncio.run(main())


def test_socket_ping_subscribe_heartbeat_and_errors(sb, api):
    uid = _uid(sb)
    channel = _channel(api)

    async def main():
        async with websockets.connect(channel["connectUri"]) as ws:
            await ws.send('{"message":"ping"}')
            assert await _recv_json(ws) == {"topicName": "channel.metadata", "eventBody": {"message": "pong"}}
            await ws.send(json.dumps({"message": "subscribe", "topics": [f"v2.users.{uid}.presence"], "correlationId": "c-1"}))
            assert await _recv_json(ws) == {"result": "200", "status": "subscribed", "correlationId": "c-1"}
            await ws.send(json.dumps({"message": "subscribe", "topics": ["v2.nope"]}))
            reply = await _recv_json(ws)
            assert reply["result"] == "400" and "v2.nope" in reply["message"]
            await ws.send("not json")
            assert (await _recv_json(ws))["result"] == "400"
            before = sb.notification_info()["heartbeats"]
            await asyncio.to_thread(sb.notification_settings, heartbeat_interval=0.05)
            beat = await _recv_json(ws, skip_heartbeats=False)
            assert beat == {"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}
            assert sb.notification_info()["heartbeats"] > before
        subs = api.get(f"/api/v2/notifications/channels/{channel['id']}/subscriptions").json()["entities"]
        assert [s["id"] for s in subs] == [f"v2.users.{uid}.presence"]

    asyncio.run(main())


def test_unknown_channel_socket_is_refused(sb):
    async def main():
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(f"ws://127.0.0.1:{sb.port}/channels/unknown"):
                pass

    asyncio.run(main())


_BASE = []


def _validator(definition):
    from jsonschema import Draft4Validator

    definitions = load_spec()["definitions"]
    if not _BASE:
        _BASE.append(Draft4Validator({"definitions": definitions}))
    return _BASE[0].evolve(schema={"$ref": f"#/definitions/{definition}", "definitions": definitions})


def test_events_from_state_changes_have_the_real_shape_and_validate(sb, api):
    uid = _uid(sb)
    queue_id = api.get("/api/v2/routing/queues").json()["entities"][0]["id"]
    topics = [f"v2.users.{uid}.presence", f"v2.users.{uid}.routingStatus", f"v2.users.{uid}.conversations",
              f"v2.users.{uid}.conversations.calls", f"v2.routing.queues.{queue_id}.conversations",
              "v2.analytics.conversations.details.jobs.availability"]
    channel = _channel(api, topics)

    async def main():
        async with websockets.connect(channel["connectUri"]) as ws:
            def changes():
                api.patch(f"/api/v2/users/{uid}/presences/purecloud", json={"presenceDefinition": {"systemPresence": "Busy"}}).raise_for_status()
                api.put(f"/api/v2/users/{uid}/routingstatus", json={"status": "IDLE"}).raise_for_status()
                call = api.post("/api/v2/conversations/calls", json={"phoneNumber": "+13175550111", "callUserId": uid,
                                                                     "callFromQueueId": queue_id})
                call.raise_for_status()
                job = api.post("/api/v2/analytics/conversations/details/jobs",
                               json={"interval": "2024-01-01T00:00:00Z/2024-02-01T00:00:00Z"}).json()["jobId"]
                while api.get(f"/api/v2/analytics/conversations/details/jobs/{job}").json()["state"] != "FULFILLED":
                    pass
                return call.json()["id"]

            conv_id = await asyncio.to_thread(changes)
            got = {}
            while len(got) < len(topics):
                message = await _recv_json(ws)
                got[message["topicName"]] = message
        assert set(got) == set(topics)
        for topic, message in got.items():
            assert set(message) == {"topicName", "version", "eventBody", "metadata"}
            template = topic.replace(uid, "{id}").replace(queue_id, "{id}")
            errors = list(_validator(TOPIC_MODELS[template]).iter_errors(message["eventBody"]))
            assert errors == [], (topic, errors[:1])
        assert got[f"v2.users.{uid}.presence"]["eventBody"]["presenceDefinition"]["systemPresence"] == "Busy"
        assert got[f"v2.users.{uid}.routingStatus"]["eventBody"]["routingStatus"]["status"] == "IDLE"
        assert got[f"v2.routing.queues.{queue_id}.conversations"]["eventBody"]["id"] == conv_id
        assert api.get(f"/api/v2/users/{uid}/presences/purecloud").json()["presenceDefinition"]["systemPresence"] == "Busy"

    asyncio.run(main())


def test_control_publish_samples_validate_for_every_typed_topic(sb, api):
    with httpx.Client(base_url=f"{sb.url}/__sandbox__/notifications", timeout=30) as control:
        for template, definition in sorted(TOPIC_MODELS.items()):
            if definition is None:
                continue
            topic = template.replace("{id}", "x1")
            body = control.post("/publish", json={"topic": topic}).json()["body"]
            assert list(_validator(definition).iter_errors(body)) == [], template


def test_channels_expire_by_the_sandbox_clock_and_their_sockets_close(sb, api):
    uid = _uid(sb)
    channel = _channel(api, [f"v2.users.{uid}.presence"])

    async def main():
        async with websockets.connect(channel["connectUri"]) as ws:
            await asyncio.to_thread(sb.advance_clock, 86_401)
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await _recv_json(ws)

    asyncio.run(main())
    token = httpx.post(f"{sb.url}/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(sb.client_id, sb.client_secret)).json()["access_token"]
    head = httpx.head(f"{sb.url}/api/v2/notifications/channels/{channel['id']}", headers={"Authorization": f"Bearer {token}"})
    assert head.status_code == 404


def test_socket_closing_warns_then_closes_and_drop_kills(sb, api):
    uid = _uid(sb)
    channel = _channel(api, [f"v2.users.{uid}.presence"])

    async def main():
        async with websockets.connect(channel["connectUri"]) as ws:
            assert (await asyncio.to_thread(sb.socket_closing, grace=0.2))["sockets"] == 1
            warning = await _recv_json(ws)
            assert warning["topicName"] == "v2.system.socket_closing"
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await _recv_json(ws)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        async with websockets.connect(channel["connectUri"]) as ws:
            await asyncio.to_thread(sb.drop_sockets)
            with pytest.raises(websockets.exceptions.ConnectionClosedError) as dropped:
                await _recv_json(ws)
            assert dropped.value.rcvd is None  # no close frame: an abrupt end

    asyncio.run(main())


def test_publish_with_a_sequence_and_a_rate(sb, api):
    channel = _channel(api, ["v2.users.u1.presence"])

    async def main():
        async with websockets.connect(channel["connectUri"]) as ws:
            await asyncio.to_thread(sb.publish, "v2.users.u1.presence", {"message": "m"}, count=50, rate=1000,
                                    sequence_field="n")
            seen = [(await _recv_json(ws))["eventBody"]["n"] for _ in range(50)]
        assert seen == list(range(50))

    asyncio.run(main())
    with pytest.raises(httpx.HTTPStatusError):
        sb.publish("v2.not.in.table")
