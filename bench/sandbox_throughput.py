"""Sandbox throughput: simple API requests per second from one client process over loopback.

    PYTHONPATH=src python bench/sandbox_throughput.py [--requests 3000] [--concurrency 1] [--in-process]

Starts the sandbox server in its own process (``python -m genesyscloud.sandbox serve
--port 0``; ``--in-process``: a ``Sandbox`` thread in this process, sharing its GIL with
the client), gets a client-credentials token, then sends ``GET /api/v2/organizations/me``
from ``--concurrency`` threads of this one client process (each with its own keep-alive
httpx connection; 1 = strictly sequential) and prints the rate. ``--client stdlib`` uses
``http.client`` instead of httpx: its per-request cost is about a quarter of httpx's, so it
shows the server's capacity rather than the client's.
Target: >= 1,000 requests/s.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"


@contextlib.contextmanager
def server(in_process: bool) -> Iterator[str]:
    if in_process:
        from genesyscloud.sandbox import Sandbox

        with Sandbox(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as sandbox:
            yield sandbox.url
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "genesyscloud.sandbox", "serve", "--port", "0", "--client-id", CLIENT_ID,
         "--client-secret", CLIENT_SECRET], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "listening on " not in line:
            raise SystemExit(f"the sandbox did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        proc.terminate()
        proc.wait(10)


def measure(url: str, path: str, client_kind: str, requests: int, concurrency: int) -> float:
    """Requests per second of ``requests`` sequential GETs per thread over keep-alive connections."""
    with httpx.Client(base_url=url) as client:
        token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    if client_kind == "httpx":
        clients: list = [httpx.Client(base_url=url) for _ in range(concurrency)]
        get = [lambda c=c: c.get(path, headers=headers).status_code for c in clients]
    else:
        host, port = url.rsplit("//", 1)[1].split(":")
        clients = [http.client.HTTPConnection(host, int(port)) for _ in range(concurrency)]

        def stdlib_get(conn: http.client.HTTPConnection) -> int:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status

        get = [lambda c=c: stdlib_get(c) for c in clients]
    for one in get:
        for _ in range(20):  # warm up: seed data, route index, connections
            if one() != 200:
                raise SystemExit("warm-up request failed")
    share = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]

    def run(index: int) -> None:
        for _ in range(share[index]):
            status = get[index]()
            if status != 200:
                raise RuntimeError(f"unexpected status {status}")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, range(concurrency)))
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    return requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="number of timed requests (default 3000)")
    parser.add_argument("--path", default="/api/v2/organizations/me", help="API path to request")
    parser.add_argument("--concurrency", type=int, default=1, help="client threads (default 1 = sequential)")
    parser.add_argument("--client", choices=("httpx", "stdlib", "both"), default="both",
                        help="HTTP client of the measuring process (default: both, one after the other)")
    parser.add_argument("--in-process", action="store_true", help="run the server in a thread of this process")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH (bench/run)")
    parser.add_argument("--quick", action="store_true", help="1,000 requests instead of 3,000")
    args = parser.parse_args()
    requests = 1000 if args.quick else args.requests
    kinds = ("stdlib", "httpx") if args.client == "both" else (args.client,)
    where = "in-process thread" if args.in_process else "separate server process"
    rows = []
    with server(args.in_process) as url:
        for kind in kinds:
            rate = measure(url, args.path, kind, requests, args.concurrency)
            print(f"{requests} requests of GET {args.path} ({where}, {kind}, {args.concurrency} client threads): "
                  f"{rate:,.0f} requests/s ({'meets' if rate >= 1000 else 'BELOW'} the 1,000/s target)")
            rows.append(lib.row("sandbox throughput (GET /api/v2/organizations/me)",
                                f"requests/s from one client process ({kind} client, sequential)", "req/s",
                                ours=rate, budget=">= 1,000 req/s", budget_met=rate >= 1000))
    if args.json:
        result = {"name": "sandbox_throughput", "title": "sandbox throughput", "rows": rows, "notes": [
            "sandbox_throughput: the sandbox runs in its own process; the stdlib client shows the server's rate, "
            "the httpx client is bounded by httpx's own CPU per request (see small_calls)"]}
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
