"""Sandbox robustness under big bodies (issue 13, items 5 and 6).

    PYTHONPATH=src python bench/sandbox_robustness.py [--quick] [--json PATH]

The sandbox runs in its own process (``python -m genesyscloud.sandbox serve --port 0``),
so the measuring client never shares its GIL.

* **Item 5, availability.** A 9.2 MB body of 250,000 invalid items goes to
  ``PATCH /api/v2/users/{id}/routingskills/bulk`` from one thread while another sends
  ``GET /api/v2/users?pageSize=1`` back to back on its own connection until the big
  request is answered. Reported: the slowest and the median small GET (ms), the big
  request's time and status. Goal: every small GET under 100 ms. Baseline: the same
  small GET with no big body in flight.
* **Item 6, flat memory.** 100 requests with 9 MB bodies (to a route that does not exist,
  the case of the issue, and to a validated route), then the server's RSS growth
  (``/proc/PID/status`` ``VmRSS``) over its RSS after a warm-up. Goal: under 50 MB.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as lib  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "genesyscloud.sandbox", "serve", "--port", "0", "--client-id", CLIENT_ID,
         "--client-secret", CLIENT_SECRET], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on " not in line:
        proc.terminate()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def token(url: str) -> dict[str, str]:
    with httpx.Client(base_url=url) as client:
        value = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    return {"Authorization": f"Bearer {value}"}


def big_skills_body(items: int = 250_000) -> bytes:
    # each item misses the required "id" and has a string proficiency: 250,000 violations
    return ("[" + ",".join(['{"proficiency":"x","skillUri":"uuu"}'] * items) + "]").encode()


def small_gets(client: httpx.Client, headers: dict[str, str], stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        response = client.get("/api/v2/users", params={"pageSize": 1}, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"small GET answered {response.status_code}")
        time.sleep(0.005)


def item5(url: str, headers: dict[str, str], rounds: int) -> dict[str, Any]:
    body = big_skills_body()
    with httpx.Client(base_url=url, timeout=120) as client:
        user_id = client.get("/api/v2/users", params={"pageSize": 1}, headers=headers).json()["entities"][0]["id"]
        baseline = []
        for _ in range(50):
            started = time.perf_counter()
            client.get("/api/v2/users", params={"pageSize": 1}, headers=headers)
            baseline.append((time.perf_counter() - started) * 1000)
    latencies: list[float] = []
    big_times, statuses = [], []
    for _ in range(rounds):
        stop = threading.Event()
        with httpx.Client(base_url=url, timeout=120) as small, httpx.Client(base_url=url, timeout=120) as big:
            small.get("/api/v2/users", params={"pageSize": 1}, headers=headers)  # connection up
            worker = threading.Thread(target=small_gets, args=(small, headers, stop, latencies))
            worker.start()
            time.sleep(0.05)
            started = time.perf_counter()
            response = big.patch(f"/api/v2/users/{user_id}/routingskills/bulk", content=body,
                                 headers={**headers, "Content-Type": "application/json"})
            big_times.append(time.perf_counter() - started)
            statuses.append(response.status_code)
            time.sleep(0.05)
            stop.set()
            worker.join()
    return {"max_ms": max(latencies), "median_ms": statistics.median(latencies), "samples": len(latencies),
            "baseline_median_ms": statistics.median(baseline), "baseline_max_ms": max(baseline),
            "big_seconds": statistics.median(big_times), "big_status": statuses, "body_bytes": len(body)}


def item6(proc: subprocess.Popen[str], url: str, headers: dict[str, str], count: int) -> dict[str, Any]:
    body = b'{"name":"' + b"x" * (9 * 1024 * 1024) + b'"}'
    with httpx.Client(base_url=url, timeout=120) as client:
        for _ in range(3):  # warm-up: allocator arenas, seed data
            client.post("/api/v2/no/such/route", content=body, headers={**headers, "Content-Type": "application/json"})
            client.post("/api/v2/routing/queues", content=body, headers={**headers, "Content-Type": "application/json"})
        client.delete(f"{url}/__sandbox__/requests")
        before = rss_mb(proc.pid)
        peak = before
        for i in range(count):
            path = "/api/v2/no/such/route" if i % 2 == 0 else "/api/v2/routing/queues"
            client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
            peak = max(peak, rss_mb(proc.pid))
        after = rss_mb(proc.pid)
        logged = client.get(f"{url}/__sandbox__/requests").json()
    sizes = [len(json.dumps(e.get("body"))) for e in logged[-count:]]
    return {"before_mb": before, "after_mb": after, "growth_mb": after - before, "peak_mb": peak,
            "requests": count, "body_bytes": len(body), "largest_logged_body_chars": max(sizes)}


def main() -> None:
    parser = lib.arg_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    proc, url = start_server()
    try:
        headers = token(url)
        five = item5(url, headers, 1 if args.quick else 3)
        six = item6(proc, url, headers, 100)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"item 5: small GET while a {five['body_bytes'] / 1e6:.1f} MB / 250,000-item body is validated: "
          f"max {five['max_ms']:.1f} ms, median {five['median_ms']:.1f} ms over {five['samples']} GETs "
          f"(alone: median {five['baseline_median_ms']:.1f} ms, max {five['baseline_max_ms']:.1f} ms); "
          f"big request {five['big_seconds']:.2f} s -> {five['big_status']}")
    print(f"item 6: RSS {six['before_mb']:.1f} -> {six['after_mb']:.1f} MB after {six['requests']} requests of "
          f"{six['body_bytes'] / 1e6:.1f} MB (growth {six['growth_mb']:.1f} MB, peak {six['peak_mb']:.1f} MB; "
          f"largest logged body {six['largest_logged_body_chars']} characters)")
    rows = [
        lib.row("sandbox robustness (item 5)", "slowest concurrent small GET while a 9 MB body is validated", "ms",
                ours=five["max_ms"], baseline=five["baseline_max_ms"], baseline_label="no big body",
                budget="< 100 ms", budget_met=five["max_ms"] < 100),
        lib.row("sandbox robustness (item 6)", "RSS growth after 100 requests of 9 MB", "MB",
                ours=six["growth_mb"], budget="< 50 MB", budget_met=six["growth_mb"] < 50),
    ]
    lib.emit(args, {"name": "sandbox_robustness", "title": "sandbox robustness", "rows": rows,
                    "item5": five, "item6": six})


if __name__ == "__main__":
    main()
