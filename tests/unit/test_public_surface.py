"""The public surface never names httpx (issue 14): no public signature, dataclass
field or default mentions an httpx type, except the opt-in ``http_client=`` parameter."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import genesyscloud
import genesyscloud.api

PUBLIC_MODULES = ["genesyscloud", "genesyscloud.auth", "genesyscloud.jobs", "genesyscloud._core.pagination",
                  "genesyscloud._core.response", "genesyscloud._core.transport", "genesyscloud._core.logging",
                  "genesyscloud._core.retry", "genesyscloud._core.errors"]


def _names_httpx(value: object) -> bool:
    return "httpx" in str(value).lower()


def _check_callable(where: str, fn: object, problems: list[str]) -> None:
    try:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    for name, param in sig.parameters.items():
        if name == "http_client":
            continue
        if _names_httpx(param.annotation) or (param.default is not inspect.Parameter.empty
                                              and _names_httpx(type(param.default).__module__)):
            problems.append(f"{where}({name}: {param.annotation})")
    if _names_httpx(sig.return_annotation):
        problems.append(f"{where} -> {sig.return_annotation}")


def _check_class(where: str, cls: type, problems: list[str]) -> None:
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, property):
            member = member.fget
        if callable(member):
            _check_callable(f"{where}.{name}", member, problems)
    if dataclasses.is_dataclass(cls):
        for field in dataclasses.fields(cls):
            if _names_httpx(field.type):
                problems.append(f"{where}.{field.name}: {field.type}")
    for base in cls.__mro__:
        if _names_httpx(base.__module__):
            problems.append(f"{where} derives from {base}")


def _public_objects():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")]):
            yield f"{module_name}.{name}", getattr(module, name)
    for info in pkgutil.iter_modules(genesyscloud.api.__path__):
        module = importlib.import_module(f"genesyscloud.api.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module.__name__}.{name}", obj


def test_no_httpx_in_public_signatures():
    problems: list[str] = []
    seen = 0
    for where, obj in _public_objects():
        seen += 1
        if inspect.isclass(obj):
            _check_class(where, obj, problems)
        elif callable(obj):
            _check_callable(where, obj, problems)
    assert seen > 100
    assert problems == []


def test_the_check_catches_an_httpx_annotation():
    class Leaky:
        def get(self, hook: httpx.Response) -> None:  # noqa: F821
            ...

    problems: list[str] = []
    _check_class("Leaky", Leaky, problems)
    assert problems == ["Leaky.get(hook: httpx.Response)"]


def test_http_client_is_the_one_exception():
    params = inspect.signature(genesyscloud.GenesysCloud.__init__).parameters
    assert "http_client" in params
