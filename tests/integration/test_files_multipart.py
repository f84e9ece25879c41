"""Multipart uploads with the access token (a document's ``uploadDestinationUri``, a prompt
resource's legacy ``uploadUri``) against a purpose-built loopback server: the body is a
well-formed ``multipart/form-data`` with one ``file`` part, the token goes to the API's
origin only, a 401 replays the whole body once with a renewed token, and a URL on any
other host is refused before anything is sent."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib

import pytest

import genesyscloud
from genesyscloud import files
from tests.support.loopback import serve


def _parts(seen):
    head = b"Content-Type: " + seen.headers["content-type"].encode() + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + seen.body)
    assert message.is_multipart()
    return list(message.iter_parts())


def _api(tokens):
    """An API origin with a login service: ``/oauth/token`` hands out ``tok-1``, ``tok-2``...;
    the upload path answers 401 to a token listed in ``refuse``."""
    refuse: set[str] = set()

    def handler(seen):
        if seen.path == "/oauth/token":
            tokens.append(f"tok-{len(tokens) + 1}")
            return 200, {}, {"access_token": tokens[-1], "token_type": "bearer", "expires_in": 3600}
        if seen.headers.get("authorization", "").split(" ")[-1] in refuse:
            return 401, {}, {"status": 401, "code": "bad.credentials", "message": "Invalid login credentials."}
        return 200, {}, {"uploaded": len(seen.body)}

    return handler, refuse


def _client(url):
    return genesyscloud.GenesysCloud(api_host=url, auth=genesyscloud.ClientCredentials("id", "secret"))


def test_a_prompt_upload_is_one_file_part_with_the_token(tmp_path):
    tokens: list[str] = []
    handler, _ = _api(tokens)
    audio = tmp_path / "greeting.wav"
    audio.write_bytes(b"RIFF" + bytes(range(256)) * 4000)
    sent: list[tuple[int, int | None]] = []
    with serve(handler) as server, _client(server.url) as gc:
        target = {"uploadUri": f"{server.url}/uploads/v2/architect/prompts/p1/resources/en-us"}
        answer = files.upload(gc, target, audio, progress=lambda done, total: sent.append((done, total)))
        upload = server.seen[-1]
    assert answer == {"uploaded": len(upload.body)}
    assert upload.method == "POST" and upload.path == "/uploads/v2/architect/prompts/p1/resources/en-us"
    assert upload.headers["authorization"] == f"Bearer {tokens[-1]}"
    assert int(upload.headers["content-length"]) == len(upload.body)
    assert "transfer-encoding" not in upload.headers
    (part,) = _parts(upload)
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == "greeting.wav" and part.get_content_type() == "audio/x-wav"
    assert hashlib.sha256(part.get_payload(decode=True)).digest() == hashlib.sha256(audio.read_bytes()).digest()
    assert sent[-1] == (audio.stat().st_size, audio.stat().st_size)


def test_a_document_upload_names_the_file_and_type_given():
    tokens: list[str] = []
    handler, _ = _api(tokens)
    with serve(handler) as server, _client(server.url) as gc:
        target = {"uploadDestinationUri": f"{server.url}/uploads/v4/documents/d1", "uploadMethod": "MULTIPART_POST",
                  "name": "report"}
        files.upload(gc, target, b"%PDF-1.7 ...", filename='Q3 "final".pdf', content_type="application/pdf")
        (part,) = _parts(server.seen[-1])
    assert part.get_content_type() == "application/pdf" and part.get_payload(decode=True) == b"%PDF-1.7 ..."
    assert "Q3" in part.get_filename() and "final" in part.get_filename()


def test_a_401_renews_the_token_and_replays_the_whole_body():
    tokens: list[str] = []
    handler, refuse = _api(tokens)
    body = bytes(range(256)) * 2048  # 512 KiB: several chunks
    with serve(handler) as server, _client(server.url) as gc:
        gc.authenticate()
        refuse.add(tokens[-1])  # the server has revoked the first token
        files.upload(gc, {"uploadUri": f"{server.url}/uploads/v2/p"}, body)
        uploads = [s for s in server.seen if s.path == "/uploads/v2/p"]
    assert [u.headers["authorization"] for u in uploads] == ["Bearer tok-1", "Bearer tok-2"]
    assert all(_parts(u)[0].get_payload(decode=True) == body for u in uploads)


def test_a_document_with_a_single_put_goes_without_the_token():
    with serve(lambda seen: (200, {}, b"")) as store, _client("http://127.0.0.1:9") as gc:
        files.upload(gc, {"uploadDestinationUri": f"{store.url}/bucket/doc?X-Amz-Signature=s",
                          "uploadMethod": "SINGLE_PUT"}, b"raw bytes")
        (put,) = store.seen
    assert put.method == "PUT" and put.body == b"raw bytes" and "authorization" not in put.headers


@pytest.mark.parametrize("key", ["uploadDestinationUri", "uploadUri"])
def test_an_upload_url_on_another_host_is_refused_before_sending(key):
    tokens: list[str] = []
    handler, _ = _api(tokens)
    with serve(handler) as api, serve(lambda seen: (200, {}, {})) as foreign, _client(api.url) as gc:
        gc.authenticate()
        with pytest.raises(genesyscloud.ForeignHostError) as caught:
            files.upload(gc, {key: f"{foreign.url}/uploads/x", "id": "d1"}, b"secret document")
        assert foreign.seen == []
        assert [s.path for s in api.seen] == ["/oauth/token"]
    assert tokens[-1] not in str(caught.value)


def test_the_log_shows_no_file_bytes_and_no_token(caplog):
    tokens: list[str] = []
    handler, _ = _api(tokens)
    settings = genesyscloud.LogSettings(level="trace", request_body=True, response_body=True)
    with serve(handler) as server, genesyscloud.GenesysCloud(
            api_host=server.url, auth=genesyscloud.ClientCredentials("id", "secret"), log_settings=settings) as gc:
        with caplog.at_level(1, logger="genesyscloud"):  # the client's trace level is below DEBUG
            files.upload(gc, {"uploadUri": f"{server.url}/uploads/v2/p"}, b"TOP-SECRET-AUDIO")
    text = caplog.text
    assert "/uploads/v2/p" in text and "<streamed multipart/form-data" in text
    assert "TOP-SECRET-AUDIO" not in text and tokens[-1] not in text


async def test_async_multipart_upload_and_refusal():
    tokens: list[str] = []
    handler, refuse = _api(tokens)
    with serve(handler) as server, serve(lambda seen: (200, {}, {})) as foreign:
        async with genesyscloud.AsyncGenesysCloud(api_host=server.url,
                                                  auth=genesyscloud.ClientCredentials("id", "secret")) as agc:
            await agc.authenticate()
            refuse.add(tokens[-1])
            body = b"a" * 700_000
            answer = await files.aupload(agc, {"uploadUri": f"{server.url}/uploads/v2/p"}, body, filename="a.wav")
            with pytest.raises(genesyscloud.ForeignHostError):
                await files.aupload(agc, {"uploadUri": f"{foreign.url}/x"}, body)
        uploads = [s for s in server.seen if s.path == "/uploads/v2/p"]
    assert foreign.seen == [] and answer == {"uploaded": len(uploads[-1].body)}
    assert [u.headers["authorization"] for u in uploads] == ["Bearer tok-1", "Bearer tok-2"]
    assert _parts(uploads[-1])[0].get_payload(decode=True) == body


def test_bad_targets_are_type_errors():
    with genesyscloud.GenesysCloud(region="us-east-1", auth=genesyscloud.AccessToken("t")) as gc:
        with pytest.raises(TypeError, match="uploadDestinationUri"):
            files.upload(gc, object(), b"x")
        with pytest.raises(TypeError, match="none of"):
            files.upload(gc, {"name": "x"}, b"x")
        with pytest.raises(ValueError, match="upload method"):
            files.upload(gc, {"uploadDestinationUri": "https://apps.mypurecloud.com/u", "uploadMethod": "CARRIER_PIGEON"},
                         b"x")
