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
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="number of timed requests (default 3000)")
    parser.add_argument("--path", default="/api/v2/organizations/me", help="API path to request")
    parser.add_argument("--concurrency", type=int, default=1, help="client threads (default 1 = sequential)")
    parser.add_argument("--client", choices=("httpx", "stdlib"), default="httpx", help="HTTP client (default httpx)")
    parser.add_argument("--in-process", action="store_true", help="run the server in a thread of this process")
    args = parser.parse_args()
    with server(args.in_process) as url:
        with httpx.Client(base_url=url) as client:
            token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        if args.client == "httpx":
            clients: list = [httpx.Client(base_url=url) for _ in range(args.concurrency)]
            get = [lambda c=c: c.get(args.path, headers=headers).status_code for c in clients]
        else:
            host, port = url.rsplit("//", 1)[1].split(":")
            clients = [http.client.HTTPConnection(host, int(port)) for _ in range(args.concurrency)]

            def stdlib_get(conn: http.client.HTTPConnection) -> int:
                conn.request("GET", args.path, headers=headers)
                response = conn.getresponse()
                response.read()
                return response.status

            get = [lambda c=c: stdlib_get(c) for c in clients]
        for one in get:
            for _ in range(20):  # warm up: seed data, route index, connections
                if one() != 200:
                    raise SystemExit("warm-up request failed")
        share = [args.requests // args.concurrency + (i < args.requests % args.concurrency)
                 for i in range(args.concurrency)]

        def run(index: int) -> None:
            for _ in range(share[index]):
                status = get[index]()
                if status != 200:
                    raise RuntimeError(f"unexpected status {status}")

        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(run, range(args.concurrency)))
        elapsed = time.perf_counter() - started
        for client in clients:
            client.close()
    rate = args.requests / elapsed
    where = "in-process thread" if args.in_process else "separate server process"
    print(f"{args.requests} requests of GET {args.path} ({where}, {args.client}, {args.concurrency} client threads) "
          f"in {elapsed:.2f} s: {rate:,.0f} requests/s ({'meets' if rate >= 1000 else 'BELOW'} the 1,000/s target)")


if __name__ == "__main__":
    main()
