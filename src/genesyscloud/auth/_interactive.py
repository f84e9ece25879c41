"""``interactive_login()``: PKCE with a loopback redirect listener and the system browser
(RFC 8252 section 7.3), the Python counterpart of the JS SDK's browser sign-in."""

from __future__ import annotations

import html
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from .._core.errors import AuthError
from ._grants import Pkce

__all__ = ["interactive_login"]

log = logging.getLogger("genesyscloud.auth")

_DONE_PAGE = ("<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
              "<body style='font-family:sans-serif;max-width:32em;margin:4em auto'><h1>{title}</h1>"
              "<p>{text}</p></body></html>")


class _Listener:
    """A one-shot HTTP server on loopback that waits for the login service's redirect."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.path = path or "/"
        self.event = threading.Event()
        self.params: dict[str, str] = {}
        listener = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # drop idle (pre-)connections instead of holding a thread

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                if parts.path != listener.path or listener.event.is_set():
                    self._answer(404, "Not found", "Nothing here.")
                    return
                params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                if "code" not in params and "error" not in params:
                    self._answer(400, "Sign-in incomplete", "This address expects the login service's redirect.")
                    return
                if "error" in params:
                    self._answer(200, "Sign-in failed", f"The login service said: "
                                 f"{params.get('error_description') or params['error']}. You can close this window.")
                else:
                    self._answer(200, "Signed in", "You are signed in to Genesys Cloud. You can close this window.")
                listener.params = params
                listener.event.set()

            def _answer(self, status: int, title: str, text: str) -> None:
                body = _DONE_PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never log it
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="genesyscloud-login-listener", daemon=True)

    def __enter__(self) -> _Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def interactive_login(
    client_id: str,
    *,
    region: Any = None,
    api_host: str | None = None,
    login_host: str | None = None,
    redirect_uri: str | None = None,
    open_browser: Callable[[str], Any] | None = None,
    timeout: float = 300.0,
    login_hint: str | None = None,
    org: str | None = None,
    provider: str | None = None,
    prompt: str | None = None,
) -> Pkce:
    """Sign a person in with the system browser and return a signed-in :class:`Pkce` grant.

    Starts a listener on loopback (an ephemeral port on ``127.0.0.1`` unless
    ``redirect_uri`` names one), opens the login service's authorize page in the
    browser (printing the address to stderr when no browser can be opened), waits for
    the redirect, checks its ``state``, and exchanges the code (with the PKCE verifier)
    for a token. Pass the grant to a client; it renews the token with the refresh token::

        grant = interactive_login(client_id, region="eu-west-1")
        gc = GenesysCloud(region="eu-west-1", auth=grant)

    Args:
        client_id: a PKCE (public) OAuth client whose redirect URIs include the listener's.
        region, api_host, login_host: where the login service is (as for the clients).
        redirect_uri: ``http://127.0.0.1:PORT/PATH`` or ``http://localhost:PORT/PATH`` to
            listen on (default ``http://127.0.0.1:<ephemeral>/``).
        open_browser: opens a URL and returns whether it could (default ``webbrowser.open``).
        timeout: seconds to wait for the sign-in (default 300).
        login_hint, org, provider, prompt: passed to the authorize page.

    Raises:
        AuthError: the sign-in failed or was refused (``access_denied``, ...), the
            redirect's state did not match (``invalid_state``), nobody signed in within
            ``timeout`` (``login_timeout``), or the code exchange failed.
        ValueError: a ``redirect_uri`` that is not an ``http`` loopback address.
    """
    from .._client import GenesysCloud

    host, port, path = "127.0.0.1", 0, "/"
    if redirect_uri is not None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("interactive_login: redirect_uri must be an http loopback address, "
                             "e.g. http://127.0.0.1:8080/callback")
        host, port, path = parts.hostname, parts.port or 80, parts.path or "/"
    with _Listener("127.0.0.1" if host == "localhost" else host, port, path) as listener:
        if redirect_uri is None:
            redirect_uri = f"http://127.0.0.1:{listener.port}/"
        grant = Pkce(client_id, redirect_uri)
        url = grant.authorization_url(region=region, api_host=api_host, login_host=login_host,
                                      login_hint=login_hint, org=org, provider=provider, prompt=prompt)
        if open_browser is None:
            import webbrowser

            open_browser = webbrowser.open
        try:
            opened = bool(open_browser(url))
        except Exception as exc:
            log.debug("could not open a browser (%s)", type(exc).__name__)
            opened = False
        if not opened:
            print(f"Open this address in a browser to sign in to Genesys Cloud:\n\n    {url}\n", file=sys.stderr,
                  flush=True)
        log.debug("waiting up to %g s for the sign-in redirect on %s", timeout, redirect_uri)
        if not listener.event.wait(timeout):
            raise AuthError("login_timeout", f"nobody signed in within {timeout:g} s")
        params = listener.params
    if "error" in params:
        raise AuthError(params["error"] or "access_denied", params.get("error_description", ""))
    if params.get("state") != grant.state:
        raise AuthError("invalid_state", "the redirect's state does not match the authorization request")
    grant.set_code(params["code"])
    with GenesysCloud(region=region, api_host=api_host, login_host=login_host, auth=grant) as client:
        grant._token = client.authenticate()
    return grant
