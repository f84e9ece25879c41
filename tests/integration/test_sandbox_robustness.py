"""Malformed traffic gets API error bodies (never a 500 stack trace) and the server keeps serving."""

from __future__ import annotations

import random
import socket

import httpx

from tests.sandbox_support.helpers import assert_api_error, bearer, cc_token, http, sandbox, sb  # noqa: F401

_BODIES = (b"", b"{", b"}", b"null", b"[]", b'{"name": }', b"\xff\xfe\x00", b'{"name": "x"' * 3, b"[" * 5000,
           b'"just a string"', b"123", b'{"authorizedGrantType": 5}', b"\x00" * 64)
_CONTENT_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded", "", "application/xml",
                  "multipart/form-data; boundary=x", "application/json; charset=utf-8")
_PATHS = ("/api/v2/oauth/clients", "/api/v2/routing/queues", "/api/v2/users/search", "/api/v2/groups",
          "/api/v2/routing/queues/x/members", "/api/v2/users", "/oauth/token", "/api/v2/analytics/conversations/details/query",
          "/api/v2/%ff%fe", "/api/v2/users/" + "a" * 3000, "/api/v2/routing/queues?pageSize=-1&pageNumber=x",
          "/api/v2/organizations/me?" + "&".join(f"k{i}=v" for i in range(200)), "/__sandbox__/faults",
          "/oauth/authorize", "/logout?redirect_uri=")
_AUTH = (None, "Bearer", "Bearer  x y", "Bearer nope", "Basic Zm9vOmJhcg==", "bearer \u00e9".encode("latin-1"), "Digest x", "")


def test_thousands_of_malformed_requests_then_a_normal_call(http, sandbox):
    rng = random.Random(7)
    token = cc_token(http)
    statuses: dict[int, int] = {}
    for i in range(2500):
        method = rng.choice(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
        path = rng.choice(_PATHS)
        headers = {}
        auth = rng.choice(_AUTH + (f"Bearer {token}",) * 3)
        if auth is not None:
            headers["Authorization"] = auth
        content_type = rng.choice(_CONTENT_TYPES)
        if content_type:
            headers["Content-Type"] = content_type
        body = rng.choice(_BODIES)
        response = http.request(method, path, headers=headers, content=body)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (method, path, response.text[:300])
        if path.startswith("/api/v2/") and method != "HEAD" and response.status_code >= 400:
            assert_api_error(response, response.status_code)
    assert statuses.get(400) and statuses.get(401) and statuses.get(415)
    sandbox.clear_faults()  # random bodies may have added fault rules
    assert http.get("/api/v2/organizations/me", headers=bearer(cc_token(http))).status_code == 200


def test_huge_bodies_are_refused_with_413(http):
    token = cc_token(http)
    big = b"[" + b"1," * (6 * 1024 * 1024) + b"1]"  # about 12 MB
    response = http.post("/api/v2/routing/queues", headers={**bearer(token), "Content-Type": "application/json"},
                         content=big)
    assert_api_error(response, 413, "request.entity.too.large")

    def chunks():  # no content-length: the cap applies while streaming
        for _ in range(12):
            yield b" " * (1024 * 1024)

    with httpx.Client(base_url=http.base_url) as fresh:
        streamed = fresh.post("/api/v2/routing/queues", headers={**bearer(token), "Content-Type": "application/json"},
                              content=chunks())
        assert_api_error(streamed, 413, "request.entity.too.large")
    assert http.get("/api/v2/organizations/me", headers=bearer(token)).status_code == 200


def test_raw_garbage_on_the_socket(sandbox, http):
    host, port = sandbox.url.rsplit("//", 1)[1].split(":")
    for payload in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00", b"GET /api/v2/users"):
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(payload)
            raw.shutdown(socket.SHUT_WR)
            try:
                raw.recv(4096)
            except (ConnectionResetError, TimeoutError):
                pass
    assert http.get("/api/v2/organizations/me", headers=bearer(cc_token(http))).status_code == 200
