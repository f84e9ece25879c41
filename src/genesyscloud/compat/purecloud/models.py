"""``PureCloudPlatformClientV2.models``: the official model surface over our models.

Each class is a thin subclass of the ``genesyscloud.models`` class of the same name,
built on first use. What it adds for code written against the official SDK:

* construction without arguments, attributes set one by one (ours already allow it);
* the official attribute names where they differ (``pc_pass``-style names such as
  ``pcPass``, ``pcSelf``, ``pcFrom``, ``pcProperty``) as aliases of ours;
* ``to_dict()`` as the official SDK returns it: every attribute under its Python
  (snake_case) name, ``None`` where unset, nested models as dicts, dates as
  ``datetime``/``date`` objects; ``to_json()`` is that dict as JSON (dates ISO-8601);
* ``swagger_types`` and ``attribute_map`` as class-level dicts;
* nested values decode into compat classes, so ``.to_dict()`` is snake_case at any depth.

The wire format is unchanged and lossless: ``to_wire_dict()`` (camelCase keys, unknown
fields and unknown enum values kept) is what a request body carries. Unknown enum values
stay as received instead of becoming ``"outdated_sdk_version"``.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from ..._core.lazy import resolve_model
from ..._core.models import NULL, Model, _Field, codec, encode_value, parse_date, parse_datetime
from ._naming import attribute_name

__all__ = ["model_class", "wire", "decode_value", "CompatModel"]

_classes: dict[str, type] = {}


class _ApiNullValue:
    """``ApiNullValue()``: assign it to send an explicit JSON ``null`` (same as ``genesyscloud.NULL``)."""

    def __new__(cls) -> Any:
        return NULL


ApiNullValue = _ApiNullValue


# --------------------------------------------------------------------------- codecs


def _is_model_spec(spec: str) -> bool:
    return spec not in ("str", "int", "float", "bool", "datetime", "date", "any") and not (
        spec.startswith("list[") or spec.startswith("dict["))


def decode_value(spec: str, value: Any) -> Any:
    """Wire data -> Python, with compat classes for models (lenient, like ours)."""
    if value is None:
        return None
    if spec.startswith("list["):
        return [decode_value(spec[5:-1], v) for v in value] if isinstance(value, list) else value
    if spec.startswith("dict["):
        return {k: decode_value(spec[5:-1], v) for k, v in value.items()} if isinstance(value, dict) else value
    if _is_model_spec(spec):
        return model_class(spec).from_dict(value) if isinstance(value, dict) else value
    return codec(spec)[0](value)


def wire(value: Any) -> Any:
    """Any value (compat or core models, dates, lists, dicts) -> JSON-ready wire data."""
    if isinstance(value, Model):
        return Model.to_dict(value)
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    return encode_value(value)


def _convert(spec: str, value: Any) -> Any:
    """A caller's (type-checked) value -> the field's Python form, models as compat classes."""
    if value is None or value is NULL or spec == "any":
        return value
    if spec.startswith("list["):
        return [_convert(spec[5:-1], v) for v in value]
    if spec.startswith("dict["):
        return {k: _convert(spec[5:-1], v) for k, v in value.items()}
    if isinstance(value, str) and spec in ("datetime", "date"):
        return (parse_datetime if spec == "datetime" else parse_date)(value)
    if isinstance(value, dict) and _is_model_spec(spec):
        cls = model_class(spec)
        if value and all(k in cls.__python_names__ for k in value):
            return cls(**value)
        return cls.from_dict(value)
    return value


class _CompatField(_Field):
    """A model field whose nested models are compat classes and whose encoding is the wire's."""

    __slots__ = ()

    def __init__(self, owner: str, name: str, wire_name: str, spec: str) -> None:
        super().__init__(owner, name, wire_name, spec)
        self.decode = lambda value, _spec=spec: decode_value(_spec, value)
        self.encode = wire

    def coerce(self, value: Any) -> Any:
        if value is None or value is NULL:
            return value
        if not self.check(value):
            return super().coerce(value)  # raises the TypeError naming model and field
        return _convert(self.spec, value)


# --------------------------------------------------------------------------- official shapes


def _official_type(spec: str) -> str:
    if spec.startswith("list["):
        return f"list[{_official_type(spec[5:-1])}]"
    if spec.startswith("dict["):
        return f"dict(str, {_official_type(spec[5:-1])})"
    return "object" if spec == "any" else spec


def _official_value(value: Any) -> Any:
    if isinstance(value, CompatModel):
        return value.to_dict()
    if isinstance(value, Model):
        return model_class(type(value).__name__).from_dict(Model.to_dict(value)).to_dict()
    if isinstance(value, list):
        return [_official_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _official_value(v) for k, v in value.items()}
    if value is NULL:
        return None
    return value


def _json_ready(value: Any) -> Any:
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


class CompatModel:
    """Mixin placed before a ``genesyscloud.models`` class (see the module docstring)."""

    __slots__ = ()
    swagger_types: dict[str, str] = {}
    attribute_map: dict[str, str] = {}

    def to_dict(self) -> dict[str, Any]:
        """Every attribute under its official (snake_case) name; ``None`` where unset;
        nested models as dicts; dates as ``datetime``/``date`` (the official shape)."""
        return {attribute_name(name, wire_name): _official_value(getattr(self, name))
                for name, wire_name, _spec in type(self).__fields__}

    def to_json(self, **kwargs: Any) -> str:
        """``to_dict()`` as JSON with ISO-8601 dates (the official ``to_json``)."""
        return json.dumps(_json_ready(self.to_dict()), **kwargs)

    def to_str(self) -> str:
        from pprint import pformat

        return pformat(self.to_dict())

    def to_wire_dict(self) -> dict[str, Any]:
        """The wire object (camelCase keys, unknown fields kept): what a request body carries."""
        return Model.to_dict(self)  # type: ignore[arg-type]

    def to_wire_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_wire_dict(), **kwargs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Model):
            return (type(self).__fields__ == type(other).__fields__
                    and Model.to_dict(self) == Model.to_dict(other))  # type: ignore[arg-type]
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]


def model_class(name: str) -> type:
    """The compat class for a definition name (``"OAuthClient"``), built once.

    Raises:
        LookupError: no definition of that name.
    """
    cls = _classes.get(name)
    if cls is not None:
        return cls
    base = resolve_model(name)
    namespace: dict[str, Any] = {
        "__slots__": (),
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": base.__doc__,
        "swagger_types": {attribute_name(n, w): _official_type(s) for n, w, s in base.__fields__},
        "attribute_map": {attribute_name(n, w): w for n, w, _s in base.__fields__},
    }
    for field_name, wire_name, spec in base.__fields__:
        field = _CompatField(name, field_name, wire_name, spec)
        namespace[field_name] = field
        alias = attribute_name(field_name, wire_name)
        if alias != field_name:
            namespace[alias] = field
    cls = type(name, (CompatModel, base), namespace)
    return _classes.setdefault(name, cls)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return model_class(name)
    except LookupError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    from ...models import _index

    return sorted(set(globals()) | set(_index.MODULES))
