"""The job table: every submit-then-poll API the SDK waits for, one row each.

This is the one place that knows how each job API behaves (the engine in
:mod:`genesyscloud.jobs._engine` knows none of them). A row names:

* ``submit``: the operation that starts the job, and where its id is in the answer;
* ``status``: the operation that reads the job, its state field, and the done and failed values;
* ``results``: how the results are read (a cursor-paged results operation, items in the
  final status, the final status itself, or the status pages);
* ``cancel``: how a job is cancelled or deleted (``None`` where the API has no way);
* ``topic``: the notification topic that delivers the result, where there is one.

Operations are ``"<api group>.<method name>"`` of the generated client
(``"analytics.post_analytics_users_details_jobs"``); field names are the wire (camelCase)
names. ``tests/unit/test_jobs_table.py`` checks every row against the API definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["JobKind", "KINDS", "AGGREGATE_DOMAINS", "DETAIL_DOMAINS"]

#: ``results`` styles.
PAGES = "pages"                 # a results operation, paged (cursor) -> every item of every page
STATUS_ITEMS = "status_items"   # a list field of the final status (``results`` of a batch request)
STATUS = "status"               # the final status itself, one item (an export with its download URL)
STATUS_PAGES = "status_pages"   # the final status is page one of a paged listing (usage query results)
RESULT_ITEMS = "result_items"   # one call of a results operation, a list field of its answer


@dataclass(frozen=True)
class JobKind:
    """One job API (a row of :data:`KINDS`).

    Attributes:
        name: the kind's name (``"analytics.conversations.details"``), used by ``run_job``
            and ``genesys-cloud jobs run``.
        summary: one line for listings.
        submit: ``"group.method"`` that starts the job.
        path_params: keyword arguments the caller gives (``contact_list_id``...); they are
            passed to submit, status, results and cancel operations that take them.
        body: whether submit takes a body (``"required"``, ``"optional"`` or ``"none"``).
        job_id: wire field of the submit answer holding the job id (``None``: the job is
            addressed by ``path_params`` alone, as outbound exports are).
        id_param: the keyword argument that takes the job id (``job_id``, ``transaction_id``).
        status: ``"group.method"`` that reads the job.
        status_from_listing: the status operation is a page-number listing; the job is the
            entity whose ``id`` is the job id (reporting exports have no GET by id).
        state: wire field of the status holding the state (``None``: see ``ready_field``).
        done: states meaning "finished, results ready".
        failed: states meaning "ended badly".
        ready_field: when ``state`` is ``None``, the job is done once this field is set.
        pending_statuses: HTTP statuses of the status read that mean "not ready yet".
        start: ``(state, "group.method", body)``: when the job reaches ``state``, call this to
            run it (recording jobs wait in READY until ``PUT {"state": "PROCESSING"}``).
        results: one of ``pages``, ``status_items``, ``status``, ``status_pages``, ``result_items``.
        results_op: ``"group.method"`` for ``pages`` and ``result_items``.
        items_field: wire field of the final status (``status_items``) or of the results
            answer (``result_items``) holding the items.
        cancel: ``"group.method"`` that cancels or deletes the job, or ``None``.
        error_field: wire field of the status with the failure text.
        topic: notification topic that carries the result (``{id}`` is the user id).
        poll_interval: first wait between status reads, seconds.
    """

    name: str
    summary: str
    submit: str
    status: str
    state: str | None
    done: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    results: str = STATUS
    results_op: str | None = None
    items_field: str | None = None
    cancel: str | None = None
    path_params: tuple[str, ...] = ()
    body: str = "required"
    job_id: str | None = "id"
    id_param: str = "job_id"
    status_from_listing: bool = False
    ready_field: str | None = None
    pending_statuses: tuple[int, ...] = ()
    start: tuple[str, str, dict[str, Any]] | None = None
    error_field: str | None = "errorMessage"
    topic: str | None = None
    poll_interval: float = 1.0


#: Domains with analytics details jobs and aggregates jobs, as named in the API paths.
DETAIL_DOMAINS = ("conversations", "users")
AGGREGATE_DOMAINS = (
    "actions", "agentcopilots", "agentutilizations", "bots", "casemanagement", "conversations", "copilots",
    "evaluations", "flowexecutions", "flows", "journeys", "knowledge", "resolutions", "summaries", "surveys",
    "taskmanagement", "transcripts", "users",
)

_ANALYTICS_DONE, _ANALYTICS_FAILED = ("FULFILLED",), ("FAILED", "CANCELLED", "EXPIRED")


def _analytics(domain: str, kind: str) -> JobKind:
    base = f"analytics_{domain}_{kind}"
    return JobKind(
        name=f"analytics.{domain}.{kind}",
        summary=f"analytics {domain} {kind} job (POST /api/v2/analytics/{domain}/{kind}/jobs)",
        submit=f"analytics.post_{base}_jobs", job_id="jobId",
        status=f"analytics.get_{base}_job", state="state", done=_ANALYTICS_DONE, failed=_ANALYTICS_FAILED,
        results=PAGES, results_op=f"analytics.get_{base}_job_results",
        cancel=f"analytics.delete_{base}_job",
    )


_ROWS: list[JobKind] = [
    *(_analytics(d, "details") for d in DETAIL_DOMAINS),
    *(_analytics(d, "aggregates") for d in AGGREGATE_DOMAINS),
    JobKind(
        name="recording.batch",
        summary="download URLs of recordings of a set of conversations (POST /api/v2/recording/batchrequests)",
        submit="recording.post_recording_batchrequests",
        status="recording.get_recording_batchrequest", state="status", done=("Completed",),
        results=STATUS_ITEMS, items_field="results", error_field=None,
    ),
    JobKind(
        name="recording.jobs",
        summary="bulk recording archive/delete/export job (POST /api/v2/recording/jobs, then run it)",
        submit="recording.post_recording_jobs",
        status="recording.get_recording_job", state="state", done=("FULFILLED",), failed=("FAILED", "CANCELLED"),
        start=("READY", "recording.put_recording_job", {"state": "PROCESSING"}),
        results=STATUS, cancel="recording.delete_recording_job",
    ),
    JobKind(
        name="analytics.reporting.export",
        summary="analytics reporting export; the result carries its downloadUrl (POST /api/v2/analytics/reporting/exports)",
        submit="analytics.post_analytics_reporting_exports",
        status="analytics.get_analytics_reporting_exports", status_from_listing=True,
        state="status", done=("COMPLETED", "COMPLETED_WITH_PARTIAL_RESULTS"), failed=("FAILED", "CANCELLED"),
        results=STATUS, error_field="exportErrorMessagesType",
    ),
    JobKind(
        name="outbound.contactlist.export",
        summary="outbound contact list export; the result's uri is the CSV (POST .../contactlists/{id}/export)",
        submit="outbound.post_outbound_contactlist_export", path_params=("contact_list_id",), body="optional",
        job_id=None, status="outbound.get_outbound_contactlist_export", state=None, ready_field="uri",
        pending_statuses=(404,), results=STATUS, error_field=None,
    ),
    JobKind(
        name="outbound.dnclist.export",
        summary="outbound DNC list export; the result's uri is the CSV (POST .../dnclists/{id}/export)",
        submit="outbound.post_outbound_dnclist_export", path_params=("dnc_list_id",), body="none",
        job_id=None, status="outbound.get_outbound_dnclist_export", state=None, ready_field="uri",
        pending_statuses=(404,), results=STATUS, error_field=None,
    ),
    JobKind(
        name="wfm.historicaladherence",
        summary="WFM historical adherence of a management unit; the result has downloadUrls",
        submit="workforce_management.post_workforcemanagement_managementunit_historicaladherencequery",
        path_params=("management_unit_id",),
        status="workforce_management.get_workforcemanagement_adherence_historical_job",
        state="queryState", done=("Complete",), failed=("Error",), results=STATUS, error_field=None,
        topic="v2.users.{id}.workforcemanagement.historicaladherencequery",
    ),
    JobKind(
        name="wfm.team.historicaladherence",
        summary="WFM historical adherence of a team; the result has downloadUrls",
        submit="workforce_management.post_workforcemanagement_team_adherence_historical", path_params=("team_id",),
        status="workforce_management.get_workforcemanagement_adherence_historical_job",
        state="queryState", done=("Complete",), failed=("Error",), results=STATUS, error_field=None,
        topic="v2.users.{id}.workforcemanagement.historicaladherencequery",
    ),
    JobKind(
        name="usage.aggregates",
        summary="organization API usage query (POST /api/v2/usage/aggregates/query/jobs)",
        submit="usage.post_usage_aggregates_query_jobs",
        status="usage.get_usage_aggregates_query_job", state="queryStatus", done=("Succeeded",),
        failed=("Failed", "Cancelled"), results=STATUS_PAGES, error_field=None,
    ),
    JobKind(
        name="usage.client.aggregates",
        summary="API usage query of one OAuth client (POST /api/v2/usage/client/{clientId}/aggregates/query/jobs)",
        submit="usage.post_usage_client_client_id_aggregates_query_jobs", path_params=("client_id",),
        status="usage.get_usage_client_client_id_aggregates_query_job", state="queryStatus", done=("Succeeded",),
        failed=("Failed", "Cancelled"), results=STATUS_PAGES, error_field=None,
    ),
    JobKind(
        name="externalcontacts.contacts.export",
        summary="external contacts export; the result carries its downloadUrl (POST /api/v2/externalcontacts/contacts/exports)",
        submit="external_contacts.post_externalcontacts_contacts_exports", id_param="export_id",
        status="external_contacts.get_externalcontacts_contacts_export", state="status", done=("SUCCEEDED",),
        failed=("FAILED",), results=STATUS, error_field=None,
    ),
    JobKind(
        name="flows.datatable.export",
        summary="Architect data table export; the result carries its downloadURI",
        submit="architect.post_flows_datatable_export_jobs", path_params=("datatable_id",), body="none",
        id_param="export_job_id", status="architect.get_flows_datatable_export_job", state="status",
        done=("Succeeded",), failed=("Failed",), results=STATUS, error_field=None,
    ),
    JobKind(
        name="flows.export",
        summary="Architect flows export; the result carries its downloadUrl (POST /api/v2/flows/export/jobs)",
        submit="architect.post_flows_export_jobs", status="architect.get_flows_export_job", state="status",
        done=("Success",), failed=("Failure",), results=STATUS, error_field=None,
    ),
    JobKind(
        name="knowledge.export",
        summary="knowledge base export; the result carries its downloadURL",
        submit="knowledge.post_knowledge_knowledgebase_export_jobs", path_params=("knowledge_base_id",),
        id_param="export_job_id", status="knowledge.get_knowledge_knowledgebase_export_job", state="status",
        done=("Completed", "PartialCompleted"), failed=("Failed", "ValidationFailed", "Aborted"), results=STATUS,
        error_field=None,
    ),
    JobKind(
        name="casemanagement.cases.query",
        summary="case management case query (POST /api/v2/casemanagement/cases/query/jobs)",
        submit="case_management.post_casemanagement_cases_query_jobs",
        status="case_management.get_casemanagement_cases_query_job", state="state", done=("Succeeded",),
        failed=("Failed",), results=RESULT_ITEMS, results_op="case_management.get_casemanagement_cases_query_job_results",
        items_field="entities", error_field=None,
    ),
    JobKind(
        name="taskmanagement.workitems.query",
        summary="task management work item query (POST /api/v2/taskmanagement/workitems/query/jobs)",
        submit="task_management.post_taskmanagement_workitems_query_jobs",
        status="task_management.get_taskmanagement_workitems_query_job", state="state", done=("Succeeded",),
        failed=("Failed",), results=RESULT_ITEMS,
        results_op="task_management.get_taskmanagement_workitems_query_job_results", items_field="entities",
        error_field=None,
    ),
    JobKind(
        name="audits.query",
        summary="audit query (POST /api/v2/audits/query), results by cursor",
        submit="audit.post_audits_query", id_param="transaction_id",
        status="audit.get_audits_query_transaction_id", state="state", done=("Succeeded",),
        failed=("Failed", "Cancelled"), results=PAGES, results_op="audit.get_audits_query_transaction_id_results",
        error_field=None,
    ),
]

#: Every job kind by name.
KINDS: dict[str, JobKind] = {row.name: row for row in _ROWS}
