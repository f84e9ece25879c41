"""Notifications: typed events per second through the listener vs the raw ``websockets``
client plus ``json.loads``, and latency from a REST change to the delivered event.

    .venv/bin/python bench/notifications.py [--events N] [--rounds R] [--quick] [--json PATH]

The sandbox runs in its own process (``python -m genesyscloud.sandbox serve --port 0``,
pinned to CPU 1 when the machine has two or more); every measurement is a fresh client
process pinned to CPU 0, the sides interleaved round by round (one warm-up round
discarded), medians reported.

* Throughput: one channel subscribed to ``v2.users.{id}.presence``; the control API
  publishes ``--events`` events in one burst (the sandbox queues them at once); the
  client times from the first to the last event received.
  - listener (async / sync): ``AsyncNotificationListener`` / ``NotificationListener``;
    each event's ``body`` is decoded to ``PresenceEventUserPresence`` and one attribute read
    (``body.presence_definition.system_presence``);
  - raw: ``websockets.asyncio.client.connect`` + ``json.loads`` of every frame and the same
    field read from the dict (heartbeats skipped by topic).
  Goal: the async listener within 2x of raw and >= 10,000 events/s. The client process's
  CPU time per event (all its threads) is reported too: when the sandbox's send rate is the
  limit, it shows the client's own cost.
* Latency: ``PATCH /api/v2/users/{id}/presences/purecloud`` through the client, then wait
  for the presence event; reported from the start of the REST call to the event in the
  consumer's hands (the sandbox adds no delay of its own), median and p95 of 200 changes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
RATIO_GOAL = 2.0
RATE_GOAL = 10_000

_COMMON = """
import asyncio, json, os, statistics, sys, time
import httpx
url, events = sys.argv[1], int(sys.argv[2])
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
try:
    os.sched_setaffinity(0, {0})
except (AttributeError, OSError):
    pass
control = httpx.Client(base_url=url + "/__sandbox__", timeout=60)
uid = control.get("/info").json()["defaultUser"]["id"]
topic = f"v2.users.{uid}.presence"
BODY = {"source": "PURECLOUD", "primary": True, "message": "",
        "presenceDefinition": {"id": "6a3af858-942f-489d-9700-5f9bcdcdae9b", "systemPresence": "Available"},
        "modifiedDate": "2024-01-02T03:04:05.000Z"}

def burst():
    control.post("/notifications/publish", json={"topic": topic, "body": BODY, "count": events}).raise_for_status()
"""

RAW = _COMMON + """
import websockets
from websockets.asyncio.client import connect

async def main():
    token = httpx.post(url + "/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    api = httpx.AsyncClient(base_url=url, headers={"Authorization": "Bearer " + token}, timeout=60)
    channel = (await api.post("/api/v2/notifications/channels")).json()
    (await api.put(f"/api/v2/notifications/channels/{channel['id']}/subscriptions", json=[{"id": topic}])).raise_for_status()
    async with connect(channel["connectUri"], compression=None, ping_interval=None, max_size=2 ** 24) as ws:
        await asyncio.to_thread(burst)
        n = 0
        loads = json.loads
        started = None
        async for text in ws:
            message = loads(text)
            if message.get("topicName") != topic:
                continue
            if started is None:
                started = time.perf_counter()
                cpu = time.process_time()
            message["eventBody"]["presenceDefinition"]["systemPresence"]
            n += 1
            if n == events:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    await api.aclose()
    print(json.dumps({"rate": (events - 1) / elapsed, "cpu_us": cpu / (events - 1) * 1e6}))

asyncio.run(main())
"""

ASYNC_LISTENER = _COMMON + """
from genesyscloud import AsyncGenesysCloud, ClientCredentials
from genesyscloud.notifications import AsyncNotificationListener

async def main():
    agc = AsyncGenesysCloud(api_host=url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET))
    async with AsyncNotificationListener(agc, [topic]) as listener:
        await asyncio.to_thread(burst)
        n = 0
        started = None
        async for event in listener:
            if started is None:
                started = time.perf_counter()
                cpu = time.process_time()
            event.body.presence_definition.system_presence
            n += 1
            if n == events:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    await agc.close()
    print(json.dumps({"rate": (events - 1) / elapsed, "cpu_us": cpu / (events - 1) * 1e6}))

asyncio.run(main())
"""

SYNC_LISTENER = _COMMON + """
import threading
from genesyscloud import GenesysCloud, ClientCredentials
from genesyscloud.notifications import NotificationListener

gc = GenesysCloud(api_host=url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET))
with gc, NotificationListener(gc, [topic]) as listener:
    threading.Thread(target=burst).start()
    n = 0
    started = None
    for event in listener:
        if started is None:
            started = time.perf_counter()
            cpu = time.process_time()
        event.body.presence_definition.system_presence
        n += 1
        if n == events:
            break
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
print(json.dumps({"rate": (events - 1) / elapsed, "cpu_us": cpu / (events - 1) * 1e6}))
"""

LATENCY_ASYNC = _COMMON + """
from genesyscloud import AsyncGenesysCloud, ClientCredentials
from genesyscloud.notifications import AsyncNotificationListener

async def main():
    agc = AsyncGenesysCloud(api_host=url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET))
    samples = []
    async with AsyncNotificationListener(agc, [topic]) as listener:
        names = ["Available", "Away"]
        for i in range(events):
            started = time.perf_counter()
            await agc.request("PATCH", f"/api/v2/users/{uid}/presences/purecloud",
                              json={"presenceDefinition": {"systemPresence": names[i % 2]}})
            event = await listener.__anext__()
            samples.append(time.perf_counter() - started)
    await agc.close()
    samples.sort()
    print(json.dumps({"median_ms": statistics.median(samples) * 1000,
                      "p95_ms": samples[int(len(samples) * 0.95) - 1] * 1000}))

asyncio.run(main())
"""

LATENCY_REST_ONLY = _COMMON + """
from genesyscloud import AsyncGenesysCloud, ClientCredentials

async def main():
    agc = AsyncGenesysCloud(api_host=url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET))
    samples = []
    names = ["Available", "Away"]
    await agc.authenticate()
    for i in range(events):
        started = time.perf_counter()
        await agc.request("PATCH", f"/api/v2/users/{uid}/presences/purecloud",
                          json={"presenceDefinition": {"systemPresence": names[i % 2]}})
        samples.append(time.perf_counter() - started)
    await agc.close()
    samples.sort()
    print(json.dumps({"median_ms": statistics.median(samples) * 1000,
                      "p95_ms": samples[int(len(samples) * 0.95) - 1] * 1000}))

asyncio.run(main())
"""


@contextlib.contextmanager
def server() -> Iterator[str]:
    cmd = [lib.our_python(), "-m", "genesyscloud.sandbox", "serve", "--port", "0", "--client-id", CLIENT_ID,
           "--client-secret", CLIENT_SECRET]
    if (os.cpu_count() or 1) >= 2 and os.path.exists("/usr/bin/taskset"):
        cmd = ["taskset", "-c", "1", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=lib.clean_env(), cwd=str(lib.REPO))
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "listening on " not in line:
            raise SystemExit(f"the sandbox did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per throughput sample (default 20,000)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (default 3)")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    events = min(args.events, 5_000) if args.quick else args.events
    changes = 50 if args.quick else 200
    python = lib.our_python()
    with server() as url:
        def child(code: str, n: int) -> dict:
            return lib.run_child(python, code, url, str(n))

        results = lib.interleaved(rounds, {
            "raw": lambda: child(RAW, events),
            "async": lambda: child(ASYNC_LISTENER, events),
            "sync": lambda: child(SYNC_LISTENER, events),
        })
        latency = lib.interleaved(rounds, {
            "listener": lambda: child(LATENCY_ASYNC, changes),
            "rest": lambda: child(LATENCY_REST_ONLY, changes),
        })
    raw = lib.median([r["rate"] for r in results["raw"]])
    ours = lib.median([r["rate"] for r in results["async"]])
    sync = lib.median([r["rate"] for r in results["sync"]])
    met = raw / ours <= RATIO_GOAL and ours >= RATE_GOAL
    rows = [
        lib.row("notifications", f"typed events/s, async listener ({events:,} events)", "events/s", ours=ours,
                baseline=raw, baseline_label="websockets + json.loads", ratio=raw / ours, ratio_label="raw/ours",
                budget=f"within {RATIO_GOAL:.0f}x of raw and >= {RATE_GOAL:,}/s", budget_met=met),
        lib.row("notifications", "typed events/s, sync listener", "events/s", ours=sync, baseline=raw,
                baseline_label="websockets + json.loads", ratio=raw / sync, ratio_label="raw/ours"),
    ]
    raw_cpu = lib.median([r["cpu_us"] for r in results["raw"]])
    for side, label in (("async", "async listener"), ("sync", "sync listener")):
        cpu = lib.median([r["cpu_us"] for r in results[side]])
        rows.append(lib.row("notifications", f"client CPU per event, {label}", "us", ours=cpu, baseline=raw_cpu,
                            baseline_label="websockets + json.loads", ratio=cpu / raw_cpu, ratio_label="ours/raw"))
    for side, label in (("listener", "REST change -> event delivered"), ("rest", "the REST call alone")):
        rows.append(lib.row("notifications", f"latency, {label}, median", "ms",
                            ours=lib.median([r["median_ms"] for r in latency[side]])))
        rows.append(lib.row("notifications", f"latency, {label}, p95", "ms",
                            ours=lib.median([r["p95_ms"] for r in latency[side]])))
    lib.emit(args, {"title": "Notifications (sandbox in its own process)", "rows": rows,
                    "notes": [f"{rounds} round(s), median; {changes} presence changes per latency sample",
                              "latency: from the start of PATCH /api/v2/users/{id}/presences/purecloud to the "
                              "event in the consumer's hands; the REST call alone shows what the HTTP round trip "
                              "costs"]})


if __name__ == "__main__":
    main()
