"""The transport seam over real loopback HTTP: the default transports (urllib3 sync,
aiohttp async), error mapping with exact "certainly not sent", streaming bodies,
overall deadlines against a server that drips one byte a second, undecodable bodies,
our own request/response types in hooks, and pools that never churn."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import pytest

import genesyscloud
from genesyscloud import AccessToken, AsyncGenesysCloud, GenesysCloud, RetryPolicy, Timeout
from genesyscloud._core.transport import HttpRequest, Response, TransportConfig, TransportError
from genesyscloud._core.transport_aiohttp import AiohttpTransport
from genesyscloud._core.transport_urllib3 import Urllib3Transport
from tests.support.faulty_server import FaultyServer


@pytest.fixture(scope="module")
def server():
    with FaultyServer() as running:
        yield running


def _sync(server, **kw):
    return GenesysCloud(api_host=server.url, auth=AccessToken("tok-seam"), **kw)


def _async(server, **kw):
    return AsyncGenesysCloud(api_host=server.url, auth=AccessToken("tok-seam"), **kw)


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _within(seconds, fn, *args):
    """Run fn in a thread; fail (instead of hanging) if it does not finish in time."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: the deadline did not cut it"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_defaults_are_urllib3_and_aiohttp(server):
    with _sync(server) as gc:
        assert gc.request("GET", "/api/v2/echo").json()["method"] == "GET"
        assert isinstance(gc._http(), Urllib3Transport)

    async def main():
        async with _async(server) as agc:
            assert (await agc.request("POST", "/api/v2/echo", json={"a": 1})).json()["body"] == '{"a":1}'
            assert isinstance(agc._http(), AiohttpTransport)

    asyncio.run(main())


def test_hooks_and_raw_responses_see_our_types(server):
    seen = []

    def pre(request):
        assert isinstance(request, HttpRequest)
        request.headers["X-Hooked"] = "yes"

    with _sync(server, pre_request_hook=pre, post_request_hook=seen.append) as gc:
        raw = gc.request("GET", "/api/v2/echo", params={"pageSize": 5})
    assert raw.json()["headers"]["x-hooked"] == "yes" and raw.json()["query"] == [["pageSize", "5"]]
    assert raw.status_code == 200 and raw.headers["Content-Type"] == "application/json"
    assert isinstance(raw.content, bytes)
    (response,) = seen
    assert isinstance(response, Response) and response.status_code == 200 and response.json()["method"] == "GET"
    assert "httpx" not in type(response).__module__

    async def main():
        got = []

        async def post(r):
            got.append(r)

        async with _async(server, post_request_hook=post) as agc:
            raw = await agc.request("GET", "/api/v2/echo")
        assert isinstance(got[0], Response) and got[0].json() == raw.json()

    asyncio.run(main())


def test_gzip_garbage_is_a_genesyscloud_error(server):
    """issue 12 item 4: no raw HTTP-library exception escapes."""
    with _sync(server) as gc, pytest.raises(genesyscloud.ResponseDecodeError) as info:
        gc.request("GET", "/api/v2/gzip-garbage")
    assert info.value.status == 200 and "could not be decoded" in str(info.value)

    async def main():
        async with _async(server) as agc:
            with pytest.raises(genesyscloud.ResponseDecodeError):
                await agc.request("GET", "/api/v2/gzip-garbage")

    asyncio.run(main())


def test_refused_connection_is_certainly_not_sent_and_post_is_retried(monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}"
    transport = Urllib3Transport(TransportConfig(trust_env=False))
    with pytest.raises(TransportError) as info:
        transport.send(HttpRequest("POST", url + "/api/v2/x", [], {}, b"{}"))
    assert info.value.sent is False and info.value.timeout is False
    transport.close()
    # the send loop replays a POST that never left: max_retries + 1 attempts, then APIConnectionError
    attempts = []
    with GenesysCloud(api_host=url, auth=AccessToken("t"), trust_env=False,
                      retry_policy=RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.001),
                      pre_request_hook=attempts.append) as gc, \
            pytest.raises(genesyscloud.APIConnectionError, match="connection failed"):
        gc.request("POST", "/api/v2/x", json={})
    assert len(attempts) == 3

    async def main():
        transport = AiohttpTransport(TransportConfig(trust_env=False))
        try:
            with pytest.raises(TransportError) as info:
                await transport.send(HttpRequest("POST", url + "/api/v2/x", [], {}, b"{}"))
            assert info.value.sent is False
        finally:
            await transport.close()

    asyncio.run(main())


def test_dropped_after_the_request_may_have_been_sent(server):
    transport = Urllib3Transport(TransportConfig(trust_env=False))
    with pytest.raises(TransportError) as info:
        transport.send(HttpRequest("POST", server.url + "/api/v2/close", [], {}, b"{}"))
    assert info.value.sent is True
    transport.close()
    before = len([r for r in server.requests if r[1] == "/api/v2/close"])
    with _sync(server, retry_policy=RetryPolicy(max_retries=3, backoff_base=0.001)) as gc, \
            pytest.raises(genesyscloud.APIConnectionError, match="may have reached the server"):
        gc.request("POST", "/api/v2/close", json={})
    assert len([r for r in server.requests if r[1] == "/api/v2/close"]) == before + 1  # no duplicate POST

    async def main():
        transport = AiohttpTransport(TransportConfig(trust_env=False))
        try:
            with pytest.raises(TransportError) as info:
                await transport.send(HttpRequest("POST", server.url + "/api/v2/close", [], {}, b"{}"))
            assert info.value.sent is True
        finally:
            await transport.close()

    asyncio.run(main())


def test_pool_timeout_is_not_sent_and_the_pool_never_grows(server):
    transport = Urllib3Transport(TransportConfig(trust_env=False, max_connections=1))
    held = transport.send(HttpRequest("GET", server.url + "/api/v2/big", [("n", "10")], {}), stream=True)
    with pytest.raises(TransportError) as info:
        transport.send(HttpRequest("GET", server.url + "/api/v2/echo", [], {}, None, Timeout(5, pool=0.2)))
    assert info.value.sent is False and info.value.timeout is True
    held.read()
    assert transport.send(HttpRequest("GET", server.url + "/api/v2/echo", [], {})).status_code == 200
    transport.close()


def test_fifty_threads_reuse_at_most_fifty_connections(server):
    before = server.connections
    with _sync(server, max_connections=50) as gc:
        gc.request("GET", "/api/v2/echo")
        threads = [threading.Thread(target=lambda: [gc.request("GET", "/api/v2/echo") for _ in range(10)])
                   for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert server.connections - before <= 50


def test_async_fifty_in_flight_use_at_most_fifty_connections(server):
    before = server.connections

    async def main():
        async with _async(server, max_connections=50) as agc:
            await asyncio.gather(*(agc.request("GET", "/api/v2/echo") for _ in range(500)))

    asyncio.run(main())
    assert server.connections - before <= 50


def test_streaming_request_and_response_bodies(server):
    transport = Urllib3Transport(TransportConfig(trust_env=False))
    body = (part for part in (b"ab", b"cd", b"ef"))
    echoed = transport.send(HttpRequest("POST", server.url + "/api/v2/echo", [], {}, body)).json()
    assert echoed["body"] == "abcdef" and echoed["chunked"] is True
    response = transport.send(HttpRequest("GET", server.url + "/api/v2/big", [("n", "300000")], {}), stream=True)
    sizes = [len(chunk) for chunk in response.iter_bytes(65536)]
    assert sum(sizes) == 300000 and max(sizes) <= 65536 and len(sizes) >= 5
    # the connection went back to the pool once the body was exhausted
    assert transport.send(HttpRequest("GET", server.url + "/api/v2/echo", [], {})).status_code == 200
    transport.close()

    async def main():
        transport = AiohttpTransport(TransportConfig(trust_env=False))
        try:
            async def parts():
                for part in (b"12", b"34"):
                    yield part

            echoed = (await transport.send(HttpRequest("POST", server.url + "/api/v2/echo", [], {}, parts()))).json()
            assert echoed["body"] == "1234" and echoed["chunked"] is True
            response = await transport.send(HttpRequest("GET", server.url + "/api/v2/big", [("n", "200000")], {}),
                                            stream=True)
            total = 0
            async for chunk in response.aiter_bytes(32768):
                assert len(chunk) <= 32768
                total += len(chunk)
            assert total == 200000
        finally:
            await transport.close()

    asyncio.run(main())


@pytest.mark.parametrize("path", ["/api/v2/drip-body", "/api/v2/drip-headers"])
def test_total_timeout_cuts_a_server_dripping_one_byte_a_second(server, path):
    """issue 12 item 7: read=5 is never reached (a byte a second), total=2 cuts the attempt."""
    gc = _sync(server, timeout=Timeout(connect=5, read=5, write=5, pool=5, total=2), max_retries=0)
    with pytest.raises(genesyscloud.APITimeoutError, match="total timeout"):
        _within(60, gc.request, "GET", path)
    gc.close()

    async def main():
        async with _async(server, timeout=Timeout(connect=5, read=5, write=5, pool=5, total=2),
                          max_retries=0) as agc:
            with pytest.raises(genesyscloud.APITimeoutError):
                await asyncio.wait_for(agc.request("GET", path), 60)

    asyncio.run(main())


def test_the_whole_call_has_its_own_deadline_across_retries(server):
    """Each attempt is cut at total=2 and retried; the call's budget (5 s) stops the retries:
    a GET is replayed at most a couple of times, however many retries are allowed."""
    policy = RetryPolicy(max_retries=50, backoff_base=0.001, backoff_max=0.001, total_budget=5)
    before = len([r for r in server.requests if r[1] == "/api/v2/drip-body"])
    gc = _sync(server, timeout=Timeout(connect=5, read=5, write=5, pool=5, total=2), retry_policy=policy)
    with pytest.raises(genesyscloud.APITimeoutError):
        _within(60, gc.request, "GET", "/api/v2/drip-body")
    gc.close()
    attempts = len([r for r in server.requests if r[1] == "/api/v2/drip-body"]) - before
    assert 2 <= attempts <= 4

    async def main():
        async with _async(server, timeout=Timeout(connect=5, read=5, write=5, pool=5, total=2),
                          retry_policy=policy) as agc:
            with pytest.raises(genesyscloud.APITimeoutError):
                await asyncio.wait_for(agc.request("GET", "/api/v2/drip-body"), 60)

    before = len([r for r in server.requests if r[1] == "/api/v2/drip-body"])
    asyncio.run(main())
    attempts = len([r for r in server.requests if r[1] == "/api/v2/drip-body"]) - before
    assert 2 <= attempts <= 4


def test_timeout_argument_forms():
    assert GenesysCloud()._timeout() == Timeout(connect=10, read=30, write=30, pool=10, total=60)
    assert GenesysCloud(timeout=2)._timeout().total == 2
    assert GenesysCloud(timeout={"read": 90})._timeout().total == 90
    assert GenesysCloud(timeout=Timeout(total=7)).with_options(timeout=3)._timeout().total == 3
    for bad in (0, float("nan"), float("inf"), {"total": None}):
        with pytest.raises(ValueError):
            GenesysCloud(timeout=bad)
    with pytest.raises(ValueError):
        Timeout(total=-1)


def test_ssl_context_is_not_built_for_http_origins(server):
    with _sync(server) as gc:
        gc.request("GET", "/api/v2/echo")
        assert gc._http().ssl._context is None


def test_urllib3_debug_log_lines_carry_no_query_secrets(server, caplog):
    caplog.set_level(logging.DEBUG, logger="urllib3")
    with _sync(server) as gc:
        gc.request("GET", "/api/v2/echo", params={"code": "s3cret-code", "pageSize": 5})
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/api/v2/echo?" in line for line in lines)  # urllib3 did log the request line
    assert "s3cret-code" not in caplog.text and "pageSize=5" in caplog.text


def test_deadlines_still_cut_in_a_forked_child(server):
    import os

    with _sync(server) as gc:
        gc.request("GET", "/api/v2/echo")  # the watchdog thread runs in this process
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit status
            code = 1
            try:
                gc.with_options(timeout=Timeout(5, total=2), max_retries=0).request("GET", "/api/v2/drip-body")
            except genesyscloud.APITimeoutError:
                code = 0
            except BaseException:  # noqa: BLE001
                code = 2
            os._exit(code)
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                pytest.fail("the forked child was not cut by its deadline")
            time.sleep(0.1)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_async_client_survives_a_new_event_loop(server):
    agc = _async(server)

    async def call():
        return (await agc.request("GET", "/api/v2/echo")).status_code

    assert asyncio.run(call()) == 200
    assert asyncio.run(call()) == 200  # a second loop: a new aiohttp session, no "Event loop is closed"

    async def close():
        await agc.close()

    asyncio.run(close())


def test_a_header_http_refuses_is_never_quoted(server):
    with GenesysCloud(api_host=server.url, auth=AccessToken("tok"), max_retries=0,
                      default_headers={"X-Custom": "v-LEAK\nrest-LEAK"}) as gc:
        with pytest.raises(genesyscloud.APIConnectionError) as info:
            gc.request("GET", "/api/v2/echo")
    assert "LEAK" not in str(info.value) and "LEAK" not in repr(info.value.__cause__)
    assert info.value.__cause__.__cause__ is None
