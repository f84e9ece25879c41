"""Fuzzing the sandbox from the API definition (issue 13, "Guard it").

schemathesis builds hypothesis strategies from the definition; each generated request
goes over loopback HTTP to a real sandbox. Covered: a deterministic sample of the
definition's operations (every ``STRIDE``-th, sorted by path and method) plus every
stateful route of the sandbox. Each operation gets positive examples (valid by the
definition) and negative ones (broken on purpose). Asserted for every response:

* never a 5xx;
* a 2xx body is valid against the operation's response schema;
* a 4xx body of ``/api/v2/...`` is the Genesys error body (the ``ErrorBody`` model, with
  ``contextId`` equal to the ``ININ-Correlation-Id`` header).

Hypothesis runs derandomized with no example database: the same examples every run.
About 1,900 requests over 286 operations; about two minutes on a loaded 2-core machine.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.sandbox_support.helpers import CLIENT_ID, CLIENT_SECRET, sb  # noqa: F401  (fixture)

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from jsonschema import Draft4Validator  # noqa: E402

from genesyscloud._spec import load_spec  # noqa: E402
from genesyscloud.sandbox import _app  # noqa: E402,F401  (registers every stateful handler, not only _resources.py's)
from genesyscloud.sandbox._resources import HANDLERS  # noqa: E402

#: every STRIDE-th operation of the definition (3,355 operations: about 70)
STRIDE = 48
POSITIVE_EXAMPLES = 4
NEGATIVE_EXAMPLES = 4
_ERROR_KEYS = {"message", "code", "status", "messageWithParams", "messageParams", "contextId", "details", "errors"}


def _chosen() -> list[tuple[str, str]]:
    spec = load_spec()
    every = sorted((method.upper(), template) for template, item in spec["paths"].items()
                   for method in item if method in ("get", "put", "post", "patch", "delete", "head"))
    chosen = set(every[::STRIDE]) | {key for key in HANDLERS if key in set(every)}
    return sorted(chosen, key=lambda k: (k[1], k[0]))


_OPERATIONS = _chosen()
_STATS = {"requests": 0, "by_status": {}}


@pytest.fixture(scope="module")
def fuzz_schema():
    return schemathesis.openapi.from_dict(load_spec())


@pytest.fixture(scope="module")
def validators():
    definitions = load_spec()["definitions"]
    cache: dict[int, Any] = {}

    def get(schema: dict[str, Any]) -> Any:
        key = id(schema)
        if key not in cache:
            cache[key] = Draft4Validator({**schema, "definitions": definitions})
        return cache[key]

    return get


def _token(url: str) -> str:
    response = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(CLIENT_ID, CLIENT_SECRET), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _header(response: Any, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return ""


def _check(op_spec: dict[str, Any], method: str, response: Any, validators: Any) -> None:
    status = response.status_code
    where = f"{method} {response.request.url} -> {status}: {response.text[:300]}"
    _STATS["requests"] += 1
    _STATS["by_status"][status] = _STATS["by_status"].get(status, 0) + 1
    assert status < 500, where
    if method == "HEAD" or status in (204, 304):
        return
    media = _header(response, "content-type").split(";")[0]
    if 200 <= status < 300:
        schema = (op_spec.get("responses", {}).get(str(status)) or {}).get("schema")
        if schema is not None and media == "application/json":
            error = next(iter(validators(schema).iter_errors(response.json())), None)
            assert error is None, f"{where}\nresponse not valid: {error.message[:300]}"
        return
    if 400 <= status < 500:
        assert media == "application/json", where
        body = response.json()
        assert isinstance(body, dict) and set(body) >= _ERROR_KEYS, where
        assert body["status"] == status and body["contextId"] == _header(response, "inin-correlation-id"), where
        error = next(iter(validators({"$ref": "#/definitions/ErrorBody"}).iter_errors(body)), None)
        assert error is None, f"{where}\nerror body not valid: {error.message[:300]}"


@pytest.mark.parametrize("method,template", _OPERATIONS, ids=[f"{m} {t}" for m, t in _OPERATIONS])
def test_fuzz_operation(sb, fuzz_schema, validators, method, template):  # noqa: F811
    operation = fuzz_schema[template][method]
    op_spec = load_spec()["paths"][template][method.lower()]
    url = sb.url
    headers = {"Authorization": f"Bearer {_token(url)}"}
    modes = ((schemathesis.GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
             (schemathesis.GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES))
    for mode, examples in modes:
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            response = case.call(base_url=url, headers=headers, timeout=60)
            _check(op_spec, method, response, validators)

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            pass  # no negative example exists (an operation without parameters or body)
    # the org still answers
    assert httpx.get(f"{url}/api/v2/organizations/me", headers={"Authorization": f"Bearer {_token(url)}"},
                     timeout=30).status_code == 200


def test_fuzz_summary(sb):  # noqa: F811
    """Runs last in this module: prints the request count (run with -s to see it)."""
    print(f"\nfuzzer: {_STATS['requests']} requests over {len(_OPERATIONS)} operations; "
          f"statuses {json.dumps(dict(sorted(_STATS['by_status'].items())))}")
    if _STATS["requests"]:
        assert sum(n for s, n in _STATS["by_status"].items() if s >= 500) == 0
