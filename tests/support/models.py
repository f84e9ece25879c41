"""Round-trip a schema-valid sample of one definition through its model class."""

from __future__ import annotations

import copy
import json
from typing import Any

from genesyscloud import Model, models
from genesyscloud._spec import load_spec, sample


def _touch(value: Any) -> None:
    """Read every field, recursively, so each lazy decoder runs."""
    if isinstance(value, Model):
        for name, _, _ in type(value).__fields__:
            _touch(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            _touch(item)
    elif isinstance(value, dict):
        for item in value.values():
            _touch(item)


def check_model(name: str) -> None:
    definition = load_spec()["definitions"][name]
    data = sample({"$ref": f"#/definitions/{name}"}, depth=3)
    # unknown fields and unknown enum values must survive too
    data["unknownFieldFromANewerApi"] = {"nested": [1, "two", None]}
    for wire, prop in definition.get("properties", {}).items():
        if "enum" in prop and wire in data:
            data[wire] = "VALUE_FROM_A_NEWER_API"
            break
    original = copy.deepcopy(data)
    cls = getattr(models, name)
    assert cls.__wire_name__ == name
    obj = cls.from_dict(data)
    _touch(obj)
    assert obj.to_dict() == original
    assert json.loads(obj.to_json()) == original
    assert data == original, "decoding must not mutate the input"
    assert cls.from_dict(json.loads(obj.to_json())) == obj
    assert obj.extra_fields == {"unknownFieldFromANewerApi": {"nested": [1, "two", None]}}
    repr(obj)
