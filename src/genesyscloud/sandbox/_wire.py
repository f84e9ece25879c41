"""The sandbox's HTTP/1.1 protocol: uvicorn's, with the Genesys error body on its own rejects.

uvicorn answers requests it cannot parse (an unknown method, a URL or header past the
parser's limits, bad ``Content-Length`` or chunked framing) with a plain-text 400 before
the application sees them. The real service answers such requests with its JSON error
body; so does the sandbox: ``{"message", "code": "bad.request", "status": 400, ...}``
with an ``ININ-Correlation-Id`` header equal to its ``contextId``, then the connection
closes (the stream cannot be trusted after a framing error).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ._errors import api_error_body


def _reject_bytes(default_headers: list[tuple[bytes, bytes]], message: str) -> bytes:
    correlation_id = str(uuid.uuid4())
    body = json.dumps(api_error_body(400, "bad.request", message, correlation_id), separators=(",", ":")).encode()
    head = [b"HTTP/1.1 400 Bad Request\r\n"]
    for name, value in default_headers:
        head.append(name + b": " + value + b"\r\n")
    head += [b"content-type: application/json\r\n", b"content-length: " + str(len(body)).encode() + b"\r\n",
             b"inin-correlation-id: " + correlation_id.encode() + b"\r\n", b"connection: close\r\n\r\n"]
    return b"".join(head) + body


def protocol_class(http: str) -> Any:
    """uvicorn's ``httptools`` or ``h11`` protocol class with JSON rejects (``http`` as
    uvicorn names them); the name itself if that protocol cannot be extended."""
    if http == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base
    if not callable(getattr(base, "send_400_response", None)):
        return http

    class GenesysRejectProtocol(base):  # type: ignore[misc, valid-type]
        def send_400_response(self, msg: str) -> None:
            state = getattr(self, "server_state", None)
            headers = list(getattr(state, "default_headers", []) or [])
            self.transport.write(_reject_bytes(headers, "The request is not valid HTTP/1.1 and cannot be processed."))
            self.transport.close()

    GenesysRejectProtocol.__name__ = f"Genesys{base.__name__}"
    return GenesysRejectProtocol
