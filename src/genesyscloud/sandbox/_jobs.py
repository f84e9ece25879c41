"""Job APIs of the sandbox: each job advances one state per status read (no wall-clock waits).

* analytics users details jobs and the aggregates jobs of every domain (conversation
  details jobs are in :mod:`._paging`): QUEUED -> PENDING -> FULFILLED, results by cursor,
  ``DELETE`` cancels;
* recording batch requests: InProgress (counting) -> Completed, each result a presigned
  URL of a small generated WAV file in the object store (:mod:`._objects`);
* recordings: ``GET /api/v2/conversations/{id}/recordings[/{recordingId}]`` with
  ``mediaUris`` pointing at the same audio;
* recording jobs: PENDING -> READY; ``PUT {"state": "PROCESSING"}`` runs it -> PROCESSING ->
  FULFILLED; ``DELETE`` cancels;
* analytics reporting exports: SUBMITTED -> RUNNING -> COMPLETED on listing reads, with a
  ``downloadUrl`` (``/api/v2/downloads/{id}``, which redirects to a presigned CSV);
* outbound contact list and DNC list exports: ``GET .../export`` is 404 until the second
  read after the ``POST``, then gives the export's ``uri``;
* WFM historical adherence queries (management unit and team): Processing -> Complete
  with ``downloadUrls`` (presigned JSON);
* usage aggregates query jobs: Running -> Succeeded with results paged by ``after``;
* ``GET /api/v2/downloads/{downloadId}``: 303 to the presigned URL, or ``{"url"}`` with
  ``issueRedirect=false``;
* the three operations whose definition produces no JSON (``text/calendar``,
  ``text/plain``) answer with that content type and text;
* the ``/api/v2/uploads/...`` operations hand out presigned ``PUT`` URLs with their headers
  (the Architect prompt resources' ones are in :mod:`._prompts`).

Every job lives in ``state.paging`` (``reset`` forgets them).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import struct
import uuid
import wave
from typing import Any
from urllib.parse import urlencode

from ._errors import ApiError, bad_request, not_found
from ._objects import download_url, presign, put_object, resolve_download
from ._resources import Ctx, Result, _int_param, _ok, iso, route

DETAIL_DOMAINS = ("users",)
AGGREGATE_DOMAINS = (
    "actions", "agentcopilots", "agentutilizations", "bots", "casemanagement", "conversations", "copilots",
    "evaluations", "flowexecutions", "flows", "journeys", "knowledge", "resolutions", "summaries", "surveys",
    "taskmanagement", "transcripts", "users",
)
AGGREGATE_ROWS = 250  # aggregate result rows of every aggregates job (enough for several pages)
AUDIO_SECONDS = 1.0


def _jobs(ctx: Ctx) -> dict[str, Any]:
    return ctx.state.paging.setdefault("jobs2", {})


def _base(ctx: Ctx) -> str:
    return getattr(ctx.state, "request_base", None) or "http://127.0.0.1"


def _get_job(ctx: Ctx, kind: str, name: str = "jobId") -> dict[str, Any]:
    job_id = ctx.path_params[name]
    job = _jobs(ctx).get(job_id)
    if job is None or job["kind"] != kind:
        raise not_found(f"Job {job_id} not found", jobId=job_id)
    return job


def _new_job(ctx: Ctx, kind: str, **fields: Any) -> dict[str, Any]:
    job = {"id": ctx.state.new_id(), "kind": kind, "reads": 0, "submitted": ctx.state.now(), **fields}
    _jobs(ctx)[job["id"]] = job
    return job


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
        return int(text[2:])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_request(f"Invalid {name} token", paramName=name) from None


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "sandbox:" + ":".join(parts)))


# -- analytics users details and aggregates jobs ---------------------------------------------
def _check_interval(body: Any) -> None:
    interval = (body or {}).get("interval")
    if not isinstance(interval, str) or "/" not in interval:
        raise bad_request("interval must be an ISO-8601 interval like 2024-01-01T00:00:00Z/2024-02-01T00:00:00Z",
                          fieldName="interval")


def _user_rows(ctx: Ctx) -> list[dict[str, Any]]:
    rows = []
    for user in sorted(ctx.state.users.values(), key=lambda u: u["id"]):
        rows.append({"userId": user["id"], "primaryPresence": [
            {"startTime": "2024-01-02T09:00:00.000Z", "endTime": "2024-01-02T17:00:00.000Z",
             "systemPresence": "AVAILABLE"}],
            "routingStatus": [{"startTime": "2024-01-02T09:00:00.000Z", "endTime": "2024-01-02T17:00:00.000Z",
                               "routingStatus": "IDLE"}]})
    return rows


def _aggregate_rows(domain: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = [m for m in body.get("metrics") or [] if isinstance(m, str)] or ["nConversations"]
    rows = []
    for i in range(AGGREGATE_ROWS):
        rows.append({"group": {"mediaType": ("voice", "chat", "email", "message")[i % 4], "queueId": _uuid(domain, str(i))},
                     "data": [{"interval": body["interval"],
                               "metrics": [{"metric": m, "stats": {"count": (i * 7 + k) % 97 + 1}}
                                           for k, m in enumerate(metrics)]}]})
    return rows


def _register_analytics(domain: str, kind: str) -> None:
    base = f"/api/v2/analytics/{domain}/{kind}/jobs"
    name = f"analytics.{domain}.{kind}"
    items_key = "userDetails" if kind == "details" else "results"

    def submit(ctx: Ctx) -> Result:
        _check_interval(ctx.body)
        rows = _user_rows(ctx) if kind == "details" else _aggregate_rows(domain, ctx.body)
        job = _new_job(ctx, name, rows=rows, state="QUEUED")
        return 202, {"jobId": job["id"]}, {}

    def status(ctx: Ctx) -> Result:
        job = _get_job(ctx, name)
        job["state"] = ("QUEUED", "PENDING", "FULFILLED")[min(job["reads"], 2)]
        job["reads"] += 1
        body = {"state": job["state"], "submissionDate": iso(job["submitted"]),
                "expirationDate": iso(job["submitted"] + 86400)}
        if job["state"] == "FULFILLED":
            body["completionDate"] = iso(job["submitted"] + 2)
        return _ok(body)

    def results(ctx: Ctx) -> Result:
        job = _get_job(ctx, name)
        if job["state"] != "FULFILLED":
            raise bad_request(f"Job {job['id']} is {job['state']}, not FULFILLED")
        size = _int_param(ctx, "pageSize", 1000 if kind == "details" else 100, 1000)
        start = _decode(ctx, "cursor")
        body: dict[str, Any] = {items_key: job["rows"][start:start + size],
                                "dataAvailabilityDate": "2024-02-10T00:00:00.000Z"}
        if start + size < len(job["rows"]):
            body["cursor"] = _encode(start + size)
        return _ok(body)

    def delete(ctx: Ctx) -> Result:
        job = _get_job(ctx, name)
        del _jobs(ctx)[job["id"]]
        return 204, None, {}

    route("POST", base)(submit)
    route("GET", base + "/{jobId}")(status)
    route("GET", base + "/{jobId}/results")(results)
    route("DELETE", base + "/{jobId}")(delete)


for _domain in DETAIL_DOMAINS:
    _register_analytics(_domain, "details")
for _domain in AGGREGATE_DOMAINS:
    _register_analytics(_domain, "aggregates")


# -- recordings and their media ----------------------------------------------------------------
def wav_bytes(seed: str, seconds: float = AUDIO_SECONDS, rate: int = 8000) -> bytes:
    """A small real WAV file (mono, 16-bit PCM): a tone whose pitch depends on ``seed``."""
    pitch = 300 + int(uuid.uuid5(uuid.NAMESPACE_URL, seed).int % 500)
    frames = int(seconds * rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate)))
                               for i in range(frames)))
    return out.getvalue()


def recording_id(conversation_id: str) -> str:
    """Every sandbox conversation has one voice recording with this id."""
    return _uuid("recording", conversation_id)


def _media_key(ctx: Ctx, conversation_id: str, rec_id: str) -> str:
    key = f"recordings/{conversation_id}/{rec_id}.wav"
    items = ctx.state.paging.get("objects", {}).get("items", {})
    if key not in items:
        put_object(ctx.state, key, wav_bytes(rec_id), "audio/wav", filename=f"{rec_id}.wav")
    return key


def _recording(ctx: Ctx, conversation_id: str) -> dict[str, Any]:
    rec_id = recording_id(conversation_id)
    url = presign(ctx.state, _base(ctx), "GET", _media_key(ctx, conversation_id, rec_id))
    return {"id": rec_id, "conversationId": conversation_id, "name": f"Recording {rec_id[:8]}",
            "media": "audio", "fileState": "AVAILABLE", "startTime": "2024-01-02T10:00:00.000Z",
            "endTime": "2024-01-02T10:00:01.000Z", "outputDurationMs": int(AUDIO_SECONDS * 1000),
            "mediaUris": {"S": {"mediaUri": url}},
            "selfUri": f"/api/v2/conversations/{conversation_id}/recordings/{rec_id}"}


@route("GET", "/api/v2/conversations/{conversationId}/recordings")
def list_recordings(ctx: Ctx) -> Result:
    return _ok([_recording(ctx, ctx.path_params["conversationId"])])


@route("GET", "/api/v2/conversations/{conversationId}/recordings/{recordingId}")
def get_recording(ctx: Ctx) -> Result:
    conversation_id = ctx.path_params["conversationId"]
    if ctx.path_params["recordingId"] != recording_id(conversation_id):
        raise not_found(f"Recording {ctx.path_params['recordingId']} not found",
                        recordingId=ctx.path_params["recordingId"])
    return _ok(_recording(ctx, conversation_id))


# -- recording batch requests -----------------------------------------------------------------
@route("POST", "/api/v2/recording/batchrequests")
def submit_batch(ctx: Ctx) -> Result:
    requests = ctx.body.get("batchDownloadRequestList") or []
    if not requests or len(requests) > 100:
        raise bad_request("batchDownloadRequestList must have between 1 and 100 entries",
                          fieldName="batchDownloadRequestList")
    job = _new_job(ctx, "recording.batch", requests=requests)
    return _ok({"id": job["id"], "selfUri": f"/api/v2/recording/batchrequests/{job['id']}"})


@route("GET", "/api/v2/recording/batchrequests/{jobId}")
def batch_status(ctx: Ctx) -> Result:
    job = _get_job(ctx, "recording.batch")
    job["reads"] += 1
    requests = job["requests"]
    ready = len(requests) if job["reads"] >= 2 else len(requests) // 2
    results, errors = [], 0
    for req in requests[:ready]:
        conversation_id = req.get("conversationId") or ""
        wanted = req.get("recordingId")
        rec_id = recording_id(conversation_id)
        if not conversation_id or (wanted and wanted != rec_id):
            errors += 1
            results.append({"conversationId": conversation_id, "recordingId": wanted,
                            "errorMsg": "Recording not found"})
            continue
        url = presign(ctx.state, _base(ctx), "GET", _media_key(ctx, conversation_id, rec_id))
        results.append({"conversationId": conversation_id, "recordingId": rec_id, "resultUrl": url,
                        "contentType": "audio/wav"})
    body = {"id": job["id"], "jobId": job["id"], "expectedResultCount": len(requests), "resultCount": len(results),
            "errorCount": errors, "status": "Completed" if ready == len(requests) else "InProgress",
            "results": results, "selfUri": f"/api/v2/recording/batchrequests/{job['id']}"}
    return _ok(body)


# -- recording jobs ---------------------------------------------------------------------------
def _recording_job(ctx: Ctx, job: dict[str, Any]) -> dict[str, Any]:
    body = {"id": job["id"], "state": job["state"], "recordingJobsQuery": job["query"],
            "dateCreated": iso(job["submitted"]), "totalConversations": 12, "totalRecordings": 12,
            "totalSkippedRecordings": 0, "totalFailedRecordings": 0,
            "totalProcessedRecordings": 12 if job["state"] == "FULFILLED" else 0,
            "percentProgress": {"FULFILLED": 100, "PROCESSING": 50}.get(job["state"], 0),
            "selfUri": f"/api/v2/recording/jobs/{job['id']}"}
    if ctx.token is not None and ctx.token.user_id:
        body["user"] = {"id": ctx.token.user_id, "selfUri": f"/api/v2/users/{ctx.token.user_id}"}
    return body


@route("POST", "/api/v2/recording/jobs")
def submit_recording_job(ctx: Ctx) -> Result:
    job = _new_job(ctx, "recording.jobs", query=ctx.body, state="PENDING")
    return _ok(_recording_job(ctx, job))


@route("GET", "/api/v2/recording/jobs/{jobId}")
def recording_job_status(ctx: Ctx) -> Result:
    job = _get_job(ctx, "recording.jobs")
    job["reads"] += 1
    if job["state"] == "PENDING" and job["reads"] >= 2:
        job["state"] = "READY"
    elif job["state"] == "PROCESSING":
        job["state"] = "FULFILLED"
    return _ok(_recording_job(ctx, job))


@route("PUT", "/api/v2/recording/jobs/{jobId}")
def run_recording_job(ctx: Ctx) -> Result:
    job = _get_job(ctx, "recording.jobs")
    if ctx.body.get("state") != "PROCESSING":
        raise bad_request("Only state PROCESSING can be requested", fieldName="state")
    if job["state"] != "READY":
        raise ApiError(409, "conflict", f"Recording job {job['id']} is {job['state']}, not READY")
    job["state"] = "PROCESSING"
    return _ok(_recording_job(ctx, job))


@route("DELETE", "/api/v2/recording/jobs/{jobId}")
def delete_recording_job(ctx: Ctx) -> Result:
    job = _get_job(ctx, "recording.jobs")
    del _jobs(ctx)[job["id"]]
    return 204, None, {}


@route("GET", "/api/v2/recording/jobs/{jobId}/failedrecordings")
def recording_job_failed(ctx: Ctx) -> Result:
    _get_job(ctx, "recording.jobs")
    return _ok({"entities": [], "pageSize": 25, "pageNumber": 1, "total": 0, "pageCount": 1})


# -- downloads --------------------------------------------------------------------------------
@route("GET", "/api/v2/downloads/{downloadId}")
def get_download(ctx: Ctx) -> Result:
    key = resolve_download(ctx.state, ctx.path_params["downloadId"])
    if key is None:
        raise not_found(f"Download {ctx.path_params['downloadId']} not found",
                        downloadId=ctx.path_params["downloadId"])
    url = presign(ctx.state, _base(ctx), "GET", key)
    if (ctx.q("issueRedirect") or "true").lower() == "false":
        return _ok({"url": url})
    return 303, None, {"Location": url}


def _csv_download(ctx: Ctx, key: str, header: str, rows: int, filename: str) -> str:
    lines = [header] + [f"{i + 1},row {i + 1},{(i * 37) % 101}" for i in range(rows)]
    put_object(ctx.state, key, ("\r\n".join(lines) + "\r\n").encode(), "text/csv", filename=filename)
    return download_url(ctx.state, _base(ctx), key)


# -- analytics reporting exports --------------------------------------------------------------
def _export_view(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job["view"].items()}


@route("POST", "/api/v2/analytics/reporting/exports")
def submit_reporting_export(ctx: Ctx) -> Result:
    body = ctx.body
    job = _new_job(ctx, "analytics.reporting.export", view={})
    job["view"] = {"id": job["id"], "name": body["name"], "runId": _uuid("run", job["id"]), "status": "SUBMITTED",
                   "timeZone": body["timeZone"], "exportFormat": body["exportFormat"], "interval": body["interval"],
                   "period": body["period"], "viewType": body["viewType"], "filter": body["filter"],
                   "locale": body["locale"], "read": False, "createdDateTime": iso(job["submitted"]),
                   "modifiedDateTime": iso(job["submitted"]), "percentageComplete": 0.0,
                   "selfUri": f"/api/v2/analytics/reporting/exports/{job['id']}"}
    return _ok(_export_view(job))


@route("GET", "/api/v2/analytics/reporting/exports")
def list_reporting_exports(ctx: Ctx) -> Result:
    from ._resources import page

    views = []
    for job in _jobs(ctx).values():
        if job["kind"] != "analytics.reporting.export":
            continue
        job["reads"] += 1
        view = job["view"]
        if view["status"] == "SUBMITTED":
            view["status"], view["percentageComplete"] = "RUNNING", 0.5
        elif view["status"] == "RUNNING":
            view["status"], view["percentageComplete"] = "COMPLETED", 1.0
            fmt = "csv" if view["exportFormat"] == "CSV" else "pdf"
            view["downloadUrl"] = _csv_download(ctx, f"exports/{job['id']}.{fmt}", "id,name,value", 40,
                                                f"{view['name']}.{fmt}")
        view["modifiedDateTime"] = iso(ctx.state.now())
        views.append(_export_view(job))
    views.sort(key=lambda v: v["createdDateTime"], reverse=True)
    return _ok(page(ctx, views, max_size=100))


# -- outbound exports -------------------------------------------------------------------------
def _outbound_export(kind: str, param: str, label: str) -> None:
    base = f"/api/v2/outbound/{label}s/{{{param}}}/export"

    def submit(ctx: Ctx) -> Result:
        list_id = ctx.path_params[param]
        exports = ctx.state.paging.setdefault("outbound_exports", {})
        export_id = ctx.state.new_id()
        exports[(kind, list_id)] = {"id": export_id, "reads": 0, "submitted": ctx.state.now()}
        return _ok({"id": export_id, "selfUri": f"/api/v2/outbound/{label}s/{list_id}/export"})

    def status(ctx: Ctx) -> Result:
        list_id = ctx.path_params[param]
        export = ctx.state.paging.setdefault("outbound_exports", {}).get((kind, list_id))
        if export is None:
            raise not_found(f"No export of {label} {list_id} was requested", **{param: list_id})
        export["reads"] += 1
        if export["reads"] < 2:
            raise ApiError(404, "no.available.list.export.uri",
                           f"The export of {label} {list_id} is not ready yet", {param: list_id})
        if "uri" not in export:
            header = "phone,name,status" if label == "contactlist" else "phone"
            export["uri"] = _csv_download(ctx, f"outbound/{label}/{list_id}/{export['id']}.csv", header, 25,
                                          f"{label}-{list_id}.csv")
        return _ok({"uri": export["uri"], "exportTimestamp": iso(export["submitted"] + 1)})

    route("POST", base)(submit)
    route("GET", base)(status)


_outbound_export("outbound.contactlist.export", "contactListId", "contactlist")
_outbound_export("outbound.dnclist.export", "dncListId", "dnclist")


# -- WFM historical adherence -----------------------------------------------------------------
def _adherence(ctx: Ctx, scope: str) -> Result:
    body = ctx.body
    job = _new_job(ctx, "wfm.historicaladherence", query=body, scope=scope)
    return _ok({"id": job["id"], "queryState": "Processing"})


@route("POST", "/api/v2/workforcemanagement/managementunits/{managementUnitId}/historicaladherencequery")
def mu_adherence(ctx: Ctx) -> Result:
    return _adherence(ctx, f"managementunit:{ctx.path_params['managementUnitId']}")


@route("POST", "/api/v2/workforcemanagement/teams/{teamId}/adherence/historical")
def team_adherence(ctx: Ctx) -> Result:
    return _adherence(ctx, f"team:{ctx.path_params['teamId']}")


@route("GET", "/api/v2/workforcemanagement/adherence/historical/jobs/{jobId}")
def adherence_status(ctx: Ctx) -> Result:
    job = _get_job(ctx, "wfm.historicaladherence")
    job["reads"] += 1
    if job["reads"] < 2:
        return _ok({"id": job["id"], "queryState": "Processing"})
    if "urls" not in job:
        users = (job["query"] or {}).get("userIds") or sorted(ctx.state.users)[:3]
        data = {"startDate": job["query"]["startDate"], "endDate": job["query"].get("endDate"),
                "data": [{"userId": u, "adherencePercentage": 90.0 + (i % 10),
                          "conformancePercentage": 95.0, "exceptionInfo": []} for i, u in enumerate(users)]}
        key = put_object(ctx.state, f"wfm/adherence/{job['id']}.json", json.dumps(data).encode(), "application/json")
        job["urls"] = [key]
    urls = [presign(ctx.state, _base(ctx), "GET", k) for k in job["urls"]]
    return _ok({"id": job["id"], "queryState": "Complete", "downloadUrl": urls[0], "downloadUrls": urls})


# -- usage aggregates query jobs --------------------------------------------------------------
USAGE_ROWS = 120


@route("POST", "/api/v2/usage/aggregates/query/jobs")
def submit_usage(ctx: Ctx) -> Result:
    _check_interval(ctx.body)
    job = _new_job(ctx, "usage.aggregates", query=ctx.body)
    return _ok({"id": job["id"], "resultsUri": f"/api/v2/usage/aggregates/query/jobs/{job['id']}",
                "selfUri": f"/api/v2/usage/aggregates/query/jobs/{job['id']}"})


@route("POST", "/api/v2/usage/client/{clientId}/aggregates/query/jobs")
def submit_client_usage(ctx: Ctx) -> Result:
    client_id = ctx.path_params["clientId"]
    if client_id not in ctx.state.clients:
        raise not_found(f"OAuth client {client_id} not found", clientId=client_id)
    _check_interval(ctx.body)
    job = _new_job(ctx, "usage.aggregates", query=ctx.body, clientId=client_id)
    uri = f"/api/v2/usage/client/{client_id}/aggregates/query/jobs/{job['id']}"
    return _ok({"id": job["id"], "resultsUri": uri, "selfUri": uri})


@route("GET", "/api/v2/usage/client/{clientId}/aggregates/query/jobs/{jobId}")
def client_usage_status(ctx: Ctx) -> Result:
    job = _get_job(ctx, "usage.aggregates")
    if job.get("clientId") != ctx.path_params["clientId"]:
        raise not_found(f"Job {job['id']} not found", jobId=job["id"])
    return usage_status(ctx)


@route("GET", "/api/v2/usage/aggregates/query/jobs/{jobId}")
def usage_status(ctx: Ctx) -> Result:
    job = _get_job(ctx, "usage.aggregates")
    job["reads"] += 1
    if job["reads"] < 2 and not ctx.q("after"):
        return _ok({"queryStatus": "Running", "selfUri": ctx.path})
    size = _int_param(ctx, "pageSize", 50, 100)
    start = _decode(ctx, "after")
    rows = [{"date": f"2024-01-{(i % 28) + 1:02d}T00:00:00.000Z", "templateUri": f"api/v2/sample/{i}",
             "httpMethod": "GET", "requestCount": 10 + i, "status200": 10 + i, "status300": 0, "status400": 0,
             "status429": 0, "status500": 0} for i in range(USAGE_ROWS)]
    body: dict[str, Any] = {"queryStatus": "Succeeded", "entities": rows[start:start + size], "selfUri": ctx.path}
    if start + size < len(rows):
        body["nextUri"] = f"{ctx.path}?{urlencode({'after': _encode(start + size), 'pageSize': size})}"
    return _ok(body)


# -- audit queries ----------------------------------------------------------------------------
AUDIT_ROWS = 130


@route("POST", "/api/v2/audits/query")
def submit_audit(ctx: Ctx) -> Result:
    _check_interval(ctx.body)
    job = _new_job(ctx, "audits.query", query=ctx.body, state="Queued")
    return _ok({"id": job["id"], "state": "Queued", "startDate": iso(job["submitted"]),
                "interval": ctx.body["interval"], "serviceName": ctx.body.get("serviceName")})


@route("GET", "/api/v2/audits/query/{transactionId}")
def audit_status(ctx: Ctx) -> Result:
    job = _get_job(ctx, "audits.query", "transactionId")
    job["state"] = ("Queued", "Running", "Succeeded")[min(job["reads"], 2)]
    job["reads"] += 1
    return _ok({"id": job["id"], "state": job["state"], "startDate": iso(job["submitted"]),
                "interval": job["query"]["interval"], "serviceName": job["query"].get("serviceName")})


@route("GET", "/api/v2/audits/query/{transactionId}/results")
def audit_results(ctx: Ctx) -> Result:
    job = _get_job(ctx, "audits.query", "transactionId")
    if job["state"] != "Succeeded":
        raise bad_request(f"Audit query {job['id']} is {job['state']}, not Succeeded")
    size = _int_param(ctx, "pageSize", 25, 500)
    start = _decode(ctx, "cursor")
    service = job["query"].get("serviceName") or "Directory"
    rows = [{"id": _uuid("audit", job["id"], str(i)), "serviceName": service, "action": ("Create", "Update", "Delete")[i % 3],
             "entityType": "User", "eventDate": f"2024-01-{(i % 28) + 1:02d}T12:00:00.000Z", "level": "USER",
             "status": "SUCCESS"} for i in range(AUDIT_ROWS)]
    body: dict[str, Any] = {"id": job["id"], "pageSize": size, "entities": rows[start:start + size]}
    if start + size < len(rows):
        body["cursor"] = _encode(start + size)
    return _ok(body)


# -- other export and query jobs: one state per status read ------------------------------------
def _simple_job(kind: str, submit: str, status: str, *, id_name: str, state_field: str, states: tuple[str, ...],
                url_field: str | None = None, file_type: str = "csv", results: str | None = None,
                submit_status: int = 200, echo: dict[str, str] | None = None) -> None:
    """Register submit + status (+ results) handlers of a job that goes through ``states``,
    one per status read; the last state gets ``url_field`` (an object-store file). ``echo``:
    request body fields every view repeats (name -> value when the request had none)."""

    def view(ctx: Ctx, job: dict[str, Any]) -> dict[str, Any]:
        body = {"id": job["id"], state_field: job["state"], "dateCreated": iso(job["submitted"]),
                "selfUri": status.replace("{" + id_name + "}", job["id"]).format(**ctx.path_params)}
        for name, default in (echo or {}).items():
            value = (job["query"] if isinstance(job["query"], dict) else {}).get(name)
            body[name] = value if isinstance(value, str) else default
        if job["state"] == states[-1] and url_field:
            if "url" not in job:
                key = f"jobs/{kind}/{job['id']}.{file_type}"
                if file_type == "json":
                    put_object(ctx.state, key, json.dumps({"id": job["id"], "items": []}).encode(),
                               "application/json", filename=f"{kind}-{job['id'][:8]}.json")
                    job["url"] = presign(ctx.state, _base(ctx), "GET", key)
                else:
                    job["url"] = _csv_download(ctx, key, "id,name,value", 30, f"{kind}-{job['id'][:8]}.csv")
            body[url_field] = job["url"]
        return body

    def submit_handler(ctx: Ctx) -> Result:
        job = _new_job(ctx, kind, state=states[0], params=dict(ctx.path_params), query=ctx.body)
        return submit_status, view(ctx, job), {}

    def status_handler(ctx: Ctx) -> Result:
        job = _get_job(ctx, kind, id_name)
        if any(job["params"].get(k) != v for k, v in ctx.path_params.items() if k != id_name):
            raise not_found(f"Job {job['id']} not found", **{id_name: job["id"]})
        job["reads"] += 1
        job["state"] = states[min(job["reads"], len(states) - 1)]
        return _ok(view(ctx, job))

    route("POST", submit)(submit_handler)
    route("GET", status)(status_handler)
    if results:
        def results_handler(ctx: Ctx) -> Result:
            job = _get_job(ctx, kind, id_name)
            if job["state"] != states[-1]:
                raise bad_request(f"Job {job['id']} is {job['state']}, not {states[-1]}")
            rows = [{"id": _uuid(kind, job["id"], str(i)), "name": f"Item {i + 1}",
                     "dateCreated": "2024-01-02T10:00:00.000Z"} for i in range(40)]
            return _ok({"entities": rows, "pageSize": 40, "pageNumber": 1, "total": 40, "pageCount": 1})

        route("GET", results)(results_handler)


_simple_job("externalcontacts.contacts.export", "/api/v2/externalcontacts/contacts/exports",
            "/api/v2/externalcontacts/contacts/exports/{exportId}", id_name="exportId", state_field="status",
            states=("RUNNING", "RUNNING", "SUCCEEDED"), url_field="downloadUrl")
_simple_job("flows.datatable.export", "/api/v2/flows/datatables/{datatableId}/export/jobs",
            "/api/v2/flows/datatables/{datatableId}/export/jobs/{exportJobId}", id_name="exportJobId",
            state_field="status", states=("Processing", "Processing", "Succeeded"), url_field="downloadURI")
_simple_job("flows.export", "/api/v2/flows/export/jobs", "/api/v2/flows/export/jobs/{jobId}", id_name="jobId",
            state_field="status", states=("Registered", "Started", "Success"), url_field="downloadUrl",
            file_type="json")
_simple_job("knowledge.export", "/api/v2/knowledge/knowledgebases/{knowledgeBaseId}/export/jobs",
            "/api/v2/knowledge/knowledgebases/{knowledgeBaseId}/export/jobs/{exportJobId}", id_name="exportJobId",
            state_field="status", states=("Created", "InProgress", "Completed"), url_field="downloadURL",
            file_type="json", echo={"fileType": "Json"})
_simple_job("casemanagement.cases.query", "/api/v2/casemanagement/cases/query/jobs",
            "/api/v2/casemanagement/cases/query/jobs/{jobId}", id_name="jobId", state_field="state",
            states=("Queued", "Running", "Succeeded"), results="/api/v2/casemanagement/cases/query/jobs/{jobId}/results")
_simple_job("taskmanagement.workitems.query", "/api/v2/taskmanagement/workitems/query/jobs",
            "/api/v2/taskmanagement/workitems/query/jobs/{jobId}", id_name="jobId", state_field="state",
            states=("Queued", "Running", "Succeeded"),
            results="/api/v2/taskmanagement/workitems/query/jobs/{jobId}/results")


# -- operations that answer with something else than JSON --------------------------------------
def _text(body: str, content_type: str, filename: str | None = None) -> Result:
    headers = {"content-type": content_type}
    if filename:
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    return 200, body.encode(), headers


@route("GET", "/api/v2/workforcemanagement/calendar/data/ics")
def calendar_ics(ctx: Ctx) -> Result:
    calendar_id = ctx.q("calendarId") or ""
    events = []
    for day in range(1, 6):
        events.append("\r\n".join([
            "BEGIN:VEVENT", f"UID:{_uuid('shift', calendar_id, str(day))}@sandbox", f"DTSTAMP:202401{day:02d}T000000Z",
            f"DTSTART:202401{day:02d}T090000Z", f"DTEND:202401{day:02d}T170000Z", "SUMMARY:Shift", "END:VEVENT"]))
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Genesys Cloud sandbox//WFM//EN", *events,
                          "END:VCALENDAR"]) + "\r\n"
    return _text(body, "text/calendar; charset=utf-8", "calendar.ics")


def _action_template(ctx: Ctx) -> Result:
    name = ctx.path_params["fileName"].lower()  # the service matches the file name case-insensitively
    if name not in ("requesttemplate.vm", "responsetemplate.vm", "successtemplate.vm"):
        raise not_found(f"Template {name} not found", fileName=name)
    return _text('{"actionId": "$input.actionId"}\n' if name != "successtemplate.vm" else "${rawResult}\n",
                 "text/plain; charset=utf-8")


route("GET", "/api/v2/integrations/actions/{actionId}/templates/{fileName}")(_action_template)
route("GET", "/api/v2/integrations/actions/{actionId}/draft/templates/{fileName}")(_action_template)


# -- uploads: presigned PUT URLs of the object store ------------------------------------------
def _upload_url(ctx: Ctx, folder: str) -> Result:
    body = ctx.body or {}
    name = str(body.get("fileName") or "upload.bin").replace("/", "_")
    content_type = str(body.get("contentType") or "application/octet-stream")
    key = f"uploads/{folder}/{ctx.state.new_id()}/{name}"
    headers = {"Content-Type": content_type, "x-amz-server-side-encryption": "AES256"}
    timeout = int(body.get("signedUrlTimeoutSeconds") or 600)
    if not 1 <= timeout <= 604800:
        raise bad_request("signedUrlTimeoutSeconds must be between 1 and 604800", fieldName="signedUrlTimeoutSeconds")
    url = presign(ctx.state, _base(ctx), "PUT", key, expires_in=timeout, headers=headers)
    return _ok({"url": url, "uploadKey": key, "headers": headers})


for _path, _folder in (("/api/v2/uploads/publicassets/images", "publicassets"),
                       ("/api/v2/uploads/recordings", "recordings"),
                       ("/api/v2/uploads/workforcemanagement/historicaldata/csv", "wfm-historicaldata"),
                       ("/api/v2/uploads/learning/coverart", "learning-coverart"),
                       ("/api/v2/outbound/contactlists/uploads", "contactlists"),
                       ("/api/v2/outbound/dnclists/uploads", "dnclists")):
    route("POST", _path)(lambda ctx, _f=_folder: _upload_url(ctx, _f))
