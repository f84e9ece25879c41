"""Access to the vendored Platform API definition (Swagger 2.0) at run time.

The SDK itself never reads the definition: everything it needs is generated into
``api/`` and ``models/``. The sandbox (its spec-driven responder) and the tests do,
through these helpers.

``spec_path()`` finds the file in an installed wheel (``genesyscloud/_data``) or in a
source checkout (``spec/platform-api.json``); ``load_spec()`` parses it once per process.
``sample(schema, ...)`` builds a deterministic, schema-valid JSON value for a schema
fragment of the definition.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

__all__ = ["spec_path", "load_spec", "sample", "resolve_ref", "SAMPLE_DATE_TIME", "SAMPLE_DATE"]

SAMPLE_DATE_TIME = "2024-01-02T03:04:05.000Z"
SAMPLE_DATE = "2024-01-02"
SAMPLE_LOCAL_DATE_TIME = "2024-01-02T03:04:05.000"


def spec_path() -> Path:
    """Return the path of ``platform-api.json``.

    Raises:
        FileNotFoundError: neither the packaged copy nor the checkout copy exists.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / "platform-api.json", here.parents[1] / "spec" / "platform-api.json"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "platform-api.json not found: expected genesyscloud/_data/platform-api.json "
        "(installed wheel) or spec/platform-api.json (source checkout)"
    )


@functools.lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """Parse the API definition once per process and return it (do not mutate it)."""
    with spec_path().open("rb") as fh:
        return json.load(fh)


def resolve_ref(ref: str, spec: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Resolve ``#/definitions/Name`` to ``(Name, definition)``."""
    spec = spec or load_spec()
    name = ref.rsplit("/", 1)[-1]
    return name, spec["definitions"][name]


def sample(
    schema: dict[str, Any],
    *,
    spec: dict[str, Any] | None = None,
    depth: int = 3,
    seed: str = "",
) -> Any:
    """Return a deterministic JSON value valid against ``schema``.

    Args:
        schema: a schema fragment of the definition (``$ref``, primitive, array or object).
        spec: the definition the ``$ref``s resolve against (default: the vendored one).
        depth: how many levels of nested definitions to fill in; deeper ``$ref``
            properties are left out (they are never required to be present twice over).
        seed: text mixed into generated strings so that siblings differ.
    """
    spec = spec or load_spec()
    return _sample(schema, spec, depth, seed or "x", ())


def _sample(schema: dict[str, Any], spec: dict[str, Any], depth: int, seed: str, stack: tuple[str, ...]) -> Any:
    if "$ref" in schema:
        name, definition = resolve_ref(schema["$ref"], spec)
        required = set(definition.get("required", ()))
        out: dict[str, Any] = {}
        for prop, sub in definition.get("properties", {}).items():
            target = _ref_name(sub)
            if target and (depth <= 1 or target in stack or target == name) and prop not in required:
                continue  # keep samples finite: nested definitions stop at `depth` and on cycles
            if target and (target in stack or target == name):
                # a required property on a cycle: the smallest valid value (an empty list or
                # map, or the definition's required-only shape, cut where it cycles again)
                out[prop] = _minimal(sub, spec, ())
                continue
            out[prop] = _sample(sub, spec, depth - 1 if target else depth, f"{seed}.{prop}", stack + (name,))
        return out
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        if fmt == "date-time":
            return SAMPLE_DATE_TIME
        if fmt == "date":
            return SAMPLE_DATE
        if fmt == "local-date-time":
            return SAMPLE_LOCAL_DATE_TIME
        return f"{seed.rsplit('.', 1)[-1]}-value"
    if kind == "integer":
        return 7
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema.get("items", {}), spec, depth, seed + "[0]", stack)]
    if kind == "object" or kind is None:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return {"key": _sample(extra, spec, depth, seed + ".key", stack)}
        return {"anyKey": "anyValue"}
    raise ValueError(f"unsupported schema fragment: {schema!r}")


def _minimal(schema: dict[str, Any], spec: dict[str, Any], stack: tuple[str, ...]) -> Any:
    """The smallest value valid against ``schema``: ``[]`` for arrays, ``{}`` for maps, the
    required properties only for definitions (a definition already on ``stack``, the chain
    of this minimal value, gives ``{}``: a cycle of required single references has no
    finite instance)."""
    if "$ref" in schema:
        name, definition = resolve_ref(schema["$ref"], spec)
        if name in stack:
            return {}
        props = definition.get("properties", {})
        return {prop: _minimal(props.get(prop, {}), spec, stack + (name,))
                for prop in definition.get("required", ()) if prop in props}
    kind = schema.get("type")
    if kind == "array":
        return []
    if kind == "object" or (kind is None and "enum" not in schema):
        return {}
    return _sample(schema, spec, 1, "x", stack)


def _ref_name(schema: dict[str, Any]) -> str:
    """The definition a property points at, directly, as array items or as map values."""
    for part in (schema, schema.get("items") or {}, schema.get("additionalProperties") or {}):
        if isinstance(part, dict) and "$ref" in part:
            return part["$ref"].rsplit("/", 1)[-1]
        if isinstance(part, dict) and isinstance(part.get("items"), dict) and "$ref" in part["items"]:
            return part["items"]["$ref"].rsplit("/", 1)[-1]
    return ""
