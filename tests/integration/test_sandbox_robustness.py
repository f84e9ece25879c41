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


def _snapshot(http, headers):
    """Everything a client can read of the org's core data."""
    users = http.get("/api/v2/users?pageSize=500&state=any", headers=headers).json()
    queues = http.get("/api/v2/routing/queues?pageSize=500", headers=headers).json()
    clients = http.get("/api/v2/oauth/clients?pageSize=500", headers=headers).json()
    org = http.get("/api/v2/organizations/me", headers=headers).json()
    return {"users": users["entities"], "userTotal": users["total"], "queues": queues["entities"],
            "clients": clients["entities"], "org": org}


def _barrage(user_id: str, queue_id: str) -> list[tuple[str, str, bytes, str]]:
    """(method, path, body, content type) of the malformed inputs of issue 13; every one must fail."""
    deep = b'{"name":"n","annotations":[' * 300 + b'{"name":"leaf"}' + b"]}" * 300  # 600 levels
    out: list[tuple[str, str, bytes, str]] = []
    poison = (b'{"name":"q","x":NaN}', b'{"name":"q","x":Infinity}', b'{"name":"q","x":-Infinity}',
              b'{"name":"q\\ud800"}', b'{"name":"q\xed\xa0\x80"}', b'{"name":"\xa4"}', b"   ", b"null", b"\t\r\n",
              b'{"version":1,"department":NaN}', b'{"version":1,"addresses":[{"x":"\\udc00"}]}', b"[" * 100_000,
              deep, b'{"name":' + b'"x"' * 10 + b"}")
    for body in poison:
        out += [("POST", "/api/v2/routing/queues", body, "application/json"),
                ("PUT", f"/api/v2/routing/queues/{queue_id}", body, "application/json"),
                ("PATCH", f"/api/v2/users/{user_id}", body, "application/json")]
    out += [("POST", "/__sandbox__/clock", b, "application/json") for b in
            (b'{"advance": NaN}', b'{"advance": Infinity}', b'{"advance": 1e308}', b'{"advance": -5}', b"[1]")]
    out += [("POST", "/__sandbox__/faults", b, "application/json") for b in
            (b'{"path":".","latency":1e308}', b'{"path":".","latency":NaN}', b'{"path":".","status":503,"retry_after":Infinity}')]
    for query in ("pageSize=abc", "pageSize=1.5", "pageSize=", "pageNumber=x", "pageSize=0", "pageSize=501"):
        for path in ("/api/v2/oauth/clients", "/api/v2/users", "/api/v2/routing/queues", "/api/v2/authorization/roles"):
            out.append(("GET", f"{path}?{query}", b"", ""))
    out += [("GET", p, b"", "") for p in ("/api/v2/users/%2F", "/api/v2/users//", "/api/v2/users/search?q64=",
                                          "/api/v2/users/me/geolocations/x", f"/api/v2/users/{user_id}?state=deleted")]
    bulk = b"[" + b",".join([b'{"proficiency":"x"}'] * 150_000) + b"]"  # about 3 MB of invalid items
    out.append(("PATCH", f"/api/v2/users/{user_id}/routingskills/bulk", bulk, "application/json"))
    out.append(("POST", "/api/v2/users", b'{"name":"G","email":"g@example.com","divisionId":"x","state":"deleted"}',
                "application/json"))
    return out


def test_barrage_of_malformed_inputs_leaves_the_org_intact(http, sandbox):
    headers = bearer(cc_token(http))
    before = _snapshot(http, headers)
    user_id, queue_id = before["users"][0]["id"], before["queues"][0]["id"]
    cases = _barrage(user_id, queue_id)
    rng = random.Random(13)
    for _ in range(3):
        rng.shuffle(cases)
        for method, path, body, content_type in cases:
            extra = {"Content-Type": content_type} if content_type else {}
            response = http.request(method, path, headers={**headers, **extra}, content=body)
            assert 400 <= response.status_code < 500, (method, path, body[:60], response.status_code, response.text[:300])
            if path.startswith("/api/v2/"):
                assert_api_error(response, response.status_code)
            else:
                assert response.json()["message"]
    # the org answers normally, with its data exactly as before
    assert _snapshot(http, headers) == before
    assert http.get("/__sandbox__/clock").json()["offset"] == 0
    assert http.get("/__sandbox__/faults").json() == []
    log = http.get("/__sandbox__/requests")
    assert log.status_code == 200 and len(log.json()) >= len(cases)
    token = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("test-client", "test-secret-value"))
    assert token.status_code == 200
    created = http.post("/api/v2/routing/queues", headers=bearer(token.json()["access_token"]), json={"name": "After"})
    assert created.status_code == 200 and created.json()["name"] == "After"
