"""Stateful API resources of the sandbox org.

Each handler is registered for ``(METHOD, path template)`` of the definition and runs
after the request passed authentication, rate limiting and spec validation. It returns
``(status, JSON value or None, extra headers)`` or raises :class:`ApiError`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import fnmatch
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode

from ._errors import ApiError, bad_request, not_found
from ._state import SandboxState, Token, new_secret

USER_CONTEXT_MESSAGE = ("This request requires a user context. "
                        "Client credentials cannot be used for requests to this resource.")
MAX_PAGE_SIZE = 500


@dataclass
class Ctx:
    """What a handler sees of a request (already authenticated and validated)."""

    state: SandboxState
    method: str
    path: str
    template: str
    path_params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    token: Token | None
    token_value: str | None

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def q_list(self, name: str) -> list[str]:
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v for v in value.split(",") if v)
        return out

    def require_user(self) -> dict[str, Any]:
        if self.token is None or self.token.user_id is None:
            raise ApiError(400, "bad.request", USER_CONTEXT_MESSAGE)
        user = self.state.users.get(self.token.user_id)
        if user is None:
            raise not_found("The user of this token no longer exists.")
        return user


Result = tuple[int, Any, dict[str, str]]
Handler = Callable[[Ctx], Result]
HANDLERS: dict[tuple[str, str], Handler] = {}


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[(method, template)] = fn
        return fn
    return register


def iso(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def _int_param(ctx: Ctx, name: str, default: int, maximum: int | None = None) -> int:
    """Query parameter ``name`` as an integer in ``1..maximum`` (``default`` when absent);
    anything else is a 400 that names the parameter."""
    raw = ctx.q(name)
    if raw is None:
        value = default
    else:
        text = raw.strip()
        if not _INTEGER.fullmatch(text):
            raise ApiError(400, "bad.request", "Invalid value for parameter {paramName}: {value} is not a valid integer",
                           {"paramName": name, "value": raw}, [{"errorCode": "invalid.value", "fieldName": name}])
        value = int(text)
    if value < 1:
        raise bad_request("{paramName} must be at least 1", paramName=name)
    if maximum is not None and value > maximum:
        raise bad_request("{paramName} must be at most {maximum}", paramName=name, maximum=str(maximum))
    return value


def page(ctx: Ctx, items: list[Any], keep: tuple[str, ...] = (), max_size: int = MAX_PAGE_SIZE) -> dict[str, Any]:
    """Page-number EntityListing: ``entities, pageSize, pageNumber, total, pageCount,
    firstUri, selfUri, lastUri`` and ``nextUri``/``previousUri`` when such pages exist."""
    size = _int_param(ctx, "pageSize", 25, max_size)
    number = _int_param(ctx, "pageNumber", 1)
    total = len(items)
    count = max(1, math.ceil(total / size))
    extra = [(k, v) for k in keep for v in ctx.query.get(k, [])]

    def uri(n: int) -> str:
        return f"{ctx.path}?{urlencode([('pageSize', size), ('pageNumber', n), *extra])}"

    out: dict[str, Any] = {
        "entities": items[(number - 1) * size: number * size], "pageSize": size, "pageNumber": number,
        "total": total, "firstUri": uri(1), "selfUri": uri(number), "lastUri": uri(count), "pageCount": count,
    }
    if number < count:
        out["nextUri"] = uri(number + 1)
    if 1 < number <= count + 1:
        out["previousUri"] = uri(number - 1)
    return out


def _ok(value: Any, status: int = 200) -> Result:
    return status, value, {}


# -- organization ---------------------------------------------------------------------------
@route("GET", "/api/v2/organizations/me")
def get_org(ctx: Ctx) -> Result:
    return _ok(ctx.state.org)


@route("PUT", "/api/v2/organizations/me")
def put_org(ctx: Ctx) -> Result:
    body = ctx.body or {}
    org = ctx.state.org
    if "version" in body and body["version"] != org["version"]:
        raise ApiError(409, "conflict", "The version of the organization does not match the current version.")
    for key in ("name", "defaultLanguage", "defaultCountryCode", "supportURI", "voicemailEnabled", "defaultSiteId"):
        if key in body:
            org[key] = body[key]
    org["version"] += 1
    return _ok(org)


# -- tokens -----------------------------------------------------------------------------------
@route("GET", "/api/v2/tokens/me")
def get_token_me(ctx: Ctx) -> Result:
    assert ctx.token is not None
    org = ctx.state.org
    client = ctx.state.clients.get(ctx.token.client_id, {})
    org_ref = {"id": org["id"], "name": org["name"]}
    oauth_client = {k: client[k] for k in ("id", "name", "dateCreated", "dateModified", "createdBy", "modifiedBy",
                                             "authorizedGrantType", "scope", "roleDivisions", "state") if k in client}
    oauth_client["organization"] = org_ref
    return _ok({"organization": org_ref, "homeOrganization": org_ref, "authorizedScope": list(client.get("scope", [])),
                "OAuthClient": oauth_client, "dateTokenIdles": iso(ctx.token.expires_at)})


@route("HEAD", "/api/v2/tokens/me")
def head_token_me(ctx: Ctx) -> Result:
    return 200, None, {}


@route("DELETE", "/api/v2/tokens/me")
def delete_token_me(ctx: Ctx) -> Result:
    if ctx.token_value:
        ctx.state.tokens.pop(ctx.token_value, None)
    return 204, None, {}


@route("DELETE", "/api/v2/tokens/{userId}")
def delete_user_tokens(ctx: Ctx) -> Result:
    user_id = _live_user(ctx)["id"]
    for key in [k for k, t in ctx.state.tokens.items() if t.user_id == user_id]:
        del ctx.state.tokens[key]
    return 204, None, {}


# -- users ------------------------------------------------------------------------------------
def _user_sort_key(user: dict[str, Any]) -> tuple[str, str]:
    return user["name"].lower(), user["id"]


@route("GET", "/api/v2/users")
def list_users(ctx: Ctx) -> Result:
    state = ctx.q("state", "active")
    ids = set(ctx.q_list("id"))
    users = [u for u in ctx.state.users.values()
             if (state == "any" or u["state"] == state) and (not ids or u["id"] in ids)]
    users.sort(key=_user_sort_key, reverse=(ctx.q("sortOrder", "ASC") or "ASC").upper() == "DESC")
    return _ok(page(ctx, users, keep=("id", "state", "sortOrder")))


@route("GET", "/api/v2/users/me")
def get_user_me(ctx: Ctx) -> Result:
    user = ctx.require_user()
    org = ctx.state.org
    return _ok({**user, "organization": org})


def _live_user(ctx: Ctx) -> dict[str, Any]:
    """The user of the ``userId`` path parameter; a deleted user is a 404 like an unknown one."""
    user = ctx.state.users.get(ctx.path_params["userId"])
    if user is None or user["state"] == "deleted":
        raise not_found("User {userId} not found", userId=ctx.path_params["userId"])
    return user


@route("GET", "/api/v2/users/{userId}")
def get_user(ctx: Ctx) -> Result:
    """``state`` defaults to ``active``: a deleted user is found only with ``state=deleted``."""
    wanted = (ctx.q("state") or "active").lower()
    user = ctx.state.users.get(ctx.path_params["userId"])
    if user is None or (user["state"] == "deleted") != (wanted == "deleted"):
        raise not_found("User {userId} not found", userId=ctx.path_params["userId"])
    return _ok(user)


@route("POST", "/api/v2/users")
def create_user(ctx: Ctx) -> Result:
    body = ctx.body
    if body.get("state") == "deleted":
        raise bad_request("A user cannot be created in the {state} state", state="deleted", fieldName="state")
    email = body["email"].strip().lower()
    if email in ctx.state.users_by_email:
        raise ApiError(409, "general.conflict", "A user with email {email} already exists.", {"email": email})
    division = next((d for d in ctx.state.divisions if d["id"] == body["divisionId"]), None)
    if division is None:
        raise bad_request("Division {divisionId} not found", divisionId=body["divisionId"])
    user_id = ctx.state.new_id()
    user = {"id": user_id, "name": body["name"], "division": dict(division), "email": email,
            "department": body.get("department", ""), "title": body.get("title", ""),
            "primaryContactInfo": [{"address": email, "mediaType": "EMAIL", "type": "PRIMARY"}],
            "addresses": body.get("addresses", []), "state": body.get("state", "active"), "username": email,
            "images": [], "version": 1, "acdAutoAnswer": False, "selfUri": f"/api/v2/users/{user_id}"}
    ctx.state.users[user_id] = user
    ctx.state.users_by_email[email] = user
    return _ok(user)


@route("PATCH", "/api/v2/users/{userId}")
def patch_user(ctx: Ctx) -> Result:
    user = _live_user(ctx)
    body = ctx.body
    if body["version"] != user["version"]:
        raise ApiError(409, "conflict", "The version {version} does not match the current version "
                       "{currentVersion} of the user.", {"version": str(body["version"]),
                                                          "currentVersion": str(user["version"])})
    for key in ("name", "department", "title", "preferredName", "acdAutoAnswer", "state", "addresses",
                "primaryContactInfo", "certifications"):
        if key in body:
            user[key] = body[key]
    user["version"] += 1
    return _ok(user)


@route("DELETE", "/api/v2/users/{userId}")
def delete_user(ctx: Ctx) -> Result:
    user = _live_user(ctx)
    user["state"] = "deleted"
    for key in [k for k, t in ctx.state.tokens.items() if t.user_id == user["id"]]:
        del ctx.state.tokens[key]
    return _ok({})


_SEARCHABLE = ("id", "name", "email", "username", "department", "title", "state")


def _criterion_matches(user: dict[str, Any], crit: dict[str, Any]) -> bool:
    if not isinstance(crit, dict):
        raise bad_request("Each search criterion must be a JSON object")
    for name in ("group", "fields", "values"):
        value = crit.get(name)
        if value is not None and not (isinstance(value, list)
                                      and (name == "group" or all(isinstance(v, (str, int, float)) for v in value))):
            raise bad_request("Search criterion field {fieldName} must be a list", fieldName=name)
    kind = crit.get("type")
    if crit.get("group"):
        results = [_criterion_matches(user, c) for c in crit["group"]]
        op = crit.get("operator", "AND")
        return any(results) if op == "OR" else (not any(results) if op == "NOT" else all(results))
    if kind == "MATCH_ALL":
        return True
    fields = crit.get("fields") or list(_SEARCHABLE)
    values = [str(v).lower() for v in (crit.get("values") or ([crit["value"]] if "value" in crit else []))]
    texts = [str(user.get(f, "")).lower() for f in fields]
    if kind == "EXACT":
        hit = any(t == v for t in texts for v in values)
    elif kind == "STARTS_WITH":
        hit = any(t.startswith(v) for t in texts for v in values)
    elif kind in ("CONTAINS", "QUERY_STRING", "SIMPLE_QUERY_STRING"):
        hit = any(v in t for t in texts for v in values)
    elif kind in ("TERM", "TERMS"):
        hit = any(v in t.replace("@", " ").replace(".", " ").split() or t == v for t in texts for v in values)
    elif kind == "REQUIRED_FIELDS":
        hit = all(user.get(f) for f in fields)
    elif kind == "RANGE":
        start, end = crit.get("startValue"), crit.get("endValue")
        hit = any((start is None or t >= str(start).lower()) and (end is None or t <= str(end).lower()) for t in texts)
    else:
        raise bad_request("Unsupported search criteria type {type}", type=str(kind))
    return (not hit) if crit.get("operator") == "NOT" else hit


def _body_int(request: dict[str, Any], name: str, default: int) -> int:
    value = request.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("{fieldName} must be an integer", fieldName=name)
    return value


def _search_users(ctx: Ctx, request: dict[str, Any]) -> Result:
    criteria = request.get("query") or []
    if not isinstance(criteria, list):
        raise bad_request("{fieldName} must be a list of search criteria", fieldName="query")
    users = [u for u in ctx.state.users.values() if u["state"] != "deleted"
             and all(_criterion_matches(u, c) for c in criteria)]
    reverse = request.get("sortOrder") == "DESC"
    sort_by = request.get("sortBy") or "name"
    if not isinstance(sort_by, str):
        raise bad_request("{fieldName} must be a string", fieldName="sortBy")
    users.sort(key=lambda u: (str(u.get(sort_by, "")).lower(), u["id"]), reverse=reverse)
    size = _body_int(request, "pageSize", 25)
    number = _body_int(request, "pageNumber", 1)
    if size < 1 or size > 100 or number < 1:
        raise bad_request("pageSize must be between 1 and 100 and pageNumber at least 1")
    total = len(users)
    count = max(1, math.ceil(total / size))

    def link(n: int) -> str:
        q64 = base64.b64encode(json.dumps({**request, "pageNumber": n, "pageSize": size},
                                          separators=(",", ":")).encode()).decode()
        return f"/api/v2/users/search?{urlencode({'q64': q64})}"

    out: dict[str, Any] = {"total": total, "pageCount": count, "pageSize": size, "pageNumber": number,
                           "currentPage": link(number), "types": ["users"],
                           "results": users[(number - 1) * size: number * size]}
    if number < count:
        out["nextPage"] = link(number + 1)
    if number > 1:
        out["previousPage"] = link(number - 1)
    return _ok(out)


@route("POST", "/api/v2/users/search")
def search_users(ctx: Ctx) -> Result:
    return _search_users(ctx, ctx.body or {})


@route("GET", "/api/v2/users/search")
def search_users_q64(ctx: Ctx) -> Result:
    raw = ctx.q("q64") or ""
    try:
        request = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise bad_request("{paramName} is not base64-encoded JSON", paramName="q64") from exc
    if not isinstance(request, dict):
        raise bad_request("q64 must encode a JSON object", paramName="q64")
    return _search_users(ctx, request)


# -- authorization ----------------------------------------------------------------------------
@route("GET", "/api/v2/authorization/permissions")
def list_permissions(ctx: Ctx) -> Result:
    items = ctx.state.permissions
    wanted = [w.strip().lower() for w in (ctx.q("query") or "").split(",") if w.strip()]
    if wanted:
        items = [p for p in items if any(w.split(":")[0] in p["domain"].lower() for w in wanted)]
    return _ok(page(ctx, items, keep=("queryType", "query")))


@route("GET", "/api/v2/authorization/roles")
def list_roles(ctx: Ctx) -> Result:
    roles = list(ctx.state.roles.values())
    name = ctx.q("name")
    ids = set(ctx.q_list("id"))
    if name:
        roles = [r for r in roles if _name_matches(r["name"], name)]
    if ids:
        roles = [r for r in roles if r["id"] in ids]
    roles.sort(key=lambda r: (r["name"].lower(), r["id"]))
    return _ok(page(ctx, roles, keep=("name", "id")))


@route("GET", "/api/v2/authorization/roles/{roleId}")
def get_role(ctx: Ctx) -> Result:
    role = ctx.state.roles.get(ctx.path_params["roleId"])
    if role is None:
        raise not_found("Role {roleId} not found", roleId=ctx.path_params["roleId"])
    return _ok(role)


# -- routing queues ---------------------------------------------------------------------------
def _name_matches(value: str, pattern: str) -> bool:
    """Genesys name filters: exact (case-insensitive); leading/trailing ``*`` are wildcards."""
    if "*" in pattern:
        return fnmatch.fnmatchcase(value.lower(), pattern.lower())
    return value.lower() == pattern.lower()


@route("GET", "/api/v2/routing/queues")
def list_queues(ctx: Ctx) -> Result:
    queues = list(ctx.state.queues.values())
    name = ctx.q("name")
    if name:
        queues = [q for q in queues if _name_matches(q["name"], name)]
    ids = set(ctx.q_list("id"))
    if ids:
        queues = [q for q in queues if q["id"] in ids]
    divisions = set(ctx.q_list("divisionId"))
    if divisions:
        queues = [q for q in queues if q.get("division", {}).get("id") in divisions]
    queues.sort(key=lambda q: (q["name"].lower(), q["id"]), reverse=(ctx.q("sortOrder") or "asc").lower() == "desc")
    return _ok(page(ctx, queues, keep=("name", "id", "divisionId", "sortOrder")))


def _queue_from(ctx: Ctx, body: dict[str, Any], queue_id: str, existing: dict[str, Any] | None) -> dict[str, Any]:
    for other in ctx.state.queues.values():
        if other["id"] != queue_id and other["name"].lower() == body["name"].lower():
            raise ApiError(400, "general.bad.request", "A queue named {name} already exists.",
                           {"name": body["name"]})
    now = iso(ctx.state.now())
    user_id = ctx.token.user_id if ctx.token and ctx.token.user_id else ctx.state.admin_ref["id"]
    division = body.get("division") or (existing or {}).get("division") or ctx.state.divisions[0]
    known = next((d for d in ctx.state.divisions if d["id"] == division.get("id")), None)
    if known is None:
        raise bad_request("Division {divisionId} not found", divisionId=str(division.get("id")))
    skip = {"id", "selfUri", "dateCreated", "dateModified", "createdBy", "modifiedBy", "division", "sourceQueueId"}
    queue = {k: v for k, v in body.items() if k not in skip}
    queue.update({
        "id": queue_id, "division": dict(known),
        "dateCreated": (existing or {}).get("dateCreated", now), "dateModified": now,
        "createdBy": (existing or {}).get("createdBy", user_id), "modifiedBy": user_id,
        "memberCount": (existing or {}).get("memberCount", 0), "userMemberCount": (existing or {}).get("userMemberCount", 0),
        "joinedMemberCount": (existing or {}).get("joinedMemberCount", 0),
        "selfUri": f"/api/v2/routing/queues/{queue_id}",
    })
    return queue


@route("POST", "/api/v2/routing/queues")
def create_queue(ctx: Ctx) -> Result:
    queue_id = ctx.state.new_id()
    queue = _queue_from(ctx, ctx.body, queue_id, None)
    ctx.state.queues[queue_id] = queue
    return _ok(queue)


def _queue(ctx: Ctx) -> dict[str, Any]:
    queue = ctx.state.queues.get(ctx.path_params["queueId"])
    if queue is None:
        raise not_found("Queue {queueId} not found", queueId=ctx.path_params["queueId"])
    return queue


@route("GET", "/api/v2/routing/queues/{queueId}")
def get_queue(ctx: Ctx) -> Result:
    return _ok(_queue(ctx))


@route("PUT", "/api/v2/routing/queues/{queueId}")
def put_queue(ctx: Ctx) -> Result:
    existing = _queue(ctx)
    queue = _queue_from(ctx, ctx.body, existing["id"], existing)
    ctx.state.queues[existing["id"]] = queue
    return _ok(queue)


@route("DELETE", "/api/v2/routing/queues/{queueId}")
def delete_queue(ctx: Ctx) -> Result:
    del ctx.state.queues[_queue(ctx)["id"]]
    return 204, None, {}


# -- conversations ----------------------------------------------------------------------------
@route("GET", "/api/v2/conversations")
def list_conversations(ctx: Ctx) -> Result:
    user = ctx.require_user()
    kind = (ctx.q("communicationType") or "").lower()
    items = [c for c in ctx.state.conversations.values()
             if c["state"] != "disconnected" and any(p.get("userId") == user["id"] for p in c["participants"])]
    if kind and kind not in ("call", "voice"):
        items = []
    return _ok(page(ctx, items, keep=("communicationType",)))


@route("GET", "/api/v2/conversations/{conversationId}")
def get_conversation(ctx: Ctx) -> Result:
    conv = ctx.state.conversations.get(ctx.path_params["conversationId"])
    if conv is None:
        raise not_found("Conversation {conversationId} not found",
                        conversationId=ctx.path_params["conversationId"])
    return _ok(conv)


# -- OAuth clients, scopes, authorizations, usage ---------------------------------------------
def _public_client(client: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in client.items() if k != "secret"}


def _client(ctx: Ctx) -> dict[str, Any]:
    client = ctx.state.clients.get(ctx.path_params["clientId"])
    if client is None:
        raise not_found("OAuth client {clientId} not found", clientId=ctx.path_params["clientId"])
    return client


def _check_client_body(body: dict[str, Any]) -> None:
    ttl = body.get("accessTokenValiditySeconds")
    if ttl is not None and not (300 <= ttl <= 172800):
        raise bad_request("accessTokenValiditySeconds must be between 300 and 172800",
                          fieldName="accessTokenValiditySeconds")
    if body["authorizedGrantType"] in ("CODE", "TOKEN") and not body.get("registeredRedirectUri"):
        raise bad_request("registeredRedirectUri is required for the CODE and TOKEN grant types",
                          fieldName="registeredRedirectUri")


_CLIENT_FIELDS = ("name", "accessTokenValiditySeconds", "description", "registeredRedirectUri", "roleIds",
                  "authorizedGrantType", "scope", "roleDivisions", "state", "dateToDelete")


@route("GET", "/api/v2/oauth/clients")
def list_clients(ctx: Ctx) -> Result:
    clients = sorted(ctx.state.clients.values(), key=lambda c: (c["name"].lower(), c["id"]))
    return _ok(page(ctx, [_public_client(c) for c in clients]))


@route("POST", "/api/v2/oauth/clients")
def create_client(ctx: Ctx) -> Result:
    body = ctx.body
    _check_client_body(body)
    client_id = ctx.state.new_id()
    now = iso(ctx.state.now())
    ref = ctx.state.admin_ref
    client = {"id": client_id, "registeredRedirectUri": [], "roleIds": [], "scope": [], "roleDivisions": [],
              "state": "active", **{k: body[k] for k in _CLIENT_FIELDS if k in body},
              "dateCreated": now, "dateModified": now, "createdBy": ref, "modifiedBy": ref,
              "selfUri": f"/api/v2/oauth/clients/{client_id}"}
    ctx.state.clients[client_id] = client
    secret = new_secret()
    ctx.state.secrets[client_id] = secret
    return _ok({**client, "secret": secret})


@route("GET", "/api/v2/oauth/clients/{clientId}")
def get_client(ctx: Ctx) -> Result:
    return _ok(_public_client(_client(ctx)))


@route("PUT", "/api/v2/oauth/clients/{clientId}")
def put_client(ctx: Ctx) -> Result:
    client = _client(ctx)
    body = ctx.body
    _check_client_body(body)
    for key in _CLIENT_FIELDS:
        if key in body:
            client[key] = body[key]
    client["dateModified"] = iso(ctx.state.now())
    return _ok(_public_client(client))


@route("DELETE", "/api/v2/oauth/clients/{clientId}")
def delete_client(ctx: Ctx) -> Result:
    client = _client(ctx)
    del ctx.state.clients[client["id"]]
    ctx.state.secrets.pop(client["id"], None)
    ctx.state.revoke_client(client["id"])
    return 204, None, {}


@route("POST", "/api/v2/oauth/clients/{clientId}/secret")
def regenerate_secret(ctx: Ctx) -> Result:
    client = _client(ctx)
    secret = new_secret()
    ctx.state.secrets[client["id"]] = secret
    client["dateModified"] = iso(ctx.state.now())
    return _ok({**_public_client(client), "secret": secret})


def _usage_rows(ctx: Ctx, client: dict[str, Any], group_by: list[str]) -> list[dict[str, Any]]:
    per_client = ctx.state.usage.get(client["id"], {})
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for (template, method), counts in sorted(per_client.items()):
        key = tuple(v for g, v in (("TemplateUri", template), ("HttpMethod", method)) if g in group_by)
        row = rows.setdefault(key, {"clientId": client["id"], "clientName": client["name"],
                                    "organizationId": ctx.state.org["id"], "status200": 0, "status300": 0,
                                    "status400": 0, "status500": 0, "status429": 0, "requests": 0,
                                    "date": iso(ctx.state.now())[:10] + "T00:00:00.000Z"})
        if "TemplateUri" in group_by:
            row["templateUri"] = template
        if "HttpMethod" in group_by:
            row["httpMethod"] = method
        for name, count in counts.items():
            row[name] += count
    return list(rows.values())


def _start_usage_query(ctx: Ctx, group_by: list[str]) -> Result:
    client = _client(ctx)
    execution_id = ctx.state.new_id()
    ctx.state.usage_queries[execution_id] = {"clientId": client["id"], "results": _usage_rows(ctx, client, group_by)}
    return _ok({"executionId": execution_id,
                "resultsUri": f"/api/v2/oauth/clients/{client['id']}/usage/query/results/{execution_id}"})


@route("POST", "/api/v2/oauth/clients/{clientId}/usage/query")
def usage_query(ctx: Ctx) -> Result:
    interval = ctx.body["interval"]
    if "/" not in interval:
        raise bad_request("interval must be an ISO-8601 interval like 2024-01-01T00:00:00Z/2024-01-08T00:00:00Z",
                          fieldName="interval")
    return _start_usage_query(ctx, list(ctx.body.get("groupBy") or []))


@route("GET", "/api/v2/oauth/clients/{clientId}/usage/summary")
def usage_summary(ctx: Ctx) -> Result:
    return _start_usage_query(ctx, ["TemplateUri", "HttpMethod"])


@route("GET", "/api/v2/oauth/clients/{clientId}/usage/query/results/{executionId}")
def usage_results(ctx: Ctx) -> Result:
    query = ctx.state.usage_queries.get(ctx.path_params["executionId"])
    if query is None or query["clientId"] != ctx.path_params["clientId"]:
        raise not_found("Usage query {executionId} not found",
                        executionId=ctx.path_params["executionId"])
    return _ok({"results": query["results"], "queryStatus": "Complete"})


@route("GET", "/api/v2/oauth/scopes")
def list_scopes(ctx: Ctx) -> Result:
    scopes = list(ctx.state.scopes.values())
    return _ok({"total": len(scopes), "entities": scopes, "selfUri": "/api/v2/oauth/scopes"})


@route("GET", "/api/v2/oauth/scopes/{scopeId}")
def get_scope(ctx: Ctx) -> Result:
    scope = ctx.state.scopes.get(ctx.path_params["scopeId"])
    if scope is None:
        raise not_found("Scope {scopeId} not found", scopeId=ctx.path_params["scopeId"])
    return _ok(scope)


def _authorization(ctx: Ctx, record: dict[str, Any]) -> dict[str, Any] | None:
    client = ctx.state.clients.get(record["clientId"])
    user = ctx.state.users.get(record["userId"])
    if client is None or user is None:
        return None
    ref = {"id": user["id"], "name": user["name"], "selfUri": user["selfUri"]}
    return {"client": _public_client(client), "scope": list(client.get("scope", [])), "roles": list(client.get("roleIds", [])),
            "resourceOwner": ref, "dateCreated": record["dateCreated"], "dateModified": record["dateCreated"],
            "createdBy": ref, "modifiedBy": ref, "pending": False, "state": "Authorized",
            "selfUri": f"/api/v2/oauth/authorizations/{client['id']}"}


def _visible_authorizations(ctx: Ctx) -> list[dict[str, Any]]:
    """A user token sees its own authorizations; a client-credentials token sees the org's."""
    user_id = ctx.token.user_id if ctx.token else None
    out = []
    for (client_id, owner), record in sorted(ctx.state.authorizations.items()):
        if user_id is None or owner == user_id:
            item = _authorization(ctx, record)
            if item is not None:
                out.append(item)
    return out


@route("GET", "/api/v2/oauth/authorizations")
def list_authorizations(ctx: Ctx) -> Result:
    items = _visible_authorizations(ctx)
    return _ok({"total": len(items), "entities": items, "selfUri": "/api/v2/oauth/authorizations"})


@route("GET", "/api/v2/oauth/authorizations/{clientId}")
def get_authorization(ctx: Ctx) -> Result:
    client_id = ctx.path_params["clientId"]
    for item in _visible_authorizations(ctx):
        if item["client"]["id"] == client_id:
            return _ok(item)
    raise not_found("No authorization for OAuth client {clientId}", clientId=client_id)
