"""Issue 13: one bad request never poisons the org; fidelity where the real service is strict.

Each test names the item of the issue it proves.
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.sandbox_support.helpers import (  # noqa: F401  (fixtures)
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT,
    assert_api_error,
    authorize,
    bearer,
    cc_token,
    code_from,
    default_user,
    http,
    sandbox,
    sb,
    schema_validator,
)

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def admin(http):
    return {**bearer(cc_token(http)), **JSON}


@pytest.fixture
def user_headers(http, sandbox):
    code = code_from(authorize(http, default_user(sandbox)["email"]))
    token = http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                      auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    return bearer(token)


def _a_user(http, admin):
    return http.get("/api/v2/users?pageSize=1", headers=admin).json()["entities"][0]


# -- item 1: NaN, Infinity, lone surrogates ------------------------------------------------------
_POISON = (b'{"name":"q","x":NaN}', b'{"name":"q","x":Infinity}', b'{"name":"q","x":-Infinity}',
           b'{"name":"q\\ud800"}', b'{"name":"q","d":{"\\udfff":1}}', b'{"name":"q\xed\xa0\x80"}',
           b'{"name":"q","x":[1,NaN]}')


@pytest.mark.parametrize("raw", _POISON)
def test_item1_non_json_numbers_and_lone_surrogates_are_refused(http, admin, raw):
    user = _a_user(http, admin)
    queue = http.get("/api/v2/routing/queues?pageSize=1", headers=admin).json()["entities"][0]
    writes = [("POST", "/api/v2/routing/queues"), ("PUT", f"/api/v2/routing/queues/{queue['id']}"),
              ("PATCH", f"/api/v2/users/{user['id']}")]
    for method, path in writes:
        body = assert_api_error(http.request(method, path, headers=admin, content=raw), 400, "bad.request")
        assert "not valid JSON" in body["message"]
        assert "codec" not in body["message"] and "Traceback" not in body["message"]
    patch = raw.replace(b'"name"', b'"version":1,"department"')
    assert_api_error(http.patch(f"/api/v2/users/{user['id']}", headers=admin, content=patch), 400, "bad.request")
    # nothing was stored: listings and the request log still answer
    assert http.get("/api/v2/routing/queues?pageSize=500", headers=admin).status_code == 200
    assert http.get(f"/api/v2/users/{user['id']}", headers=admin).json()["version"] == user["version"]
    log = http.get("/__sandbox__/requests")
    assert log.status_code == 200 and any(e["path"] == "/api/v2/routing/queues" for e in log.json())


def test_item1_valid_surrogate_pairs_and_unicode_are_accepted(http, admin):
    created = http.post("/api/v2/routing/queues", headers=admin, content='{"name":"q \\ud83d\\ude00 é"}'.encode())
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "q \U0001f600 é"


# -- item 2: control API input -----------------------------------------------------------------
@pytest.mark.parametrize("raw", [b'{"advance": NaN}', b'{"advance": Infinity}', b'{"advance": 1e308}',
                                 b'{"advance": -1}', b'{"advance": "10"}', b'{"advance": true}', b'[]',
                                 b'{"advance": 1' + b'0' * 400 + b'}'])
def test_item2_clock_input_is_validated(http, admin, raw):
    response = http.post("/__sandbox__/clock", content=raw, headers=JSON)
    assert response.status_code == 400 and "advance" in response.json()["message"], response.text
    assert http.get("/__sandbox__/clock").json()["offset"] == 0
    assert http.get("/api/v2/organizations/me", headers=admin).status_code == 200
    assert http.post("/oauth/token", data={"grant_type": "client_credentials"},
                     auth=(CLIENT_ID, CLIENT_SECRET)).status_code == 200


def test_item2_clock_total_offset_is_bounded(http):
    assert http.post("/__sandbox__/clock", json={"advance": 3e9}).status_code == 200
    response = http.post("/__sandbox__/clock", json={"advance": 3e9})
    assert response.status_code == 400 and "ahead" in response.json()["message"]
    assert http.get("/__sandbox__/clock").status_code == 200


@pytest.mark.parametrize("rule", [b'{"path":"x","latency":1e308}', b'{"path":"x","latency":NaN}',
                                  b'{"path":"x","latency":Infinity}', b'{"path":"x","latency":301}',
                                  b'{"path":"x","status":503,"retry_after":1e308}',
                                  b'{"path":"x","status":503,"rate":NaN}', b'{"path":"x","status":true}',
                                  b'{"path":"x","status":500,"count":true}'])
def test_item2_fault_input_is_validated(http, rule):
    response = http.post("/__sandbox__/faults", content=rule, headers=JSON)
    assert response.status_code == 400 and response.json()["message"], response.text
    assert http.get("/__sandbox__/faults").json() == []


# -- item 3: recursive definitions ------------------------------------------------------------
def test_item3_deep_recursive_body_is_a_400(http, admin):
    node: dict = {"name": "leaf"}
    for _ in range(240):  # 480 JSON levels: parses, but recurses deeper than the validator can
        node = {"name": "n", "annotations": [node]}
    router_op = _annotation_op()
    response = http.request(router_op[0], router_op[1], headers=admin, content=json.dumps(node))
    body = assert_api_error(response, 400, "bad.request")
    assert body["message"] == "The request body is nested too deeply."
    deeper = {"annotations": [node] * 1}
    for _ in range(20):
        deeper = {"name": "n", "annotations": [deeper]}
    body = assert_api_error(http.request(router_op[0], router_op[1], headers=admin, content=json.dumps(deeper)), 400)
    assert body["messageParams"] == {"limit": "500"}
    assert http.get("/api/v2/organizations/me", headers=admin).status_code == 200


def _annotation_op() -> tuple[str, str]:
    """A request body that is an ``Annotation`` (recursive through ``annotations[]``)."""
    from genesyscloud._spec import load_spec

    for template, item in sorted(load_spec()["paths"].items()):
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                if param.get("in") == "body" and param.get("schema", {}).get("$ref", "").endswith("/Annotation"):
                    return method.upper(), "/".join("x" if s.startswith("{") else s for s in template.split("/"))
    pytest.skip("no operation takes an Annotation body")


# -- item 4: handler-side conversions ------------------------------------------------------------
@pytest.mark.parametrize("query", ["pageSize=abc", "pageSize=1.5", "pageSize=", "pageNumber=x", "pageSize=+-5",
                                   "pageSize=99999999999999999999999", "pageNumber=\u0661"])
@pytest.mark.parametrize("path", ["/api/v2/oauth/clients", "/api/v2/users", "/api/v2/routing/queues",
                                  "/api/v2/authorization/roles", "/api/v2/assistants"])
def test_item4_bad_paging_values_name_the_parameter(http, admin, path, query):
    if path == "/api/v2/assistants" and query.startswith("pageNumber"):
        pytest.skip("the assistants listing pages with after tokens, not page numbers")
    body = assert_api_error(http.get(f"{path}?{query}", headers=admin), 400, "bad.request")
    name = query.split("=")[0]
    assert body["messageParams"].get("paramName") == name, body


def test_item4_search_body_shapes_are_checked(http, admin):
    for bad in ({"pageSize": "x"}, {"query": "nope"}, {"query": ["nope"]}, {"query": [{"type": "EXACT", "fields": [[1]]}]},
                {"sortBy": ["x"]}):
        response = http.post("/api/v2/users/search", headers=admin, json=bad)
        assert_api_error(response, 400)


# -- item 7: deleted users ------------------------------------------------------------------------
def test_item7_deleted_users_are_gone(http, admin):
    user = _a_user(http, admin)
    assert http.delete(f"/api/v2/users/{user['id']}", headers=admin).status_code == 200
    assert_api_error(http.get(f"/api/v2/users/{user['id']}", headers=admin), 404, "not.found")
    assert_api_error(http.get(f"/api/v2/users/{user['id']}?state=active", headers=admin), 404, "not.found")
    found = http.get(f"/api/v2/users/{user['id']}?state=deleted", headers=admin)
    assert found.status_code == 200 and found.json()["state"] == "deleted"
    other = http.get("/api/v2/users?pageSize=2", headers=admin).json()["entities"][0]
    assert_api_error(http.get(f"/api/v2/users/{other['id']}?state=deleted", headers=admin), 404)
    assert_api_error(http.patch(f"/api/v2/users/{user['id']}", headers=admin,
                                json={"version": user["version"], "department": "x"}), 404, "not.found")
    assert_api_error(http.delete(f"/api/v2/users/{user['id']}", headers=admin), 404)
    assert_api_error(http.delete(f"/api/v2/tokens/{user['id']}", headers=admin), 404)
    division = user["division"]["id"]
    body = assert_api_error(http.post("/api/v2/users", headers=admin, json={
        "name": "Ghost", "email": "ghost@example.com", "divisionId": division, "state": "deleted"}), 400)
    assert body["messageParams"]["state"] == "deleted"
    assert http.post("/api/v2/users", headers=admin, json={
        "name": "Ghost", "email": "ghost@example.com", "divisionId": division}).status_code == 200


# -- item 8: messageWithParams is the template ------------------------------------------------------
def test_item8_message_with_params_is_the_template(http, admin):
    body = assert_api_error(http.get("/api/v2/users?pageSize=e", headers=admin), 400)
    assert body["messageWithParams"] == "Invalid value for parameter {paramName}: {value} is not a valid {type}"
    assert body["message"] == "Invalid value for parameter pageSize: e is not a valid integer"
    body = assert_api_error(http.get("/api/v2/users/e", headers=admin), 404)
    assert body["messageWithParams"] == "User {userId} not found" and body["message"] == "User e not found"
    body = assert_api_error(http.get("/api/v2/groups?pageSize=e", headers=admin), 400)
    assert body["messageWithParams"].count("{") == body["messageWithParams"].count("}") >= 2
    assert body["messageParams"]["value"] == "e"
    # braces in the value stay literal; they are never taken as placeholders
    body = assert_api_error(http.get("/api/v2/users/%7BuserId%7D", headers=admin), 404)
    assert body["message"] == "User {userId} not found" and body["messageParams"]["userId"] == "{userId}"


# -- item 9: spec samples --------------------------------------------------------------------------
def test_item9_cyclic_required_properties_are_present(http, admin):
    response = http.get("/api/v2/integrations/speech/tts/engines", headers=admin)
    assert response.status_code == 200
    errors = list(schema_validator("TtsEngineEntityListing").iter_errors(response.json()))
    assert not errors, errors[0].message
    voices = [v for e in response.json()["entities"] for v in e.get("voices", [])]
    assert voices and all("engine" in v for v in voices)


def test_item9_text_operations_answer_with_their_content_type(http, admin):
    response = http.get("/api/v2/workforcemanagement/calendar/data/ics?calendarId=c1", headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.text.startswith("BEGIN:VCALENDAR")
    response = http.get("/api/v2/integrations/actions/a1/templates/successTemplate.vm", headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")


def test_item9_every_operation_sample_is_schema_valid():
    from jsonschema import Draft4Validator

    from genesyscloud.sandbox._router import SpecRouter

    router = SpecRouter()
    router.match("/api/v2/users")
    definitions = router.spec["definitions"]
    failures = []
    checked = 0
    for (method, template), op in sorted(router.operations.items()):
        status, payload = router.sample_response(op, {})
        if payload is None or op.response_schema is None:
            continue
        validator = Draft4Validator({**op.response_schema, "definitions": definitions})
        error = next(iter(validator.iter_errors(json.loads(payload))), None)
        checked += 1
        if error is not None:
            failures.append(f"{method} {template}: {error.message[:120]}")
    assert checked > 2000
    assert not failures, f"{len(failures)} invalid samples, e.g. {failures[:5]}"


# -- item 10: strictness ---------------------------------------------------------------------------
def _date_query_op() -> tuple[str, str]:
    from genesyscloud._spec import load_spec

    for template, item in sorted(load_spec()["paths"].items()):
        op = item.get("get")
        if not op or "{" in template:
            continue
        params = op.get("parameters", [])
        if any(p.get("required") for p in params):
            continue
        for p in params:
            if p.get("in") == "query" and p.get("format") == "date-time" and p.get("type") == "string":
                return template, p["name"]
    pytest.skip("no GET with a date-time query parameter")


def test_item10_dates_must_parse(http, admin):
    template, name = _date_query_op()
    for bad in ("2024-13-01T00:00:00Z", "2024-01-01T12:99:00Z", "yesterday", "2024-02-30T00:00:00Z"):
        body = assert_api_error(http.get(template, params={name: bad}, headers=admin), 400)
        assert body["messageParams"]["paramName"] == name
    ok = http.get(template, params={name: "2024-01-31T12:30:00.000Z"}, headers=admin)
    assert ok.status_code < 400, ok.text
    client = {"name": "dated", "authorizedGrantType": "CLIENT-CREDENTIALS"}
    for bad in ("2024-13-01T00:00:00Z", "2024-01-01T12:99:00Z", "soon"):
        body = assert_api_error(http.post("/api/v2/oauth/clients", headers=admin,
                                          json={**client, "dateToDelete": bad}), 400)
        assert body["messageParams"]["fieldName"] == "dateToDelete"
    good = http.post("/api/v2/oauth/clients", headers=admin, json={**client, "dateToDelete": "2030-01-01T00:00:00Z"})
    assert good.status_code == 200, good.text


def test_item10_empty_required_query_and_blank_or_null_bodies(http, admin):
    body = assert_api_error(http.get("/api/v2/users/search?q64=", headers=admin), 400)
    assert body["messageParams"]["paramName"] == "q64"
    for raw in (b"   ", b"\r\n\t", b"null"):
        body = assert_api_error(http.post("/api/v2/routing/queues", headers=admin, content=raw), 400)
        assert "required" in body["message"]


def test_item10_parser_errors_do_not_echo_python(http, admin):
    for raw in (b'{"name":"\xa4"}', b"\xff\xfe{", b'{"name": }'):
        body = assert_api_error(http.post("/api/v2/routing/queues", headers=admin, content=raw), 400)
        assert "codec" not in body["message"] and "0x" not in body["message"] and "char " not in body["message"]


def test_item10_client_credentials_on_user_context_routes(http, admin, user_headers):
    for path in ("/api/v2/users/me/geolocations/x", "/api/v2/users/me", "/api/v2/conversations",
                 "/api/v2/voicemail/me/policy"):
        body = assert_api_error(http.get(path, headers=admin), 400, "bad.request")
        assert "user context" in body["message"]
    assert http.get("/api/v2/users/me/geolocations/x", headers=user_headers).status_code == 200
    assert http.get("/api/v2/organizations/me", headers=admin).status_code == 200
    assert http.get("/api/v2/tokens/me", headers=admin).status_code == 200


def test_item10_int32_range_stays_lenient(http, admin):
    assert http.get("/api/v2/groups?pageSize=4294967296", headers=admin).status_code == 200


# -- item 11: HTTP edge cases ---------------------------------------------------------------------
def test_item11_empty_segments_are_404(http, admin):
    for path in ("/api/v2/users/%2F", "/api/v2/users//", "/api/v2//users", "/api/v2/users/a%2Fb"):
        assert_api_error(http.get(path, headers=admin), 404, "not.found")
    assert http.get("/api/v2/users/", headers=admin).status_code == 200  # one trailing slash is tolerated


def _raw(sandbox, payload: bytes) -> bytes:
    host, port = sandbox.url.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"connection: close" not in b"".join(chunks).lower():
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                if length is not None and len(rest) >= length:
                    break
        return b"".join(chunks)


def test_item11_http11_without_host_is_a_400(sandbox):
    answer = _raw(sandbox, b"GET /api/v2/organizations/me HTTP/1.1\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"inin-correlation-id" in head.lower() and b'"code":"bad.request"' in body
    ok = _raw(sandbox, b"GET /__sandbox__/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200")


# -- item 5: big bodies ----------------------------------------------------------------------------
def test_item5_big_invalid_body_is_a_bounded_400_and_others_are_served(http, admin, sandbox):
    import threading

    import httpx

    user = _a_user(http, admin)
    big = b"[" + b",".join([b'{"proficiency":"x","skillUri":"uuu"}'] * 120_000) + b"]"  # 4.3 MB, 120,000 violations
    result: dict = {}

    def send() -> None:
        with httpx.Client(base_url=sandbox.url, timeout=120) as client:
            result["big"] = client.patch(f"/api/v2/users/{user['id']}/routingskills/bulk", headers=admin, content=big)

    worker = threading.Thread(target=send)
    worker.start()
    small = [http.get("/api/v2/users?pageSize=1", headers=admin) for _ in range(5)]
    worker.join(120)
    assert all(r.status_code == 200 and r.json()["entities"][0]["id"] == user["id"] for r in small)
    body = assert_api_error(result["big"], 400, "bad.request")
    assert len(result["big"].content) < 4096 and body["messageParams"]["fieldName"].split("/")[0].isdigit()
    valid = json.dumps([{"id": f"skill-{i}", "proficiency": 3} for i in range(8000)]).encode()  # > 256 KB
    response = http.patch(f"/api/v2/users/{user['id']}/routingskills/bulk", headers=admin, content=valid)
    assert response.status_code == 200, response.text[:300]


# -- item 6 and issue 12 item 2: the request log is bounded and masked --------------------------
def test_item6_request_log_masks_secret_fields_with_the_sdk_rules(http, admin, sandbox):
    sandbox.clear_requests()
    http.post("/api/v2/routing/queues", headers=admin,
              json={"name": "Logged", "password": "pw-1", "nested": {"client_secret": "cs-1", "access_token": "at-1"}})
    http.post("/api/v2/no/such/route", headers={"Content-Type": "text/plain"}, content=b"password=pw-2&x=1")
    log = sandbox.requests()
    text = json.dumps(log)
    assert "pw-1" not in text and "cs-1" not in text and "at-1" not in text and "pw-2" not in text
    queue = next(e for e in log if e["path"] == "/api/v2/routing/queues")
    assert queue["body"]["name"] == "Logged" and queue["body"]["password"] == "[REDACTED]"
    assert queue["body"]["nested"]["client_secret"] == "[REDACTED]"


def test_item6_request_log_keeps_truncated_text_of_big_bodies(http, admin, sandbox):
    sandbox.clear_requests()
    big = b'{"name":"' + b"x" * (9 * 1024 * 1024) + b'","password":"pw-big"}'
    for path in ("/api/v2/no/such/route", "/api/v2/routing/queues"):
        http.post(path, headers=admin, content=big)
    entries = [e for e in sandbox.requests() if e["method"] == "POST"]
    assert len(entries) == 2
    for entry in entries:
        assert isinstance(entry["body"], str) and len(entry["body"]) < 5000
        assert entry["bodySize"] == len(big) and "truncated" in entry["body"]
        assert "pw-big" not in entry["body"]


def test_item6_request_log_byte_budget_drops_oldest_bodies_first():
    from genesyscloud.sandbox._reqlog import RequestLog, mask_body

    log = RequestLog(max_entries=10, body_budget=10_000)
    for i in range(30):
        log.append({"n": i, "body": mask_body(json.dumps({"i": i, "pad": "p" * 3000}).encode(), "application/json")})
    assert len(log) == 10 and [e["n"] for e in log] == list(range(20, 30))
    assert log.body_bytes <= 10_000
    kept = [e for e in log.view() if e["body"] is not None]
    assert kept and kept[-1]["body"]["i"] == 29 and all(e.get("bodyOmitted") for e in log.view()[:-len(kept)])
    log.clear()
    assert len(log) == 0 and log.body_bytes == 0


@pytest.mark.parametrize("payload", [
    b"GET /api/v2/users?" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"BREW /api/v2/users HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /api/v2/users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /api/v2/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /api/v2/users HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
], ids=["long-url", "unknown-method", "bad-content-length", "bad-chunk", "bad-header"])
def test_item11_server_level_rejects_have_the_genesys_body(sandbox, http, payload):
    answer = _raw(sandbox, payload)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer[:300]
    lines = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:])}
    assert lines[b"content-type"] == b"application/json"
    error = json.loads(body)
    assert error["code"] == "bad.request" and error["status"] == 400
    assert error["contextId"].encode() == lines[b"inin-correlation-id"]
    assert http.get("/api/v2/organizations/me", headers=bearer(cc_token(http))).status_code == 200


@pytest.mark.parametrize("tail,reason", [(b"]x", "Extra data"), (b",NaN]", "NaN"), (b",]", "Expecting value"),
                                         (b',{"a" 1}]', "Expecting ':' delimiter"), (b"", "Expecting ',' delimiter")])
def test_item5_big_bodies_are_parsed_as_strictly_as_small_ones(http, admin, tail, reason):
    import gc

    user = _a_user(http, admin)
    big = b"[" + b",".join([b'{"id":"s","proficiency":1}'] * 20_000) + tail  # ~500 KB: parsed off the loop
    body = assert_api_error(http.patch(f"/api/v2/users/{user['id']}/routingskills/bulk", headers=admin, content=big),
                            400, "bad.request")
    assert reason in body["message"] and "not valid JSON" in body["message"]
    assert gc.isenabled()  # the collector paused for the parse runs again (this process hosts the sandbox)


def test_item6_request_log_cuts_long_values_and_bounds_entry_text(http, sandbox):
    from genesyscloud.sandbox._reqlog import RequestLog

    sandbox.clear_requests()
    http.get("/api/v2/users?q=" + "a" * 20_000, headers={"X-Long": "b" * 50_000})
    entry = sandbox.requests()[-1]
    assert len(entry["headers"]["x-long"]) < 2100 and "50000 characters" in entry["headers"]["x-long"]
    assert len(entry["query"]["q"][0]) < 2100
    log = RequestLog(max_entries=1000, meta_budget=20_000)
    for i in range(100):
        log.append({"n": i, "path": "/p", "query": {}, "headers": {"h": "v" * 1000}, "body": None})
    assert 0 < len(log) < 100 and log.meta_bytes <= 20_000 and list(log)[-1]["n"] == 99
