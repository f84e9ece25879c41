"""Downloads and uploads against the sandbox's object store over real HTTP: streaming to
disk, resume after a drop, no token on a foreign host, presigned PUT with required headers."""

from __future__ import annotations

import hashlib
import io
import wave

import httpx
import pytest

import genesyscloud
from genesyscloud import files
from genesyscloud.jobs import run_job
from genesyscloud.sandbox import Sandbox

CONVERSATION = "5a5a5a5a-1b1b-4c2c-8d3d-0e0e0e0e0e0e"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=7) as sandbox:
        yield sandbox


@pytest.fixture
def gc(sb):
    sb.clear_requests()
    httpx.delete(f"{sb.url}/__sandbox__/object-faults")
    client = genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id,
                                                                                            sb.client_secret))
    yield client
    client.close()


def _media(gc):
    return gc.recording.get_conversation_recordings(CONVERSATION)[0].media_uris["S"]


def _no_token_on_the_store(sb):
    store = [r for r in sb.requests() if r["path"].startswith("/objects/")]
    assert store and all("authorization" not in r["headers"] for r in store)
    return store


def test_download_a_recording_to_a_directory(gc, sb, tmp_path):
    seen = []
    result = files.download(gc, _media(gc), tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert result.path.parent == tmp_path and result.path.suffix == ".wav" and result.content_type == "audio/wav"
    assert result.filename == result.path.name and result.resumes == 0 and "?" not in result.url
    with wave.open(str(result.path)) as w:
        assert w.getnframes() == 8000
    assert seen[-1] == (result.size, result.size) and not list(tmp_path.glob("*.part"))
    _no_token_on_the_store(sb)


def test_a_path_ending_with_a_slash_is_a_directory_made_when_missing(gc, tmp_path):
    result = files.download(gc, _media(gc), f"{tmp_path}/calls/")
    assert (tmp_path / "calls").is_dir() and result.path.parent == tmp_path / "calls"
    assert result.path.suffix == ".wav" and result.path.stat().st_size == result.size


def test_download_resumes_after_a_drop_mid_body(gc, sb, tmp_path):
    media = _media(gc)
    whole = httpx.get(media.media_uri).content
    httpx.post(f"{sb.url}/__sandbox__/object-faults", json={"key": "^recordings/", "after_bytes": 5000, "count": 2})
    sb.clear_requests()
    result = files.download(gc, media, tmp_path / "call.wav", sleep=lambda s: None)
    assert result.path.read_bytes() == whole and result.resumes == 2
    store = _no_token_on_the_store(sb)
    ranges = [r["headers"].get("range") for r in store]
    starts = [int(r[6:-1]) for r in ranges[1:]]
    assert len(ranges) == 3 and ranges[0] is None and 0 < starts[0] <= 5000 < starts[1] <= 10000


def test_too_many_drops_give_up_and_leave_no_part_file(gc, sb, tmp_path):
    media = _media(gc)
    httpx.post(f"{sb.url}/__sandbox__/object-faults", json={"key": "^recordings/", "after_bytes": 10, "count": 50})
    with pytest.raises(genesyscloud.APIConnectionError, match="dropped 3 times"):
        files.download(gc, media, tmp_path / "x.wav", max_resumes=2, sleep=lambda s: None)
    assert list(tmp_path.iterdir()) == []


def test_download_by_id_goes_through_the_api_and_the_file_has_no_token(gc, sb, tmp_path):
    export = next(run_job(gc, "outbound.contactlist.export", contact_list_id="cl-9", sleep=lambda s: None))
    download_id = export.uri.rsplit("/", 1)[-1]
    for source in (download_id, export.uri, export):
        result = files.download(gc, source, tmp_path)
        assert result.path.name == "contactlist-cl-9.csv" and result.path.read_text().startswith("phone,name")
    api = [r for r in sb.requests() if r["path"] == f"/api/v2/downloads/{download_id}"]
    assert len(api) == 3 and all(r["headers"]["authorization"] == "[REDACTED]" for r in api)
    assert all(r["query"] == {"issueRedirect": ["false"]} for r in api)
    _no_token_on_the_store(sb)


def test_an_expired_url_is_a_403(gc, sb, tmp_path):
    media = _media(gc)
    sb.advance_clock(3600)
    try:
        with pytest.raises(genesyscloud.PermissionDeniedError) as info:
            files.download(gc, media, tmp_path / "late.wav")
        assert "Request has expired" in info.value.text and "X-Amz-Signature" not in info.value.url
    finally:
        sb.reset()
    assert list(tmp_path.iterdir()) == []


def test_5xx_from_the_store_is_retried(gc, sb, tmp_path):
    media = _media(gc)
    sb.add_fault(path=r"^/objects/recordings/", status=503, count=1)
    result = files.download(gc, media, tmp_path / "r.wav", sleep=lambda s: None)
    assert result.size == len(httpx.get(media.media_uri).content)


def test_unsafe_file_names_are_cleaned():
    assert files.safe_filename("../../etc/passwd") == "passwd"
    assert files.safe_filename("..\\..\\boot.ini") == "boot.ini"
    assert files.safe_filename("a\x00b\x1fc.txt") == "abc.txt"
    assert files.safe_filename("..") is None and files.safe_filename("/") is None
    assert files.filename_from_disposition('attachment; filename="../x.csv"') == "x.csv"
    assert files.filename_from_disposition("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf") == "résumé.pdf"


def test_upload_streams_with_the_required_headers(gc, sb, tmp_path):
    data = bytes(range(256)) * 4096  # 1 MiB
    source = tmp_path / "call.wav"
    source.write_bytes(data)
    target = gc.uploads.post_uploads_recordings({"fileName": "call.wav", "contentType": "audio/wav"})
    seen = []
    key = files.upload(gc, target, source, progress=lambda done, total: seen.append(done), chunk_size=64 * 1024)
    assert key == target.upload_key and seen[-1] == len(data) and len(seen) == 16
    put = [r for r in sb.requests() if r["method"] == "PUT"][-1]
    assert "authorization" not in put["headers"] and put["headers"]["content-length"] == str(len(data))
    assert put["headers"]["x-amz-server-side-encryption"] == "AES256"
    with pytest.raises(genesyscloud.PermissionDeniedError):
        files.upload(gc, target.url, io.BytesIO(b"no headers"))  # the bare URL lacks the signed headers


async def test_async_download_and_upload(sb, tmp_path):
    async with genesyscloud.AsyncGenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(
            sb.client_id, sb.client_secret)) as agc:
        media = (await agc.recording.get_conversation_recordings(CONVERSATION))[0].media_uris["S"]
        httpx.post(f"{sb.url}/__sandbox__/object-faults", json={"key": "^recordings/", "after_bytes": 3000})

        async def no_wait(seconds):
            return None

        result = await files.adownload(agc, media, tmp_path, sleep=no_wait)
        assert result.resumes == 1 and hashlib.sha256(result.path.read_bytes()).hexdigest() == \
            hashlib.sha256(httpx.get(media.media_uri).content).hexdigest()
        target = await agc.uploads.post_uploads_recordings({"fileName": "a.bin", "contentType": "application/octet-stream"})
        assert await files.aupload(agc, target, b"x" * 100_000) == target.upload_key


def test_download_all_of_a_recording_batch(gc, sb, tmp_path):
    conversations = [f"0b0b0b0b-0000-4000-8000-{i:012d}" for i in range(12)]
    results = list(run_job(gc, "recording.batch", {"batchDownloadRequestList": [{"conversationId": c} for c in conversations]},
                           sleep=lambda s: None))
    written = files.download_all(gc, results, tmp_path / "calls", concurrency=4)
    assert [w.path.stem for w in written] == [r.recording_id for r in results]
    assert all(w.path.stat().st_size == w.size > 44 for w in written)
    _no_token_on_the_store(sb)


async def test_adownload_all(sb, tmp_path):
    async with genesyscloud.AsyncGenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(
            sb.client_id, sb.client_secret)) as agc:
        medias = [(await agc.recording.get_conversation_recordings(f"0c0c0c0c-0000-4000-8000-{i:012d}"))[0]
                  .media_uris["S"] for i in range(6)]
        written = await files.adownload_all(agc, medias, tmp_path, concurrency=3)
        assert len({w.path for w in written}) == 6


def test_fetch_returns_an_unparsed_streaming_binary_response(gc, tmp_path):
    body = files.fetch(gc, "/api/v2/workforcemanagement/calendar/data/ics", params={"calendarId": "c1"})
    assert body.content_type.startswith("text/calendar") and body.filename == "calendar.ics"
    with pytest.raises(RuntimeError, match="streamed"):
        body.content  # noqa: B018 - not read yet: the body is still on the connection
    chunks = list(body.iter_bytes(10))
    assert len(chunks) > 1 and all(len(c) <= 10 for c in chunks) and b"".join(chunks).startswith(b"BEGIN:VCALENDAR")
    again = files.fetch(gc, "/api/v2/workforcemanagement/calendar/data/ics", params={"calendarId": "c1"})
    written = again.write_to(tmp_path)
    assert written == tmp_path / "calendar.ics" and written.read_bytes() == b"".join(chunks)
    with files.fetch(gc, "/api/v2/workforcemanagement/calendar/data/ics", params={"calendarId": "c1"}) as third:
        assert third.read() == b"".join(chunks) and third.content == third.read()


async def test_afetch_streams_too(sb, tmp_path):
    async with genesyscloud.AsyncGenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(
            sb.client_id, sb.client_secret)) as agc:
        body = await files.afetch(agc, "/api/v2/workforcemanagement/calendar/data/ics", params={"calendarId": "c1"})
        data = b"".join([chunk async for chunk in body.aiter_bytes(16)])
        assert data.startswith(b"BEGIN:VCALENDAR")
        async with await files.afetch(agc, "/api/v2/workforcemanagement/calendar/data/ics",
                                      params={"calendarId": "c1"}) as second:
            assert await second.aread() == data


def test_upload_an_architect_prompt_resource(gc, sb, tmp_path):
    from genesyscloud.sandbox._jobs import wav_bytes

    audio = tmp_path / "greeting.wav"
    audio.write_bytes(wav_bytes("greeting"))
    target = gc.architect.post_architect_prompt_resource_uploads("prompt-1", "en-us")
    assert files.upload(gc, target, audio) is None  # the prompt flow returns no upload key
    put = [r for r in sb.requests() if r["method"] == "PUT"][-1]
    assert put["status"] == 200 and put["path"].endswith("/prompt-1/en-us.wav") and "authorization" not in put["headers"]


def _workspace(gc):
    return next(w for w in gc.content_management.get_contentmanagement_workspaces().entities
                if w.name == "Sandbox Documents")


def test_a_document_upload_is_a_multipart_post_and_returns_the_document(gc, sb, tmp_path):
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 3000)
    document = gc.content_management.post_contentmanagement_documents(
        {"name": "Q3 report", "workspace": {"id": _workspace(gc).id}})
    sent = []
    uploaded = files.upload(gc, document, report, progress=lambda done, total: sent.append(done))
    assert isinstance(uploaded, genesyscloud.models.Document) and uploaded.id == document.id
    assert uploaded.filename == "report.pdf" and uploaded.content_type == "application/pdf"
    assert uploaded.content_length == report.stat().st_size and sent[-1] == report.stat().st_size
    post = [r for r in sb.requests() if r["method"] == "POST" and r["path"].startswith("/uploads/")][-1]
    assert post["status"] == 200 and post["headers"]["authorization"] == "[REDACTED]"
    content = gc.content_management.get_contentmanagement_document_content(document.id)
    saved = files.download(gc, content.content_location_uri, tmp_path / "back.pdf")
    assert saved.path.read_bytes() == report.read_bytes()

    replace = gc.content_management.post_contentmanagement_document_content(
        document.id, {"name": "Q3 report v2", "changeNumber": uploaded.change_number})
    again = files.upload(gc, replace, b"second version", filename="v2.txt")
    assert again.filename == "v2.txt" and again.content_length == len(b"second version")
    assert again.change_number > uploaded.change_number


def test_a_legacy_prompt_upload_returns_the_transcoded_resource(gc, tmp_path):
    from genesyscloud.sandbox._jobs import wav_bytes

    prompt = gc.architect.post_architect_prompts({"name": f"greeting_{tmp_path.name[-8:]}"})
    resource = gc.architect.post_architect_prompt_resources(prompt.id, {"language": "en-us"})
    assert resource.upload_status == "created" and resource.upload_uri
    audio = tmp_path / "greeting.wav"
    audio.write_bytes(wav_bytes("legacy greeting"))
    after = files.upload(gc, resource, audio)
    assert isinstance(after, genesyscloud.models.PromptAsset)
    assert after.upload_status == "transcoded" and after.duration_seconds and after.media_uri
    saved = files.download(gc, after.media_uri, tmp_path / "back.wav")
    assert saved.path.read_bytes() == audio.read_bytes()


async def test_async_document_upload(sb, tmp_path):
    async with genesyscloud.AsyncGenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(
            sb.client_id, sb.client_secret)) as agc:
        workspaces = (await agc.content_management.get_contentmanagement_workspaces()).entities
        workspace = next(w for w in workspaces if w.name == "Sandbox Documents")
        document = await agc.content_management.post_contentmanagement_documents(
            {"name": "notes", "workspace": {"id": workspace.id}})
        uploaded = await files.aupload(agc, document, b"plain notes\n" * 5000, filename="notes.txt")
        assert uploaded.content_type == "text/plain" and uploaded.content_length == len(b"plain notes\n") * 5000
        content = await agc.content_management.get_contentmanagement_document_content(document.id)
        saved = await files.adownload(agc, content.content_location_uri, tmp_path / "notes.txt")
        assert saved.size == uploaded.content_length
