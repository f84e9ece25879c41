"""Spec-driven routing, request validation and sample responses.

Path templates of the definition (``/api/v2/routing/queues/{queueId}/members``) go into a
segment trie: a literal segment beats a parameter (``/users/me`` wins over
``/users/{userId}``). Query and path parameters are checked against their declared types
(integer, number, boolean, enum, required); JSON bodies against the definition with a
``jsonschema`` Draft 4 validator (built on first use, cached; unknown properties allowed).
Responses are built once per operation with :func:`genesyscloud._spec.sample`.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ._errors import ApiError

_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?"
                        r"(?:[Zz]|[+-](\d{2}):?(\d{2})?)?$")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
#: body validation stops after this many violations (the best one is reported)
MAX_BODY_ERRORS = 64
_TEXT_SAMPLES = {
    "text/calendar": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//genesyscloud sandbox//EN\r\nEND:VCALENDAR\r\n",
}


#: deepest nesting of arrays and objects a JSON body may have (Jackson's default limit is 1,000;
#: the sandbox keeps well inside Python's recursion limit so that stored values always serialize)
MAX_JSON_DEPTH = 500


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays/objects in ``value`` nest more than ``limit`` levels (iterative walk)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def valid_date(value: Any) -> bool:
    """``YYYY-MM-DD`` naming a real day (non-strings pass: the type check is separate)."""
    if not isinstance(value, str):
        return True
    match = _DATE.match(value)
    if match is None:
        return False
    try:
        _dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return False
    return True


def valid_date_time(value: Any) -> bool:
    """ISO-8601 / RFC 3339 date-time (``2024-01-31T12:30:00.000Z``; seconds, fraction and
    offset optional) with every field in range (non-strings pass)."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, off_h, off_m = match.groups()
    try:
        _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return False
    return (off_h is None or int(off_h) < 24) and (off_m is None or int(off_m) < 60)


def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date")(valid_date)
    checker.checks("date-time")(valid_date_time)
    return checker


@dataclass
class Operation:
    """One operation of the definition (HTTP method + path template)."""

    method: str  # upper case
    template: str
    spec: dict[str, Any]
    operation_id: str
    param_names: list[str]
    secured: bool
    body_param: dict[str, Any] | None
    response_status: int
    response_schema: dict[str, Any] | None
    _validator: Any = field(default=None, repr=False)
    _sample: bytes | None = field(default=None, repr=False)
    _sample_obj: Any = field(default=None, repr=False)


class _Node:
    __slots__ = ("literal", "param", "ops", "template")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.ops: dict[str, Operation] = {}
        self.template = ""


class SpecRouter:
    """Routes ``/api/v2/...`` paths to operations of the definition.

    The trie is built on the first ``match`` call (about 50 ms), not at construction.
    """

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self._spec = spec
        self._root: _Node | None = None
        self._definitions_root: dict[str, Any] | None = None
        self.operations: dict[tuple[str, str], Operation] = {}

    @property
    def spec(self) -> dict[str, Any]:
        if self._spec is None:
            from .._spec import load_spec

            self._spec = load_spec()
        return self._spec

    def _build(self) -> _Node:
        root = _Node()
        for template, item in self.spec["paths"].items():
            node = root
            names: list[str] = []
            for seg in template.strip("/").split("/"):
                if seg.startswith("{") and seg.endswith("}"):
                    names.append(seg[1:-1])
                    if node.param is None:
                        node.param = _Node()
                    node = node.param
                else:
                    node = node.literal.setdefault(seg, _Node())
            node.template = template
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in METHODS:
                    continue
                params = list(shared) + list(op.get("parameters", []))
                body = next((p for p in params if p.get("in") == "body"), None)
                responses = op.get("responses", {})
                codes = sorted(int(c) for c in responses if c.isdigit() and 200 <= int(c) < 300) or [200]
                status = codes[0]
                schema = (responses.get(str(status)) or {}).get("schema")
                operation = Operation(
                    method=method.upper(), template=template, spec={**op, "parameters": params},
                    operation_id=op.get("operationId", ""), param_names=names, secured=bool(op.get("security")),
                    body_param=body, response_status=status, response_schema=schema,
                )
                node.ops[method.upper()] = operation
                self.operations[(method.upper(), template)] = operation
        return root

    def match(self, path: str) -> tuple[str, dict[str, Operation], dict[str, str]] | None:
        """Return ``(template, {METHOD: Operation}, path_params)`` or ``None`` if no template matches."""
        if self._root is None:
            self._root = self._build()
        # one leading and at most one trailing slash; an empty segment (``users//``,
        # ``users/%2F``) matches nothing
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        segs = path[1:].split("/") if path.startswith("/") else path.split("/")
        values: list[str] = []
        node = self._walk(self._root, segs, 0, values)
        if node is None:
            return None
        any_op = next(iter(node.ops.values()))
        return node.template, node.ops, dict(zip(any_op.param_names, values))

    def _walk(self, node: _Node, segs: list[str], i: int, values: list[str]) -> _Node | None:
        if i == len(segs):
            return node if node.ops else None
        seg = segs[i]
        child = node.literal.get(seg)
        if child is not None:
            found = self._walk(child, segs, i + 1, values)
            if found is not None:
                return found
        if node.param is not None and seg:
            values.append(seg)
            found = self._walk(node.param, segs, i + 1, values)
            if found is not None:
                return found
            values.pop()
        return None

    # -- validation ----------------------------------------------------------------------
    def validate_params(self, op: Operation, path_params: dict[str, str], query: dict[str, list[str]]) -> None:
        """Check path and query parameters; raise :class:`ApiError` 400 ``bad.request``."""
        for param in op.spec["parameters"]:
            where = param.get("in")
            name = param.get("name", "")
            if where == "path":
                value = path_params.get(name)
                if value is not None:
                    _check_value(name, value, param)
            elif where == "query":
                values = query.get(name)
                if param.get("required") and values and not any(v.strip() for v in values):
                    values = None
                if not values:
                    if param.get("required"):
                        raise ApiError(400, "bad.request", "Missing required query parameter: {paramName}",
                                       {"paramName": name}, [{"errorCode": "missing", "fieldName": name}])
                    continue
                if param.get("type") == "array":
                    items = param.get("items") or {}
                    for value in values:
                        parts = value.split(",") if param.get("collectionFormat", "csv") == "csv" else [value]
                        for part in parts:
                            _check_value(name, part, items)
                else:
                    _check_value(name, values[-1], param)

    def validate_body(self, op: Operation, body: Any) -> None:
        """Validate a parsed JSON body with Draft 4; raise :class:`ApiError` 400 on a violation."""
        if op.body_param is None:
            return
        if op._validator is None:
            from jsonschema import Draft4Validator

            if self._definitions_root is None:
                self._definitions_root = self.spec["definitions"]
            schema = {**op.body_param.get("schema", {}), "definitions": self._definitions_root}
            op._validator = Draft4Validator(schema, format_checker=_format_checker())
        error = _best_error(op._validator, body)
        if error is not None:
            location = "/".join(str(p) for p in error.absolute_path)
            field_name = location
            if error.validator == "required":
                missing = re.findall(r"'([^']+)' is a required property", error.message)
                if missing:
                    field_name = f"{location}/{missing[0]}" if location else missing[0]
            where = f" at {location}" if location else ""
            reason = error.message if len(error.message) <= 300 else error.message[:300] + "..."
            raise ApiError(400, "bad.request", f"Invalid request body{where}: " + "{reason}",
                           {"fieldName": field_name, "reason": reason},
                           [{"errorCode": f"invalid.{error.validator}", "fieldName": field_name}])

    # -- responses -----------------------------------------------------------------------
    def media_type(self, op: Operation) -> str:
        """The media type ``op`` answers with: ``application/json`` unless it produces only others."""
        produces = op.spec.get("produces") or self.spec.get("produces") or ["application/json"]
        return "application/json" if "application/json" in produces else str(produces[0]).lower()

    def text_sample(self, op: Operation, media_type: str) -> bytes:
        """A body for an operation that produces ``text/*`` (an empty iCalendar for ``text/calendar``)."""
        if media_type in _TEXT_SAMPLES:
            return _TEXT_SAMPLES[media_type].encode()
        obj = op._sample_obj
        return (obj if isinstance(obj, str) else f"{op.operation_id} sample").encode()

    def sample_response(self, op: Operation, path_params: dict[str, str]) -> tuple[int, bytes | None]:
        """A deterministic schema-valid body for ``op`` (``None`` when it has no schema)."""
        if op.response_schema is None or op.response_status == 204:
            return op.response_status, None
        if op._sample is None:
            from .._spec import sample

            obj = sample(op.response_schema, spec=self.spec, depth=3, seed=op.operation_id)
            if isinstance(obj, dict):
                # a sample listing is one page: it has no neighbours to link to (a placeholder
                # "nextUri-value" would send a paging client after a page that does not exist)
                for link in ("nextUri", "previousUri"):
                    obj.pop(link, None)
            op._sample_obj = obj
            op._sample = json.dumps(op._sample_obj, separators=(",", ":")).encode()
        last = op.template.rstrip("/").rsplit("/", 1)[-1]
        obj = op._sample_obj
        if last.startswith("{") and isinstance(obj, dict) and isinstance(obj.get("id"), str):
            value = path_params.get(last[1:-1])
            if value:
                return op.response_status, json.dumps({**obj, "id": value}, separators=(",", ":")).encode()
        return op.response_status, op._sample


def _best_error(validator: Any, body: Any) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(itertools.islice(validator.iter_errors(body), MAX_BODY_ERRORS))


def _check_value(name: str, value: str, schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    ok = True
    fmt = schema.get("format")
    if kind == "string" and fmt in ("date", "date-time"):
        if not (valid_date(value) if fmt == "date" else valid_date_time(value)):
            raise ApiError(400, "bad.request", "Invalid value for parameter {paramName}: {value} is not a valid {format}",
                           {"paramName": name, "value": value, "format": fmt},
                           [{"errorCode": "invalid.value", "fieldName": name}])
    if kind == "integer":
        ok = bool(_INT.match(value))
    elif kind == "number":
        ok = bool(_NUMBER.match(value))
    elif kind == "boolean":
        ok = value.lower() in ("true", "false")
    if not ok:
        raise ApiError(400, "bad.request", "Invalid value for parameter {paramName}: {value} is not a valid {type}",
                       {"paramName": name, "value": value, "type": str(kind)},
                       [{"errorCode": "invalid.value", "fieldName": name}])
    enum = schema.get("enum")
    if enum and value not in [str(e) for e in enum]:
        raise ApiError(400, "bad.request",
                       "Invalid value for parameter {paramName}: {value} is not one of {allowed}",
                       {"paramName": name, "value": value, "allowed": ", ".join(map(str, enum))},
                       [{"errorCode": "invalid.value", "fieldName": name}])
