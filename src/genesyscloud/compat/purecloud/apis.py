"""``PureCloudPlatformClientV2.apis``: every ``*Api`` class, built at run time.

One class per tag of the API definition, named as the official SDK names it
(``UsersApi``, ``OAuthApi``, ``SpeechTextAnalyticsApi``...), with one method per
operation of the tag (an operation with two tags is in both classes, as there). A method
takes the required parameters positionally in the official order and the optional ones
as keyword arguments with the official names, plus ``callback`` (the call then runs in a
thread and the method returns the thread, as the official SDK does).

The classes are made from ``genesyscloud.operations()`` descriptors; nothing is
generated on disk. Requests go through :class:`genesyscloud.GenesysCloud`; errors come
out as :class:`~genesyscloud.compat.purecloud.rest.ApiException`.
"""

from __future__ import annotations

import inspect
import threading
from typing import TYPE_CHECKING, Any, Callable

from ._naming import api_class_name, body_name, official_name

if TYPE_CHECKING:
    from ..._core.operation import Operation
    from .api_client import ApiClient

__all__ = ["api_classes", "BaseApi"]

_lock = threading.Lock()
_by_class: dict[str, list[Operation]] | None = None
_built: dict[str, type] = {}


def _index() -> dict[str, list[Operation]]:
    global _by_class
    if _by_class is None:
        import genesyscloud

        found: dict[str, list[Operation]] = {}
        for op in genesyscloud.operations():
            for tag in op.tags:
                found.setdefault(api_class_name(tag), []).append(op)
        _by_class = found
    return _by_class


def api_classes() -> list[str]:
    """Names of every ``*Api`` class (87 for the bundled definition)."""
    return sorted(_index())


class BaseApi:
    """Base of the ``*Api`` classes.

    Args:
        api_client: an :class:`ApiClient`; default: the shared default client of
            ``configuration`` (created on first use), as in the official SDK.
    """

    _operations: dict[str, Operation] = {}

    def __init__(self, api_client: ApiClient | None = None) -> None:
        from ._configuration import get_configuration
        from .api_client import ApiClient

        if api_client is None:
            config = get_configuration()
            if config.api_client is None:
                config.api_client = ApiClient()
            api_client = config.api_client
        if not isinstance(api_client, ApiClient):
            raise TypeError(f"{type(self).__name__}() expects an ApiClient, got {type(api_client).__name__}")
        self.api_client = api_client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} host={self.api_client.host!r}>"


def _make_method(op: Operation) -> Callable[..., Any]:
    """A method with the official signature for ``op``."""
    from inspect import Parameter

    required = [p for p in op.params if p.required]
    optional = [p for p in op.params if not p.required]
    names: dict[str, str] = {}  # official name -> our name
    params = [Parameter("self", Parameter.POSITIONAL_OR_KEYWORD)]
    for p in required:
        official = body_name(p.wire_name) if p.location == "body" else official_name(p.name)
        names[official] = p.name
        params.append(Parameter(official, Parameter.POSITIONAL_OR_KEYWORD))
    for p in optional:
        official = body_name(p.wire_name) if p.location == "body" else official_name(p.name)
        names[official] = p.name
        params.append(Parameter(official, Parameter.KEYWORD_ONLY, default=None))
    params.append(Parameter("callback", Parameter.KEYWORD_ONLY, default=None))
    signature = inspect.Signature(params)

    def method(self: BaseApi, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{op.method_name}(): {exc}") from None
        values = dict(bound.arguments)
        del values["self"]
        callback = values.pop("callback", None)
        ours = {names[k]: v for k, v in values.items()}
        if callback is None:
            return self.api_client.call_operation(op, ours)
        if not callable(callback):
            raise TypeError(f"{op.method_name}(): callback must be callable")

        def run() -> None:
            callback(self.api_client.call_operation(op, ours))

        thread = threading.Thread(target=run, name=f"purecloud-{op.method_name}", daemon=True)
        thread.start()
        return thread

    method.__name__ = op.method_name
    method.__qualname__ = op.method_name
    method.__signature__ = signature  # type: ignore[attr-defined]
    method.__doc__ = _doc(op, names)
    return method


def _doc(op: Operation, names: dict[str, str]) -> str:
    lines = [op.summary or op.method_name, "", f"``{op.http_method} {op.path}``"]
    if op.deprecated:
        lines.append("Deprecated in the Platform API.")
    lines.append("")
    by_ours = {v: k for k, v in names.items()}
    for p in op.params:
        need = "required" if p.required else "optional"
        lines.append(f":param {p.type} {by_ours[p.name]}: ({need}, {p.location} ``{p.wire_name}``) {p.description}".rstrip())
    lines.append(f":return: {op.response or 'None'}")
    lines.append(":raises ApiException: the API answered with an error status, or no response came.")
    return "\n".join(lines)


def _build(name: str) -> type:
    with _lock:
        cls = _built.get(name)
        if cls is not None:
            return cls
        ops = _index().get(name)
        if ops is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": name,
                                     "__doc__": f"The ``{ops[0].tags[0]}`` API group ({len(ops)} operations).",
                                     "_operations": {op.method_name: op for op in ops}}
        for op in ops:
            namespace[op.method_name] = _make_method(op)
        cls = type(name, (BaseApi,), namespace)
        _built[name] = cls
        return cls


def __getattr__(name: str) -> Any:
    if name.endswith("Api") and not name.startswith("_"):
        return _build(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_index()))
