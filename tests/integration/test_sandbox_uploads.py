"""The sandbox's legacy multipart uploads over real loopback HTTP (issue 17, "Files"):
content management documents (``uploadDestinationUri``) and Architect prompt resources
(``uploadUri``, and the presigned PUT of ``.../uploads`` ending in the same state)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import wave
from urllib.parse import urlsplit

import httpx
import pytest
import requests
import urllib3

import genesyscloud
from genesyscloud.sandbox import Sandbox
from genesyscloud.sandbox._jobs import wav_bytes
from tests.sandbox_support.helpers import (CLIENT_ID, CLIENT_SECRET, assert_api_error, bearer, cc_token,  # noqa: F401
                                           http, sandbox, sb, schema_validator)

DOCS = "/api/v2/contentmanagement/documents"
PROMPTS = "/api/v2/architect/prompts"


def _form(data: bytes, filename: str = "report.pdf", content_type: str = "application/pdf",
          **fields: str) -> tuple[bytes, str]:
    """A multipart/form-data body with a ``file`` part, as a browser's FormData sends it."""
    return urllib3.encode_multipart_formdata({**fields, "file": (filename, data, content_type)})


def _post_form(url: str, token: str | None, data: bytes, **kwargs: str) -> httpx.Response:
    body, content_type = _form(data, **kwargs)
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"bearer {token}"
    return httpx.post(url, content=body, headers=headers, timeout=60)


def _workspace_id(http, token) -> str:
    listing = http.get("/api/v2/contentmanagement/workspaces", headers=bearer(token)).json()
    return next(w["id"] for w in listing["entities"] if w["name"] == "Sandbox Documents")  # the seeded one


def _new_document(http, token, name="report.pdf") -> dict:
    upload = {"name": name, "workspace": {"id": _workspace_id(http, token)}, "tags": ["q1"]}
    response = http.post(DOCS, headers=bearer(token), json=upload)
    assert response.status_code == 200, response.text
    return response.json()


def _document(http, token, doc_id) -> dict:
    response = http.get(f"{DOCS}/{doc_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def _client(sandbox) -> genesyscloud.GenesysCloud:
    auth = genesyscloud.ClientCredentials(CLIENT_ID, CLIENT_SECRET)
    return genesyscloud.GenesysCloud(api_host=sandbox.url, auth=auth)


def _content(http, token, doc_id, **params) -> httpx.Response:
    response = http.get(f"{DOCS}/{doc_id}/content", headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    fetched = httpx.get(response.json()["contentLocationUri"], timeout=60)
    assert fetched.status_code == 200, fetched.text
    return fetched


# -- content management documents -------------------------------------------------------------
def test_document_upload_end_to_end(http, sandbox):
    token = cc_token(http)
    doc = _new_document(http, token)
    assert schema_validator("Document").is_valid(doc)
    destination = urlsplit(doc["uploadDestinationUri"])
    assert f"{destination.scheme}://{destination.netloc}" == sandbox.url  # the API's own origin
    assert destination.path == f"/uploads/v4/services/contentmanagement/documents/{doc['id']}"
    assert doc["uploadMethod"] == "MULTIPART_POST" and doc["uploadStatus"] == {"id": "pending"}
    assert doc["changeNumber"] == 1 and doc["workspace"]["name"] == "Sandbox Documents"
    assert http.get(f"{DOCS}/{doc['id']}/content", headers=bearer(token)).status_code == 404  # nothing uploaded yet

    data = b"%PDF-1.4\n" + os.urandom(300_000)
    response = _post_form(doc["uploadDestinationUri"], token, data, filename="Q1 report é.pdf")
    assert response.status_code == 200, response.text
    assert response.json()["uploadStatus"] == {"id": "complete"} and response.json()["contentLength"] == len(data)

    after = _document(http, token, doc["id"])
    assert schema_validator("Document").is_valid(after)
    assert after["uploadStatus"] == {"id": "complete"} and after["changeNumber"] == 2
    assert (after["contentType"], after["contentLength"], after["filename"]) == ("application/pdf", len(data),
                                                                                 "Q1 report é.pdf")
    assert after["dateUploaded"] and after["uploadedBy"]["id"] == CLIENT_ID
    assert after["contentUri"] == f"{sandbox.url}{DOCS}/{doc['id']}/content"

    fetched = _content(http, token, doc["id"])
    assert fetched.content == data and fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["content-disposition"].startswith('attachment; filename="Q1 report _.pdf"')
    assert "filename*=UTF-8''Q1%20report%20%C3%A9.pdf" in fetched.headers["content-disposition"]
    inline = _content(http, token, doc["id"], disposition="inline")
    assert inline.headers["content-disposition"].startswith("inline;") and inline.content == data
    assert urlsplit(fetched.url.__str__()).hostname != urlsplit(sandbox.url).hostname  # the object store's host

    # the SDK decodes it all
    with _client(sandbox) as gc:
        model = gc.content_management.get_contentmanagement_document(doc["id"])
        assert model.upload_status.id == "complete" and model.content_length == len(data)
        assert model.upload_method == "MULTIPART_POST"


def test_a_browser_style_form_post_with_requests(http, sandbox):
    """Genesys' examples: a FormData with ``file`` (plus other fields) and ``Authorization: bearer``."""
    token = cc_token(http)
    doc = _new_document(http, token, "notes.txt")
    response = requests.post(doc["uploadDestinationUri"], headers={"Authorization": f"bearer {token}"},
                             files={"file": ("notes.txt", io.BytesIO(b"hello world\n"), "text/plain")},
                             data={"comment": "uploaded from a test"}, timeout=60)
    assert response.status_code == 200, response.text
    fetched = _content(http, token, doc["id"])
    assert fetched.content == b"hello world\n" and fetched.headers["content-type"] == "text/plain"


def test_no_token_a_wrong_one_an_expired_one_or_another_orgs_are_refused_and_nothing_is_stored(http, sandbox):
    token = cc_token(http)
    doc = _new_document(http, token)
    with Sandbox(client_id="other-org", client_secret="other-secret") as other:
        with httpx.Client(base_url=other.url) as other_http:
            foreign = cc_token(other_http, "other-org", "other-secret")
    for candidate in (None, "not-a-token", foreign):
        response = _post_form(doc["uploadDestinationUri"], candidate, b"secret bytes")
        body = assert_api_error(response, 401)
        assert body["code"] in ("authentication.required", "bad.credentials")
    basic = httpx.post(doc["uploadDestinationUri"], content=_form(b"x")[0],
                       headers={"Content-Type": _form(b"x")[1], "Authorization": "Basic Zm9vOmJhcg=="})
    assert_api_error(basic, 401, "authentication.required")
    sandbox.advance_clock(2 * 86400)  # every token expires
    assert_api_error(_post_form(doc["uploadDestinationUri"], token, b"late"), 401, "bad.credentials")
    token = cc_token(http)
    after = _document(http, token, doc["id"])
    assert after["uploadStatus"] == {"id": "pending"} and "contentLength" not in after and after["changeNumber"] == 1
    assert_api_error(http.get(f"{DOCS}/{doc['id']}/content", headers=bearer(token)), 404, "not.found")


def test_the_request_log_masks_the_token_and_faults_apply(http, sandbox):
    token = cc_token(http)
    doc = _new_document(http, token)
    sandbox.add_fault(path="^/uploads/v4/", status=503, count=1)
    assert_api_error(_post_form(doc["uploadDestinationUri"], token, b"first try"), 503)
    assert _document(http, token, doc["id"])["uploadStatus"] == {"id": "pending"}  # the fault stored nothing
    response = _post_form(doc["uploadDestinationUri"], token, b"second try")
    assert response.status_code == 200
    entries = [e for e in sandbox.requests() if e["path"].startswith("/uploads/")]
    assert [e["status"] for e in entries] == [503, 200]
    assert entries[-1]["headers"]["authorization"] == "[REDACTED]" and entries[-1]["bodySize"] > len(b"second try")
    assert token not in json.dumps(sandbox.requests())


def test_replace_flow_and_a_second_upload(http, sandbox):
    token = cc_token(http)
    doc = _new_document(http, token)
    assert _post_form(doc["uploadDestinationUri"], token, b"version one").status_code == 200
    assert _post_form(doc["uploadDestinationUri"], token, b"version two", filename="v2.pdf").status_code == 200
    second = _document(http, token, doc["id"])
    assert second["changeNumber"] == 3 and second["filename"] == "v2.pdf"
    assert _content(http, token, doc["id"]).content == b"version two"

    stale = http.post(f"{DOCS}/{doc['id']}/content", headers=bearer(token), json={"changeNumber": 1})
    assert_api_error(stale, 409, "conflict")
    replace = http.post(f"{DOCS}/{doc['id']}/content", headers=bearer(token),
                        json={"changeNumber": 3, "name": "report-v3.pdf"})
    assert replace.status_code == 200, replace.text
    answer = replace.json()
    assert schema_validator("ReplaceResponse").is_valid(answer)
    assert answer["uploadMethod"] == "MULTIPART_POST" and answer["id"] == doc["id"]
    assert answer["uploadDestinationUri"].startswith(sandbox.url + "/uploads/")
    assert _content(http, token, doc["id"]).content == b"version two"  # kept until the new bytes arrive
    assert _post_form(answer["uploadDestinationUri"], token, b"version three", filename="v3.pdf").status_code == 200
    third = _document(http, token, doc["id"])
    assert (third["changeNumber"], third["name"], third["contentLength"]) == (4, "report-v3.pdf", len(b"version three"))
    assert _content(http, token, doc["id"]).content == b"version three"


def test_upload_errors(http, sandbox):
    token = cc_token(http)
    doc = _new_document(http, token)
    url = doc["uploadDestinationUri"]
    auth = {"Authorization": f"bearer {token}"}
    body, content_type = urllib3.encode_multipart_formdata({"other": "no file here"})
    assert_api_error(httpx.post(url, content=body, headers={**auth, "Content-Type": content_type}), 400, "bad.request")
    raw = httpx.post(url, content=b"just bytes", headers={**auth, "Content-Type": "application/octet-stream"})
    assert_api_error(raw, 415, "unsupported.media.type")
    assert_api_error(httpx.post(url, content=b"x", headers={**auth, "Content-Type": "multipart/form-data"}), 400)
    full, content_type = _form(b"cut short" * 100)
    assert_api_error(httpx.post(url, content=full[:-60], headers={**auth, "Content-Type": content_type}), 400)
    two = urllib3.encode_multipart_formdata([("file", ("a.txt", b"a", "text/plain")),
                                             ("file", ("b.txt", b"b", "text/plain"))])
    assert_api_error(httpx.post(url, content=two[0], headers={**auth, "Content-Type": two[1]}), 400)
    unknown = url.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    assert_api_error(_post_form(unknown, token, b"x"), 404, "not.found")
    assert_api_error(_post_form(sandbox.url + "/uploads/v9/nothing", token, b"x"), 404, "not.found")
    assert _document(http, token, doc["id"])["uploadStatus"] == {"id": "pending"}  # none of these stored anything
    # after the errors the same URL still works
    assert _post_form(url, token, b"fine").status_code == 200

    missing_ws = http.post(DOCS, headers=bearer(token), json={"name": "x", "workspace": {"id": "no-such-workspace"}})
    assert_api_error(missing_ws, 400, "bad.request")
    assert_api_error(http.get(f"{DOCS}/no-such-document", headers=bearer(token)), 404, "not.found")


def test_a_barrage_of_malformed_uploads_then_a_good_one(http, sandbox):
    """Never a 5xx, always the API error body; the document keeps no trace; the next upload works."""
    import random

    rng = random.Random(17)
    token = cc_token(http)
    doc = _new_document(http, token)
    good, good_type = _form(b"payload" * 50)
    bodies = (b"", b"--", good[:10], good[:-5], good.replace(b"file", b"fil"), b"\x00" * 300, good * 2,
              good.replace(b"Content-Disposition", b"X-" + b"a" * 20000), b"--b\r\n\r\n\r\n--b--\r\n")
    types = (good_type, "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=b",
             "multipart/form-data; boundary=" + "x" * 300, "application/json", "text/plain", "",
             "multipart/mixed; boundary=b")
    auths = (None, "Bearer", "bearer nope", "Basic Zm9vOmJhcg==", f"Bearer {token}", f"bearer {token}")
    targets = (doc["uploadDestinationUri"], sandbox.url + "/uploads/",
               sandbox.url + "/uploads/v4/services/contentmanagement/documents/",
               sandbox.url + "/uploads/v2/architect/prompts/x/resources/en-us")
    statuses: dict[int, int] = {}
    for _ in range(300):
        headers = {}
        auth, content_type = rng.choice(auths), rng.choice(types)
        if auth is not None:
            headers["Authorization"] = auth
        if content_type:
            headers["Content-Type"] = content_type
        method = rng.choice(("POST", "POST", "POST", "PUT", "GET"))
        response = http.request(method, rng.choice(targets), headers=headers, content=rng.choice(bodies))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert_api_error(response, response.status_code)
    assert {400, 401, 404, 405, 415} <= set(statuses), statuses
    after = _document(http, token, doc["id"])
    assert after["changeNumber"] - 1 == statuses.get(200, 0)  # each 200 was a whole, valid upload
    assert _post_form(doc["uploadDestinationUri"], token, b"fine").status_code == 200
    assert _content(http, token, doc["id"]).content == b"fine"


def test_workspaces_listing_copy_and_delete(http, sandbox):
    token = cc_token(http)
    created = http.post("/api/v2/contentmanagement/workspaces", headers=bearer(token), json={"name": "Archive"})
    assert created.status_code == 200 and schema_validator("Workspace").is_valid(created.json())
    archive = created.json()["id"]
    doc = _new_document(http, token, "a.pdf")
    assert _post_form(doc["uploadDestinationUri"], token, b"A" * 1000).status_code == 200
    copy = http.post(DOCS, headers=bearer(token), params={"copySource": doc["id"]},
                     json={"name": "a-copy.pdf", "workspace": {"id": archive}}).json()
    assert copy["id"] != doc["id"] and copy["contentLength"] == 1000
    assert _content(http, token, copy["id"]).content == b"A" * 1000
    listing = http.get(DOCS, headers=bearer(token), params={"workspaceId": archive}).json()
    assert [d["name"] for d in listing["entities"]] == ["a-copy.pdf"]
    summary = http.get(f"/api/v2/contentmanagement/workspaces/{archive}", headers=bearer(token),
                       params={"expand": "summary"}).json()["summary"]
    assert summary == {"totalDocumentCount": 1, "totalDocumentByteCount": 1000}
    assert http.delete(f"/api/v2/contentmanagement/workspaces/{archive}", headers=bearer(token)).status_code == 204
    assert http.get(f"{DOCS}/{copy['id']}", headers=bearer(token)).status_code == 404
    assert _content(http, token, doc["id"]).content == b"A" * 1000  # the source is untouched
    assert http.delete(f"{DOCS}/{doc['id']}", headers=bearer(token)).status_code == 204
    assert_api_error(_post_form(doc["uploadDestinationUri"], token, b"x"), 404, "not.found")


# -- Architect prompts ------------------------------------------------------------------------
def _new_resource(http, token, name="greeting", language="en-us") -> tuple[dict, dict]:
    prompt = http.post(PROMPTS, headers=bearer(token), json={"name": name, "description": "Hello"})
    assert prompt.status_code == 200, prompt.text
    asset = http.post(f"{PROMPTS}/{prompt.json()['id']}/resources", headers=bearer(token), json={"language": language})
    assert asset.status_code == 200, asset.text
    return prompt.json(), asset.json()


def _resource(http, token, prompt_id, language="en-us") -> dict:
    response = http.get(f"{PROMPTS}/{prompt_id}/resources/{language}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_prompt_legacy_upload(http, sandbox):
    token = cc_token(http)
    prompt, asset = _new_resource(http, token)
    assert schema_validator("PromptAsset").is_valid(asset)
    assert asset["uploadStatus"] == "created" and "mediaUri" not in asset
    upload = urlsplit(asset["uploadUri"])
    assert f"{upload.scheme}://{upload.netloc}" == sandbox.url
    assert upload.path == f"/uploads/v2/architect/prompts/{prompt['id']}/resources/en-us"

    audio = wav_bytes("greeting", seconds=1.5)
    response = _post_form(asset["uploadUri"], token, audio, filename="greeting.wav", content_type="audio/wav")
    assert response.status_code == 200, response.text
    shown = _resource(http, token, prompt["id"])
    assert schema_validator("PromptAsset").is_valid(shown)
    assert shown["uploadStatus"] == "transcoded" and shown["durationSeconds"] == 1.5
    assert shown["audioFormat"] == {"channels": 1, "bitsPerSample": 16, "sampleRate": 8000, "encoding": "PCM"}
    media = httpx.get(shown["mediaUri"])
    assert media.status_code == 200 and media.content == audio
    with wave.open(io.BytesIO(media.content)) as w:
        assert w.getnframes() == 12000
    whole = http.get(f"{PROMPTS}/{prompt['id']}", headers=bearer(token)).json()
    assert schema_validator("Prompt").is_valid(whole) and whole["resources"][0]["mediaUri"]
    bare = http.get(f"{PROMPTS}/{prompt['id']}", headers=bearer(token), params={"includeMediaUris": "false"}).json()
    assert "mediaUri" not in bare["resources"][0]

    assert_api_error(_post_form(asset["uploadUri"], None, audio), 401)
    assert_api_error(_post_form(asset["uploadUri"].replace("/en-us", "/fr-fr"), token, audio), 404, "not.found")
    # not audio: the service cannot transcode it
    assert _post_form(asset["uploadUri"], token, b"not a wav", filename="x.wav").status_code == 200
    assert _resource(http, token, prompt["id"])["uploadStatus"] == "transcodeFailed"
    assert http.delete(f"{PROMPTS}/{prompt['id']}/resources/en-us/audio", headers=bearer(token)).status_code == 204
    assert _resource(http, token, prompt["id"])["uploadStatus"] == "created"


def test_the_presigned_put_flow_ends_in_the_same_state(http, sandbox):
    token = cc_token(http)
    prompt, _ = _new_resource(http, token, "welcome")
    target = http.post(f"{PROMPTS}/{prompt['id']}/resources/en-us/uploads", headers=bearer(token)).json()
    audio = wav_bytes("welcome", seconds=0.5)
    put = httpx.put(target["url"], content=audio, headers=target["headers"])
    assert put.status_code == 200, put.text
    shown = _resource(http, token, prompt["id"])
    assert shown["uploadStatus"] == "transcoded" and shown["durationSeconds"] == 0.5
    assert httpx.get(shown["mediaUri"]).content == audio
    with _client(sandbox) as gc:
        model = gc.architect.get_architect_prompt_resource(prompt["id"], "en-us")
        assert model.upload_status == "transcoded" and httpx.get(model.media_uri).content == audio
        assert model.upload_uri.startswith(sandbox.url + "/uploads/")


def test_prompt_crud_rules(http, sandbox):
    token = cc_token(http)
    prompt, _ = _new_resource(http, token, "hold_music")
    assert_api_error(http.post(PROMPTS, headers=bearer(token), json={"name": "HOLD_MUSIC"}), 409, "conflict")
    duplicate = http.post(f"{PROMPTS}/{prompt['id']}/resources", headers=bearer(token), json={"language": "en-us"})
    assert_api_error(duplicate, 409, "conflict")
    assert_api_error(http.delete(f"{PROMPTS}/{prompt['id']}", headers=bearer(token)), 409, "conflict")
    listing = http.get(PROMPTS, headers=bearer(token), params={"name": "hold*"}).json()
    assert [p["name"] for p in listing["entities"]] == ["hold_music"]
    assert schema_validator("PromptEntityListing").is_valid(listing)
    gone = http.delete(f"{PROMPTS}/{prompt['id']}", headers=bearer(token), params={"allResources": "true"})
    assert gone.status_code == 204
    assert_api_error(http.get(f"{PROMPTS}/{prompt['id']}", headers=bearer(token)), 404, "not.found")


def test_system_prompt_upload_and_default_audio(http, sandbox):
    token = cc_token(http)
    listing = http.get("/api/v2/architect/systemprompts", headers=bearer(token)).json()
    assert schema_validator("SystemPromptEntityListing").is_valid(listing)
    system = listing["entities"][0]
    path = f"/api/v2/architect/systemprompts/{system['id']}/resources/en-us"
    default = http.get(path, headers=bearer(token)).json()
    assert default["hasDefault"] and default["uploadStatus"] == "transcoded"
    custom = wav_bytes("custom", seconds=0.25)
    response = _post_form(default["uploadUri"], token, custom, filename="c.wav", content_type="audio/wav")
    assert response.status_code == 200
    shown = http.get(path, headers=bearer(token)).json()
    assert shown["durationSeconds"] == 0.25 and httpx.get(shown["mediaUri"]).content == custom
    assert http.delete(path, headers=bearer(token)).status_code == 204  # back to the default audio
    restored = http.get(path, headers=bearer(token)).json()
    assert restored["durationSeconds"] == 1.0 and httpx.get(restored["mediaUri"]).content != custom


# -- memory: a streamed upload is never held whole --------------------------------------------
def _reset_peak_rss(pid: int) -> None:
    """Start the peak over at the current RSS (Linux 4.0+: ``5`` into ``clear_refs``), so
    the headroom of earlier peaks (loading the definition) cannot hide a held body."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:  # older kernels: the peak so far is the baseline (a weaker check)
        pass


def _peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the sandbox process's VmHWM in /proc")
def test_a_64_mb_upload_streams_in_flat_memory():
    size = 64 * 1024 * 1024
    proc = subprocess.Popen([sys.executable, "-m", "genesyscloud.sandbox", "serve", "--port", "0", "--client-id",
                             CLIENT_ID, "--client-secret", CLIENT_SECRET], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line
        url = line.strip().rsplit(" ", 1)[1]
        with httpx.Client(base_url=url, timeout=120) as api:
            token = cc_token(api)
            doc = _new_document(api, token, "big.bin")
            assert _post_form(doc["uploadDestinationUri"], token, b"warm-up" * 1000).status_code == 200
            _content(api, token, doc["id"])
            _reset_peak_rss(proc.pid)
            before = _peak_rss(proc.pid)
            boundary = "sandbox-test-boundary-7f3a"
            head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n").encode()
            tail = f"\r\n--{boundary}--\r\n".encode()
            block = hashlib.sha256(b"block").digest() * 2048  # 64 KiB
            digest = hashlib.sha256()

            def body():
                yield head
                for _ in range(size // len(block)):
                    digest.update(block)
                    yield block
                yield tail

            response = httpx.post(doc["uploadDestinationUri"], content=body(), timeout=120,
                                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                           "Authorization": f"bearer {token}",
                                           "Content-Length": str(len(head) + size + len(tail))})
            assert response.status_code == 200, response.text
            assert response.json()["contentLength"] == size
            fetched = hashlib.sha256()
            location = api.get(f"{DOCS}/{doc['id']}/content", headers=bearer(token)).json()["contentLocationUri"]
            with httpx.stream("GET", location, timeout=120) as download:
                for chunk in download.iter_bytes():
                    fetched.update(chunk)
            assert fetched.hexdigest() == digest.hexdigest()
            growth = _peak_rss(proc.pid) - before
            assert growth < size // 4, f"the sandbox's peak RSS grew by {growth / 2**20:.1f} MB for a 64 MB upload"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
