"""Build an HTTP request from an operation descriptor and the caller's arguments.

Pure functions, no I/O: validation happens here, before any network traffic.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import quote

from .models import NULL, Model, describe_type, encode_value, format_date, format_datetime
from .operation import Operation, Param

__all__ = ["PreparedRequest", "Repeated", "build_request", "check_json", "encode_json"]

_NOT_TEXT = frozenset({"bool", "int", "float"})  # the specs that refuse a str
#: what ``quote(text, safe="")`` leaves as it is (RFC 3986 unreserved characters): most ids
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch


class Repeated(tuple):  # type: ignore[type-arg]
    """Send an array query parameter as repeated keys (``expand=a&expand=b``, Swagger's
    ``collectionFormat: multi``) instead of the default comma-joined ``expand=a,b``.

    ``gc.users.get_users(expand=Repeated(["presence", "routingStatus"]))``. Both official
    SDKs (Python ``ApiClient.to_path_value``, JavaScript) send arrays comma-joined, which
    is what this SDK does by default; use this for a server or gateway that wants the
    repeated form.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Repeated({list(self)!r})"


@dataclass(slots=True)
class PreparedRequest:
    """What to send: method, path (already filled and encoded), query, headers, JSON body.

    ``query`` is a list of ``(name, value)`` pairs: array parameters appear once per item.
    ``json`` is ``None`` when there is no body (``has_body`` tells an explicit JSON null apart).
    ``content`` is a body sent as it is instead of JSON: ``bytes``, or a zero-argument
    callable that returns a fresh body (``bytes`` or an iterable of ``bytes``; an async
    iterable for an async transport) for each attempt, so that a retry sends it whole.
    """

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    has_body: bool = False
    operation: Operation | None = None
    content: Any = None


def build_request(op: Operation, args: Mapping[str, Any]) -> PreparedRequest:
    """Validate ``args`` (Python parameter names -> values) and build the request.

    ``None`` means "not sent". Path parameters are percent-encoded; array query
    parameters go comma-joined in one key (``expand=a,b``, as both official SDKs send
    them; wrap the values in :class:`Repeated` for repeated keys); dates and date-times
    use the API's formats; a body may be a model, a dict or a list (of models or dicts).

    Raises:
        ValueError: a required parameter is ``None`` or empty; a value JSON cannot carry
            (NaN, Infinity, a string with a lone surrogate), naming the parameter or
            body field.
        TypeError: a value has the wrong type for its parameter.
    """
    path = op.path
    req = PreparedRequest(op.http_method, path, [], {}, None, False, op)
    for param in op.params:
        value = args.get(param.name)
        if value is None:
            if param.required:
                raise ValueError(f"{op.method_name}(): required parameter {param.name!r} is None")
            continue
        if param.location == "path":
            if value.__class__ is str and value.isascii() and param.type not in _NOT_TEXT:
                text = value  # what _scalar gives a str (most path parameters are ids)
            else:
                text = _scalar(op, param, value)
            if text == "":
                raise ValueError(f"{op.method_name}(): path parameter {param.name!r} must not be empty")
            path = path.replace("{" + param.wire_name + "}", text if _UNRESERVED(text) else quote(text, safe=""))
        elif param.location == "query":
            if param.type.startswith("list["):
                items = [value] if isinstance(value, str | int | float | _dt.date) else value
                if not isinstance(items, list | tuple | set | frozenset):
                    raise _type_error(op, param, value)
                texts = [_scalar(op, param, item, param.type[5:-1]) for item in items]
                if isinstance(items, Repeated):
                    req.query.extend((param.wire_name, text) for text in texts)
                elif texts:
                    req.query.append((param.wire_name, ",".join(texts)))
            else:
                req.query.append((param.wire_name, _scalar(op, param, value)))
        elif param.location == "header":
            req.headers[param.wire_name] = _scalar(op, param, value)
        else:  # body
            req.json = _body(op, param, value)
            req.has_body = True
    req.path = path
    return req


def _scalar(op: Operation, param: Param, value: Any, spec: str | None = None) -> str:
    text = _scalar_text(op, param, value, spec)
    if not text.isascii():
        _check_text(text, f"{op.method_name}(): parameter {param.name!r} ({param.location} {param.wire_name!r})")
    return text


def _scalar_text(op: Operation, param: Param, value: Any, spec: str | None = None) -> str:
    spec = spec or param.type
    if value.__class__ is str and spec not in _NOT_TEXT:
        return value  # what every branch below does with a str (most parameters are ids)
    if spec == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
    elif spec == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    elif spec == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{op.method_name}(): parameter {param.name!r} ({param.location} "
                                 f"{param.wire_name!r}) is {value!r}: the API takes finite numbers only")
            return repr(value) if isinstance(value, float) else str(value)
    elif spec == "datetime":
        if isinstance(value, _dt.datetime):
            return format_datetime(value)
        if isinstance(value, str):
            return value
    elif spec == "date":
        if isinstance(value, _dt.date):
            return format_date(value)
        if isinstance(value, str):
            return value
    else:  # str and anything described as a string
        if isinstance(value, str):
            return value
        if isinstance(value, uuid.UUID):
            return str(value)
    raise _type_error(op, param, value, spec)


def _type_error(op: Operation, param: Param, value: Any, spec: str | None = None) -> TypeError:
    expected = describe_type(param.type if param.type.startswith("list[") else spec or param.type)
    return TypeError(
        f"{op.method_name}(): parameter {param.name!r} ({param.location} {param.wire_name!r}) expects "
        f"{expected}, got {type(value).__name__}"
    )


def _body(op: Operation, param: Param, value: Any) -> Any:
    if value is NULL:
        return None
    if isinstance(value, Model | dict):
        if param.type.startswith("list["):
            raise TypeError(f"{op.method_name}(): body expects a list, got {type(value).__name__}")
        return encode_value(value)
    if isinstance(value, list | tuple):
        if not param.type.startswith("list[") and param.type != "any":
            raise TypeError(f"{op.method_name}(): body expects {param.type} (a model or dict), got a list")
        return encode_value(value)
    if isinstance(value, str | int | float | bool):
        if param.type in ("str", "any", "int", "float", "bool"):
            return value
    raise TypeError(f"{op.method_name}(): body expects {param.type}, got {type(value).__name__}")


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{where} holds a lone surrogate {text[exc.start]!r} at index {exc.start}: "
                         "not valid Unicode, so it cannot be sent as UTF-8 JSON") from None


def check_json(value: Any, where: str) -> None:
    """Refuse what JSON (RFC 8259) cannot carry, before anything is sent.

    ``value`` is wire data (dicts, lists, strings, numbers); ``where`` starts the message
    (``"get_users(): body"``), followed by the path of the field (``.routingStatus[2].score``).

    Raises:
        ValueError: a float is NaN or infinite, or a string (key or value) holds a lone
            surrogate (``"\\ud800"``), which is not valid Unicode; the message names the field.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                _check_text(item, f"{where}{path}")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"{where}{path} is {item!r}: JSON has no NaN or Infinity (RFC 8259 section 6); "
                                 "send a finite number, or leave the field out")
        elif isinstance(item, dict):
            for key, child in item.items():
                name = str(key)
                if not name.isascii():
                    _check_text(name, f"{where}{path}: the key {name!r}")
                stack.append((child, f"{path}.{name}"))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))


def encode_json(value: Any, where: str) -> bytes:
    """``value`` as compact UTF-8 JSON (RFC 8259), or a ``ValueError`` naming the field
    that JSON cannot carry (see :func:`check_json`); the field is searched only after
    the fast C encoder refused the value, so valid bodies cost nothing extra."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as exc:
        check_json(value, where)
        raise ValueError(f"{where} cannot be sent as JSON: {exc}") from None
