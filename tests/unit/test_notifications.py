"""Unit checks of genesyscloud.notifications: topic resolution, events, the buffer and de-duplication."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from genesyscloud._topics import PUBLISHED_CLASSES, TOPIC_MODELS
from genesyscloud.notifications import NotificationEvent, RejectedTopic, TopicRejectedError, topic_model, topic_template
from genesyscloud.notifications import _Buffer, _Dedup, _END, backoff_delay


def test_the_generated_map_covers_the_vendored_table():
    import json
    from pathlib import Path

    rows = json.loads((Path(__file__).resolve().parents[2] / "spec" / "notification-topics.json").read_text())["topics"]
    assert len(TOPIC_MODELS) == len(rows) == len(PUBLISHED_CLASSES) == 139
    assert sum(1 for d in TOPIC_MODELS.values() if d) == 131


@pytest.mark.parametrize("topic, template", [
    ("v2.users.8f3a2c1e-0000-4000-8000-000000000001.presence", "v2.users.{id}.presence"),
    ("v2.system.socket_closing", "v2.system.socket_closing"),  # a literal beats v2.system.{id}.{id}
    ("v2.system.abc.def", "v2.system.{id}.{id}"),
    ("v2.telephony.providers.edges.phones.p1", "v2.telephony.providers.edges.phones.{id}"),
    ("v2.telephony.providers.edges.e1.metrics", "v2.telephony.providers.edges.{id}.metrics"),
    ("v2.users.u1.conversations.c1.recordings.r1", "v2.users.{id}.conversations.{id}.recordings.{id}"),
    ("v2.users..presence", None),
    ("v2.users.u1.presence.extra", None),
    ("", None),
])
def test_topic_template(topic, template):
    assert topic_template(topic) == template


def test_topic_model_and_lazy_lossless_body():
    assert topic_model("v2.users.u1.presence").__name__ == "PresenceEventUserPresence"
    assert topic_model("v2.users.u1.wem.coaching.appointment") is None  # in the table, no definition
    assert topic_model("v2.not.a.topic") is None
    raw = {"topicName": "v2.users.u1.presence", "version": "2", "metadata": {"CorrelationId": "c"},
           "eventBody": {"presenceDefinition": {"systemPresence": "Away", "future": 1}, "unknownField": [1]}}
    event = NotificationEvent(raw["topicName"], raw, topic_model(raw["topicName"]))
    assert event.body.presence_definition.system_presence == "Away"
    assert event.body.to_dict() == raw["eventBody"] and event.correlation_id == "c"
    untyped = NotificationEvent("v2.x", {"eventBody": {"a": 1}}, None)
    assert untyped.body == {"a": 1}


def test_rejection_message_names_each_topic_and_why():
    error = TopicRejectedError([RejectedTopic("v2.a", "not permitted", ("routing:queue:view",)), RejectedTopic("v2.b", "")])
    assert "v2.a: not permitted; missing permissions: routing:queue:view" in str(error)
    assert "v2.b: rejected" in str(error)


def test_dedup_drops_the_second_copy_and_stays_bounded():
    dedup = _Dedup(capacity=3)
    message = {"eventBody": {"b": 1, "a": 2}}
    assert not dedup.seen("t", message)
    assert dedup.seen("t", {"eventBody": {"a": 2, "b": 1}})  # same body, other key order
    assert not dedup.seen("t", message)  # a third copy is a new event
    for i in range(10):
        dedup.seen("t", {"eventBody": {"n": i}})
    assert len(dedup.keys) == 3


def test_buffer_policies():
    async def main():
        loop = asyncio.get_running_loop()
        drop = _Buffer(loop, 2, "drop_oldest", threaded=False)
        for i in range(5):
            assert drop.offer(i)
        assert drop.dropped == 3 and [await drop.aget(), await drop.aget()] == [3, 4]
        block = _Buffer(loop, 2, "block", threaded=False)
        assert block.offer(1) and block.offer(2) and not block.offer(3)
        putter = asyncio.ensure_future(block.put(3))
        await asyncio.sleep(0)
        assert not putter.done()
        assert await block.aget() == 1
        await asyncio.wait_for(putter, 10)
        assert [await block.aget(), await block.aget()] == [2, 3]
        block.finish(ValueError("boom"))
        with pytest.raises(ValueError):
            await block.aget()
        assert await block.aget() is _END

    asyncio.run(main())


def test_importing_the_module_does_not_import_websockets():
    code = "import sys, genesyscloud.notifications; print('websockets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_reconnect_backoff_is_capped_and_jittered():
    import random

    rng = random.Random(7)
    assert backoff_delay(0, 30, rng) == 0.0
    delays = [backoff_delay(n, 2.0, rng) for n in range(1, 200)]
    assert all(0 <= d <= 2.0 for d in delays) and max(delays) > 1.0
    assert len({round(d, 6) for d in delays[20:]}) > 100  # jitter: not one fixed value
    assert all(backoff_delay(1, 30, rng) <= 0.2 for _ in range(100))  # early attempts are short
