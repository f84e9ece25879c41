"""Import cost and cold first call: genesyscloud vs the official SDK vs raw httpx.

Every measurement runs in a fresh interpreter (``-I``, no PYTHON* variables), the
scenarios interleaved round by round; medians are reported. Times are taken inside
the child with ``time.perf_counter`` around the import (only ``time``/``resource``
are imported before the clock starts); peak RSS is the child's
``getrusage(RUSAGE_SELF).ru_maxrss``; "process wall" is the parent's clock around
the whole child (interpreter start-up and exit included).

Cold first call: the parent serves a pre-built Conversation (sample, depth 4) from a
loopback ``ThreadingHTTPServer``; the child imports the SDK, builds a client, calls
get_conversation("c1") and reads every attribute of the result recursively (so every
lazily-resolved model class is loaded).

    .venv/bin/python bench/import_cost.py [--rounds N] [--quick] [--json PATH]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402

IMPORT_BUDGET_MS = 100.0
IMPORT_BUDGET_MB = 40.0
COLD_CALL_BUDGET_MS = 150.0

# -- import + client ------------------------------------------------------------------

_TAIL = """
import json as _json, sys as _sys
_r = resource.getrusage(resource.RUSAGE_SELF)
print(_json.dumps({"import_ms": (t1 - t0) * 1e3, "client_ms": (t2 - t1) * 1e3, "total_ms": (t2 - t0) * 1e3,
                   "rss_mb": _r.ru_maxrss / 1024, "modules": len(_sys.modules)}))
"""

IMPORT_CHILDREN = {
    "ours": """
import time, resource
t0 = time.perf_counter()
import genesyscloud
t1 = time.perf_counter()
client = genesyscloud.GenesysCloud(region="eu-west-1", auth=genesyscloud.ClientCredentials("id", "secret"))
t2 = time.perf_counter()
""" + _TAIL,
    "official": """
import time, resource
t0 = time.perf_counter()
import PureCloudPlatformClientV2
t1 = time.perf_counter()
client = PureCloudPlatformClientV2.ApiClient(host=PureCloudPlatformClientV2.PureCloudRegionHosts.eu_west_1.get_api_host())
t2 = time.perf_counter()
""" + _TAIL,
    "httpx": """
import time, resource
t0 = time.perf_counter()
import httpx
t1 = time.perf_counter()
client = httpx.Client()
t2 = time.perf_counter()
""" + _TAIL,
    "bare": """
import time, resource
t0 = t1 = t2 = time.perf_counter()
""" + _TAIL,
}

# -- cold first call --------------------------------------------------------------------
# argv[1] is the fixture server's URL. Each child counts what it read (model objects and
# non-null leaf values) so the output shows the three read the same graph.

_COLD_TAIL = """
t3 = time.perf_counter()
import json as _json, sys as _sys
_r = resource.getrusage(resource.RUSAGE_SELF)
print(_json.dumps({"setup_ms": (t1 - t0) * 1e3, "call_ms": (t2 - t1) * 1e3, "touch_ms": (t3 - t2) * 1e3,
                   "call_touch_ms": (t3 - t1) * 1e3, "total_ms": (t3 - t0) * 1e3, "rss_mb": _r.ru_maxrss / 1024,
                   "objects": counts[0], "leaves": counts[1], "modules": len(_sys.modules)}))
"""

COLD_CHILDREN = {
    "ours": """
import time, resource, sys
url = sys.argv[1]
t0 = time.perf_counter()
import genesyscloud
gc = genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.AccessToken("tok"))
t1 = time.perf_counter()
conversation = gc.conversations.get_conversation("c1")
t2 = time.perf_counter()
Model = genesyscloud.Model
counts = [0, 0]
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
touch(conversation)
""" + _COLD_TAIL,
    "official": """
import time, resource, sys
url = sys.argv[1]
t0 = time.perf_counter()
import PureCloudPlatformClientV2
api_client = PureCloudPlatformClientV2.ApiClient(host=url)
api_client.access_token = "tok"
t1 = time.perf_counter()
conversation = PureCloudPlatformClientV2.ConversationsApi(api_client).get_conversation("c1")
t2 = time.perf_counter()
counts = [0, 0]
def touch(value):
    types = getattr(type(value), "swagger_types", None)
    if types is None:
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
touch(conversation)
""" + _COLD_TAIL,
    "httpx": """
import time, resource, sys
url = sys.argv[1]
t0 = time.perf_counter()
import httpx, json
client = httpx.Client()
t1 = time.perf_counter()
response = client.get(url + "/api/v2/conversations/c1", headers={"Authorization": "Bearer tok"})
response.raise_for_status()
conversation = json.loads(response.content)
t2 = time.perf_counter()
counts = [0, 0]
def touch(value):
    if isinstance(value, dict):
        counts[0] += 1
        for item in value.values():
            touch(item)
    elif isinstance(value, list):
        for item in value:
            touch(item)
    elif value is not None:
        counts[1] += 1
touch(conversation)
""" + _COLD_TAIL,
}


# The dev virtualenv has click and rich (the [cli] extra, uvicorn); when they are importable
# `import httpx` also imports them (httpx/_main.py, its command line) -- tens of ms. A
# base install (`pip install genesyscloud`: httpx only) does not have them; the "_base"
# variants hide them from the child to show that case.
_HIDE_CLI_EXTRAS = """
import sys
class _HideCliExtras:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("click", "rich", "pygments", "markdown_it", "mdurl"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _HideCliExtras())
"""
COLD_CHILDREN["ours_base"] = _HIDE_CLI_EXTRAS + COLD_CHILDREN["ours"]
COLD_CHILDREN["httpx_base"] = _HIDE_CLI_EXTRAS + COLD_CHILDREN["httpx"]


def conversation_body() -> bytes:
    from genesyscloud._spec import sample

    return json.dumps(sample({"$ref": "#/definitions/Conversation"}, depth=4)).encode()


def measure(rounds: int) -> dict[str, Any]:
    pythons = {"ours": lib.our_python(), "httpx": lib.our_python(), "bare": lib.our_python(),
               "ours_base": lib.our_python(), "httpx_base": lib.our_python()}
    official = lib.official_python()
    if official:
        pythons["official"] = official
    order = [k for k in ("ours", "official", "httpx", "bare", "ours_base", "httpx_base") if k in pythons]

    def scenario(children: dict[str, str], name: str, *args: str) -> Any:
        def run() -> dict[str, Any]:
            started = time.perf_counter()
            out = lib.run_child(pythons[name], children[name], *args)
            out["wall_ms"] = (time.perf_counter() - started) * 1e3
            return out
        return run

    imports = lib.interleaved(rounds, {name: scenario(IMPORT_CHILDREN, name) for name in order
                                       if name in IMPORT_CHILDREN})
    body = conversation_body()
    with lib.FixedResponseServer(body) as server:
        cold = lib.interleaved(rounds, {name: scenario(COLD_CHILDREN, name, server.url)
                                        for name in order if name in COLD_CHILDREN})
    return {"imports": imports, "cold": cold, "body_bytes": len(body), "rounds": rounds}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    def med(group: str, name: str, key: str) -> float | None:
        samples = raw[group].get(name)
        return lib.median([s[key] for s in samples]) if samples else None

    def ratio(official: float | None, ours: float | None) -> float | None:
        return official / ours if official and ours else None

    rows = []
    bench = "import + client"
    for key, metric, unit in (("import_ms", "import time", "ms"), ("client_ms", "build client", "ms"),
                              ("total_ms", "import + build client", "ms"), ("rss_mb", "peak RSS", "MB"),
                              ("wall_ms", "process wall (interpreter start to exit)", "ms"),
                              ("modules", "modules in sys.modules", "")):
        ours, official, base = med("imports", "ours", key), med("imports", "official", key), med("imports", "httpx", key)
        budget = met = None
        if key == "total_ms":
            budget, met = f"< {IMPORT_BUDGET_MS:.0f} ms", ours is not None and ours < IMPORT_BUDGET_MS
        if key == "rss_mb":
            budget, met = f"< {IMPORT_BUDGET_MB:.0f} MB", ours is not None and ours < IMPORT_BUDGET_MB
        rows.append(lib.row(bench, metric, unit, ours=ours, official=official, baseline=base,
                            baseline_label="httpx", ratio=ratio(official, ours), ratio_label="official/ours",
                            budget=budget, budget_met=met))
    bench = "cold first call (get_conversation + touch all)"
    for key, metric, unit in (("total_ms", "import to fully read model", "ms"),
                              ("setup_ms", "import + build client", "ms"),
                              ("call_touch_ms", "call + touch", "ms"), ("call_ms", "call", "ms"),
                              ("touch_ms", "touch", "ms"), ("rss_mb", "peak RSS", "MB"),
                              ("wall_ms", "process wall", "ms")):
        ours, official, base = med("cold", "ours", key), med("cold", "official", key), med("cold", "httpx", key)
        budget = met = None
        if key == "total_ms":
            budget, met = f"< {COLD_CALL_BUDGET_MS:.0f} ms", ours is not None and ours < COLD_CALL_BUDGET_MS
        rows.append(lib.row(bench, metric, unit, ours=ours, official=official, baseline=base,
                            baseline_label="httpx + json.loads", ratio=ratio(official, ours),
                            ratio_label="official/ours", budget=budget, budget_met=met))
    bench = "cold first call, base install (click/rich hidden)"
    for key, metric, unit in (("total_ms", "import to fully read model", "ms"),
                              ("call_touch_ms", "call + touch", "ms")):
        ours, official, base = med("cold", "ours_base", key), med("cold", "official", key), med("cold", "httpx_base", key)
        budget = met = None
        if key == "total_ms":
            budget, met = f"< {COLD_CALL_BUDGET_MS:.0f} ms", ours is not None and ours < COLD_CALL_BUDGET_MS
        rows.append(lib.row(bench, metric, unit, ours=ours, official=official, baseline=base,
                            baseline_label="httpx + json.loads", ratio=ratio(official, ours),
                            ratio_label="official/ours", budget=budget, budget_met=met))
    notes = [
        f"{raw['rounds']} rounds per scenario, interleaved, fresh `python -I` each, medians; 1 warm-up round discarded",
        "bare interpreter (`python -I -c pass` equivalent): "
        f"peak RSS {lib.fmt(med('imports', 'bare', 'rss_mb'), 'MB')}, "
        f"process wall {lib.fmt(med('imports', 'bare', 'wall_ms'), 'ms')}",
        "dev venv has click/rich installed, which `import httpx` loads (httpx/_main.py); the 'base install' rows "
        "hide them from the child, as in an environment with only genesyscloud's own dependencies",
        f"cold-call fixture: Conversation sample depth 4, {raw['body_bytes']:,} bytes; objects/leaves read: "
        + ", ".join(f"{name} {samples[0]['objects']}/{samples[0]['leaves']}" for name, samples in raw["cold"].items()),
    ]
    return {"name": "import_cost", "title": "Import cost and cold first call", "rows": rows, "notes": notes,
            "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="rounds per scenario (default 5, --quick 3)")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 5)
    lib.emit(args, summarize(measure(rounds)))


if __name__ == "__main__":
    main()
