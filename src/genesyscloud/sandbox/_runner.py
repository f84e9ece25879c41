"""Running the sandbox: in a background thread (:class:`Sandbox`) or in the foreground
(:func:`serve`, used by ``python -m genesyscloud.sandbox serve`` and ``genesys-cloud sandbox serve``).

Starlette and uvicorn are imported only when a server starts.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import sys
import threading
from typing import Any, Callable

from ._notification_controls import NotificationControls
from ._requires import require_sandbox_extra

__all__ = ["Sandbox", "create_app", "serve"]

_START_TIMEOUT = 30.0


def create_app(client_id: str, client_secret: str, *, seed: int = 1, token_ttl: int | None = None,
               rate_limit: int | None = None, max_body: int = 10 * 1024 * 1024, rate_limit_window: float = 60.0,
               user_rate_limit: int | None = None, token_rate_limit: int | None = None,
               heartbeat_interval: float = 30.0) -> Any:
    """Build the sandbox ASGI application (a ``SandboxApp``; serve it with any ASGI server).

    Args:
        client_id, client_secret: the OAuth client that ``POST /oauth/token`` accepts.
        seed: seed of the generated org (users, queues, conversations, ids).
        token_ttl: ``expires_in`` of every token, seconds; ``None``: the OAuth client's
            ``accessTokenValiditySeconds`` (default 86400).
        rate_limit: requests per ``rate_limit_window`` per token (429 beyond, and the
            ``inin-ratelimit-*`` headers on every API response); ``None``: unlimited.
        max_body: largest accepted request body in bytes (413 beyond).
        rate_limit_window: the window of every limit, seconds (the real service: 60).
        user_rate_limit: requests per window per user across tokens (real: 3,000).
        token_rate_limit: token requests per window per OAuth client (login 400 beyond).
        heartbeat_interval: seconds between the notification sockets' heartbeats.
    """
    from ._app import SandboxApp
    from ._state import SandboxConfig

    if not isinstance(rate_limit_window, int | float) or rate_limit_window <= 0:
        raise ValueError("rate_limit_window must be seconds > 0")
    app = SandboxApp(SandboxConfig(client_id=client_id, client_secret=client_secret, seed=seed,
                                   token_ttl=token_ttl, rate_limit=rate_limit, max_body=max_body,
                                   rate_limit_window=float(rate_limit_window), user_rate_limit=user_rate_limit,
                                   token_rate_limit=token_rate_limit))
    app.notifications.heartbeat_interval = float(heartbeat_interval)
    return app


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's event loop when installed (the ``sandbox`` extra suggests it), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def _run(coro: Any) -> Any:
    """Run ``coro`` to completion on a fresh event loop of :func:`_loop_factory` (Python 3.10+)."""
    loop = _loop_factory()()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _uvicorn_config(app: Any, **kwargs: Any) -> Any:
    import uvicorn

    try:
        import httptools  # noqa: F401  (faster HTTP parser when installed)
        http = "httptools"
    except ImportError:
        http = "h11"
    from ._wire import protocol_class

    return uvicorn.Config(app, http=protocol_class(http), lifespan="off", access_log=False, log_level="warning",
                          proxy_headers=False, server_header=False, date_header=True, **kwargs)


class Sandbox(NotificationControls):
    """A sandbox server on ``127.0.0.1`` in a background thread, on a free port.

    Use as a context manager (``with Sandbox() as sb: sb.url``) or call ``start()`` /
    ``stop()``. ``client_id``/``client_secret`` default to fresh random values; the secret
    never appears in ``repr``.

    The helpers (``requests``, ``add_fault``, ``advance_clock``, ...) call the control API
    ``/__sandbox__/...`` over HTTP with httpx and raise ``httpx.HTTPStatusError`` on an
    error response.
    """

    def __init__(self, client_id: str | None = None, client_secret: str | None = None, *, seed: int = 1,
                 token_ttl: int | None = None, rate_limit: int | None = None, host: str = "127.0.0.1",
                 port: int = 0, rate_limit_window: float = 60.0, user_rate_limit: int | None = None,
                 token_rate_limit: int | None = None, heartbeat_interval: float = 30.0) -> None:
        self.client_id = client_id or f"sandbox-{secrets.token_hex(8)}"
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.seed = seed
        self.token_ttl = token_ttl
        self.rate_limit = rate_limit
        self.heartbeat_interval = heartbeat_interval
        self._limit_options = {"rate_limit_window": rate_limit_window, "user_rate_limit": user_rate_limit,
                            "token_rate_limit": token_rate_limit}
        self.host = host
        self._port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.app: Any = None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"Sandbox(client_id={self.client_id!r}, seed={self.seed}, {where})"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "Sandbox":
        """Bind a free port, start serving in a daemon thread and wait until it accepts connections.

        Raises:
            RuntimeError: the server did not start within 30 seconds or failed while starting.
        """
        if self._server is not None:
            return self
        require_sandbox_extra()
        import uvicorn

        self.app = create_app(self.client_id, self.client_secret, seed=self.seed, token_ttl=self.token_ttl,
                              rate_limit=self.rate_limit, heartbeat_interval=self.heartbeat_interval,
                              **self._limit_options)
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only then
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._port = sock.getsockname()[1]
        server = uvicorn.Server(_uvicorn_config(self.app))
        self._server = server

        def run() -> None:
            try:
                _run(server.serve(sockets=[sock]))
            except BaseException as exc:  # reported to start()/stop() callers
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name=f"genesyscloud-sandbox-{self._port}", daemon=True)
        self._thread.start()
        waited = 0.0
        while not server.started:
            if self._error is not None or not self._thread.is_alive():
                self._server = None
                raise RuntimeError(f"the sandbox failed to start: {self._error!r}")
            if waited > _START_TIMEOUT:
                self.stop()
                raise RuntimeError("the sandbox did not start within 30 seconds")
            self._thread.join(0.005)
            waited += 0.005
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.should_exit = True
        if thread is not None:
            thread.join(10)
        self._server = None
        self._thread = None
        close = getattr(self.app, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- control API helpers ---------------------------------------------------------------
    def _control(self, method: str, path: str, json: Any = None) -> Any:
        import httpx

        response = httpx.request(method, f"{self.url}/__sandbox__/{path}", json=json, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self) -> list[dict[str, Any]]:
        """The request log (``GET /__sandbox__/requests``): dicts with ``method, path, query,
        headers, body, bodySize, status, correlationId, time``; secrets masked.

        ``body`` is the parsed JSON for JSON bodies up to 64 KB, else a masked text of at
        most about 4,000 characters (``None`` when the log's 16 MB body budget dropped it:
        then ``bodyOmitted`` is true); ``bodySize`` is the body's length in bytes."""
        return self._control("GET", "requests")

    def clear_requests(self) -> None:
        """Empty the request log (``DELETE /__sandbox__/requests``)."""
        self._control("DELETE", "requests")

    def add_fault(self, path: str, *, method: str | None = None, status: int | None = None,
                  retry_after: float | None = None, rate: float | None = None, count: int | None = None,
                  latency: float = 0, drop: str | None = None) -> dict[str, Any]:
        """Add a fault rule (``POST /__sandbox__/faults``); returns the rule with its ``id``.

        Args:
            path: regular expression searched in the request path.
            method: only this HTTP method (default: any).
            status: answer with this status and an API error body instead of processing.
            retry_after: ``Retry-After`` header value, seconds.
            rate: probability (0..1) that a matching request is affected (seeded generator).
            count: affect only the next N matching requests.
            latency: seconds to wait before handling the request.
            drop: ``"before"``/``"after"``: close the connection without a response before or
                after the request was processed.
        """
        rule = {"path": path, "method": method, "status": status, "retry_after": retry_after, "rate": rate,
                "count": count, "latency": latency, "drop": drop}
        return self._control("POST", "faults", {k: v for k, v in rule.items() if v is not None})

    def clear_faults(self) -> None:
        """Remove every fault rule (``DELETE /__sandbox__/faults``)."""
        self._control("DELETE", "faults")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward (``POST /__sandbox__/clock``); tokens expire by it."""
        return self._control("POST", "clock", {"advance": seconds})

    def reset(self) -> None:
        """Back to the seeded state: data, tokens, clock, faults, log (``POST /__sandbox__/reset``)."""
        self._control("POST", "reset")

    def add_rate_limit(self, path: str, *, limit: int, window: float = 60, method: str | None = None,
                       key: str | None = None, namespace: str | None = None) -> dict[str, Any]:
        """Give an API a limit of its own (``POST /__sandbox__/ratelimits``), counted per token:
        ``limit`` requests per ``window`` seconds to paths matching the regular expression
        ``path``; its 429s carry ``limit.key`` = ``key``."""
        rule = {"path": path, "limit": limit, "window": window, "method": method, "key": key, "namespace": namespace}
        return self._control("POST", "ratelimits", {k: v for k, v in rule.items() if v is not None})

    def rate_limits(self) -> dict[str, Any]:
        """Limits, rules and counters (``GET /__sandbox__/ratelimits``): ``stats.api_429``,
        ``stats.token_400``."""
        return self._control("GET", "ratelimits")

    def info(self) -> dict[str, Any]:
        """Org facts (``GET /__sandbox__/info``): default user email, user password, counts."""
        return self._control("GET", "info")


def serve(host: str = "127.0.0.1", port: int = 8642, *, client_id: str, client_secret: str, seed: int = 1,
          token_ttl: int | None = None, rate_limit: int | None = None,
          announce: Callable[[str], None] | None = None, rate_limit_window: float = 60.0,
          user_rate_limit: int | None = None, token_rate_limit: int | None = None,
          heartbeat_interval: float = 30.0) -> None:
    """Serve in the foreground until SIGINT/SIGTERM. Once the socket accepts connections,
    ``announce`` (default: print to stdout) gets ``"Genesys Cloud sandbox listening on URL"``.

    Raises:
        SandboxExtraMissing: (an ``ImportError``) the ``sandbox`` extra is not installed.
    """
    require_sandbox_extra()
    import uvicorn

    app = create_app(client_id, client_secret, seed=seed, token_ttl=token_ttl, rate_limit=rate_limit,
                     rate_limit_window=rate_limit_window, user_rate_limit=user_rate_limit,
                     token_rate_limit=token_rate_limit, heartbeat_interval=heartbeat_interval)
    server = uvicorn.Server(_uvicorn_config(app, host=host, port=port))
    say = announce or (lambda line: (sys.stdout.write(line + "\n"), sys.stdout.flush()))

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                break
            await asyncio.sleep(0.01)
        if server.started:
            bound = port
            for srv in server.servers:
                for sock in srv.sockets:
                    bound = sock.getsockname()[1]
            say(f"Genesys Cloud sandbox listening on http://{host}:{bound}")
        await task

    _run(main())
    if not server.started:
        raise SystemExit(f"the sandbox could not listen on {host}:{port}")
