"""Decide each operation's paging style from its parameters and response schema.

Styles (GENESYS-FACTS.md section 5): ``page_number`` (entities + pageCount, pageNumber
query), ``next_uri`` (follow ``nextUri``: tokens ``after``/``cursor``/``nextPage`` inside),
``cursor`` (``cursor`` in the body, passed back as a query parameter), ``cursors_after``
(``cursors.after``), ``search`` (results + nextPage), ``body`` (POST queries paging in the
request body). ``OVERRIDES`` is the one reviewed table for where the schema misleads.
"""

from __future__ import annotations

from typing import Any

#: operationId -> style (or None for "not paged") where detection from the schema is wrong.
OVERRIDES: dict[str, str | None] = {}


def paging_style(op: Any, schemas: dict[str, Any]) -> str | None:
    if op.operation_id in OVERRIDES:
        return OVERRIDES[op.operation_id]
    if not op.response or op.response not in schemas:
        return None
    fields = {p.wire for p in schemas[op.response].props}
    query = {p.wire for p in op.params if p.location == "query"}
    if op.http_method == "POST":
        body = next((p for p in op.params if p.location == "body"), None)
        body_fields = {p.wire for p in schemas[body.spec].props} if body and body.spec in schemas else set()
        if ("paging" in body_fields or "pageNumber" in body_fields) and ({"pageCount", "total", "totalHits"} & fields):
            return "body"
        if op.http_method == "POST" and not query & {"pageNumber", "cursor", "after"}:
            return None
    if "cursor" in fields and "cursor" in query:
        return "cursor"
    if "cursors" in fields and query & {"after", "cursor"}:
        return "cursors_after"
    if "pageCount" in fields and "pageNumber" in query:
        return "page_number"
    if "nextPage" in fields and "results" in fields:
        return "search"
    if "nextUri" in fields and ("entities" in fields) and query & {"after", "cursor", "nextPage", "pageNumber", "before"}:
        return "next_uri"
    return None
