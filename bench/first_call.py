"""Import + first call: a fresh interpreter imports the SDK, builds a client and makes one small call (GET one User, http://).

Sides, each in a fresh isolated interpreter (``-I``), interleaved round by round,
against the loopback server (``_loopback.py``, fixed ~1 KB User); the clock starts
before the SDK's import and stops after the four fields (``id``, ``name``, ``email``,
``division.name``) are read:

* ours, sync: ``GenesysCloud(api_host=url, auth=AccessToken(...)).users.get_user(id)``;
* ours, async: the same with ``AsyncGenesysCloud`` inside ``asyncio.run`` (aiohttp);
* ours, https: the sync first call plus building the client's ``ssl.SSLContext`` with
  the default CA bundle (certifi), which an https origin needs once (the TLS
  handshake itself is network time and not included);
* the official SDK (http, its ``ApiClient``), and raw urllib3 + ``json.loads``.

    .venv/bin/python bench/first_call.py [--rounds N] [--quick] [--json PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402
import _loopback as loopback  # noqa: E402
from small_calls import user_body  # noqa: E402

BUDGET_MS = 150.0

_HEAD = """
import time, resource, sys
url, user_id = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
"""
_TAIL = """
import json as _json
print(_json.dumps({"ms": (t1 - t0) * 1e3, "extra_ms": extra_ms, "first": list(first),
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILDREN = {
    "ours_sync": _HEAD + """
import genesyscloud
gc = genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.AccessToken("bench-token"))
user = gc.users.get_user(user_id)
first = user.id, user.name, user.email, user.division.name
t1 = time.perf_counter()
extra_ms = None
""" + _TAIL,
    "ours_async": _HEAD + """
import asyncio, genesyscloud

async def main():
    async with genesyscloud.AsyncGenesysCloud(api_host=url, auth=genesyscloud.AccessToken("bench-token")) as gc:
        user = await gc.users.get_user(user_id)
        return user.id, user.name, user.email, user.division.name

first = asyncio.run(main())
t1 = time.perf_counter()
extra_ms = None
""" + _TAIL,
    "ours_https": _HEAD + """
import genesyscloud
gc = genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.AccessToken("bench-token"))
user = gc.users.get_user(user_id)
first = user.id, user.name, user.email, user.division.name
t1 = time.perf_counter()
gc._http().ssl.get()  # what the first https request adds: the SSL context with the CA bundle
extra_ms = (time.perf_counter() - t1) * 1e3
""" + _TAIL,
    "official": _HEAD + """
import PureCloudPlatformClientV2
api_client = PureCloudPlatformClientV2.ApiClient(host=url)
api_client.access_token = "bench-token"
user = PureCloudPlatformClientV2.UsersApi(api_client).get_user(user_id)
first = user.id, user.name, user.email, user.division.name
t1 = time.perf_counter()
extra_ms = None
""" + _TAIL,
    "urllib3": _HEAD + """
import json, urllib3
user = json.loads(urllib3.PoolManager().request("GET", url + "/api/v2/users/" + user_id,
                                                 headers={"Authorization": "Bearer bench-token"}).data)
first = user["id"], user["name"], user["email"], user["division"]["name"]
t1 = time.perf_counter()
extra_ms = None
""" + _TAIL,
}


def measure(rounds: int) -> dict[str, Any]:
    user_id, body = user_body()
    pythons = {name: lib.our_python() for name in CHILDREN}
    official = lib.official_python()
    if official:
        pythons["official"] = official
    else:
        del pythons["official"]
    with loopback.serving("fixed", body=body) as url:
        runs = lib.interleaved(rounds, {name: (lambda name=name: lib.run_child(pythons[name], CHILDREN[name], url,
                                                                              user_id)) for name in pythons})
    return {"runs": runs, "rounds": rounds}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    runs = raw["runs"]

    def med(name: str, key: str = "ms") -> float | None:
        values = [r[key] for r in runs.get(name, ()) if r.get(key) is not None]
        return lib.median(values) if values else None

    official, base = med("official"), med("urllib3")
    bench = "import + first call (GET one User)"
    https = (med("ours_https") or 0) + (med("ours_https", "extra_ms") or 0)
    rows = [
        lib.row(bench, "http://, sync client", "ms", ours=med("ours_sync"), official=official, baseline=base,
                baseline_label="raw urllib3 + json.loads",
                ratio=official / med("ours_sync") if official and med("ours_sync") else None,
                ratio_label="official/ours", budget=f"< {BUDGET_MS:.0f} ms",
                budget_met=bool(med("ours_sync") and med("ours_sync") < BUDGET_MS)),
        lib.row(bench, "http://, async client (aiohttp)", "ms", ours=med("ours_async"), official=official,
                baseline=base, baseline_label="raw urllib3 + json.loads",
                ratio=official / med("ours_async") if official and med("ours_async") else None,
                ratio_label="official/ours"),
        lib.row(bench, "https://, sync client: + SSL context with the CA bundle", "ms", ours=https,
                official=official, baseline=med("ours_https", "extra_ms"), baseline_label="the SSL context alone"),
        lib.row(bench, "peak RSS, sync client", "MB", ours=med("ours_sync", "rss_mb"),
                official=med("official", "rss_mb"), baseline=med("urllib3", "rss_mb"),
                baseline_label="raw urllib3"),
    ]
    notes = [f"{raw['rounds']} rounds (after one discarded warm-up round) interleaving a fresh isolated interpreter "
             "per side; medians; the clock starts before the import and stops after four fields are read",
             "the https row adds, to the sync http first call, the time to build the client's SSL context with the "
             "default CA bundle (certifi), measured in the same child; the TLS handshake is network time"]
    return {"name": "first_call", "title": "Import + first call", "rows": rows, "notes": notes, "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5, --quick 2)")
    args = parser.parse_args()
    lib.emit(args, summarize(measure(args.rounds or (2 if args.quick else 5))))


if __name__ == "__main__":
    main()
