"""The spec-driven responder: routing, parameter/body validation, schema-valid samples."""

from __future__ import annotations

import pytest

from genesyscloud._spec import load_spec, sample
from genesyscloud.sandbox import _app  # noqa: F401  (imports every module that registers handlers)
from genesyscloud.sandbox._resources import HANDLERS
from genesyscloud.sandbox._router import SpecRouter
from tests.sandbox_support.helpers import (  # noqa: F401  (fixtures)
    assert_api_error,
    bearer,
    cc_token,
    http,
    sandbox,
    sb,
    schema_validator,
)


@pytest.fixture
def admin(http):
    return bearer(cc_token(http))


def test_router_literal_segment_beats_parameter():
    router = SpecRouter()
    template, ops, params = router.match("/api/v2/users/me")
    assert template == "/api/v2/users/me" and params == {}
    template, ops, params = router.match("/api/v2/users/abc")
    assert template == "/api/v2/users/{userId}" and params == {"userId": "abc"}
    template, ops, params = router.match("/api/v2/routing/queues/q1/members")
    assert template == "/api/v2/routing/queues/{queueId}/members" and params == {"queueId": "q1"}
    assert set(ops) >= {"GET", "POST"}
    assert router.match("/api/v2/no/such/thing") is None
    assert router.match("/api/v2/users//x") is None


def _path_for(template: str) -> str:
    return "/".join(f"x{i}" if seg.startswith("{") else seg for i, seg in enumerate(template.split("/")))


def _sampled_operations(method: str, limit: int, with_body: bool = False):
    spec = load_spec()
    chosen = []
    for template, item in sorted(spec["paths"].items()):
        op = item.get(method)
        if op is None or (method.upper(), template) in HANDLERS or not op.get("security"):
            continue
        params = op.get("parameters", [])
        if any(p["in"] in ("query", "header") and p.get("required") for p in params):
            continue
        if any(p["in"] == "path" and (p.get("type") != "string" or p.get("format")) for p in params):
            continue
        if "/me/" in template + "/":  # user-context operations: client credentials get a 400 there
            continue
        body = next((p for p in params if p["in"] == "body"), None)
        if with_body != (body is not None and "$ref" in body.get("schema", {})):
            continue
        chosen.append((template, op, body))
    step = max(1, len(chosen) // limit)
    return chosen[::step][:limit]


@pytest.mark.parametrize("template,op,body", _sampled_operations("get", 40), ids=lambda v: v if isinstance(v, str) else "")
def test_get_operations_return_schema_valid_samples(http, admin, template, op, body):
    response = http.get(_path_for(template), headers=admin)
    responses = op["responses"]
    if "204" in responses:
        assert response.status_code == 204 and response.content == b""
        return
    assert response.status_code == 200, response.text
    schema = responses["200"].get("schema")
    if schema is not None:
        errors = list(schema_validator(schema).iter_errors(response.json()))
        assert not errors, errors[0].message
    # deterministic: the same call gives the same body
    assert http.get(_path_for(template), headers=admin).content == response.content


@pytest.mark.parametrize("template,op,body", _sampled_operations("post", 15, with_body=True),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_post_operations_accept_valid_bodies(http, admin, template, op, body):
    payload = sample(body["schema"], depth=2, seed="req")
    response = http.post(_path_for(template), headers=admin, json=payload)
    assert response.status_code in (200, 204), response.text
    schema = op["responses"].get("200", {}).get("schema")
    if response.status_code == 200 and schema is not None:
        assert not list(schema_validator(schema).iter_errors(response.json()))


def test_id_of_sample_follows_the_path(http, admin):
    got = http.get("/api/v2/groups/my-group-id", headers=admin)
    assert got.status_code == 200 and got.json()["id"] == "my-group-id"


def test_invalid_query_values(http, admin):
    body = assert_api_error(http.get("/api/v2/groups?pageSize=ten", headers=admin), 400, "bad.request")
    assert "pageSize" in body["message"]
    body = assert_api_error(http.get("/api/v2/conversations/c1/recordings?formatId=FLAC", headers=admin),
                            400, "bad.request")
    assert "formatId" in body["message"]
    assert http.get("/api/v2/conversations/c1/recordings?formatId=MP3", headers=admin).status_code == 200
    assert_api_error(http.get("/api/v2/routing/queues?hasPeer=maybe", headers=admin), 400, "bad.request")
    body = assert_api_error(http.get("/api/v2/users/search", headers=admin), 400, "bad.request")
    assert "q64" in body["message"]


def _group() -> dict:
    return sample({"$ref": "#/definitions/GroupCreate"}, depth=2)


def test_invalid_bodies(http, admin):
    wrong_type = assert_api_error(http.post("/api/v2/groups", headers=admin, json={**_group(), "name": 5}),
                                  400, "bad.request")
    assert "name" in wrong_type["message"]
    assert_api_error(http.post("/api/v2/groups", headers=admin, json=[1, 2]), 400, "bad.request")
    assert_api_error(http.post("/api/v2/groups", headers=admin), 400, "bad.request")
    assert_api_error(http.post("/api/v2/groups", headers=admin, content=b'{"name": ',
                               ), 415, "unsupported.media.type")
    assert_api_error(http.post("/api/v2/groups", headers={**admin, "content-type": "application/json"},
                               content=b'{"name": '), 400, "bad.request")


def test_unknown_property_is_accepted(http, admin):
    response = http.post("/api/v2/groups", headers=admin, json={**_group(), "notInTheSpec": True})
    assert response.status_code == 200, response.text


def test_delete_without_body_is_204(http, admin):
    response = http.delete("/api/v2/groups/g1", headers=admin)
    assert response.status_code == 204 and response.content == b""


def test_unknown_path_and_wrong_method(http, admin):
    assert_api_error(http.get("/api/v2/not/a/resource", headers=admin), 404, "not.found")
    assert_api_error(http.get("/nowhere"), 404, "not.found")
    assert_api_error(http.get("/oauth/token"), 405, "method.not.allowed")
    wrong = assert_api_error(http.patch("/api/v2/organizations/me", headers=admin, json={}), 405)
    assert wrong["code"] == "method.not.allowed"
    assert set(wrong_allow.strip() for wrong_allow in
               http.patch("/api/v2/organizations/me", headers=admin, json={}).headers["allow"].split(",")) == {"GET", "PUT"}


def test_operation_without_security_needs_no_token(http):
    response = http.get("/api/v2/documentation/search", params={"q64": "e30="})
    assert response.status_code == 200, response.text
