"""Proxy with credentials (proxy.py) and mutual TLS (certificates made with trustme)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading

import pytest

import genesyscloud
from genesyscloud import AsyncGenesysCloud, ClientCredentials, GenesysCloud
from genesyscloud.sandbox import Sandbox
from genesyscloud.sandbox._runner import _uvicorn_config, create_app

CLIENT_ID = "net-client"
CLIENT_SECRET = "net-secret-Qw3"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, seed=1) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def http_proxy():
    proxy = pytest.importorskip("proxy")
    args = ["--hostname", "127.0.0.1", "--port", "0", "--basic-auth", "proxyuser:proxy-pw-77",
            "--num-acceptors", "1", "--num-workers", "1", "--log-level", "e"]
    with proxy.Proxy(args) as running:
        yield f"http://127.0.0.1:{running.flags.port}"


def test_proxy_with_credentials(sb, http_proxy):
    sb.clear_requests()
    with GenesysCloud(api_host=sb.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), proxy=http_proxy,
                      proxy_username="proxyuser", proxy_password="proxy-pw-77", trust_env=False) as gc:
        assert gc.oauth.get_oauth_clients().entities is not None
    paths = [e["path"] for e in sb.requests()]
    assert "/oauth/token" in paths and "/api/v2/oauth/clients" in paths
    # the same proxy without credentials refuses: the traffic really goes through it
    with GenesysCloud(api_host=sb.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), proxy=http_proxy,
                      trust_env=False, max_retries=0) as gc, pytest.raises(genesyscloud.AuthError) as info:
        gc.oauth.get_oauth_clients()
    assert info.value.status == 407


def test_proxy_from_the_environment(sb, http_proxy, monkeypatch):
    host = http_proxy.removeprefix("http://")
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:proxy-pw-77@{host}")
    with GenesysCloud(api_host=sb.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET)) as gc:
        assert gc.oauth.get_oauth_clients().entities is not None
    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:wrong@{host}")
    with GenesysCloud(api_host=sb.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET)) as gc, \
            pytest.raises(genesyscloud.AuthError) as info:
        gc.authenticate()
    assert info.value.status == 407


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    import uvicorn

    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    client_cert = ca.issue_cert("client@example.test")
    folder = tmp_path_factory.mktemp("mtls")
    ca_path = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    server_chain = folder / "server.pem"
    server_key = folder / "server.key"
    server_cert.cert_chain_pems[0].write_to_path(str(server_chain))
    server_cert.private_key_pem.write_to_path(str(server_key))
    client_chain = folder / "client.pem"
    client_key = folder / "client.key"
    client_cert.cert_chain_pems[0].write_to_path(str(client_chain))
    client_cert.private_key_pem.write_to_path(str(client_key))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = _uvicorn_config(create_app(CLIENT_ID, CLIENT_SECRET), ssl_certfile=str(server_chain),
                             ssl_keyfile=str(server_key), ssl_ca_certs=str(ca_path), ssl_cert_reqs=ssl.CERT_REQUIRED)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(3000):
        if server.started:
            started.set()
            break
        thread.join(0.01)
    assert started.is_set(), "the TLS server did not start"
    yield {"url": f"https://127.0.0.1:{port}", "ca": str(ca_path), "cert": str(client_chain), "key": str(client_key),
           "ca_obj": ca, "client_obj": client_cert}
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_mutual_tls(mtls_server):
    s = mtls_server
    with GenesysCloud(api_host=s["url"], auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), ssl_ca_cert=s["ca"],
                      cert_file=s["cert"], key_file=s["key"]) as gc:
        assert gc.oauth.get_oauth_clients().entities is not None
    # without the client certificate the TLS handshake fails: a connection error, not retried forever
    with GenesysCloud(api_host=s["url"], auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), ssl_ca_cert=s["ca"],
                      max_retries=0) as gc, pytest.raises(genesyscloud.APIConnectionError, match="token request POST"):
        gc.oauth.get_oauth_clients()
    # and without the CA the server certificate is not trusted (verification is on by default)
    with GenesysCloud(api_host=s["url"], auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), cert_file=s["cert"],
                      key_file=s["key"], max_retries=0) as gc, pytest.raises(genesyscloud.APIConnectionError,
                                                                             match="CERTIFICATE_VERIFY_FAILED"):
        gc.authenticate()


def test_tls_options_are_validated(tmp_path):
    with pytest.raises(ValueError, match="ssl_ca_cert: no such file"):
        GenesysCloud(ssl_ca_cert=str(tmp_path / "missing.pem"))
    (tmp_path / "c.pem").write_text("x")
    with pytest.raises(ValueError, match="key_file needs cert_file"):
        GenesysCloud(key_file=str(tmp_path / "c.pem"))
    with pytest.raises(ValueError, match="proxy must be a URL"):
        GenesysCloud(proxy="ftp://proxy")


def test_async_proxy_with_credentials(sb, http_proxy):
    async def main(username, password):
        async with AsyncGenesysCloud(api_host=sb.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET),
                                     proxy=http_proxy, proxy_username=username, proxy_password=password,
                                     trust_env=False, max_retries=0) as agc:
            return await agc.oauth.get_oauth_clients()

    sb.clear_requests()
    assert asyncio.run(main("proxyuser", "proxy-pw-77")).entities is not None
    assert "/api/v2/oauth/clients" in [e["path"] for e in sb.requests()]
    with pytest.raises(genesyscloud.AuthError) as info:
        asyncio.run(main(None, None))
    assert info.value.status == 407


def test_no_proxy_bypasses_the_environment_proxy(sb, http_proxy, monkeypatch):
    host = http_proxy.removeprefix("http://")
    for var in ("ALL_PROXY", "all_proxy", "no_proxy", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:wrong@{host}")  # would answer 407
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with GenesysCloud(api_host=sb.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET)) as gc:
        assert gc.oauth.get_oauth_clients().entities is not None

    async def main():
        async with AsyncGenesysCloud(api_host=sb.url, auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET)) as agc:
            return await agc.oauth.get_oauth_clients()

    assert asyncio.run(main()).entities is not None


def _memory_context(s):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    s["ca_obj"].configure_trust(context)
    s["client_obj"].configure_cert(context)
    return context


def test_mutual_tls_with_an_in_memory_ssl_context_sync_and_async(mtls_server, monkeypatch):
    s = mtls_server
    from genesyscloud._core import transport

    built = []
    real = transport.build_ssl_context
    monkeypatch.setattr(transport, "build_ssl_context", lambda config: built.append(1) or real(config))
    context = _memory_context(s)
    with GenesysCloud(api_host=s["url"], auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), ssl_context=context) as gc:
        assert gc.oauth.get_oauth_clients().entities is not None
        assert gc.oauth.get_oauth_clients().entities is not None
        assert gc._http().ssl.get() is context
    assert built == [1]  # one context for the token and API requests, built once

    async def main():
        async with AsyncGenesysCloud(api_host=s["url"], auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET),
                                     ssl_context=_memory_context(s)) as agc:
            return await agc.oauth.get_oauth_clients()

    assert asyncio.run(main()).entities is not None
    with pytest.raises(TypeError, match="ssl.SSLContext"):
        GenesysCloud(ssl_context="not a context")
    with pytest.raises(ValueError, match="one or the other"):
        GenesysCloud(ssl_context=context, ssl_ca_cert=s["ca"])


def test_async_mutual_tls_from_files_and_untrusted_server(mtls_server):
    s = mtls_server

    async def main(**kw):
        async with AsyncGenesysCloud(api_host=s["url"], auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET),
                                     max_retries=0, **kw) as agc:
            return await agc.oauth.get_oauth_clients()

    assert asyncio.run(main(ssl_ca_cert=s["ca"], cert_file=s["cert"], key_file=s["key"])).entities is not None
    with pytest.raises(genesyscloud.APIConnectionError):  # the login service never answered
        asyncio.run(main(cert_file=s["cert"], key_file=s["key"]))
