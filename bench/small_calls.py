"""Small call throughput, sync: GET of one User (~1 KB), calls per second; genesyscloud vs the official SDK vs raw urllib3.

The loopback server (``_loopback.py``, a separate process pinned to the other core)
answers every request with the same realistic User (a sandbox seed user, 959 bytes).
Each side runs in a fresh interpreter pinned to the client core, one sequential caller
on one keep-alive connection, and reads ``id``, ``name``, ``email`` and
``division.name`` of each result:

* genesyscloud: ``GenesysCloud(api_host=url, auth=AccessToken(...)).users.get_user(id)``;
* official SDK: ``UsersApi(ApiClient(host=url)).get_user(id)`` (its default configuration);
* raw urllib3: ``json.loads(urllib3.PoolManager().request("GET", url, headers=...).data)``
  -- the floor for any SDK on urllib3 (ours since issue 14; the official SDK's too);
* raw httpx: the same with ``httpx.Client`` (what ours was built on before).

``--rounds`` rounds interleave the three children; each child calibrates its loop to
``--seconds`` per repeat and runs ``--repeats`` repeats after 200 warm-up calls. The
result is the median over the rounds of each child's median rate.

    .venv/bin/python bench/small_calls.py [--seconds S] [--repeats N] [--rounds R] [--quick] [--json PATH]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402
import _loopback as loopback  # noqa: E402

OFFICIAL_GOAL = 2.0  # calls/s at least 2x the official SDK
RAW_GOAL = 0.8  # within 20 % of raw urllib3 + json.loads

# argv: base URL, user id, seconds per repeat, repeats
_HEAD = loopback.PIN_CLIENT + loopback.RATE_HARNESS + """
import json, sys
url, user_id, seconds, repeats = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
"""
_TAIL = """
first = one()
out = rate(one, seconds, repeats)
out.update({"first": list(first), "pinned": PINNED})
print(json.dumps(out))
"""

CHILDREN = {
    "ours": _HEAD + """
import genesyscloud
gc = genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.AccessToken("bench-token"))
get_user = gc.users.get_user

def one():
    user = get_user(user_id)
    return user.id, user.name, user.email, user.division.name
""" + _TAIL,
    "official": _HEAD + """
import PureCloudPlatformClientV2
api_client = PureCloudPlatformClientV2.ApiClient(host=url)
api_client.access_token = "bench-token"
users_api = PureCloudPlatformClientV2.UsersApi(api_client)

def one():
    user = users_api.get_user(user_id)
    return user.id, user.name, user.email, user.division.name
""" + _TAIL,
    "urllib3": _HEAD + """
import urllib3
pool = urllib3.PoolManager()
target = url + "/api/v2/users/" + user_id
headers = {"Authorization": "Bearer bench-token", "Accept": "application/json"}

def one():
    user = json.loads(pool.request("GET", target, headers=headers).data)
    return user["id"], user["name"], user["email"], user["division"]["name"]
""" + _TAIL,
    "httpx": _HEAD + """
import httpx
client = httpx.Client()
target = url + "/api/v2/users/" + user_id
headers = {"Authorization": "Bearer bench-token", "Accept": "application/json"}

def one():
    user = json.loads(client.get(target, headers=headers).content)
    return user["id"], user["name"], user["email"], user["division"]["name"]
""" + _TAIL,
}


def user_body() -> tuple[str, bytes]:
    user = loopback.seed_users()[5]
    return user["id"], json.dumps(user).encode()


def measure(seconds: float, repeats: int, rounds: int) -> dict[str, Any]:
    user_id, body = user_body()
    pythons = {"ours": lib.our_python(), "urllib3": lib.our_python(), "httpx": lib.our_python()}
    official = lib.official_python()
    if official:
        pythons["official"] = official
    order = [name for name in ("ours", "official", "urllib3", "httpx") if name in pythons]
    with loopback.serving("fixed", body=body) as url:
        args = (url, user_id, str(seconds), str(repeats))
        runs = lib.interleaved(rounds, {name: (lambda name=name: lib.run_child(pythons[name], CHILDREN[name], *args))
                                        for name in order}, warmup=0)
    return {"runs": runs, "body_bytes": len(body), "seconds": seconds, "repeats": repeats, "rounds": rounds}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    runs = raw["runs"]

    def med(name: str, key: str) -> float | None:
        return lib.median([r[key] for r in runs[name]]) if runs.get(name) else None

    ours, official, base = med("ours", "rate"), med("official", "rate"), med("urllib3", "rate")
    httpx_rate = med("httpx", "rate")
    bench = "small call, sync (GET one User, ~1 KB)"
    rows = [
        lib.row(bench, "calls/s, 1 caller, keep-alive", "calls/s", ours=ours, official=official, baseline=base,
                baseline_label="raw urllib3 + json.loads", ratio=ours / official if ours and official else None,
                ratio_label="ours/official", budget=f">= {OFFICIAL_GOAL:.0f}x official",
                budget_met=bool(ours and official and ours / official >= OFFICIAL_GOAL)),
        lib.row(bench, "calls/s vs raw urllib3", "calls/s", ours=ours, official=official, baseline=base,
                baseline_label="raw urllib3 + json.loads", ratio=ours / base if ours and base else None,
                ratio_label="ours/urllib3", budget=f">= {RAW_GOAL:.0%} of raw urllib3",
                budget_met=bool(ours and base and ours / base >= RAW_GOAL)),
        lib.row(bench, "raw httpx for reference", "calls/s", ours=ours, official=official, baseline=httpx_rate,
                baseline_label="raw httpx + json.loads", ratio=ours / httpx_rate if ours and httpx_rate else None,
                ratio_label="ours/httpx"),
        lib.row(bench, "client CPU per call", "us", ours=med("ours", "cpu_us"), official=med("official", "cpu_us"),
                baseline=med("urllib3", "cpu_us"), baseline_label="raw urllib3 + json.loads",
                ratio=(med("official", "cpu_us") or 0) / med("ours", "cpu_us") if official and ours else None,
                ratio_label="official/ours"),
    ]
    firsts = {name: r[0]["first"] for name, r in runs.items() if r}
    notes = [loopback.pinning_note(),
             f"fixed response: one User, {raw['body_bytes']} bytes; {raw['rounds']} rounds interleaving a fresh "
             f"interpreter per side, each {raw['repeats']} repeats of ~{raw['seconds']} s after 200 warm-up calls; "
             "median of the rounds' medians"]
    if len({json.dumps(v) for v in firsts.values()}) > 1:
        notes.append(f"MISMATCH in the fields read: {firsts}")
    return {"name": "small_calls", "title": "Small call throughput (sync)", "rows": rows, "notes": notes, "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="seconds per repeat (default 0.5, --quick 0.25)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per child (default 3)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3, --quick 1)")
    args = parser.parse_args()
    seconds = args.seconds or (0.25 if args.quick else 0.5)
    repeats = args.repeats or 3
    rounds = args.rounds or (1 if args.quick else 3)
    lib.emit(args, summarize(measure(seconds, repeats, rounds)))


if __name__ == "__main__":
    main()
