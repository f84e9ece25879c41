"""Concurrency: 1,000 GETs of one User with 50 in flight; our async client vs our sync client on threads vs the official SDK on threads.

Each side runs in a fresh interpreter pinned to the client core; the loopback server
(``_loopback.py``) is a separate process pinned to the other core. Every call is
``get_user(id)`` reading ``id``, ``name``, ``email``, ``division.name``:

* ours, async: one ``AsyncGenesysCloud``, 50 asyncio tasks sharing the 1,000 calls;
* ours, sync + threads: one ``GenesysCloud`` shared by a 50-thread ``ThreadPoolExecutor``;
* official SDK + threads: one ``ApiClient`` shared by a 50-thread ``ThreadPoolExecutor``
  (its normal configuration: urllib3 ``PoolManager(num_pools=4, maxsize=4, block=True)``,
  so at most 4 requests are on the wire and the other threads wait for a connection);
* raw ``aiohttp.ClientSession`` + ``json.loads``, 50 tasks (the async baseline);
* raw ``urllib3.PoolManager(maxsize=50, block=True)`` + ``json.loads`` on 50 threads
  (the threads baseline).

Also reported: the slowest single call of any side, and the TCP connections each side
opened (counted by the server: goal, no more than the 50 in flight).

Two server settings: 0 ms (the server answers at once: every side is bound by its own
CPU per call, concurrency buys nothing on one core) and ``--delay-ms`` (default 10 ms:
each response is held by a timer, like a network round trip, so the number of
requests actually in flight decides the rate).

Reported: calls/s over the 1,000 calls (median of ``--repeats`` batches per child,
median over ``--rounds`` interleaved rounds), after an untimed warm-up batch of 100 calls.

    .venv/bin/python bench/concurrency.py [--delay-ms D] [--repeats N] [--rounds R] [--quick] [--json PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402
import _loopback as loopback  # noqa: E402
from small_calls import user_body  # noqa: E402

GOAL = 5.0  # async at least 5x the official SDK (0 ms)
GOAL_DELAY = 10.0  # ... and 10x with a server delay
THREADS_GOAL = 2.0  # sync on 50 threads at least 2x the official SDK (0 ms)
RAW_GOAL = 0.8  # async within 20 % of raw aiohttp
SLOWEST_GOAL_S = 0.25
CALLS = 1000
IN_FLIGHT = 50

# argv: base URL, user id, calls, in flight, repeats. Prints {"rates": [...], ...}.
_HEAD = loopback.PIN_CLIENT + """
import json, statistics, sys, time
url, user_id, calls, in_flight, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
WARMUP = 2 * in_flight  # opens the connections and loads the model classes; not timed
slowest = [0.0]  # the slowest single call of the timed batches, seconds
"""
_THREADS = """
from concurrent.futures import ThreadPoolExecutor
pool = ThreadPoolExecutor(in_flight)

def timed(_):
    started = time.perf_counter()
    result = one()
    slowest[0] = max(slowest[0], time.perf_counter() - started)
    return result

def batch(count):
    started = time.perf_counter()
    results = list(pool.map(timed, range(count)))
    elapsed = time.perf_counter() - started
    assert len(results) == count
    return elapsed, results[0]

batch(WARMUP)
slowest[0] = 0.0
rates = []
for n in range(repeats):
    elapsed, first = batch(calls)
    rates.append(calls / elapsed)
pool.shutdown()
print(json.dumps({"rate": statistics.median(rates), "rates": rates, "first": list(first), "pinned": PINNED,
                  "slowest_call_s": slowest[0]}))
"""
_ASYNC = """
import asyncio

async def batch(count):
    queue = list(range(count))
    results = []

    async def worker():
        while queue:
            queue.pop()
            began = time.perf_counter()
            results.append(await one())
            slowest[0] = max(slowest[0], time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    assert len(results) == count
    return elapsed, results[0]

async def main():
    await batch(WARMUP)
    slowest[0] = 0.0
    rates = []
    for n in range(repeats):
        elapsed, first = await batch(calls)
        rates.append(calls / elapsed)
    await close()
    return rates, first

rates, first = asyncio.run(main())
print(json.dumps({"rate": statistics.median(rates), "rates": rates, "first": list(first), "pinned": PINNED,
                  "slowest_call_s": slowest[0]}))
"""

CHILDREN = {
    "ours_async": _HEAD + """
import genesyscloud
gc = genesyscloud.AsyncGenesysCloud(api_host=url, auth=genesyscloud.AccessToken("bench-token"))

async def one():
    user = await gc.users.get_user(user_id)
    return user.id, user.name, user.email, user.division.name

close = gc.close
""" + _ASYNC,
    "ours_threads": _HEAD + """
import genesyscloud
gc = genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.AccessToken("bench-token"))

def one():
    user = gc.users.get_user(user_id)
    return user.id, user.name, user.email, user.division.name
""" + _THREADS,
    "official": _HEAD + """
import PureCloudPlatformClientV2
api_client = PureCloudPlatformClientV2.ApiClient(host=url)
api_client.access_token = "bench-token"
users_api = PureCloudPlatformClientV2.UsersApi(api_client)
users_api.get_user(user_id)  # creates its HTTP client before the threads start (it is made lazily, unlocked)

def one():
    user = users_api.get_user(user_id)
    return user.id, user.name, user.email, user.division.name
""" + _THREADS,
    "httpx_async": _HEAD + """
import httpx
client = httpx.AsyncClient()  # default limits: 100 connections, 20 kept alive (as ours)
target = url + "/api/v2/users/" + user_id
headers = {"Authorization": "Bearer bench-token", "Accept": "application/json"}

async def one():
    user = json.loads((await client.get(target, headers=headers)).content)
    return user["id"], user["name"], user["email"], user["division"]["name"]

close = client.aclose
""" + _ASYNC,
}
CHILDREN["aiohttp_async"] = _HEAD + """
import aiohttp
target = url + "/api/v2/users/" + user_id
headers = {"Authorization": "Bearer bench-token", "Accept": "application/json"}
session = None

async def one():
    global session
    if session is None:
        session = aiohttp.ClientSession()
    async with session.get(target, headers=headers) as response:
        user = json.loads(await response.read())
    return user["id"], user["name"], user["email"], user["division"]["name"]

async def close():
    await session.close()
""" + _ASYNC
CHILDREN["urllib3_threads"] = _HEAD + """
import urllib3
manager = urllib3.PoolManager(maxsize=in_flight, block=True)
target = url + "/api/v2/users/" + user_id
headers = {"Authorization": "Bearer bench-token", "Accept": "application/json"}

def one():
    user = json.loads(manager.request("GET", target, headers=headers).data)
    return user["id"], user["name"], user["email"], user["division"]["name"]
""" + _THREADS
ORDER = ("ours_async", "ours_threads", "official", "aiohttp_async", "urllib3_threads", "httpx_async")


def measure(delays: list[float], repeats: int, rounds: int) -> dict[str, Any]:
    """``rounds`` rounds with a server delay, one round at 0 ms (CPU-bound: a reference)."""
    user_id, body = user_body()
    pythons = {name: lib.our_python() for name in ORDER}
    official = lib.official_python()
    if official:
        pythons["official"] = official
    else:
        del pythons["official"]
    out: dict[str, Any] = {"repeats": repeats, "rounds": rounds, "body_bytes": len(body), "by_delay": {}}
    for delay in delays:
        with loopback.serving("fixed", body=body, delay_ms=delay) as url:
            args = (url, user_id, str(CALLS), str(IN_FLIGHT), str(repeats))
            def counted(name: str, url: str = url, args: tuple = args) -> dict[str, Any]:
                before = loopback.connections(url)
                result = lib.run_child(pythons[name], CHILDREN[name], *args)
                result["connections"] = loopback.connections(url) - before - 1  # less the query's own
                return result

            out["by_delay"][str(delay)] = lib.interleaved(
                rounds, {name: (lambda name=name: counted(name)) for name in ORDER if name in pythons}, warmup=0)
    return out


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for delay, runs in raw["by_delay"].items():
        def med(name: str) -> float | None:
            return lib.median([r["rate"] for r in runs[name]]) if runs.get(name) else None

        ours_async, ours_threads, official = med("ours_async"), med("ours_threads"), med("official")
        raw_async, raw_threads, httpx_async = med("aiohttp_async"), med("urllib3_threads"), med("httpx_async")
        goal = GOAL_DELAY if float(delay) else GOAL
        bench = f"concurrency: {CALLS:,} GETs, {IN_FLIGHT} in flight, server delay {float(delay):g} ms"
        rows.append(lib.row(bench, "ours async vs official + 50 threads", "calls/s", ours=ours_async,
                            official=official, baseline=raw_async, baseline_label="raw aiohttp",
                            ratio=ours_async / official if ours_async and official else None,
                            ratio_label="ours async/official", budget=f">= {goal:.0f}x official",
                            budget_met=bool(ours_async and official and ours_async / official >= goal)))
        rows.append(lib.row(bench, "ours async vs raw aiohttp", "calls/s", ours=ours_async,
                            official=official, baseline=raw_async, baseline_label="raw aiohttp",
                            ratio=ours_async / raw_async if ours_async and raw_async else None,
                            ratio_label="ours async/aiohttp",
                            **({"budget": f">= {RAW_GOAL:.0%} of raw aiohttp",
                                "budget_met": bool(ours_async and raw_async and ours_async / raw_async >= RAW_GOAL)}
                               if not float(delay) else {})))
        rows.append(lib.row(bench, "ours sync + 50 threads vs official + 50 threads", "calls/s", ours=ours_threads,
                            official=official, baseline=raw_threads, baseline_label="raw urllib3 + 50 threads",
                            ratio=ours_threads / official if ours_threads and official else None,
                            ratio_label="ours threads/official",
                            **({"budget": f">= {THREADS_GOAL:.0f}x official",
                                "budget_met": bool(ours_threads and official and ours_threads / official >= THREADS_GOAL)}
                               if not float(delay) else {})))
        if httpx_async:
            rows.append(lib.row(bench, "raw httpx.AsyncClient for reference", "calls/s", ours=ours_async,
                                official=official, baseline=httpx_async, baseline_label="raw httpx.AsyncClient",
                                ratio=ours_async / httpx_async, ratio_label="ours async/httpx"))

        def worst(name: str, key: str) -> float | None:
            values = [r[key] for r in runs.get(name, ()) if r.get(key) is not None]
            return max(values) if values else None

        for key, metric, unit, scale in (("slowest_call_s", "slowest single call", "ms", 1000.0),
                                         ("connections", "TCP connections opened (worst child)", "connections", 1)):
            ours_worst = max(v for v in (worst("ours_async", key), worst("ours_threads", key)) if v is not None)
            budget = (f"< {SLOWEST_GOAL_S * 1000:.0f} ms" if key == "slowest_call_s"
                      else f"<= {IN_FLIGHT}")
            met = ours_worst * scale < SLOWEST_GOAL_S * 1000 if key == "slowest_call_s" else ours_worst <= IN_FLIGHT
            rows.append(lib.row(bench, f"{metric}, ours async / threads (worse of the two)", unit,
                                ours=ours_worst * scale, official=(worst("official", key) or 0) * scale,
                                baseline=(worst("aiohttp_async", key) or 0) * scale, baseline_label="raw aiohttp",
                                budget=budget, budget_met=bool(met)))
    notes = [loopback.pinning_note(),
             f"{raw['rounds']} rounds interleaving a fresh interpreter per side; each child runs a warm-up batch of "
             f"{2 * IN_FLIGHT} calls, then {raw['repeats']} timed batch(es) of {CALLS:,} calls (its rate: the median "
             "batch); median over rounds; slowest call and connections: the worst child",
             "official SDK: default configuration, urllib3 PoolManager(num_pools=4, maxsize=4, block=True): at most 4 "
             "requests on the wire, the other 46 threads wait for a connection; ours: the default pools (100 "
             "connections per origin, all kept alive; blocking); raw aiohttp: a default ClientSession (limit 100)",
             "'server delay' holds each response with a timer (no server CPU): a stand-in for the network round trip; "
             "at 0 ms every side is bound by its own CPU per call (one client core)"]
    for delay, runs in raw["by_delay"].items():
        stalls = [f"{name} {r['slowest_call_s']:.1f} s" for name, side in runs.items() for r in side
                  if r.get("slowest_call_s", 0) > 1.0]
        if stalls:
            notes.append(f"server delay {float(delay):g} ms: single calls stalled > 1 s (slowest call per child): "
                         + ", ".join(stalls))
    return {"name": "concurrency", "title": "Concurrency (1,000 calls, 50 in flight)", "rows": rows, "notes": notes,
            "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, action="append", default=None,
                        help="server delay per response, ms (repeatable; default 0 and 10)")
    parser.add_argument("--repeats", type=int, default=None, help="timed batches per child (default 3, --quick 1)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 2, --quick 1)")
    args = parser.parse_args()
    delays = args.delay_ms or [0.0, 10.0]
    repeats = args.repeats or (1 if args.quick else 3)
    rounds = args.rounds or (1 if args.quick else 2)
    lib.emit(args, summarize(measure(delays, repeats, rounds)))


if __name__ == "__main__":
    main()
