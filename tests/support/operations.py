"""Send one operation through the real request path and check it against the definition.

The expected request is built here from ``spec/platform-api.json`` directly (not from
the generated descriptors), so a generator bug shows up as a mismatch. The transport is
an ``httpx.MockTransport`` that records the request and answers with a schema-valid
sample of the response schema, which must decode to the declared type and re-encode
to the same JSON.
"""

from __future__ import annotations

import functools
import json
import warnings
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

import genesyscloud
from genesyscloud._spec import load_spec, sample

BASE = "http://sandbox.test:8642"
#: a path value that needs percent-encoding (slash, space, non-ASCII)
PATH_VALUE = "id/with space-é"


@functools.lru_cache(maxsize=1)
def _spec_ops() -> dict[str, tuple[str, str, dict[str, Any]]]:
    out = {}
    for path, item in load_spec()["paths"].items():
        for method, op in item.items():
            out[op["operationId"]] = (method.upper(), path, op)
    return out


@functools.lru_cache(maxsize=1)
def _descriptors() -> dict[str, Any]:
    return {op.operation_id: op for op in genesyscloud.operations()}


def _value(p: dict[str, Any]) -> tuple[Any, list[str]]:
    """A sample argument for a spec parameter, and its expected wire text(s)."""
    kind, fmt = p.get("type"), p.get("format")
    if p.get("enum"):
        return p["enum"][0], [p["enum"][0]]
    if kind == "array":
        items = p.get("items", {})
        if items.get("enum"):
            return [items["enum"][0]], [items["enum"][0]]
        return ["a b", "c,d"], ["a b", "c,d"]
    if kind == "integer":
        return 42, ["42"]
    if kind == "number":
        return 2.5, ["2.5"]
    if kind == "boolean":
        return False, ["false"]
    if fmt == "date-time":
        return "2024-01-02T03:04:05.000Z", ["2024-01-02T03:04:05.000Z"]
    if fmt == "date":
        return "2024-01-02", ["2024-01-02"]
    if p["in"] == "path":
        return PATH_VALUE, [PATH_VALUE]
    return "some value", ["some value"]


def _plan(operation_id: str) -> tuple[Any, list[Any], dict[str, Any], dict[str, Any]]:
    method, path, op = _spec_ops()[operation_id]
    desc = _descriptors()[operation_id]
    by_wire = {(p.location, p.wire_name): p for p in desc.params}
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body: Any = None
    has_body = False
    expected_path = path
    for p in op.get("parameters", []):
        param = by_wire[(p["in"], p["name"])]
        if p["in"] == "body":
            value = sample(p["schema"], depth=2)
            wire = [value]
            body, has_body = value, True
        else:
            value, wire = _value(p)
        if p["in"] == "path":
            expected_path = expected_path.replace("{" + p["name"] + "}", quote(wire[0], safe=""))
        elif p["in"] == "query":
            if p.get("type") == "array":  # comma-joined in one key, as the official SDKs send arrays
                query.append((p["name"], ",".join(wire)))
            else:
                query.extend((p["name"], w) for w in wire)
        elif p["in"] == "header":
            headers[p["name"]] = wire[0]
        if p.get("required"):
            args.append(value)
        else:
            kwargs[param.name] = value
    expected = {"method": method, "path": expected_path, "query": sorted(query), "headers": headers,
                "body": body, "has_body": has_body}
    response_schema = None
    for code in ("200", "201", "202"):
        response_schema = (op["responses"].get(code) or {}).get("schema")
        if response_schema:
            break
    produces = op.get("produces") or load_spec().get("produces") or ["application/json"]
    json_types = [c for c in produces if c.split(";")[0].strip().endswith(("/json", "+json"))]
    binary = None if json_types else produces[0]
    return desc, args, kwargs, {"expected": expected, "response_schema": response_schema, "binary": binary}


def _responder(plan: dict[str, Any], seen: list[httpx.Request]):
    schema = plan["response_schema"]
    payload = sample(schema, depth=2) if schema else None
    binary = plan["binary"]
    if binary is not None:  # an operation producing no JSON: its bytes come back unparsed
        payload = f"{binary} body \u00e9".encode()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if binary is not None:
            return httpx.Response(200, content=payload, headers={"content-type": binary})
        if payload is None:
            return httpx.Response(204)
        return httpx.Response(200, json=payload, headers={"ININ-Correlation-Id": "corr-1"})

    return handler, payload


def _check(desc: Any, plan: dict[str, Any], seen: list[httpx.Request], result: Any, payload: Any) -> None:
    expected = plan["expected"]
    assert len(seen) == 1, f"{desc.method_name}: expected one request, saw {len(seen)}"
    req = seen[0]
    url = urlsplit(str(req.url))
    assert req.method == expected["method"]
    assert url.path == expected["path"], (url.path, expected["path"])
    raw_path = req.url.raw_path.decode().split("?")[0]
    assert raw_path == expected["path"], f"path not percent-encoded as expected: {raw_path}"
    assert sorted(parse_qsl(url.query, keep_blank_values=True)) == expected["query"]
    for name, value in expected["headers"].items():
        assert req.headers[name] == value
    if desc.secured:
        assert req.headers["authorization"] == "Bearer test-token"
    if expected["has_body"]:
        assert req.headers["content-type"] == "application/json"
        assert json.loads(req.content) == expected["body"]
    else:
        assert req.content == b""
    # the response decodes to the declared type and re-encodes losslessly
    if plan["binary"] is not None:
        assert desc.response == "binary" and isinstance(result, genesyscloud.BinaryResponse)
        assert result.content_type == plan["binary"]
        assert result.read() == payload  # streamed, never parsed
    elif payload is None:
        assert result is None
    elif isinstance(result, genesyscloud.Model):
        assert type(result).__wire_name__ == desc.response
        assert result.to_dict() == payload
    elif isinstance(result, list) and result and isinstance(result[0], genesyscloud.Model):
        assert [r.to_dict() for r in result] == payload
    else:
        assert result == payload


def _call_args(desc: Any, args: list[Any], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    return args, kwargs


def check_operation(group: str, operation_id: str) -> None:
    desc, args, kwargs, plan = _plan(operation_id)
    seen: list[httpx.Request] = []
    handler, payload = _responder(plan, seen)
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = genesyscloud.GenesysCloud(api_host=BASE, auth=genesyscloud.AccessToken("test-token"), http_client=http)
    method = getattr(getattr(client, group), desc.method_name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = method(*args, **kwargs)
    assert any(w.category is DeprecationWarning for w in caught) == desc.deprecated
    _check(desc, plan, seen, result, payload)


async def check_operation_async(group: str, operation_id: str) -> None:
    desc, args, kwargs, plan = _plan(operation_id)
    seen: list[httpx.Request] = []
    handler, payload = _responder(plan, seen)
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = genesyscloud.AsyncGenesysCloud(api_host=BASE, auth=genesyscloud.AccessToken("test-token"), http_client=http)
    method = getattr(getattr(client, group), desc.method_name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = await method(*args, **kwargs)
    assert any(w.category is DeprecationWarning for w in caught) == desc.deprecated
    if plan["binary"] is not None:
        await result.aread()
    _check(desc, plan, seen, result, payload)
    await http.aclose()
