"""A purpose-built loopback HTTP server for tests of misbehaving servers.

``serve(handler)`` runs a threaded stdlib HTTP server on 127.0.0.1 (a free port) and
calls ``handler(request)`` for every request; ``request`` is a :class:`Seen` (method,
path, raw query, parsed query pairs, headers, body). The handler returns
``(status, headers, body)`` where ``body`` is bytes, str, or any JSON value. Every
request is recorded in ``server.seen``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    raw_query: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes = b""

    def param(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.query if k == name), default)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Loopback:
    url: str
    seen: list[Seen] = field(default_factory=list)


Handler = Callable[[Seen], "tuple[int, dict[str, str], Any]"]


@contextlib.contextmanager
def serve(handler: Handler) -> Iterator[Loopback]:
    box: Loopback

    class _H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _any(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, parts.path, parts.query, parse_qsl(parts.query, keep_blank_values=True),
                        {k.lower(): v for k, v in self.headers.items()}, body)
            box.seen.append(seen)
            status, headers, payload = handler(seen)
            if isinstance(payload, bytes):
                data = payload
            elif isinstance(payload, str):
                data = payload.encode("utf-8")
            else:
                data = json.dumps(payload).encode("utf-8")
                headers = {"Content-Type": "application/json", **headers}
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away (a test interrupted it)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
    server.daemon_threads = True
    box = Loopback(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
