"""files.py over the transport seam: no httpx needed, redirects followed without
credentials, library failures mapped to GenesysCloudError subclasses."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading

import pytest

import genesyscloud
from genesyscloud import files
from genesyscloud.sandbox import Sandbox

CONVERSATION = "5a5a5a5a-1b1b-4c2c-8d3d-0e0e0e0e0e0e"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=7) as sandbox:
        yield sandbox


@pytest.fixture
def gc(sb):
    sb.clear_requests()
    client = genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id,
                                                                                            sb.client_secret))
    yield client
    client.close()


class _Redirector(http.server.BaseHTTPRequestHandler):
    target = ""
    seen: list[dict[str, str]] = []

    def do_GET(self):  # noqa: N802
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(302)
        self.send_header("Location", type(self).target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def redirector():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    _Redirector.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_redirect_to_another_host_is_followed_without_credentials(gc, sb, redirector, tmp_path):
    media = gc.recording.get_conversation_recordings(CONVERSATION)[0].media_uris["S"]
    _Redirector.target = media.media_uri
    url = f"http://127.0.0.1:{redirector.server_address[1]}/bounce/call.wav?X-Amz-Signature=abc"
    result = files.download(gc, url, tmp_path / "call.wav")
    assert result.size == result.path.stat().st_size > 44
    assert _Redirector.seen and all("authorization" not in h for h in _Redirector.seen)
    store = [r for r in sb.requests() if r["path"].startswith("/objects/")]
    assert store and all("authorization" not in r["headers"] for r in store)


async def test_async_download_follows_a_redirect(sb, redirector, tmp_path):
    async with genesyscloud.AsyncGenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(
            sb.client_id, sb.client_secret)) as agc:
        media = (await agc.recording.get_conversation_recordings(CONVERSATION))[0].media_uris["S"]
        _Redirector.target = media.media_uri
        url = f"http://127.0.0.1:{redirector.server_address[1]}/bounce/a.wav"
        result = await files.adownload(agc, url, tmp_path)
        assert result.path.read_bytes()[:4] == b"RIFF"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_failures_are_genesyscloud_errors(gc, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/objects/x.bin?X-Amz-Signature=secret-sig"
    with pytest.raises(genesyscloud.APIConnectionError) as info:
        files.download(gc, url, tmp_path / "x.bin", max_resumes=1, sleep=lambda s: None)
    assert "secret-sig" not in str(info.value) and "?" not in info.value.url
    with pytest.raises(genesyscloud.APIConnectionError) as up:
        files.upload(gc, url, b"data")
    assert up.value.method == "PUT" and "secret-sig" not in str(up.value)
    assert list(tmp_path.iterdir()) == []


async def test_async_connection_failures_are_genesyscloud_errors(sb, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/objects/x.bin"
    async with genesyscloud.AsyncGenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(
            sb.client_id, sb.client_secret)) as agc:
        async def no_wait(seconds):
            return None

        with pytest.raises(genesyscloud.APIConnectionError):
            await files.adownload(agc, url, tmp_path / "x.bin", max_resumes=0, sleep=no_wait)
        with pytest.raises(genesyscloud.APIConnectionError):
            await files.aupload(agc, url, b"data")


CHILD = r'''
import sys
sys.modules["httpx"] = None  # a base install: no httpx
import genesyscloud
from genesyscloud import files
gc = genesyscloud.GenesysCloud(api_host=sys.argv[1], auth=genesyscloud.ClientCredentials(sys.argv[2], sys.argv[3]))
media = gc.recording.get_conversation_recordings(sys.argv[4])[0].media_uris["S"]
result = files.download(gc, media, sys.argv[5])
target = gc.uploads.post_uploads_recordings({"fileName": "a.wav", "contentType": "audio/wav"})
assert files.upload(gc, target, result.path) == target.upload_key
print(result.size)
'''


def test_download_and_upload_work_without_httpx(sb, tmp_path):
    out = subprocess.run([sys.executable, "-c", CHILD, sb.url, sb.client_id, sb.client_secret, CONVERSATION,
                          str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) > 44
