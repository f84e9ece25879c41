"""Call API operations through an official-style SDK module, one request per case.

Usage: PYTHON drive_operations.py MODULE SANDBOX_URL CLIENT_ID CLIENT_SECRET CASES_JSON TAG
(``SANDBOX_URL`` ``probe``: only build the bodies and print the values the models refuse.)

MODULE is ``PureCloudPlatformClientV2`` (run by the official SDK's interpreter) or
``genesyscloud.compat.purecloud`` (run by ours); nothing else differs. Each case is sent
with the header ``X-Compat-Case: <TAG>-<n>`` so that the sandbox's request log can be
matched case by case. Request bodies are built the official way: a model constructed
without arguments, attributes set one by one through ``attribute_map`` /
``swagger_types``. Prints a JSON object ``{n: outcome}`` on stdout.
"""

import importlib
import json
import re
import sys
import warnings


def build(sdk, spec, value, rejected=None, path=()):
    """A body value of type ``spec`` from wire data, through the SDK's model classes.

    With ``rejected`` (a list), a value a model setter refuses (``ValueError``: the
    official models check ranges, lengths and patterns) is left out and its path noted.
    """
    if value is None:
        return None
    m = re.match(r"^list\[(.*)\]$", spec)
    if m:
        if not isinstance(value, list):
            return value
        return [build(sdk, m.group(1), v, rejected, path + (i,)) for i, v in enumerate(value)]
    m = re.match(r"^dict\((?:[^,]*), (.*)\)$", spec) or re.match(r"^dict\[(.*)\]$", spec)
    if m:
        if not isinstance(value, dict):
            return value
        return {k: build(sdk, m.group(1), v, rejected, path + (k,)) for k, v in value.items()}
    cls = getattr(sdk, spec, None) if spec[:1].isupper() and spec not in ("LocalDateTime", "YearMonth") else None
    if cls is None or not isinstance(value, dict):
        return value
    obj = cls()
    by_wire = {wire: attr for attr, wire in obj.attribute_map.items()}
    for key, item in value.items():
        attr = by_wire.get(key)
        if attr is None:
            raise KeyError(f"{spec} has no attribute for wire field {key!r}")
        built = build(sdk, obj.swagger_types[attr], item, rejected, path + (key,))
        try:
            setattr(obj, attr, built)
        except ValueError:
            if rejected is None:
                raise
            rejected.append(list(path + (key,)))
    return obj


def main():
    module, url, client_id, client_secret, cases_path, tag = sys.argv[1:7]
    warnings.simplefilter("ignore")
    sdk = importlib.import_module(module)
    if url == "probe":  # only build the bodies; report the values the models refuse
        with open(cases_path) as handle:
            cases = json.load(handle)
        out = {}
        for case in cases:
            if case.get("body_name") is not None:
                rejected = []
                build(sdk, case["body_type"], case["body"], rejected)
                if rejected:
                    out[case["n"]] = rejected
        json.dump(out, sys.stdout)
        return
    rest = importlib.import_module(module + ".rest")
    sdk.configuration.host = url
    api_client = sdk.api_client.ApiClient().get_client_credentials_token(client_id, client_secret)
    with open(cases_path) as handle:
        cases = json.load(handle)
    out = {}
    apis = {}
    for case in cases:
        n = case["n"]
        api_client.set_default_header("X-Compat-Case", f"{tag}-{n}")
        api = apis.get(case["cls"])
        if api is None:
            api = apis[case["cls"]] = getattr(sdk, case["cls"])(api_client)
        args = list(case["args"])
        kwargs = dict(case["kwargs"])
        if case.get("body_name") is not None:
            body = build(sdk, case["body_type"], case["body"])
            if case["body_pos"] is not None:
                args[case["body_pos"]] = body
            else:
                kwargs[case["body_name"]] = body
        try:
            getattr(api, case["method"])(*args, **kwargs)
            out[n] = "ok"
        except rest.ApiException as exc:
            out[n] = f"status {exc.status}"
            if exc.status == 401:  # e.g. after DELETE /api/v2/tokens/me: log in again
                api_client.get_client_credentials_token(client_id, client_secret)
        except Exception as exc:  # recorded and compared by the test, never hidden
            out[n] = f"error {type(exc).__name__}: {str(exc)[:200]}"
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
