"""The sandbox's S3-like presigned object store over real HTTP: signatures, expiry, Range,
PUT with required headers, recordings' media bytes, and downloads dropped mid-body."""

from __future__ import annotations

import io
import wave
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

import genesyscloud
from genesyscloud.sandbox import Sandbox

CONVERSATION = "7e1f1c1a-2b2b-4c4c-8d8d-9e9e9e9e9e9e"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=6) as sandbox:
        yield sandbox


@pytest.fixture
def gc(sb):
    client = genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id,
                                                                                            sb.client_secret))
    yield client
    client.close()


def _media_url(gc):
    recordings = gc.recording.get_conversation_recordings(CONVERSATION)
    return recordings[0].media_uris["S"].media_uri


def _with_query(url, **changes):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_recording_media_is_a_real_wav_on_another_host(gc, sb):
    url = _media_url(gc)
    assert urlsplit(url).hostname == "localhost" and urlsplit(sb.url).hostname == "127.0.0.1"
    response = httpx.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 8000, 8000)
    assert int(response.headers["content-length"]) == len(response.content)
    one = gc.recording.get_conversation_recording(CONVERSATION, recordings_id := urlsplit(url).path.split("/")[-1][:-4])
    assert one.id == recordings_id


def test_wrong_signature_expiry_and_bearer_token_are_refused(gc, sb):
    url = _media_url(gc)
    bad = _with_query(url, **{"X-Amz-Signature": "0" * 64})
    response = httpx.get(bad)
    assert response.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in response.text
    longer = _with_query(url, **{"X-Amz-Expires": "999999"})
    assert httpx.get(longer).status_code == 403  # the expiry is signed too
    unsigned = urlunsplit(urlsplit(url)._replace(query=""))
    assert httpx.get(unsigned).status_code == 403
    both = httpx.get(url, headers={"Authorization": "Bearer x"})
    assert both.status_code == 400 and "Only one auth mechanism allowed" in both.text
    sb.advance_clock(901)
    try:
        expired = httpx.get(url)
        assert expired.status_code == 403 and "Request has expired" in expired.text
    finally:
        sb.reset()


def test_range_requests(gc, sb):
    url = _media_url(gc)
    whole = httpx.get(url).content
    part = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    tail = httpx.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == whole[-5:]
    rest = httpx.get(url, headers={"Range": f"bytes={len(whole) - 3}-"})
    assert rest.content == whole[-3:]
    beyond = httpx.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(whole)}"
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(whole)) and not head.content


def test_put_needs_the_signed_headers(gc, sb):
    upload = gc.uploads.post_uploads_recordings({"fileName": "call.wav", "contentType": "audio/wav"})
    assert upload.headers == {"Content-Type": "audio/wav", "x-amz-server-side-encryption": "AES256"}
    missing = httpx.put(upload.url, content=b"RIFF....", headers={"Content-Type": "audio/wav"})
    assert missing.status_code == 403 and "SignatureDoesNotMatch" in missing.text
    wrong = httpx.put(upload.url, content=b"RIFF....", headers={**upload.headers, "Content-Type": "text/plain"})
    assert wrong.status_code == 403
    ok = httpx.put(upload.url, content=b"RIFF....", headers=upload.headers)
    assert ok.status_code == 200 and ok.headers["etag"]
    assert httpx.get(upload.url).status_code == 403  # a PUT URL does not read


def test_a_fault_drops_the_download_mid_body_and_range_resumes(gc, sb):
    url = _media_url(gc)
    whole = httpx.get(url).content
    rule = httpx.post(f"{sb.url}/__sandbox__/object-faults", json={"key": "^recordings/", "after_bytes": 4096})
    assert rule.status_code == 201
    got = bytearray()
    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("GET", url) as response:
            assert response.headers["content-length"] == str(len(whole))
            for chunk in response.iter_bytes():
                got += chunk
    assert len(got) == 4096 and bytes(got) == whole[:4096]
    rest = httpx.get(url, headers={"Range": f"bytes={len(got)}-"})
    assert rest.status_code == 206 and bytes(got) + rest.content == whole
    assert httpx.get(f"{sb.url}/__sandbox__/object-faults").json() == []
    bad = httpx.post(f"{sb.url}/__sandbox__/object-faults", json={"after_bytes": -1})
    assert bad.status_code == 400


def test_non_json_operations_answer_with_their_content_type(gc, sb):
    raw = gc.workforce_management.with_raw_response.get_workforcemanagement_calendar_data_ics("cal-1")
    assert raw.headers["content-type"].startswith("text/calendar") and raw.content.startswith(b"BEGIN:VCALENDAR\r\n")
    assert raw.parse().text.count("BEGIN:VEVENT") == 5  # a BinaryResponse, never parsed
    with gc.integrations.get_integrations_action_template("action-1", "requesttemplate.vm") as body:
        assert body.read() == b'{"actionId": "$input.actionId"}\n'
    with pytest.raises(genesyscloud.NotFoundError):
        gc.integrations.get_integrations_action_draft_template("action-1", "nothing.vm")
