"""Non-JSON responses: generated operations that produce no JSON return a streaming
BinaryResponse (sync and asyncio), with_raw_response parses to one, and any body whose
Content-Type is not JSON is a BinaryResponse, never parsed."""

from __future__ import annotations

import socket
import threading

import pytest

import genesyscloud
from genesyscloud import BinaryResponse
from genesyscloud.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=3) as sandbox:
        yield sandbox


@pytest.fixture
def gc(sb):
    client = genesyscloud.GenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(sb.client_id,
                                                                                            sb.client_secret))
    yield client
    client.close()


def test_a_text_calendar_operation_returns_a_streaming_binary_response(gc, tmp_path):
    with gc.workforce_management.get_workforcemanagement_calendar_data_ics("c1") as body:
        assert isinstance(body, BinaryResponse) and body.status_code == 200
        assert body.content_type.startswith("text/calendar") and body.filename == "calendar.ics"
        assert body.correlation_id
        with pytest.raises(RuntimeError):
            body.content  # noqa: B018 - streamed: not read yet
        written = body.write_to(tmp_path)
    assert written == tmp_path / "calendar.ics" and written.read_bytes().startswith(b"BEGIN:VCALENDAR")
    again = gc.workforce_management.get_workforcemanagement_calendar_data_ics("c1")
    assert b"".join(again.iter_bytes(7)).startswith(b"BEGIN:VCALENDAR")
    with pytest.raises(RuntimeError):
        list(again.iter_bytes())  # a stream is read once


def test_a_text_plain_operation_and_with_raw_response(gc):
    body = gc.integrations.get_integrations_action_template("a1", "requesttemplate.vm")
    assert isinstance(body, BinaryResponse) and body.content_type.startswith("text/plain")
    assert body.read() == b'{"actionId": "$input.actionId"}\n'  # JSON-looking text, never parsed
    assert body.text == body.content.decode()
    with pytest.raises(genesyscloud.NotFoundError):  # an error status of a streamed call is read and raised
        gc.integrations.get_integrations_action_template("a1", "missing.vm")
    raw = gc.workforce_management.with_raw_response.get_workforcemanagement_calendar_data_ics("c1")
    assert raw.status_code == 200 and raw.content.startswith(b"BEGIN:VCALENDAR")
    parsed = raw.parse()
    assert isinstance(parsed, BinaryResponse) and parsed.content == raw.content


async def test_async_binary_response_streams(sb, tmp_path):
    async with genesyscloud.AsyncGenesysCloud(api_host=sb.url, auth=genesyscloud.ClientCredentials(
            sb.client_id, sb.client_secret)) as agc:
        body = await agc.workforce_management.get_workforcemanagement_calendar_data_ics("c1")
        chunks = [chunk async for chunk in body]
        assert b"".join(chunks).startswith(b"BEGIN:VCALENDAR")
        async with await agc.workforce_management.get_workforcemanagement_calendar_data_ics("c1") as second:
            path = await second.awrite_to(tmp_path / "cal.ics")
        assert path.read_bytes() == b"".join(chunks)
        raw = await agc.workforce_management.with_raw_response.get_workforcemanagement_calendar_data_ics("c1")
        assert isinstance(raw.parse(), BinaryResponse)


class _Server:
    """A loopback server answering every request with ``head`` and then ``first``; it sends
    ``rest`` only once ``release`` is set (so a client that sees ``first`` before
    ``release`` streams)."""

    def __init__(self, head: bytes, first: bytes, rest: bytes = b"") -> None:
        self.head, self.first, self.rest = head, first, rest
        self.release = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                more = conn.recv(65536)
                if not more:
                    return
                data += more
            conn.sendall(self.head + self.first)
            if self.rest:
                self.release.wait(60)
                conn.sendall(self.rest)

    def close(self) -> None:
        self.release.set()
        self.sock.close()


def test_a_streamed_body_arrives_before_it_is_complete():
    first, rest = b"A" * 100_000, b"B" * 100_000
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 200000\r\n"
            b"Connection: close\r\n\r\n")
    server = _Server(head, first, rest)
    try:
        with genesyscloud.GenesysCloud(api_host=server.url, auth=genesyscloud.AccessToken("t"),
                                       timeout=60) as client:
            body = client.workforce_management.get_workforcemanagement_calendar_data_ics("c1")
            got = bytearray()
            stream = body.iter_bytes(16 * 1024)
            while len(got) < len(first):
                got += next(stream)  # the server holds the rest back: these bytes were streamed
            server.release.set()
            got += b"".join(stream)
            assert bytes(got) == first + rest
    finally:
        server.close()


def test_a_json_operation_answered_with_another_content_type_is_not_parsed():
    html = b"<html>maintenance</html>"
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % len(html))
    server = _Server(head, html)
    try:
        with genesyscloud.GenesysCloud(api_host=server.url, auth=genesyscloud.AccessToken("t")) as client:
            body = client.users.get_users_me()
            assert isinstance(body, BinaryResponse) and body.content == html and body.content_type == "text/html"
            raw = client.users.with_raw_response.get_users_me()
            assert isinstance(raw.parse(), BinaryResponse)
    finally:
        server.close()
