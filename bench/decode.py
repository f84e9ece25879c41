"""Large page decode: a 100-entity UserEntityListing, genesyscloud vs the official SDK vs json.loads.

The page is built once from the vendored definition (User sampled at depth 3, 100
entities with distinct ids, names and e-mails) and written to a temporary file. Each
side is timed in its own fresh interpreter with the same timing loop (calibrated to
``--seconds`` per repeat, ``--repeats`` repeats), ``--rounds`` times alternating the two;
the result is the median of the rounds' medians:

* genesyscloud: ``models.UserEntityListing.from_dict(json.loads(text))``;
* official SDK: ``ApiClient().deserialize(response, 'UserEntityListing')``, its public
  entry point (it runs ``json.loads(response.data)`` itself);
* raw: ``json.loads(text)``.

Variants: "fields" reads ``.name``, ``.id`` and ``.email`` of every entity (the common
case); "full touch" reads every attribute recursively (every nested model decoded);
"decode only" stops after the decode call.

    .venv/bin/python bench/decode.py [--seconds S] [--repeats N] [--quick] [--json PATH]
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402

RATIO_GOAL = 10.0
ENTITIES = 100

# argv: page file, seconds per repeat, repeats. Prints {variant: {...}} as JSON.
_HARNESS = """
import gc, json, statistics, sys, time
text = open(sys.argv[1], encoding="utf-8").read()
seconds, repeats = float(sys.argv[2]), int(sys.argv[3])

def bench(fn):
    fn()
    n = 1
    while True:
        started = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed >= seconds / 4:
            break
        n *= 2
    n = max(1, round(n * seconds / elapsed))
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - started) / n)
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples),
            "loops": n, "repeats": repeats}

counts = [0, 0]
results = {}
"""

OURS = _HARNESS + """
from genesyscloud import Model, models
UserEntityListing = models.UserEntityListing

def touch(value):
    if isinstance(value, Model):
        counts[0] += 1
        for name, _, _ in type(value).__fields__:
            touch(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            touch(item)
    elif isinstance(value, dict):
        for item in value.values():
            touch(item)
    elif value is not None:
        counts[1] += 1

def decode_only():
    return UserEntityListing.from_dict(json.loads(text))

def fields():
    page = UserEntityListing.from_dict(json.loads(text))
    for user in page.entities:
        user.name, user.id, user.email

def full():
    touch(UserEntityListing.from_dict(json.loads(text)))

def json_only():
    return json.loads(text)

def json_fields():
    for user in json.loads(text)["entities"]:
        user["name"], user["id"], user["email"]

page = UserEntityListing.from_dict(json.loads(text))
touch(page)
check = {"objects": counts[0], "leaves": counts[1], "entities": len(page.entities),
         "first": [page.entities[0].id, page.entities[0].name, page.entities[0].email],
         "last": [page.entities[-1].id, page.entities[-1].name, page.entities[-1].email]}
results = {"decode_only": bench(decode_only), "fields": bench(fields), "full": bench(full),
           "json_only": bench(json_only), "json_fields": bench(json_fields)}
print(json.dumps({"results": results, "check": check, "python": sys.version.split()[0]}))
"""

OFFICIAL = _HARNESS + """
import PureCloudPlatformClientV2
api_client = PureCloudPlatformClientV2.ApiClient()

class Response:  # what ApiClient.deserialize reads: getheader() and data
    def __init__(self, data):
        self.data = data
    def getheader(self, name, default=None):
        return "application/json" if name.lower() == "content-type" else default

def touch(value):
    types = getattr(value, "swagger_types", None)
    if isinstance(types, dict):
        counts[0] += 1
        for name in types:
            touch(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            touch(item)
    elif isinstance(value, dict):
        for item in value.values():
            touch(item)
    elif value is not None:
        counts[1] += 1

def decode_only():
    return api_client.deserialize(Response(text), "UserEntityListing")

def fields():
    page = api_client.deserialize(Response(text), "UserEntityListing")
    for user in page.entities:
        user.name, user.id, user.email

def full():
    touch(api_client.deserialize(Response(text), "UserEntityListing"))

page = api_client.deserialize(Response(text), "UserEntityListing")
touch(page)
check = {"objects": counts[0], "leaves": counts[1], "entities": len(page.entities),
         "first": [page.entities[0].id, page.entities[0].name, page.entities[0].email],
         "last": [page.entities[-1].id, page.entities[-1].name, page.entities[-1].email]}
results = {"decode_only": bench(decode_only), "fields": bench(fields), "full": bench(full)}
print(json.dumps({"results": results, "check": check, "python": sys.version.split()[0],
                  "version": getattr(PureCloudPlatformClientV2, "__version__", None)}))
"""


def build_page() -> str:
    from genesyscloud._spec import sample

    user = sample({"$ref": "#/definitions/User"}, depth=3)
    page = sample({"$ref": "#/definitions/UserEntityListing"}, depth=1)
    entities = []
    for n in range(ENTITIES):
        entity = copy.deepcopy(user)
        entity["id"] = f"00000000-0000-4000-8000-{n:012d}"
        entity["name"] = f"User {n}"
        entity["email"] = f"user{n}@example.com"
        entities.append(entity)
    page.update({"entities": entities, "pageSize": ENTITIES, "pageNumber": 1, "total": ENTITIES, "pageCount": 1})
    return json.dumps(page)


def measure(seconds: float, repeats: int, rounds: int) -> dict[str, Any]:
    text = build_page()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "user_entity_listing.json"
        path.write_text(text, encoding="utf-8")
        args = (str(path), str(seconds), str(repeats))
        official_python = lib.official_python()
        ours_runs, official_runs = [], []
        for _ in range(rounds):  # alternate the two so a busy neighbour weighs on both alike
            ours_runs.append(lib.run_child(lib.our_python(), OURS, *args))
            if official_python:
                official_runs.append(lib.run_child(official_python, OFFICIAL, *args))
    return {"ours": _merge(ours_runs), "official": _merge(official_runs) if official_runs else None,
            "page_bytes": len(text.encode()), "seconds": seconds, "repeats": repeats, "rounds": rounds}


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One child's output per round -> medians over every repeat of every round."""
    merged = dict(runs[0])
    merged["results"] = {}
    for key in runs[0]["results"]:
        medians = [run["results"][key]["median_s"] for run in runs]
        mins = [run["results"][key]["min_s"] for run in runs]
        merged["results"][key] = {"median_s": lib.median(medians), "min_s": min(mins), "round_medians_s": medians}
    return merged


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    ours, official = raw["ours"]["results"], (raw["official"] or {}).get("results", {})

    def pps(results: dict[str, Any], key: str) -> float | None:
        return 1.0 / results[key]["median_s"] if key in results else None

    rows = []
    bench = f"decode {ENTITIES}-entity UserEntityListing"
    for key, metric, base_key, base_label in (
            ("fields", "decode + read name/id/email of each entity", "json_fields", "json.loads + dict reads"),
            ("full", "decode + touch every attribute", "json_only", "json.loads"),
            ("decode_only", "decode call only", "json_only", "json.loads")):
        o, f = pps(ours, key), pps(official, key)
        ratio = o / f if o and f else None
        budget = met = None
        if key == "fields":
            budget, met = f">= {RATIO_GOAL:.0f}x official", ratio is not None and ratio >= RATIO_GOAL
        rows.append(lib.row(bench, metric, "pages/s", ours=o, official=f, baseline=pps(ours, base_key),
                            baseline_label=base_label, ratio=ratio, ratio_label="ours/official",
                            budget=budget, budget_met=met))
    check_o = raw["ours"]["check"]
    check_f = (raw["official"] or {}).get("check")
    notes = [f"page: {raw['page_bytes']:,} bytes of JSON, {check_o['entities']} entities; "
             f"{raw['rounds']} rounds alternating a fresh interpreter per SDK, each {raw['repeats']} repeats "
             f"of ~{raw['seconds']} s; median of the rounds' medians",
             f"objects/leaves read by full touch: ours {check_o['objects']}/{check_o['leaves']}"
             + (f", official {check_f['objects']}/{check_f['leaves']}" if check_f else "")]
    if check_f and (check_f["first"] != check_o["first"] or check_f["last"] != check_o["last"]):
        notes.append(f"MISMATCH: ours read {check_o['first']}..{check_o['last']}, "
                     f"official {check_f['first']}..{check_f['last']}")
    if raw["official"] is None:
        notes.append("official SDK unavailable: scripts/official-sdk-venv.sh failed")
    return {"name": "decode", "title": "Large page decode", "rows": rows, "notes": notes, "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="seconds per repeat (default 0.5, --quick 0.1)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per round (default 5, --quick 3)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of ours/official (default 2, --quick 1)")
    args = parser.parse_args()
    seconds = args.seconds or (0.1 if args.quick else 0.5)
    repeats = args.repeats or (3 if args.quick else 5)
    rounds = args.rounds or (1 if args.quick else 2)
    lib.emit(args, summarize(measure(seconds, repeats, rounds)))


if __name__ == "__main__":
    main()
