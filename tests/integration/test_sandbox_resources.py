"""Stateful resources of the sandbox: users, roles, permissions, queues, conversations,
organization, OAuth clients/scopes/authorizations/usage."""

from __future__ import annotations

import base64
import json

import pytest

from tests.sandbox_support.helpers import (  # noqa: F401  (fixtures)
    CLIENT_ID,
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
    REDIRECT,
    CLIENT_SECRET,
)


@pytest.fixture
def admin(http):
    return bearer(cc_token(http))


@pytest.fixture
def user_headers(http, sandbox):
    code = code_from(authorize(http, default_user(sandbox)["email"]))
    token = http.post("/oauth/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                      auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    return bearer(token)


def assert_listing(body, page_size, page_number):
    for key in ("entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "selfUri", "lastUri"):
        assert key in body, key
    assert body["pageSize"] == page_size and body["pageNumber"] == page_number
    assert body["selfUri"].startswith("/api/v2/") and f"pageNumber={page_number}" in body["selfUri"]


def test_walking_all_user_pages_yields_each_user_once(http, admin):
    seen: list[str] = []
    uri = "/api/v2/users?pageSize=500"
    pages = 0
    while uri:
        body = http.get(uri, headers=admin).json()
        pages += 1
        seen.extend(u["id"] for u in body["entities"])
        uri = body.get("nextUri")
        assert pages <= 20
    assert len(seen) == len(set(seen)) >= 3000
    first = http.get("/api/v2/users", headers=admin).json()
    assert_listing(first, 25, 1)
    assert first["total"] == len(seen) and first["pageCount"] == -(-len(seen) // 25)
    assert "previousUri" not in first and first["nextUri"] == "/api/v2/users?pageSize=25&pageNumber=2"
    last = http.get(first["lastUri"], headers=admin).json()
    assert "nextUri" not in last and last["previousUri"]
    validator = schema_validator("UserEntityListing")
    assert not list(validator.iter_errors(first))


def test_user_paging_limits_and_filters(http, admin):
    assert_api_error(http.get("/api/v2/users?pageSize=501", headers=admin), 400, "bad.request")
    assert_api_error(http.get("/api/v2/users?pageSize=0", headers=admin), 400, "bad.request")
    assert_api_error(http.get("/api/v2/users?pageSize=abc", headers=admin), 400, "bad.request")
    some = http.get("/api/v2/users?pageSize=3", headers=admin).json()["entities"]
    ids = [u["id"] for u in some]
    by_id = http.get("/api/v2/users", params=[("id", ids[0]), ("id", ids[2])], headers=admin).json()
    assert sorted(u["id"] for u in by_id["entities"]) == sorted([ids[0], ids[2]])
    inactive = http.get("/api/v2/users?state=inactive&pageSize=500", headers=admin).json()
    assert inactive["total"] > 0 and all(u["state"] == "inactive" for u in inactive["entities"])


def test_get_user_and_not_found(http, admin):
    user = http.get("/api/v2/users?pageSize=1", headers=admin).json()["entities"][0]
    got = http.get(f"/api/v2/users/{user['id']}", headers=admin)
    assert got.status_code == 200 and got.json() == user
    assert not list(schema_validator("User").iter_errors(got.json()))
    assert_api_error(http.get("/api/v2/users/does-not-exist", headers=admin), 404, "not.found")


def test_patch_and_delete_user(http, admin):
    user = http.get("/api/v2/users?pageSize=1&pageNumber=7", headers=admin).json()["entities"][0]
    stale = assert_api_error(http.patch(f"/api/v2/users/{user['id']}", headers=admin,
                                        json={"version": user["version"] + 5, "title": "x"}), 409)
    assert stale["code"] == "conflict"
    assert_api_error(http.patch(f"/api/v2/users/{user['id']}", headers=admin, json={"title": "x"}), 400, "bad.request")
    patched = http.patch(f"/api/v2/users/{user['id']}", headers=admin,
                         json={"version": user["version"], "title": "Chief Listener"})
    assert patched.status_code == 200 and patched.json()["title"] == "Chief Listener"
    assert patched.json()["version"] == user["version"] + 1
    assert http.delete(f"/api/v2/users/{user['id']}", headers=admin).status_code == 200
    ids = [u["id"] for u in http.get("/api/v2/users?pageSize=500&pageNumber=1", headers=admin).json()["entities"]]
    assert user["id"] not in ids
    assert_api_error(http.delete(f"/api/v2/users/{user['id']}", headers=admin), 404, "not.found")


def test_users_me_with_user_token(http, user_headers, sandbox):
    me = http.get("/api/v2/users/me", headers=user_headers)
    assert me.status_code == 200
    assert me.json()["id"] == default_user(sandbox)["id"]
    assert not list(schema_validator("UserMe").iter_errors(me.json()))


def test_users_search(http, admin):
    target = http.get("/api/v2/users?pageSize=1", headers=admin).json()["entities"][0]
    body = {"pageSize": 5, "query": [{"type": "EXACT", "fields": ["email"], "value": target["email"]}]}
    found = http.post("/api/v2/users/search", headers=admin, json=body)
    assert found.status_code == 200, found.text
    result = found.json()
    assert result["total"] == 1 and result["results"][0]["id"] == target["id"]
    assert set(result) >= {"results", "total", "pageCount", "pageSize", "pageNumber", "types"}
    assert not list(schema_validator("UsersSearchResponse").iter_errors(result))
    dept = http.post("/api/v2/users/search", headers=admin, json={
        "pageSize": 10, "query": [{"type": "CONTAINS", "fields": ["department"], "value": "billing"}]}).json()
    assert dept["total"] > 10 and dept["pageCount"] > 1 and dept["nextPage"]
    q64 = base64.b64encode(json.dumps(body).encode()).decode()
    again = http.get("/api/v2/users/search", params={"q64": q64}, headers=admin).json()
    assert again["results"][0]["id"] == target["id"]
    assert_api_error(http.post("/api/v2/users/search", headers=admin, json={"query": [{"value": "x"}]}),
                     400, "bad.request")


def test_roles_and_permissions(http, admin):
    roles = http.get("/api/v2/authorization/roles?pageSize=5", headers=admin).json()
    assert_listing(roles, 5, 1)
    assert roles["total"] >= 10 and len(roles["entities"]) == 5
    assert not list(schema_validator("OrganizationRoleEntityListing").iter_errors(roles))
    role = roles["entities"][0]
    assert http.get(f"/api/v2/authorization/roles/{role['id']}", headers=admin).json() == role
    by_name = http.get("/api/v2/authorization/roles", params={"name": "admin"}, headers=admin).json()
    assert [r["name"] for r in by_name["entities"]] == ["admin"]
    assert_api_error(http.get("/api/v2/authorization/roles/nope", headers=admin), 404, "not.found")
    perms = http.get("/api/v2/authorization/permissions", headers=admin).json()
    assert perms["total"] >= 10
    assert not list(schema_validator("PermissionCollectionEntityListing").iter_errors(perms))


def test_queue_crud_paging_and_filters(http, admin):
    listing = http.get("/api/v2/routing/queues?pageSize=10", headers=admin).json()
    assert_listing(listing, 10, 1)
    assert listing["total"] >= 24
    assert not list(schema_validator("QueueEntityListing").iter_errors(listing))
    all_ids = []
    for number in range(1, listing["pageCount"] + 1):
        all_ids += [q["id"] for q in http.get(f"/api/v2/routing/queues?pageSize=10&pageNumber={number}",
                                              headers=admin).json()["entities"]]
    assert len(all_ids) == len(set(all_ids)) == listing["total"]

    created = http.post("/api/v2/routing/queues", headers=admin, json={"name": "Zeta Test Queue", "description": "d"})
    assert created.status_code == 200, created.text
    queue = created.json()
    assert queue["name"] == "Zeta Test Queue" and queue["id"]
    assert not list(schema_validator("Queue").iter_errors(queue))
    assert http.get(f"/api/v2/routing/queues/{queue['id']}", headers=admin).json()["description"] == "d"
    named = http.get("/api/v2/routing/queues", params={"name": "zeta test queue"}, headers=admin).json()
    assert [q["id"] for q in named["entities"]] == [queue["id"]]
    wildcard = http.get("/api/v2/routing/queues", params={"name": "Zeta*"}, headers=admin).json()
    assert queue["id"] in [q["id"] for q in wildcard["entities"]]
    updated = http.put(f"/api/v2/routing/queues/{queue['id']}", headers=admin, json={"name": "Zeta Renamed"})
    assert updated.status_code == 200 and updated.json()["name"] == "Zeta Renamed"
    assert http.delete(f"/api/v2/routing/queues/{queue['id']}", headers=admin).status_code == 204
    assert_api_error(http.get(f"/api/v2/routing/queues/{queue['id']}", headers=admin), 404, "not.found")
    body = assert_api_error(http.post("/api/v2/routing/queues", headers=admin, json={"description": "no name"}),
                            400, "bad.request")
    assert "name" in body["message"]


def test_conversations(http, admin, user_headers):
    assert_api_error(http.get("/api/v2/conversations", headers=admin), 400, "bad.request")
    mine = http.get("/api/v2/conversations", headers=user_headers)
    assert mine.status_code == 200
    body = mine.json()
    assert body["total"] >= 1
    assert not list(schema_validator("ConversationEntityListing").iter_errors(body))
    conv = body["entities"][0]
    got = http.get(f"/api/v2/conversations/{conv['id']}", headers=admin)
    assert got.status_code == 200 and got.json()["id"] == conv["id"]
    assert_api_error(http.get("/api/v2/conversations/unknown", headers=admin), 404, "not.found")


def test_organization(http, admin):
    org = http.get("/api/v2/organizations/me", headers=admin).json()
    assert org["name"] == "Sandbox Org"
    assert not list(schema_validator("Organization").iter_errors(org))
    changed = http.put("/api/v2/organizations/me", headers=admin, json={**org, "name": "Renamed Org"}).json()
    assert changed["name"] == "Renamed Org" and changed["version"] == org["version"] + 1


def test_oauth_clients_crud_and_login_with_secret(http, admin):
    missing = assert_api_error(http.post("/api/v2/oauth/clients", headers=admin,
                                         json={"authorizedGrantType": "CLIENT-CREDENTIALS"}), 400, "bad.request")
    assert "name" in missing["message"]
    bad_enum = assert_api_error(http.post("/api/v2/oauth/clients", headers=admin,
                                          json={"name": "x", "authorizedGrantType": "MAGIC"}), 400, "bad.request")
    assert "authorizedGrantType" in bad_enum["message"]
    created = http.post("/api/v2/oauth/clients", headers=admin,
                        json={"name": "Integration", "authorizedGrantType": "CLIENT-CREDENTIALS"})
    assert created.status_code == 200, created.text
    client = created.json()
    assert client["secret"] and not list(schema_validator("OAuthClient").iter_errors(client))
    token = cc_token(http, client["id"], client["secret"])
    fetched = http.get(f"/api/v2/oauth/clients/{client['id']}", headers=bearer(token)).json()
    assert fetched["name"] == "Integration" and "secret" not in fetched
    listing = http.get("/api/v2/oauth/clients", headers=admin).json()
    assert client["id"] in [c["id"] for c in listing["entities"]] and CLIENT_ID in [c["id"] for c in listing["entities"]]
    assert all("secret" not in c for c in listing["entities"])
    put = http.put(f"/api/v2/oauth/clients/{client['id']}", headers=admin,
                   json={"name": "Renamed", "authorizedGrantType": "CLIENT-CREDENTIALS"})
    assert put.json()["name"] == "Renamed"
    new = http.post(f"/api/v2/oauth/clients/{client['id']}/secret", headers=admin).json()
    assert new["secret"] != client["secret"]
    assert http.post("/oauth/token", data={"grant_type": "client_credentials"},
                     auth=(client["id"], client["secret"])).status_code == 401
    cc_token(http, client["id"], new["secret"])
    assert http.delete(f"/api/v2/oauth/clients/{client['id']}", headers=admin).status_code == 204
    assert_api_error(http.get(f"/api/v2/oauth/clients/{client['id']}", headers=admin), 404, "not.found")
    assert http.get("/api/v2/organizations/me", headers=bearer(token)).status_code == 401


def test_oauth_scopes_authorizations_and_usage(http, admin, user_headers):
    scopes = http.get("/api/v2/oauth/scopes", headers=admin).json()
    assert scopes["total"] == len(scopes["entities"]) > 10
    scope = http.get(f"/api/v2/oauth/scopes/{scopes['entities'][0]['id']}", headers=admin)
    assert scope.status_code == 200
    assert_api_error(http.get("/api/v2/oauth/scopes/nope", headers=admin), 404, "not.found")
    auths = http.get("/api/v2/oauth/authorizations", headers=admin).json()
    assert auths["total"] >= 3
    assert not list(schema_validator("OAuthAuthorizationListing").iter_errors(auths))
    mine = http.get("/api/v2/oauth/authorizations", headers=user_headers).json()
    assert CLIENT_ID in [a["client"]["id"] for a in mine["entities"]]  # the login above authorized it
    one = http.get(f"/api/v2/oauth/authorizations/{CLIENT_ID}", headers=user_headers)
    assert one.status_code == 200 and one.json()["state"] == "Authorized"

    for _ in range(3):
        http.get("/api/v2/organizations/me", headers=admin)
    query = http.post(f"/api/v2/oauth/clients/{CLIENT_ID}/usage/query", headers=admin,
                      json={"interval": "2024-01-01T00:00:00Z/2030-01-01T00:00:00Z",
                            "groupBy": ["TemplateUri", "HttpMethod"]})
    assert query.status_code == 200, query.text
    execution = query.json()
    assert execution["resultsUri"].endswith(execution["executionId"])
    results = http.get(execution["resultsUri"], headers=admin).json()
    assert results["queryStatus"] == "Complete"
    rows = {(r["templateUri"], r["httpMethod"]): r for r in results["results"]}
    assert rows[("/api/v2/organizations/me", "GET")]["requests"] >= 3
    assert not list(schema_validator("ApiUsageQueryResult").iter_errors(results))
    assert_api_error(http.post(f"/api/v2/oauth/clients/{CLIENT_ID}/usage/query", headers=admin, json={}),
                     400, "bad.request")
    summary = http.get(f"/api/v2/oauth/clients/{CLIENT_ID}/usage/summary", headers=admin).json()
    assert summary["executionId"]
    assert_api_error(http.get(f"/api/v2/oauth/clients/{CLIENT_ID}/usage/query/results/nope", headers=admin),
                     404, "not.found")


def test_seed_is_deterministic_and_reset_restores(http, admin, sandbox):
    first = http.get("/api/v2/users?pageSize=5", headers=admin).json()["entities"]
    from genesyscloud.sandbox import Sandbox

    with Sandbox(client_id="a", client_secret="b", seed=1) as same, Sandbox(client_id="a", client_secret="b",
                                                                           seed=2) as other:
        import httpx

        for box, equal in ((same, True), (other, False)):
            with httpx.Client(base_url=box.url) as client:
                token = cc_token(client, "a", "b")
                entities = client.get("/api/v2/users?pageSize=5", headers=bearer(token)).json()["entities"]
                assert (entities == first) is equal
    queue = http.post("/api/v2/routing/queues", headers=admin, json={"name": "Temp"}).json()
    sandbox.reset()
    admin2 = bearer(cc_token(http))
    assert http.get(f"/api/v2/routing/queues/{queue['id']}", headers=admin2).status_code == 404
    assert http.get("/api/v2/organizations/me", headers=admin).status_code == 401  # tokens are gone too
