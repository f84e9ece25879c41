"""A local Genesys Cloud org for tests, demos and the CLI: ``genesyscloud.sandbox``.

A real HTTP server on loopback (Starlette app served by uvicorn) with the login service
(``POST /oauth/token`` for client credentials, authorization code with and without PKCE,
refresh token and SAML2 bearer; ``GET /oauth/authorize``; ``GET /logout``) and the
Platform API v2 (``/api/v2/...``) on the same origin. OAuth clients, tokens, users,
roles, permissions, routing queues, conversations and the organization are stateful;
every other operation of the definition is validated and answered from the definition.

    from genesyscloud.sandbox import Sandbox

    with Sandbox(seed=1) as sb:
        sb.url, sb.client_id, sb.client_secret

Every seeded user signs in with the password ``"sandbox"`` (:data:`USER_PASSWORD`).
Control API (no auth): ``/__sandbox__/requests``, ``/faults``, ``/clock``, ``/reset``, ``/info``.
Command line: ``python -m genesyscloud.sandbox serve --port 8642 --client-id ID --client-secret S``.

Importing this package is cheap: Starlette, uvicorn and jsonschema load when a server starts.
"""

from __future__ import annotations

from ._runner import Sandbox, create_app, serve
from ._seed import USER_PASSWORD

__all__ = ["Sandbox", "create_app", "serve", "USER_PASSWORD"]
