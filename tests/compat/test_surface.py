"""The compat module's surface against the official package's, compared programmatically."""

from __future__ import annotations

import inspect

import pytest

import genesyscloud.compat.purecloud as P
from genesyscloud.compat.purecloud import apis as compat_apis

from .support import HERE, official_python, run_json


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    return run_json(official_python(), HERE / "dump_official_surface.py",
                    cwd=str(tmp_path_factory.mktemp("home")))


def test_same_api_classes_and_methods_with_the_same_parameters(official):
    assert sorted(official["apis"]) == compat_apis.api_classes()
    problems = []
    count = 0
    for cls_name, methods in official["apis"].items():
        cls = getattr(P, cls_name)
        ours = {m for m in vars(cls) if not m.startswith("_")}
        if ours != set(methods):
            problems.append((cls_name, sorted(ours ^ set(methods))[:5]))
        for method, expected in methods.items():
            count += 1
            params = inspect.signature(getattr(cls, method)).parameters
            positional = [n for n, p in params.items() if n != "self" and p.kind is p.POSITIONAL_OR_KEYWORD]
            if positional != expected["positional"] or set(params) - {"self"} != set(expected["keywords"]):
                problems.append((cls_name, method, positional, expected))
    assert count > 3355  # operations with two tags are in both classes
    assert not problems, problems[:10]


def test_same_models_with_the_same_attribute_names(official):
    problems = []
    for name, attribute_map in official["models"].items():
        cls = getattr(P, name)
        if cls.attribute_map != attribute_map:
            problems.append(name)
        obj = cls()
        for attr in attribute_map:
            getattr(obj, attr)  # every official attribute name reads (None when unset)
    assert len(official["models"]) > 6000
    assert not problems, problems[:10]
