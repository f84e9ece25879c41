"""``genesys-cloud jobs``: run a job against the sandbox and stream its results."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from genesyscloud.cli import run
from genesyscloud.sandbox import Sandbox

_WRAPPER = click.Command(
    "genesys-cloud",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
    callback=lambda args: sys.exit(run(list(args))),
)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=2) as sandbox:
        yield sandbox


@pytest.fixture
def invoke(sb, tmp_path):
    env = {k: None for k in os.environ if k.startswith("GENESYSCLOUD_")}
    env.update(HOME=str(tmp_path), GENESYSCLOUD_KEYRING="0", GENESYSCLOUD_API_HOST=sb.url,
               GENESYSCLOUD_OAUTHCLIENT_ID=sb.client_id, GENESYSCLOUD_OAUTHCLIENT_SECRET=sb.client_secret)

    def call(*args):
        return CliRunner().invoke(_WRAPPER, list(args), env=env)

    return call


def test_jobs_run_streams_jsonl(invoke, tmp_path):
    query = tmp_path / "query.json"
    query.write_text(json.dumps({"interval": "2024-01-01T00:00:00Z/2024-01-03T00:00:00Z"}))
    result = invoke("jobs", "run", "analytics.conversations.details", "--body", str(query), "-o", "jsonl",
                    "--poll-interval", "0.01", "--page-size", "50")
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) > 50 and all(r["conversationId"] for r in rows)
    assert rows[0]["conversationStart"] < "2024-01-03"


def test_jobs_run_with_params_and_csv(invoke):
    result = invoke("jobs", "run", "outbound.dnclist.export", "--param", "dnc-list-id=d1", "-o", "csv",
                    "--poll-interval", "0.01")
    assert result.exit_code == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["uri"].endswith(tuple("0123456789abcdef")) and "/api/v2/downloads/" in row["uri"]


def test_jobs_run_json_array_with_fields(invoke):
    body = json.dumps({"batchDownloadRequestList": [{"conversationId": "c-1"}, {"conversationId": "c-2"}]})
    result = invoke("jobs", "run", "recording.batch", "--body", body, "-o", "json", "--fields",
                    "conversationId,contentType", "--poll-interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [{"conversationId": "c-1", "contentType": "audio/wav"},
                                         {"conversationId": "c-2", "contentType": "audio/wav"}]


def test_jobs_usage_errors(invoke):
    unknown = invoke("jobs", "run", "recording.batc", "--body", "{}")
    assert unknown.exit_code == 2 and "did you mean recording.batch" in unknown.stderr
    missing = invoke("jobs", "run", "outbound.contactlist.export")
    assert missing.exit_code == 2 and "--param contact_list_id=..." in missing.stderr
    nobody = invoke("jobs", "run", "recording.batch")
    assert nobody.exit_code == 2 and "needs --body" in nobody.stderr
    extra = invoke("jobs", "run", "outbound.dnclist.export", "--param", "dnc_list_id=d", "--body", "{}")
    assert extra.exit_code == 2 and "takes no --body" in extra.stderr
    listing = invoke("jobs", "list")
    assert listing.exit_code == 0 and "wfm.historicaladherence --body FILE --param management_unit_id=..." in listing.stdout


def test_a_failed_poll_exits_1_and_deletes_the_job(invoke, sb):
    sb.clear_requests()
    sb.add_fault(path=r"^/api/v2/analytics/users/details/jobs/[^/]+$", method="GET", status=404, count=1)
    result = invoke("jobs", "run", "analytics.users.details", "--body", '{"interval": "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"}',
                    "--poll-interval", "0.01")
    assert result.exit_code == 1 and "404" in result.stderr
    assert [r["method"] for r in sb.requests() if "/details/jobs/" in r["path"]][-1] == "DELETE"


def test_download_command_writes_the_file(invoke, tmp_path):
    export = invoke("jobs", "run", "outbound.contactlist.export", "--param", "contact_list_id=cl-5", "--poll-interval", "0.01")
    uri = json.loads(export.stdout)["uri"]
    result = invoke("download", uri.rsplit("/", 1)[-1], "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    written = tmp_path / "contactlist-cl-5.csv"
    assert written.read_text().startswith("phone,name,status") and f"wrote {written}" in result.stderr
    missing = invoke("download", "no-such-id", "-o", str(tmp_path))
    assert missing.exit_code == 1 and "404" in missing.stderr


def test_upload_command_puts_a_file_to_a_presigned_target(invoke, sb, tmp_path):
    answer = invoke("uploads", "post-uploads-recordings", "--body",
                    json.dumps({"fileName": "call.wav", "contentType": "audio/wav"}))
    assert answer.exit_code == 0, answer.stderr
    target = tmp_path / "target.json"
    target.write_text(answer.stdout)
    audio = tmp_path / "call.wav"
    audio.write_bytes(b"RIFF" + bytes(9000))
    result = invoke("upload", f"@{target}", str(audio))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == json.loads(answer.stdout)["uploadKey"]
    put = [r for r in sb.requests() if r["method"] == "PUT" and r["path"].startswith("/objects/")][-1]
    assert put["status"] == 200 and "authorization" not in put["headers"]
    refused = invoke("upload", json.dumps({"uploadUri": "https://evil.example/uploads/x"}), str(audio))
    assert refused.exit_code == 1 and "not a host this client's access token is for" in refused.stderr
    bad = invoke("upload", "{not json", str(audio))
    assert bad.exit_code == 2 and "TARGET" in bad.stderr


def test_upload_command_posts_a_document_and_prints_it(invoke, tmp_path):
    spaces = json.loads(invoke("content-management", "get-contentmanagement-workspaces").stdout)
    workspace = next(w["id"] for w in spaces["entities"] if w["name"] == "Sandbox Documents")
    created = invoke("content-management", "post-contentmanagement-documents", "--body",
                     json.dumps({"name": "runbook", "workspace": {"id": workspace}}))
    assert created.exit_code == 0, created.stderr
    (tmp_path / "doc.json").write_text(created.stdout)
    source = tmp_path / "runbook.md"
    source.write_text("# Runbook\n" * 100)
    result = invoke("upload", f"@{tmp_path / 'doc.json'}", str(source), "--content-type", "text/markdown")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["filename"] == "runbook.md" and document["contentType"] == "text/markdown"
    assert document["contentLength"] == source.stat().st_size
