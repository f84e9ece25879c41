"""Stateful listings for the paging styles the page-number resources do not cover.

* ``GET /api/v2/assistants``: ``after`` token inside ``nextUri`` (token-in-URI listing)
* ``GET /api/v2/externalcontacts/scan/contacts``: ``cursors.after`` in the body, sent back as ``cursor``
* analytics conversation details jobs: ``POST .../details/jobs`` -> poll ``GET .../jobs/{jobId}``
  (QUEUED, then PENDING, then FULFILLED: one state per status read, no wall-clock waits) ->
  ``GET .../jobs/{jobId}/results?cursor=`` (``cursor`` in the body) -> ``DELETE`` cancels.

The data (2,500 assistants, 2,500 external contacts, 3,000 analytics conversations over
January 2024) is built from the seed on first use; ``reset`` forgets it and every job.
Tokens are opaque base64 offsets; a token the sandbox did not issue is a 400.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import random
import uuid
from typing import Any
from urllib.parse import urlencode

from ._errors import bad_request, not_found
from ._resources import Ctx, Result, _int_param, _ok, iso, route

ASSISTANTS = 2500
CONTACTS = 2500
ANALYTICS_CONVERSATIONS = 3000
_JANUARY = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)


def _data(ctx: Ctx) -> dict[str, Any]:
    """Generated data and jobs of this state (``reset`` starts them afresh)."""
    return ctx.state.paging


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode(ctx: Ctx, name: str) -> int:
    token = ctx.q(name)
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith("o:"):
            raise ValueError(text)
        offset = int(text[2:])
        if offset < 0:
            raise ValueError(text)
        return offset
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_request("Invalid {paramName} token", paramName=name) from None


# -- after-style (token in nextUri) -----------------------------------------------------------
def _assistants(ctx: Ctx) -> list[dict[str, Any]]:
    data = _data(ctx)
    if "assistants" not in data:
        rng = random.Random(f"assistants-{ctx.state.config.seed}")
        data["assistants"] = [
            {"id": (aid := _uuid(rng)), "name": f"Assistant {i + 1:04d}", "state": "Active",
             "dateCreated": iso(_JANUARY.timestamp() + i * 60), "transcriptionConfig": {"vendorName": "Genesys"},
             "selfUri": f"/api/v2/assistants/{aid}"}
            for i in range(ASSISTANTS)
        ]
    return data["assistants"]


@route("GET", "/api/v2/assistants")
def list_assistants(ctx: Ctx) -> Result:
    size = _int_param(ctx, "pageSize", 25, 200)
    if size < 1 or size > 200:
        raise bad_request("pageSize must be between 1 and 200", paramName="pageSize")
    items = _assistants(ctx)
    name = (ctx.q("name") or "").lower()
    if name:
        items = [a for a in items if name in a["name"].lower()]
    start = _decode(ctx, "after")
    body: dict[str, Any] = {"entities": items[start:start + size],
                            "selfUri": f"{ctx.path}?{urlencode(sorted((k, v[-1]) for k, v in ctx.query.items()))}"}
    if start + size < len(items):
        body["nextUri"] = f"{ctx.path}?{urlencode({'after': _encode(start + size), 'pageSize': size})}"
    if start > 0:
        body["previousUri"] = f"{ctx.path}?{urlencode({'before': _encode(start), 'pageSize': size})}"
    return _ok(body)


# -- cursors.after ----------------------------------------------------------------------------
def _contacts(ctx: Ctx) -> list[dict[str, Any]]:
    data = _data(ctx)
    if "contacts" not in data:
        rng = random.Random(f"contacts-{ctx.state.config.seed}")
        first = ("Ana", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivan", "Jo")
        last = ("Ng", "Ortiz", "Price", "Quinn", "Rossi", "Singh", "Tan", "Ueda", "Vance", "Wolfe")
        data["contacts"] = []
        for i in range(CONTACTS):
            cid = _uuid(rng)
            f, l_ = first[rng.randrange(10)], last[rng.randrange(10)]
            data["contacts"].append({
                "id": cid, "firstName": f, "lastName": l_, "workEmail": f"{f}.{l_}.{i}@example.com".lower(),
                "createDate": iso(_JANUARY.timestamp() + i * 3600), "selfUri": f"/api/v2/externalcontacts/contacts/{cid}",
            })
    return data["contacts"]


@route("GET", "/api/v2/externalcontacts/scan/contacts")
def scan_contacts(ctx: Ctx) -> Result:
    limit = _int_param(ctx, "limit", 100, 200)
    items = _contacts(ctx)
    start = _decode(ctx, "cursor")
    body: dict[str, Any] = {"entities": items[start:start + limit], "selfUri": ctx.path}
    if start + limit < len(items):
        after = _encode(start + limit)
        body["cursors"] = {"after": after}
        body["nextUri"] = f"{ctx.path}?{urlencode({'cursor': after, 'limit': limit})}"
    return _ok(body)


# -- analytics conversation details jobs ------------------------------------------------------
def _analytics_conversations(ctx: Ctx) -> list[dict[str, Any]]:
    data = _data(ctx)
    if "analytics" not in data:
        rng = random.Random(f"analytics-{ctx.state.config.seed}")
        month = 31 * 86400
        rows = []
        for i in range(ANALYTICS_CONVERSATIONS):
            start = _JANUARY.timestamp() + (i * month) // ANALYTICS_CONVERSATIONS
            duration = 60 + rng.randrange(1800)
            rows.append({
                "conversationId": _uuid(rng),
                "conversationStart": iso(start),
                "conversationEnd": iso(start + duration),
                "originatingDirection": "inbound" if rng.random() < 0.7 else "outbound",
                "mediaStatsMinConversationMos": round(3.5 + rng.random(), 2),
                "participants": [{"participantId": _uuid(rng), "purpose": "customer"},
                                 {"participantId": _uuid(rng), "purpose": "agent"}],
            })
        data["analytics"] = rows
    return data["analytics"]


def _interval(text: Any) -> tuple[float, float]:
    try:
        a, b = str(text).split("/")
        start = _dt.datetime.fromisoformat(a.replace("Z", "+00:00")).timestamp()
        end = _dt.datetime.fromisoformat(b.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise bad_request("Invalid interval {interval}: expected ISO-8601 start/end", fieldName="interval", interval=repr(text)) from None
    if end <= start:
        raise bad_request("The interval's end must be after its start", fieldName="interval")
    return start, end


@route("POST", "/api/v2/analytics/conversations/details/jobs")
def submit_details_job(ctx: Ctx) -> Result:
    start, end = _interval((ctx.body or {}).get("interval"))
    rows = [r for r in _analytics_conversations(ctx)
            if start <= _dt.datetime.fromisoformat(r["conversationStart"].replace("Z", "+00:00")).timestamp() < end]
    job_id = ctx.state.new_id()
    _data(ctx)["jobs"][job_id] = {"rows": rows, "reads": 0, "submitted": ctx.state.now(), "state": "QUEUED"}
    return 202, {"jobId": job_id}, {}


def _job(ctx: Ctx) -> dict[str, Any]:
    job = _data(ctx)["jobs"].get(ctx.path_params["jobId"])
    if job is None:
        raise not_found("Job {jobId} not found", jobId=ctx.path_params["jobId"])
    return job


@route("GET", "/api/v2/analytics/conversations/details/jobs/{jobId}")
def details_job_status(ctx: Ctx) -> Result:
    job = _job(ctx)
    states = ("QUEUED", "PENDING", "FULFILLED")
    job["state"] = states[min(job["reads"], 2)]
    job["reads"] += 1
    body = {"state": job["state"], "submissionDate": iso(job["submitted"]),
            "expirationDate": iso(job["submitted"] + 86400)}
    if job["state"] == "FULFILLED":
        body["completionDate"] = iso(job["submitted"] + 2)
    return _ok(body)


@route("GET", "/api/v2/analytics/conversations/details/jobs/{jobId}/results")
def details_job_results(ctx: Ctx) -> Result:
    job = _job(ctx)
    if job["state"] != "FULFILLED":
        raise bad_request("Job {jobId} is {state}, not FULFILLED", jobId=ctx.path_params["jobId"], state=job["state"])
    size = _int_param(ctx, "pageSize", 1000, 1000)
    start = _decode(ctx, "cursor")
    body: dict[str, Any] = {"conversations": job["rows"][start:start + size],
                            "dataAvailabilityDate": iso(_JANUARY.timestamp() + 40 * 86400)}
    if start + size < len(job["rows"]):
        body["cursor"] = _encode(start + size)
    return _ok(body)


@route("DELETE", "/api/v2/analytics/conversations/details/jobs/{jobId}")
def delete_details_job(ctx: Ctx) -> Result:
    _job(ctx)
    del _data(ctx)["jobs"][ctx.path_params["jobId"]]
    return 204, None, {}
