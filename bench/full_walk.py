"""Full walk: auto-paging 10,000 users in 100-user pages, items per second; genesyscloud vs the official SDK vs raw httpx.

The sandbox seeds a fixed 3,200 users (``genesyscloud/sandbox/_seed.py`` has no option
for more), so the 10,000 users come from the loopback paging server
(``_loopback.py users``, a separate process pinned to the other core): realistic User
objects (the sandbox's seeded users, cycled, each with its own id) in
``UserEntityListing`` pages with ``pageNumber``/``pageCount``/``nextUri`` like the
real service. Every side reads ``id``, ``name`` and ``email`` of every user and keeps
nothing:

* genesyscloud: ``for user in gc.users.get_users(page_size=100).auto_paging_iter()``;
* official SDK: the loop its users write (``get_users(page_size=100, page_number=n)``
  until ``n == page.page_count``);
* raw httpx: the same loop with ``json.loads``.

Each child (fresh interpreter, pinned to the client core) walks once to warm up, then
``--walks`` times; the result is the median over ``--rounds`` interleaved rounds of
each child's median.

    .venv/bin/python bench/full_walk.py [--walks N] [--rounds R] [--quick] [--json PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402
import _loopback as loopback  # noqa: E402

TOTAL = 10_000
PAGE_SIZE = 100

# argv: base URL, page size, walks (the first is reported separately as the cold walk).
# Prints {"walks": [{"seconds", "items", "last"}], "rss_after_first_page_mb", "peak_rss_mb"}.
_HEAD = loopback.PIN_CLIENT + """
import json, resource, sys, time
url, page_size, walks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
_page_kb = resource.getpagesize() / 1024

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _page_kb / 1024

marks = {}
"""
_TAIL = """
out = []
for n in range(walks):
    started = time.perf_counter()
    items, last = walk()
    out.append({"seconds": time.perf_counter() - started, "items": items, "last": last})
print(json.dumps({"walks": out, "rss_after_first_page_mb": marks.get("first"),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "pinned": PINNED}))
"""

CHILDREN = {
    "ours": _HEAD + """
import genesyscloud
gc = genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.AccessToken("bench-token"))

def walk():
    items, last = 0, None
    first = gc.users.get_users(page_size=page_size)
    marks.setdefault("first", rss_mb())
    for user in first.auto_paging_iter():
        user.id, user.name, user.email
        items += 1
        last = user.id
    return items, last
""" + _TAIL,
    "official": _HEAD + """
import PureCloudPlatformClientV2
api_client = PureCloudPlatformClientV2.ApiClient(host=url)
api_client.access_token = "bench-token"
users_api = PureCloudPlatformClientV2.UsersApi(api_client)

def walk():
    items, last = 0, None
    page_number = 1
    while True:
        page = users_api.get_users(page_size=page_size, page_number=page_number)
        marks.setdefault("first", rss_mb())
        for user in page.entities or []:
            user.id, user.name, user.email
            items += 1
            last = user.id
        if not page.entities or not page.page_count or page_number >= page.page_count:
            break
        page_number += 1
    return items, last
""" + _TAIL,
    "httpx": _HEAD + """
import httpx
client = httpx.Client()
target = url + "/api/v2/users"
headers = {"Authorization": "Bearer bench-token", "Accept": "application/json"}

def walk():
    items, last = 0, None
    page_number = 1
    while True:
        response = client.get(target, params={"pageSize": page_size, "pageNumber": page_number}, headers=headers)
        response.raise_for_status()
        page = json.loads(response.content)
        marks.setdefault("first", rss_mb())
        for user in page.get("entities") or []:
            user["id"], user["name"], user["email"]
            items += 1
            last = user["id"]
        if not page.get("entities") or not page.get("pageCount") or page_number >= page["pageCount"]:
            break
        page_number += 1
    return items, last
""" + _TAIL,
}


def run_sides(total: int, walks: int, rounds: int) -> dict[str, list[dict[str, Any]]]:
    pythons = {"ours": lib.our_python(), "httpx": lib.our_python()}
    official = lib.official_python()
    if official:
        pythons["official"] = official
    order = [name for name in ("ours", "official", "httpx") if name in pythons]
    with loopback.serving("users", total=total) as url:
        args = (url, str(PAGE_SIZE), str(walks))
        return lib.interleaved(rounds, {name: (lambda name=name: lib.run_child(pythons[name], CHILDREN[name], *args))
                                        for name in order}, warmup=0)


def check_notes(runs: dict[str, list[dict[str, Any]]], total: int) -> list[str]:
    notes = []
    for name, side_runs in runs.items():
        for run in side_runs:
            for walk in run["walks"]:
                if walk["items"] != total or walk["last"] != loopback.UserPages.user_id(total - 1):
                    notes.append(f"MISMATCH: {name} walked {walk['items']} items, last {walk['last']!r}")
    return notes


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    runs, total = raw["runs"], raw["total"]

    def items_per_s(name: str, warm: bool) -> float | None:
        if not runs.get(name):
            return None
        per_child = []
        for run in runs[name]:
            walks = run["walks"][1:] if warm and len(run["walks"]) > 1 else run["walks"][:1]
            per_child.append(lib.median([total / w["seconds"] for w in walks]))
        return lib.median(per_child)

    rows = []
    bench = f"full walk: {total:,} users, {PAGE_SIZE}-user pages"
    for warm, metric in ((True, "items/s (warm walk)"), (False, "items/s (first walk: includes lazy imports)")):
        ours, official, base = items_per_s("ours", warm), items_per_s("official", warm), items_per_s("httpx", warm)
        rows.append(lib.row(bench, metric, "items/s", ours=ours, official=official, baseline=base,
                            baseline_label="raw httpx + json.loads, same loop",
                            ratio=ours / official if ours and official else None, ratio_label="ours/official"))
    notes = [loopback.pinning_note(),
             f"the sandbox seeds 3,200 users and has no option for more: the {total:,} users come from the loopback "
             "paging server (the sandbox's seeded User objects cycled with unique ids, ~0.9 KB each, "
             "UserEntityListing pages with pageNumber/pageCount/nextUri)",
             f"{raw['rounds']} rounds interleaving a fresh interpreter per side; each child walks once cold, then "
             f"{raw['walks'] - 1} warm walk(s); each reads id, name, email of every user and keeps nothing"]
    notes += check_notes(runs, total)
    return {"name": "full_walk", "title": "Full walk (auto-paging)", "rows": rows, "notes": notes, "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=None, help="warm walks per child (default 1)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 2, --quick 1)")
    args = parser.parse_args()
    walks = 1 + (args.walks or 1)
    rounds = args.rounds or (1 if args.quick else 2)
    runs = run_sides(TOTAL, walks, rounds)
    lib.emit(args, summarize({"runs": runs, "total": TOTAL, "walks": walks, "rounds": rounds}))


if __name__ == "__main__":
    main()
