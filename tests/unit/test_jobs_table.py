"""The job table checked against the API definition: every operation, field and state exists."""

import re

import pytest

import genesyscloud
from genesyscloud._spec import load_spec
from genesyscloud.jobs import KINDS, AGGREGATE_DOMAINS, run_job
from genesyscloud.jobs import _kinds

OPS = {o.method_name: o for o in genesyscloud.operations()}
SPEC = load_spec()


def _op(ref):
    group, _, name = ref.partition(".")
    op = OPS[name]
    assert group in {re.sub(r"[^a-z0-9]+", "_", t.lower()).strip("_") for t in op.tags}, (ref, op.tags)
    return op


def _props(model):
    return SPEC["definitions"][model].get("properties", {})


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_row_matches_the_definition(name):
    row = KINDS[name]
    submit, status = _op(row.submit), _op(row.status)
    assert submit.http_method in ("POST", "PATCH") and status.http_method == "GET"
    for p in row.path_params:
        assert p in {x.name for x in submit.params}
    body = next((x for x in submit.params if x.location == "body"), None)
    assert {"required": body is not None and body.required, "optional": body is not None and not body.required,
            "none": body is None}[row.body]
    if row.job_id is not None:
        assert row.job_id in _props(submit.response)
        assert row.id_param in {x.name for x in status.params} or row.status_from_listing
    model = status.response
    if row.status_from_listing:
        model = _props(model)["entities"]["items"]["$ref"].rsplit("/", 1)[-1]
    props = _props(model)
    if row.state is None:
        assert row.ready_field in props
    else:
        enum = props[row.state].get("enum")
        assert enum and set(row.done) | set(row.failed) <= set(enum), (row.state, enum)
    if row.error_field:
        assert row.error_field in props
    if row.results == _kinds.PAGES:
        assert _op(row.results_op).paging == "cursor"
    if row.results == _kinds.STATUS_ITEMS:
        assert props[row.items_field]["type"] == "array"
    if row.results == _kinds.RESULT_ITEMS:
        assert _props(_op(row.results_op).response)[row.items_field]["type"] == "array"
    if row.results == _kinds.STATUS_PAGES:
        assert status.paging is not None
    if row.cancel:
        assert _op(row.cancel).http_method == "DELETE"
    if row.start:
        assert _op(row.start[1]).http_method == "PUT" and row.start[0] in props[row.state]["enum"]


def test_every_analytics_job_api_of_the_definition_is_a_row():
    posts = {p for p in SPEC["paths"] if re.fullmatch(r"/api/v2/analytics/\w+/(details|aggregates)/jobs", p)}
    names = {f"analytics.{p.split('/')[4]}.{p.split('/')[5]}" for p in posts}
    assert names <= set(KINDS) and len(names) == 2 + len(AGGREGATE_DOMAINS)


def test_bad_arguments_fail_before_any_request():
    gc = genesyscloud.GenesysCloud(api_host="http://127.0.0.1:9", auth=genesyscloud.AccessToken("t"))
    with pytest.raises(ValueError, match="did you mean recording.batch"):
        next(run_job(gc, "recording.batc", {}))
    with pytest.raises(TypeError, match="needs contact_list_id"):
        next(run_job(gc, "outbound.contactlist.export"))
    with pytest.raises(TypeError, match="takes no argument queue_id"):
        next(run_job(gc, "recording.batch", {}, queue_id="x"))
    with pytest.raises(ValueError, match="needs a body"):
        next(run_job(gc, "recording.batch"))
    with pytest.raises(ValueError, match="timeout"):
        next(run_job(gc, "recording.batch", {}, timeout=-1))
