"""A fast loopback HTTP server in its own process, pinned to its own CPU core (not a benchmark).

The throughput scenarios (small calls, concurrency, full walk, memory) must measure the
client, not the server. ``_benchlib.FixedResponseServer`` (``http.server`` in a thread
of the benchmark process) parses every request in Python and shares a GIL with
whatever runs beside it; this one is an asyncio ``Protocol`` (uvloop when installed)
in a separate process that finds the end of each request's header block, and writes a
prepared response in one ``write`` with Nagle off. On a machine with two or more
usable cores the server process is pinned to the last one (``os.sched_setaffinity``)
and the client children pin themselves to the first (see :data:`PIN_CLIENT`), so the
two never compete for a core.

Modes:

* ``fixed``: every request gets the same JSON body (``--body-file``);
* ``users``: ``GET ...?pageSize=N&pageNumber=P`` gets page ``P`` of a
  ``UserEntityListing`` of ``--total`` users built from the sandbox's seeded users
  (3,200 distinct realistic User objects, cycled, each with its own id); the page is
  generated per request (string substitution on pre-serialized users, ~0.3 ms).

``--delay-ms`` holds every response that long (a timer, no CPU): a network round trip.
Other paths answer 404; a request with a body has it read and ignored.
``GET /__connections`` answers ``{"connections": N}``: the TCP connections accepted so
far (see :func:`connections`), to check that a client never churns connections.

    python bench/_loopback.py fixed --body-file F [--delay-ms D]     # prints "listening on PORT"
    python bench/_loopback.py users --total 10000 [--delay-ms D]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

#: Python source for a benchmark child: pin this process to the client core (the first
#: usable one) when the machine has two or more usable cores; sets ``PINNED``.
PIN_CLIENT = """
import os as _os
PINNED = None
if hasattr(_os, "sched_setaffinity"):
    _cores = sorted(_os.sched_getaffinity(0))
    if len(_cores) >= 2:
        _os.sched_setaffinity(0, {_cores[0]})
        PINNED = _cores[0]
"""


#: Python source for a benchmark child: ``rate(fn, seconds, repeats)`` calls ``fn`` in a
#: loop calibrated to ``seconds`` per repeat and returns calls/s (median of the repeats)
#: with the client's CPU time per call.
RATE_HARNESS = """
import statistics as _statistics, time as _time

def rate(fn, seconds, repeats, warmup=200):
    for _ in range(warmup):
        fn()
    n = 1
    while True:
        started = _time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = _time.perf_counter() - started
        if elapsed >= seconds / 4:
            break
        n *= 2
    n = max(1, round(n * seconds / elapsed))
    rates, cpu = [], []
    for _ in range(repeats):
        started, cpu0 = _time.perf_counter(), _time.process_time()
        for _ in range(n):
            fn()
        rates.append(n / (_time.perf_counter() - started))
        cpu.append((_time.process_time() - cpu0) / n)
    return {"rate": _statistics.median(rates), "rates": rates, "cpu_us": _statistics.median(cpu) * 1e6, "loops": n}
"""


def cores() -> tuple[int | None, int | None]:
    """(client core, server core), or (None, None) when fewer than two cores are usable."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        return None, None
    return usable[0], usable[-1]


def pinning_note() -> str:
    client, server = cores()
    if client is None:
        return "fewer than two usable cores: client and loopback server were NOT pinned apart"
    return (f"loopback server: a separate process (asyncio Protocol, one write per response, Nagle off) pinned "
            f"to core {server} with os.sched_setaffinity; every client process pinned to core {client}")


# ---------------------------------------------------------------------------- pages


def seed_users() -> list[dict[str, Any]]:
    """The sandbox's 3,200 seeded users (realistic User objects, seed 1)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from genesyscloud.sandbox._seed import build_seed

    return build_seed(1)["users"]


class UserPages:
    """Pages of a ``UserEntityListing`` of ``total`` users (entity ``n`` has a unique id)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.templates: list[tuple[str, str]] = []
        for user in seed_users():
            self.templates.append((user["id"], json.dumps(user, separators=(",", ":"))))

    @staticmethod
    def user_id(n: int) -> str:
        return f"{n:08x}-0000-4000-8000-{n:012d}"

    def page(self, number: int, size: int) -> bytes:
        size = max(1, min(size, 500))
        count = -(-self.total // size)
        first = (number - 1) * size
        entities = []
        for n in range(max(0, first), min(self.total, first + size)):
            original, text = self.templates[n % len(self.templates)]
            entities.append(text.replace(original, self.user_id(n)))
        base = f"/api/v2/users?pageSize={size}&pageNumber="
        head = {"pageSize": size, "pageNumber": number, "total": self.total, "pageCount": count,
                "firstUri": f"{base}1", "selfUri": f"{base}{number}", "lastUri": f"{base}{count}"}
        if number < count:
            head["nextUri"] = f"{base}{number + 1}"
        if number > 1:
            head["previousUri"] = f"{base}{number - 1}"
        return ('{"entities":[' + ",".join(entities) + "]," + json.dumps(head, separators=(",", ":"))[1:]).encode()


def response(body: bytes, status: str = "200 OK", close: bool = False) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n").encode() + body


def connections(url: str) -> int:
    """TCP connections the server at ``url`` accepted so far (this query's own included)."""
    import urllib.request

    with urllib.request.urlopen(url + "/__connections", timeout=30) as answer:
        return int(json.loads(answer.read())["connections"])


# ---------------------------------------------------------------------------- server


ACCEPTED = [0]


class _Protocol(asyncio.Protocol):
    __slots__ = ("transport", "buffer", "answer", "delay", "loop")

    def __init__(self, answer: Any, delay: float, loop: asyncio.AbstractEventLoop) -> None:
        self.answer = answer
        self.delay = delay
        self.loop = loop
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        ACCEPTED[0] += 1
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            length = 0
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                length = int(lower[at + 17:stop if stop >= 0 else None].strip() or 0)
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length:]
            line = head[:head.find(b"\r\n")] if b"\r\n" in head else head
            if line.startswith(b"GET /__connections "):
                out = response(json.dumps({"connections": ACCEPTED[0]}).encode(), "200 OK", close=True)
            else:
                out = self.answer(line)
            if self.delay:
                self.loop.call_later(self.delay, self._write, out)
            else:
                self.transport.write(out)
        self.buffer = buffer

    def _write(self, out: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(out)


def _answerer(args: argparse.Namespace) -> Any:
    not_found = response(b'{"status":404,"code":"not.found","message":"not found"}', "404 Not Found")
    if args.mode == "fixed":
        fixed = response(Path(args.body_file).read_bytes())
        return lambda line: fixed
    pages = UserPages(args.total)

    def answer(line: bytes) -> bytes:
        try:
            target = line.split(b" ")[1].decode()
        except IndexError:
            return not_found
        parts = urlsplit(target)
        if parts.path != "/api/v2/users":
            return not_found
        query = dict(parse_qsl(parts.query))
        return response(pages.page(int(query.get("pageNumber", 1)), int(query.get("pageSize", 25))))

    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("fixed", "users"))
    parser.add_argument("--body-file")
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    _, server_core = cores()
    if server_core is not None:
        os.sched_setaffinity(0, {server_core})
    try:
        import uvloop  # type: ignore[import-not-found]

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    answer = _answerer(args)
    delay = args.delay_ms / 1000.0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    server = loop.run_until_complete(loop.create_server(lambda: _Protocol(answer, delay, loop), sock=sock,
                                                        backlog=1024))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print(f"listening on {sock.getsockname()[1]}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


@contextlib.contextmanager
def serving(mode: str, *, body: bytes | None = None, total: int = 10_000, delay_ms: float = 0.0,
            python: str | None = None) -> Iterator[str]:
    """Run the server in a child process; yields its base URL (``http://127.0.0.1:PORT``)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [python or sys.executable, str(Path(__file__).resolve()), mode, "--delay-ms", str(delay_ms)]
        if mode == "fixed":
            path = Path(tmp) / "body.json"
            path.write_bytes(body or b"{}")
            cmd += ["--body-file", str(path)]
        else:
            cmd += ["--total", str(total)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line.startswith("listening on "):
                raise RuntimeError(f"loopback server did not start: {line!r}")
            yield f"http://127.0.0.1:{int(line.split()[-1])}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()

