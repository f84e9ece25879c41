"""A purpose-built misbehaving HTTP/1.1 server on loopback (raw sockets, one thread per
connection), for transport tests.

Paths:
  /echo            200, JSON {"method", "path", "query", "headers", "body", "chunked"}
  /big?n=BYTES     200, n bytes of b"x" (application/octet-stream)
  /gzip-garbage    200, Content-Encoding: gzip, a body that is not gzip
  /drip-body       200 with Content-Length 100000, then one byte a second
  /drip-headers    one header byte a second, forever
  /close           reads the request, closes without answering
Every connection is counted (``server.connections``) and every request logged
(``server.requests``: (method, path)).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import parse_qsl, urlsplit


class FaultyServer:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "FaultyServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_request(conn: socket.socket, buf: bytes) -> tuple[bytes, bytes, bytes] | None:
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None
            buf += data
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        if chunked:
            while True:
                while b"\r\n" not in rest:
                    rest += conn.recv(65536)
                size_line, rest = rest.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(rest) < size + 2:
                    rest += conn.recv(65536)
                body += rest[:size]
                rest = rest[size + 2:]
                if size == 0:
                    break
        else:
            length = int(headers.get("content-length", "0"))
            while len(rest) < length:
                rest += conn.recv(65536)
            body, rest = rest[:length], rest[length:]
        return head, body, rest, headers, chunked  # type: ignore[return-value]

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        try:
            while not self.stopped.is_set():
                parsed = self._read_request(conn, buf)
                if parsed is None:
                    return
                head, body, buf, headers, chunked = parsed  # type: ignore[misc]
                method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                split = urlsplit(target)
                with self.lock:
                    self.requests.append((method, split.path))
                path = split.path
                if path.endswith("/echo"):
                    payload = json.dumps({"method": method, "path": path, "query": parse_qsl(split.query),
                                          "headers": headers, "body": body.decode("utf-8", "replace"),
                                          "chunked": chunked}).encode()
                    self._send(conn, 200, payload, "application/json")
                elif path.endswith("/big"):
                    n = int(dict(parse_qsl(split.query)).get("n", "1000"))
                    self._send(conn, 200, b"x" * n, "application/octet-stream")
                elif path.endswith("/gzip-garbage"):
                    self._send(conn, 200, b"this is not gzip at all" * 10, "application/json",
                               extra="Content-Encoding: gzip\r\n")
                elif path.endswith("/drip-body"):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                    self._drip(conn, b"[" + b" " * 99999)
                    return
                elif path.endswith("/drip-headers"):
                    self._drip(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100000)
                    return
                elif path.endswith("/close"):
                    return
                else:
                    self._send(conn, 404, b'{"code":"not.found","message":"no such path"}', "application/json")
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            if self.stopped.is_set():
                return
            conn.sendall(data[i:i + 1])
            time.sleep(1.0)

    @staticmethod
    def _send(conn: socket.socket, status: int, body: bytes, ctype: str, extra: str = "") -> None:
        head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n{extra}\r\n")
        conn.sendall(head.encode("latin-1") + body)
