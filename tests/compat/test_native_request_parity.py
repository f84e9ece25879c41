"""The native client (``GenesysCloud``, not the compat layer) sends the same HTTP request
as the official SDK given the same arguments (issue 12, item 23).

Sampled operations: every operation with an array query parameter (where the two used to
differ: repeated keys against the official SDKs' comma-joined values), and every 25th of
the others. The official SDK runs ``drive_operations.py`` in its own virtualenv; ours runs
in this process; both against one sandbox, whose request log is compared case by case.
"""

from __future__ import annotations

import functools
import json
import warnings
from typing import Any

import genesyscloud
from genesyscloud import ClientCredentials, GenesysCloud
from genesyscloud.api import GROUPS
from genesyscloud.compat.purecloud._naming import official_name
from genesyscloud.sandbox import Sandbox

from .support import HERE, OFFICIAL, official_python, run_json
from .test_request_parity import INTEGER_ENUM_OPERATIONS, _by_case, _drop, build_cases


def _has_array_query(op: Any) -> bool:
    return any(p.location == "query" and p.type.startswith("list[") for p in op.params)


def _sample(cases: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ops = {op.method_name: op for op in genesyscloud.operations()}
    picked, others = [], 0
    for case in cases:
        op = ops[case["method"]]
        if op.method_name in ("delete_tokens_me", "delete_token"):
            continue  # would revoke the token both sides share the sandbox with
        if _has_array_query(op):
            picked.append(case)
        else:
            others += 1
            if others % 25 == 0:
                picked.append(case)
    for n, case in enumerate(picked):
        case["n"] = n
    return picked, ops


@functools.cache
def _group_of() -> dict[str, str]:
    """operationId -> the client attribute of its API group."""
    import importlib

    out: dict[str, str] = {}
    for module, attr, *_ in GROUPS.values():
        for op in importlib.import_module(f"genesyscloud.api.{module}").OPERATIONS:
            out.setdefault(op.operation_id, attr)
    return out


def _native_call(gc: GenesysCloud, op: Any, case: dict[str, Any]) -> None:
    by_official = {official_name(p.name): p for p in op.params}
    args = list(case["args"])
    kwargs: dict[str, Any] = {}
    for name, value in case["kwargs"].items():
        param = by_official[name]
        if param.type == "str" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # the official SDK takes numbers for these string parameters
        kwargs[param.name] = value
    for i, param in enumerate(p for p in op.params if p.required):
        if param.type == "str" and isinstance(args[i], int) and not isinstance(args[i], bool):
            args[i] = str(args[i])
    if case.get("body_name") is not None:
        if case["body_pos"] is not None:
            args[case["body_pos"]] = case["body"]
        else:
            kwargs["body"] = case["body"]
    group = _group_of()[op.operation_id]
    client = gc.with_options(default_headers={"X-Compat-Case": f"native-{case['n']}"})
    try:
        getattr(getattr(client, group), op.method_name)(*args, **kwargs)
    except genesyscloud.APIStatusError:
        pass  # sample arguments rarely name real entities; the request is what is compared


def test_sampled_operations_send_the_same_request_natively_as_the_official_sdk(tmp_path):
    official = official_python()
    cases, ops = _sample(build_cases())
    assert len([c for c in cases if _has_array_query(ops[c["method"]])]) > 300
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    refused = run_json(official, HERE / "drive_operations.py", OFFICIAL, "probe", "-", "-", str(path), "probe",
                       cwd=str(tmp_path))
    for n, paths in refused.items():
        for where in sorted(paths, key=len, reverse=True):
            _drop(cases[int(n)]["body"], where)
    path.write_text(json.dumps(cases))
    with Sandbox(seed=1) as sb:
        run_json(official, HERE / "drive_operations.py", OFFICIAL, sb.url, sb.client_id, sb.client_secret,
                 str(path), "official", cwd=str(tmp_path))
        with GenesysCloud(api_host=sb.url, auth=ClientCredentials(sb.client_id, sb.client_secret),
                          max_retries=0) as gc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                for case in cases:
                    _native_call(gc, ops[case["method"]], case)
        log = sb.requests()
    theirs, mine = _by_case(log, "official"), _by_case(log, "native")
    assert len(theirs) == len(cases)
    differences = []
    for case in cases:
        official_request = theirs.get(case["n"])
        if case["method"] in INTEGER_ENUM_OPERATIONS and official_request is not None:
            official_request = official_request[:3] + (official_request[3].replace('"family": "2"', '"family": 2'),)
        if official_request != mine.get(case["n"]):
            differences.append((case["method"], official_request, mine.get(case["n"])))
    assert not differences, f"{len(differences)} of {len(cases)} operations differ, e.g.:\n" + "\n".join(
        repr(d) for d in differences[:8])
