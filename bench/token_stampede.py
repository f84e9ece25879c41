"""Token stampede: 64 threads call get_users at once on an expired client-credentials token; token requests counted.

The sandbox (``python -m genesyscloud.sandbox serve``) runs in its own process, pinned
to the server core. Each run is a fresh interpreter pinned to the client core that:

1. builds a client with client credentials and makes one call (gets a token);
2. empties the sandbox's request log and advances the sandbox clock past the token's
   lifetime (``POST /__sandbox__/clock``): the sandbox now answers that token with 401;
3. starts 64 threads that wait on a ``threading.Barrier`` and then each call
   ``users.get_users()`` once;
4. reads the request log: ``POST /oauth/token`` requests, API answers with 401, and
   how many of the 64 calls returned a page.

Sides:

* ours, clock moved: the client's ``TokenManager`` clock (its ``now`` hook, the one the
  tests use) is moved by the same amount, so the client knows the token expired;
* ours, server-only expiry: the client still thinks the token is valid; every call
  gets a 401, the send loop renews (single flight) and replays once;
* official SDK: ``ApiClient.get_client_credentials_token`` then ``UsersApi.get_users``
  on 64 threads. It renews only tokens with a refresh token (authorization code), so a
  client-credentials token that expired stays expired: its calls fail with 401.

    .venv/bin/python bench/token_stampede.py [--threads N] [--rounds R] [--quick] [--json PATH]
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402
import _loopback as loopback  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "bench-stampede", "bench-stampede-secret"
TOKEN_TTL = 3600
ADVANCE = TOKEN_TTL + 60

# argv: sandbox URL, client id, secret, threads, clock advance (s), mode
_HEAD = loopback.PIN_CLIENT + """
import json, sys, threading, time, urllib.request
url, client_id, secret, threads, advance, mode = (sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                                   float(sys.argv[5]), sys.argv[6])

def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + "/__sandbox__/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None

control("POST", "reset")
"""
_STAMPEDE = """
control("DELETE", "requests")
control("POST", "clock", {"advance": advance})
barrier = threading.Barrier(threads)
outcomes = []

def worker():
    barrier.wait()
    try:
        page = call()
        outcomes.append("ok" if page is not None else "none")
    except Exception as exc:
        outcomes.append(describe(exc))

started = time.perf_counter()
pool = [threading.Thread(target=worker) for _ in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
elapsed = time.perf_counter() - started
log = control("GET", "requests")
token_requests = sum(1 for r in log if r["method"] == "POST" and r["path"] == "/oauth/token")
api = [r for r in log if r["path"].startswith("/api/")]
failures = {}
for outcome in outcomes:
    if outcome != "ok":
        failures[outcome] = failures.get(outcome, 0) + 1
print(json.dumps({"token_requests": token_requests, "api_requests": len(api),
                  "api_401": sum(1 for r in api if r["status"] == 401), "ok": outcomes.count("ok"),
                  "failures": failures, "elapsed_s": elapsed, "initial_token_requests": initial_tokens}))
"""

CHILDREN = {
    "ours": _HEAD + """
import datetime as dt
import genesyscloud
from genesyscloud.auth._token import utcnow
gc = genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.ClientCredentials(client_id, secret))
gc.users.get_users(page_size=1)
initial_tokens = gc._shared.tokens.token_requests
if mode == "clock":
    offset = dt.timedelta(seconds=advance)
    gc._shared.tokens.now = lambda: utcnow() + offset

def call():
    return gc.users.get_users()

def describe(exc):
    return f"{type(exc).__name__} {getattr(exc, 'status_code', getattr(exc, 'status', ''))}".strip()
""" + _STAMPEDE,
    "official": _HEAD + """
import PureCloudPlatformClientV2
api_client = PureCloudPlatformClientV2.ApiClient(host=url)
api_client.get_client_credentials_token(client_id, secret)
initial_tokens = 1
users_api = PureCloudPlatformClientV2.UsersApi(api_client)
users_api.get_users(page_size=1)

def call():
    return users_api.get_users()

def describe(exc):
    return f"{type(exc).__name__} {getattr(exc, 'status', '')}".strip()
""" + _STAMPEDE,
}
SIDES = {"ours_clock": ("ours", "clock"), "ours_server": ("ours", "server"), "official": ("official", "server")}


@contextlib.contextmanager
def sandbox() -> Iterator[str]:
    """The sandbox in its own process (pinned to the server core); yields its URL."""
    _, server_core = loopback.cores()

    def pin() -> None:
        if server_core is not None:
            os.sched_setaffinity(0, {server_core})

    proc = subprocess.Popen(
        [lib.our_python(), "-m", "genesyscloud.sandbox", "serve", "--port", "0", "--client-id", CLIENT_ID,
         "--client-secret", CLIENT_SECRET, "--token-ttl", str(TOKEN_TTL)],
        stdout=subprocess.PIPE, text=True, env=lib.clean_env(), cwd=lib.REPO, preexec_fn=pin)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "listening on " not in line:
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(threads: int, rounds: int) -> dict[str, Any]:
    pythons = {"ours": lib.our_python(), "official": lib.official_python()}
    runs: dict[str, list[dict[str, Any]]] = {}
    with sandbox() as url:
        scenarios = {side: (lambda who=who, mode=mode: lib.run_child(
            pythons[who], CHILDREN[who], url, CLIENT_ID, CLIENT_SECRET, str(threads), str(ADVANCE), mode))
            for side, (who, mode) in SIDES.items() if pythons[who]}
        runs = lib.interleaved(rounds, scenarios, warmup=0)
    return {"runs": runs, "threads": threads, "rounds": rounds, "advance_s": ADVANCE, "token_ttl_s": TOKEN_TTL}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    runs, threads = raw["runs"], raw["threads"]

    def worst(side: str, key: str) -> float | None:
        return max(r[key] for r in runs[side]) if runs.get(side) else None

    def fails(side: str) -> float | None:
        return max(threads - r["ok"] for r in runs[side]) if runs.get(side) else None

    rows = []
    bench = f"token stampede: {threads} threads, expired client-credentials token"
    official_tokens = worst("official", "token_requests")
    for side, label in (("ours_clock", "client knows it expired"), ("ours_server", "server-only expiry (401)")):
        if not runs.get(side):
            continue
        ours = worst(side, "token_requests")
        rows.append(lib.row(bench, f"token requests after expiry, {label} (worst of {raw['rounds']})", "requests",
                            ours=ours, official=official_tokens, budget="== 1", budget_met=ours == 1))
        rows.append(lib.row(bench, f"failed calls of {threads}, {label}", "calls", ours=fails(side),
                            official=fails("official")))
    rows.append(lib.row(bench, "API requests answered 401, server-only expiry", "requests",
                        ours=worst("ours_server", "api_401"), official=worst("official", "api_401")))
    notes = [
        f"sandbox in its own process pinned to the server core, token lifetime {raw['token_ttl_s']} s, clock advanced "
        f"{raw['advance_s']} s after the first token; {raw['rounds']} round(s) per side, each a fresh interpreter; the "
        "worst count over the rounds is reported",
        "ours 'client knows it expired': TokenManager.now (the injectable clock) moved by the same amount; "
        "'server-only expiry': the client's clock untouched, the 401 drives the renewal and the replay",
        "official SDK: get_client_credentials_token() once; it renews only when it holds a refresh token "
        "(api_client.refresh_token, authorization-code grants), so after expiry it sends no token request and every "
        "call raises ApiException 401",
    ]
    for side, side_runs in runs.items():
        notes.append(f"{side}: " + "; ".join(
            f"tokens {r['token_requests']}, ok {r['ok']}/{threads}, 401s {r['api_401']}, "
            f"failures {r['failures'] or 'none'}, {r['elapsed_s'] * 1e3:.0f} ms" for r in side_runs))
    return {"name": "token_stampede", "title": "Token stampede", "rows": rows, "notes": notes, "raw": raw}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=64, help="threads (default 64)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per side (default 3, --quick 1)")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    lib.emit(args, summarize(measure(args.threads, rounds)))


if __name__ == "__main__":
    main()
