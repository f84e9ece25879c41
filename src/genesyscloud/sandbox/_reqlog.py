"""The sandbox request log (``GET /__sandbox__/requests``), bounded in memory.

Each entry keeps a masked, truncated *text* of its body, never the parsed body:

* a JSON body of at most :data:`BODY_JSON_LIMIT` bytes is kept as compact JSON text with
  secret fields masked (``[REDACTED]``) and shown parsed again by the control API;
* any other body (bigger, not JSON, not valid JSON, form data) is kept as the masked
  text of its first :data:`BODY_TEXT_LIMIT` bytes (form data: masked fields);
* all bodies together hold at most :data:`BODY_BUDGET` bytes of text: past that the
  oldest entries lose their body text (``"bodyOmitted": true``), newest kept;
* paths, header values and query values are cut to :data:`VALUE_LIMIT` characters, and
  that text of all entries holds at most :data:`META_BUDGET` bytes (oldest entries dropped);
* at most :data:`~._state.REQUEST_LOG_LIMIT` entries (oldest dropped first).

Masking is the SDK's own (:func:`genesyscloud._core.logging.redact_body`), so the log
hides exactly what the SDK's HTTP logging hides.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Iterator
from urllib.parse import urlencode

from .._core.logging import REDACTED, redact_body
from ._router import nesting_exceeds

#: JSON bodies up to this size (bytes) are kept whole, masked, as compact JSON text
BODY_JSON_LIMIT = 64 * 1024
#: other bodies: masked text of their first bytes (at most this many)
BODY_TEXT_LIMIT = 4000
#: JSON bodies nested deeper than this are kept as text (the log must always serialize)
SHOW_DEPTH = 64
#: all body texts of the log together (bytes of text, approximately)
BODY_BUDGET = 16 * 1024 * 1024
#: all other text of the log's entries together (path, query, headers); oldest entries go first
META_BUDGET = 32 * 1024 * 1024
#: longest path, header value or query value kept (characters; longer ones are cut)
VALUE_LIMIT = 2048


def clip(text: str, limit: int = VALUE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with a note of its length when cut."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class LoggedBody:
    """Masked text of one request body (``json``: the text is JSON to show parsed)."""

    __slots__ = ("text", "json")

    def __init__(self, text: str, is_json: bool) -> None:
        self.text = text
        self.json = is_json

    @property
    def cost(self) -> int:
        return len(self.text) + 64

    def view(self) -> Any:
        return json.loads(self.text) if self.json else self.text


def mask_body(body: bytes, content_type: str) -> LoggedBody | None:
    """The loggable, masked and bounded text of ``body`` (``None`` when empty)."""
    if not body:
        return None
    if len(body) <= BODY_JSON_LIMIT:
        try:
            masked = redact_body(body, content_type)
        except RecursionError:  # nested too deeply to parse: masked as plain text
            return LoggedBody(_text_head(body), False)
        if isinstance(masked, str):
            return LoggedBody(masked, False)
        if nesting_exceeds(masked, SHOW_DEPTH):
            return LoggedBody(_text_head(body), False)
        try:  # strict JSON (no NaN, no lone surrogates) or it is shown as text
            text = json.dumps(masked, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            text.encode("utf-8")
        except (ValueError, UnicodeEncodeError, RecursionError):
            try:
                return LoggedBody(json.dumps(masked, ensure_ascii=True, separators=(",", ":")), False)
            except (ValueError, RecursionError):
                return LoggedBody(f"<{len(body)} bytes>", False)
        return LoggedBody(text, True)
    return LoggedBody(_text_head(body), False)


def _text_head(body: bytes) -> str:
    """Masked text of the first :data:`BODY_TEXT_LIMIT` bytes (the SDK's text scrubbing)."""
    head = redact_body(body[:BODY_TEXT_LIMIT], "text/plain")
    if len(body) <= BODY_TEXT_LIMIT:
        return head
    return f"{head}... (truncated; {len(body)} bytes)"


def mask_query(query: dict[str, list[str]]) -> dict[str, list[str]]:
    """Query parameters with the values of secret-looking names masked (the SDK's rules)."""
    out: dict[str, list[str]] = {}
    for name, values in query.items():
        probe = redact_body(urlencode({name: "x"}).encode(), "application/x-www-form-urlencoded")
        secret = isinstance(probe, dict) and probe.get(name) == REDACTED
        out[clip(name)] = [REDACTED] * len(values) if secret else [clip(v) for v in values]
    return out


def _meta_cost(entry: dict[str, Any]) -> int:
    cost = 256 + len(entry.get("path") or "")
    for name, values in (entry.get("query") or {}).items():
        cost += len(name) + sum(len(v) + 8 for v in values)
    for name, value in (entry.get("headers") or {}).items():
        cost += len(name) + len(value) + 16
    return cost


class RequestLog:
    """Entries (dicts) oldest first; ``append``/``clear``/iteration like a deque."""

    def __init__(self, max_entries: int, body_budget: int = BODY_BUDGET, meta_budget: int = META_BUDGET) -> None:
        self.max_entries = max_entries
        self.body_budget = body_budget
        self.meta_budget = meta_budget
        self._entries: deque[dict[str, Any]] = deque()
        self._costs: deque[int] = deque()
        self._with_body: deque[dict[str, Any]] = deque()
        self.body_bytes = 0
        self.meta_bytes = 0

    def _evict_oldest(self) -> None:
        evicted = self._entries.popleft()
        self.meta_bytes -= self._costs.popleft()
        if self._with_body and self._with_body[0] is evicted:
            self._with_body.popleft()
        self._forget_body(evicted)

    def append(self, entry: dict[str, Any]) -> None:
        if len(self._entries) >= self.max_entries:
            self._evict_oldest()
        cost = _meta_cost(entry)
        self._entries.append(entry)
        self._costs.append(cost)
        self.meta_bytes += cost
        while self.meta_bytes > self.meta_budget and len(self._entries) > 1:
            self._evict_oldest()
        body = entry.get("body")
        if isinstance(body, LoggedBody):
            self.body_bytes += body.cost
            self._with_body.append(entry)
            while self.body_bytes > self.body_budget and self._with_body:
                oldest = self._with_body.popleft()
                self._forget_body(oldest)
                oldest["body"] = None
                oldest["bodyOmitted"] = True

    def _forget_body(self, entry: dict[str, Any]) -> None:
        body = entry.get("body")
        if isinstance(body, LoggedBody):
            self.body_bytes -= body.cost
            entry["body"] = None

    def clear(self) -> None:
        self._entries.clear()
        self._costs.clear()
        self._with_body.clear()
        self.body_bytes = 0
        self.meta_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._entries)

    def view(self) -> list[dict[str, Any]]:
        """JSON-ready copies of the entries (bodies shown parsed when they are JSON)."""
        out = []
        for entry in self._entries:
            body = entry.get("body")
            out.append({**entry, "body": body.view() if isinstance(body, LoggedBody) else body})
        return out
