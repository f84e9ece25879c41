"""In-memory state of a sandbox org: the clock, OAuth clients, tokens, codes, resources,
request log, fault rules and rate-limit windows.

All of it lives in the server's event loop thread; the control API and the Python-side
``Sandbox`` helpers change it through HTTP, so no locks are needed.
"""

from __future__ import annotations

import json
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from . import _seed
from ._reqlog import RequestLog

DEFAULT_TOKEN_TTL = 86400
#: Authorization codes live this long (seconds, sandbox clock), like short-lived real codes.
CODE_TTL = 300
#: Most entries the request log keeps (oldest dropped first).
REQUEST_LOG_LIMIT = 50_000
#: Rate-limit window (seconds, sandbox clock).


@dataclass
class Token:
    """An issued access token (opaque string; ``expires_at`` is on the sandbox clock, seconds)."""

    client_id: str
    user_id: str | None
    grant: str
    expires_at: float
    issued_at: float


@dataclass
class RefreshToken:
    client_id: str
    user_id: str
    public: bool  # issued to a PKCE (public) client: refresh needs no secret


@dataclass
class AuthCode:
    client_id: str
    user_id: str
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float


@dataclass
class Fault:
    """A fault injection rule (see ``POST /__sandbox__/faults``)."""

    id: str
    path: Any  # compiled regex
    method: str | None
    status: int | None
    retry_after: float | None
    rate: float | None
    count: int | None
    latency: float
    drop: str | None

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path.pattern, "method": self.method, "status": self.status,
                "retry_after": self.retry_after, "rate": self.rate, "count": self.count,
                "latency": self.latency, "drop": self.drop}


@dataclass
class SandboxConfig:
    """Settings of one sandbox server (all durations in seconds)."""

    client_id: str
    client_secret: str
    seed: int = 1
    token_ttl: int | None = None
    rate_limit: int | None = None
    max_body: int = 10 * 1024 * 1024
    rate_limit_window: float = 60.0  # seconds (sandbox/_ratelimit.py)
    user_rate_limit: int | None = None  # requests per window per user, across tokens
    token_rate_limit: int | None = None  # token requests per window per OAuth client

    def __repr__(self) -> str:  # never show the secret
        return (f"SandboxConfig(client_id={self.client_id!r}, client_secret='***', seed={self.seed}, "
                f"token_ttl={self.token_ttl}, rate_limit={self.rate_limit}, max_body={self.max_body}, "
                f"rate_limit_window={self.rate_limit_window:g}, user_rate_limit={self.user_rate_limit}, "
                f"token_rate_limit={self.token_rate_limit})")


def new_secret() -> str:
    """A fresh random secret or token (URL-safe, 43 characters)."""
    return secrets.token_urlsafe(32)


class SandboxState:
    """The mutable org. ``reset()`` restores the seeded state (and the real-time clock)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock_offset = 0.0
        self.request_log = RequestLog(REQUEST_LOG_LIMIT)
        self.faults: list[Fault] = []
        self._seeded: str | None = None
        self._loaded = False
        self.reset()

    # -- clock -------------------------------------------------------------------------
    def now(self) -> float:
        """Sandbox time: wall-clock seconds since the epoch plus every ``advance`` so far."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> float:
        self.clock_offset += seconds
        return self.now()

    # -- seeded data (built lazily: startup stays quick) -------------------------------
    def reset(self) -> None:
        self.clock_offset = 0.0
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}
        self.faults = []
        self.fault_rng = random.Random(self.config.seed)
        self.request_log.clear()
        self.usage: dict[str, dict[tuple[str, str], dict[str, int]]] = {}
        self.usage_queries: dict[str, dict[str, Any]] = {}
        self.authorizations: dict[tuple[str, str], dict[str, Any]] = {}
        self.paging: dict[str, Any] = {"jobs": {}}  # generated listings and analytics jobs (_paging.py)
        self.secrets: dict[str, str] = {self.config.client_id: self.config.client_secret}
        self.clients: dict[str, dict[str, Any]] = {}
        self._loaded = False
        self.clients[self.config.client_id] = {
            "id": self.config.client_id,
            "name": "Sandbox client",
            "description": "The sandbox's own OAuth client; it accepts every grant type.",
            "accessTokenValiditySeconds": self.config.token_ttl or DEFAULT_TOKEN_TTL,
            "registeredRedirectUri": [],
            "roleIds": [],
            "authorizedGrantType": "CLIENT-CREDENTIALS",
            "scope": [],
            "roleDivisions": [],
            "state": "active",
            "dateCreated": _seed.DATE_CREATED,
            "dateModified": _seed.DATE_CREATED,
            "selfUri": f"/api/v2/oauth/clients/{self.config.client_id}",
        }

    def _load(self) -> None:
        if self._seeded is None:
            built = _seed.build_seed(self.config.seed)
            built.pop("rng_state", None)
            self._seeded = json.dumps(built)  # a JSON copy loads faster than deepcopy
        data = json.loads(self._seeded)
        self.org = data["org"]
        self.divisions = data["divisions"]
        self.users = {u["id"]: u for u in data["users"]}
        self.users_by_email = {u["email"].lower(): u for u in data["users"]}
        self.roles = {r["id"]: r for r in data["roles"]}
        self.permissions = data["permissions"]
        self.queues = {q["id"]: q for q in data["queues"]}
        self.conversations = {c["id"]: c for c in data["conversations"]}
        self.scopes = {s["id"]: s for s in data["scopes"]}
        self.id_rng = random.Random(f"ids-{self.config.seed}")
        admin = data["users"][0]
        ref = {"id": admin["id"], "name": admin["name"], "selfUri": admin["selfUri"]}
        for client in self.clients.values():
            client.setdefault("createdBy", ref)
            client.setdefault("modifiedBy", ref)
        self.admin_ref = ref
        # a seeded web app (authorization code grant) that the first users have authorized
        web_id = str(uuid.UUID(int=random.Random(f"webapp-{self.config.seed}").getrandbits(128), version=4))
        self.clients[web_id] = {
            "id": web_id, "name": "Sandbox web app", "description": "A seeded authorization-code client.",
            "accessTokenValiditySeconds": DEFAULT_TOKEN_TTL, "registeredRedirectUri": ["http://localhost:8080/callback"],
            "roleIds": [data["roles"][0]["id"]], "authorizedGrantType": "CODE", "scope": ["users:readonly"],
            "roleDivisions": [], "state": "active", "dateCreated": _seed.DATE_CREATED,
            "dateModified": _seed.DATE_CREATED, "createdBy": ref, "modifiedBy": ref,
            "selfUri": f"/api/v2/oauth/clients/{web_id}",
        }
        self.secrets[web_id] = new_secret()
        for user in data["users"][:3]:
            self.authorizations[(web_id, user["id"])] = {
                "clientId": web_id, "userId": user["id"], "dateCreated": _seed.DATE_CREATED}
        self._loaded = True

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self._load()

    def new_id(self) -> str:
        """A fresh entity id (uuid4 drawn from the seeded generator: deterministic per run)."""
        self.ensure_loaded()
        return str(uuid.UUID(int=self.id_rng.getrandbits(128), version=4))

    # -- tokens --------------------------------------------------------------------------
    def token_ttl_for(self, client_id: str) -> int:
        if self.config.token_ttl:
            return int(self.config.token_ttl)
        client = self.clients.get(client_id) or {}
        return int(client.get("accessTokenValiditySeconds") or DEFAULT_TOKEN_TTL)

    def issue_token(self, client_id: str, user_id: str | None, grant: str) -> tuple[str, int]:
        ttl = self.token_ttl_for(client_id)
        token = new_secret()
        now = self.now()
        self.tokens[token] = Token(client_id=client_id, user_id=user_id, grant=grant, expires_at=now + ttl, issued_at=now)
        return token, ttl

    def issue_refresh(self, client_id: str, user_id: str, public: bool) -> str:
        token = new_secret()
        self.refresh_tokens[token] = RefreshToken(client_id=client_id, user_id=user_id, public=public)
        return token

    def lookup_token(self, token: str) -> tuple[Token | None, str]:
        """Return ``(token, "")`` or ``(None, reason)`` with reason ``unknown``/``expired``."""
        record = self.tokens.get(token)
        if record is None:
            return None, "unknown"
        if record.expires_at <= self.now():
            return None, "expired"
        return record, ""

    def revoke_client(self, client_id: str) -> None:
        for key in [k for k, t in self.tokens.items() if t.client_id == client_id]:
            del self.tokens[key]
        for key in [k for k, t in self.refresh_tokens.items() if t.client_id == client_id]:
            del self.refresh_tokens[key]

    # -- usage ---------------------------------------------------------------------------
    def record_usage(self, client_id: str, template: str, method: str, status: int) -> None:
        per_client = self.usage.setdefault(client_id, {})
        row = per_client.setdefault((template, method), {"status200": 0, "status300": 0, "status400": 0,
                                                         "status429": 0, "status500": 0, "requests": 0})
        row["requests"] += 1
        if status == 429:
            row["status429"] += 1
        elif status >= 500:
            row["status500"] += 1
        elif status >= 400:
            row["status400"] += 1
        elif status >= 300:
            row["status300"] += 1
        else:
            row["status200"] += 1
