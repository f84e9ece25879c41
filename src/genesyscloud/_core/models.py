"""The model base class: lossless, lazily decoded wire objects.

Every generated model (``genesyscloud.models.*``) subclasses :class:`Model` and declares
its fields as a tuple of ``(python_name, wire_name, type_spec)``. A type spec is a short
string: ``str``, ``int``, ``float``, ``bool``, ``datetime``, ``date``, ``any``, a
definition name (``DomainEntityRef``), ``list[<spec>]`` or ``dict[<spec>]``.

Design:

* A model decoded from the wire keeps the wire ``dict`` it came from. Attributes are
  decoded on first access and cached, so decoding a 100-entity page is a handful of
  dictionary wraps, and a field never read is never converted.
* ``to_dict()`` starts from that wire ``dict`` and re-encodes only what was read or set.
  Unknown fields, unknown enum values, ``null`` values and the exact date-time text
  therefore survive a GET-modify-PUT unchanged.
* Models built by keyword arguments validate each value's type and raise ``TypeError``
  naming the model and the field.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import sys
from typing import Any, Callable, ClassVar, Iterator

from .lazy import resolve_model

__all__ = ["Model", "NULL", "WireDateTime", "WireDate", "format_datetime", "parse_datetime"]


class _Null:
    """Sentinel: assign ``genesyscloud.NULL`` to send an explicit JSON ``null``.

    ``None`` means "not set" (the field is left out of the request body).
    """

    _instance: _Null | None = None

    def __new__(cls) -> _Null:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL"

    def __bool__(self) -> bool:
        return False


NULL: Any = _Null()


class WireDateTime(_dt.datetime):
    """A ``datetime`` decoded from the wire that remembers its exact text.

    Re-encoding an unchanged value gives back the text as the server sent it; arithmetic
    returns a plain ``datetime`` (formatted in the API's format).
    """

    _wire: str


class WireDate(_dt.date):
    """A ``date`` decoded from the wire that remembers its exact text."""

    _wire: str


#: Python 3.11+ parses every ISO-8601 form the API sends ("Z" included) in C
_FAST_ISO = sys.version_info >= (3, 11)
_DT_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(text: str) -> _dt.datetime:
    """Parse an ISO-8601 date-time as the API sends it (``2024-01-02T03:04:05.000Z``).

    Returns a timezone-aware :class:`WireDateTime` (UTC when the text has ``Z``; naive
    when it has no offset, as ``local-date-time`` values are).

    Raises:
        ValueError: the text is not an ISO-8601 date-time.
    """
    if _FAST_ISO and len(text) > 19 and text[10] == "T":
        try:
            value = WireDateTime.fromisoformat(text)
        except ValueError:
            pass
        else:
            value._wire = text
            return value
    m = _DT_RE.match(text)
    if not m:
        raise ValueError(f"not an ISO-8601 date-time: {text!r}")
    year, month, day, hour, minute, second, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tzinfo: _dt.tzinfo | None = None
    if tz == "Z":
        tzinfo = _dt.timezone.utc
    elif tz:
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        tzinfo = _dt.timezone(sign * _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    value = WireDateTime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo)
    value._wire = text
    return value


def format_datetime(value: _dt.datetime) -> str:
    """Format a ``datetime`` in the API's format: ``2024-01-02T03:04:05.000Z``.

    Aware values are converted to UTC; naive values are written without an offset
    (the API's ``local-date-time``).
    """
    wire = getattr(value, "_wire", None)
    if wire is not None:
        return wire
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def parse_date(text: str) -> _dt.date:
    """Parse ``YYYY-MM-DD`` into a :class:`WireDate`. Raises ``ValueError`` otherwise."""
    base = _dt.date.fromisoformat(text)
    value = WireDate(base.year, base.month, base.day)
    value._wire = text
    return value


def format_date(value: _dt.date) -> str:
    """Format a ``date`` as ``YYYY-MM-DD`` (a ``datetime`` is formatted as a date-time)."""
    if isinstance(value, _dt.datetime):
        return format_datetime(value)
    wire = getattr(value, "_wire", None)
    return wire if wire is not None else value.isoformat()


# --------------------------------------------------------------------------- codecs
# A codec is a pair (decode(wire) -> python, encode(python) -> wire) built once per
# type spec. Decoders are lenient (the server is the authority: a value of an
# unexpected type is kept as it came); encoders turn models and dates back into JSON.

_Codec = tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], bool]]
_codecs: dict[str, _Codec] = {}


def _identity(value: Any) -> Any:
    return value


def _decode_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return value  # keep what the server sent rather than lose it
    return value


def _decode_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            return value
    return value


def _encode_datetime(value: Any) -> Any:
    return format_datetime(value) if isinstance(value, _dt.datetime) else value


def _encode_date(value: Any) -> Any:
    return format_date(value) if isinstance(value, _dt.date) else value


def encode_value(value: Any) -> Any:
    """Encode any Python value to JSON-ready data (models, dates, lists, dicts)."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, _dt.datetime):
        return format_datetime(value)
    if isinstance(value, _dt.date):
        return format_date(value)
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_value(v) for k, v in value.items()}
    if value is NULL:
        return None
    return value


def _accept_any(value: Any) -> bool:
    return True


_PRIMITIVE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "datetime": lambda v: isinstance(v, _dt.datetime | str),
    "date": lambda v: isinstance(v, _dt.date | str),
    "any": _accept_any,
}


def codec(spec: str) -> _Codec:
    """Return ``(decode, encode, check)`` for a type spec (cached)."""
    found = _codecs.get(spec)
    if found is not None:
        return found
    if spec.startswith("list[") and spec.endswith("]"):
        inner_decode, inner_encode, inner_check = codec(spec[5:-1])

        def decode(value: Any) -> Any:
            return [inner_decode(v) for v in value] if isinstance(value, list) else value

        def encode(value: Any) -> Any:
            return [inner_encode(v) for v in value] if isinstance(value, list | tuple) else value

        def check(value: Any) -> bool:
            return isinstance(value, list | tuple) and all(v is None or inner_check(v) for v in value)

        found = (decode, encode, check)
    elif spec.startswith("dict[") and spec.endswith("]"):
        inner_decode, inner_encode, inner_check = codec(spec[5:-1])

        def decode(value: Any) -> Any:
            return {k: inner_decode(v) for k, v in value.items()} if isinstance(value, dict) else value

        def encode(value: Any) -> Any:
            return {k: inner_encode(v) for k, v in value.items()} if isinstance(value, dict) else value

        def check(value: Any) -> bool:
            return isinstance(value, dict) and all(v is None or inner_check(v) for v in value.values())

        found = (decode, encode, check)
    elif spec == "datetime":
        found = (_decode_datetime, _encode_datetime, _PRIMITIVE_CHECKS["datetime"])
    elif spec == "date":
        found = (_decode_date, _encode_date, _PRIMITIVE_CHECKS["date"])
    elif spec in _PRIMITIVE_CHECKS:
        found = (_identity, encode_value if spec == "any" else _identity, _PRIMITIVE_CHECKS[spec])
    else:
        found = _model_codec(spec)
    _codecs[spec] = found
    return found


def _model_codec(name: str) -> _Codec:
    cls_box: list[type[Model]] = []

    def model_cls() -> type[Model]:
        if not cls_box:
            cls_box.append(resolve_model(name))
        return cls_box[0]

    def decode(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return (cls_box[0] if cls_box else model_cls()).from_dict(value)

    def encode(value: Any) -> Any:
        return value.to_dict() if isinstance(value, Model) else encode_value(value)

    def check(value: Any) -> bool:
        return isinstance(value, dict | Model)

    return (decode, encode, check)


# --------------------------------------------------------------------------- fields


_UNREAD: Any = object()  # a field not decoded yet (None is a value)


class _Field:
    """Descriptor for one model field: lazy decode on get, typed check on set."""

    __slots__ = ("name", "wire", "spec", "decode", "encode", "check", "owner")

    def __init__(self, owner: str, name: str, wire: str, spec: str) -> None:
        self.owner = owner
        self.name = name
        self.wire = wire
        self.spec = spec
        self.decode, self.encode, self.check = codec(spec)

    def __get__(self, obj: Model | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        values = obj._values
        value = values.get(self.name, _UNREAD)  # (a first read raising KeyError cost more than the read)
        if value is not _UNREAD:
            return value
        raw = obj._wire.get(self.wire)
        decode = self.decode
        value = raw if raw is None or decode is _identity else decode(raw)  # (str, int, ...: as received)
        values[self.name] = value
        return value

    def __set__(self, obj: Model, value: Any) -> None:
        obj._values[self.name] = self.coerce(value)
        obj._dirty.add(self.name)

    def __delete__(self, obj: Model) -> None:
        self.__set__(obj, None)

    def coerce(self, value: Any) -> Any:
        if value is None or value is NULL:
            return value
        if not self.check(value):
            raise TypeError(
                f"{self.owner}.{self.name}: expected {describe_type(self.spec)}, got {type(value).__name__} {value!r:.80}"
            )
        return _convert(self.spec, value)


def _convert(spec: str, value: Any) -> Any:
    """Turn a caller's (already type-checked) value into the field's Python form."""
    if value is None or value is NULL or spec == "any":
        return value
    if spec.startswith("list["):
        return [_convert(spec[5:-1], v) for v in value]
    if spec.startswith("dict["):
        return {k: _convert(spec[5:-1], v) for k, v in value.items()}
    if isinstance(value, str) and spec in ("datetime", "date"):
        return (parse_datetime if spec == "datetime" else parse_date)(value)
    if isinstance(value, dict):
        return _model_from_user_dict(resolve_model(spec), value)
    return value


def _model_from_user_dict(cls: type[Model], data: dict[str, Any]) -> Model:
    """A dict given by the caller: Python names go through the constructor, wire names through from_dict."""
    if data and all(key in cls.__python_names__ for key in data):
        return cls(**data)
    return cls.from_dict(data)


def describe_type(spec: str) -> str:
    """A type spec in words, for error messages (``list[int]`` -> ``list of int``)."""
    names = {"str": "str", "int": "int", "float": "float", "bool": "bool", "datetime": "datetime or ISO-8601 str",
             "date": "date or YYYY-MM-DD str", "any": "any JSON value"}
    if spec.startswith("list["):
        return f"list of {describe_type(spec[5:-1])}"
    if spec.startswith("dict["):
        return f"dict of str to {describe_type(spec[5:-1])}"
    return names.get(spec, f"{spec} or dict")


# --------------------------------------------------------------------------- base


class Model:
    """Base class of every generated model.

    Construct with keyword arguments named after the Python (snake_case) attributes;
    ``from_dict()`` decodes a wire (camelCase) object; ``to_dict()`` / ``to_json()``
    give the wire format back. Unknown fields received from the server are kept in
    ``extra_fields`` and sent back unchanged.
    """

    __slots__ = ("_wire", "_values", "_dirty", "_pager")
    __fields__: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    __wire_name__: ClassVar[str] = ""
    __enums__: ClassVar[dict[str, tuple[str, ...]]] = {}
    __required__: ClassVar[tuple[str, ...]] = ()
    __python_names__: ClassVar[frozenset[str]] = frozenset()
    __wire_names__: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__fields__" not in cls.__dict__:
            return
        for name, wire, spec in cls.__fields__:
            setattr(cls, name, _Field(cls.__name__, name, wire, spec))
        cls.__python_names__ = frozenset(f[0] for f in cls.__fields__)
        cls.__wire_names__ = {f[1]: f[0] for f in cls.__fields__}

    def __init__(self, **kwargs: Any) -> None:
        self._wire: dict[str, Any] = {}
        self._values: dict[str, Any] = {}
        self._dirty: set[str] = set()
        self._pager: Any = None
        cls = type(self)
        for key, value in kwargs.items():
            if key not in cls.__python_names__:
                wire_key = cls.__wire_names__.get(key)
                if wire_key is None:
                    raise TypeError(
                        f"{cls.__name__}() got an unexpected keyword argument {key!r}; "
                        f"known fields: {', '.join(sorted(cls.__python_names__)) or '(none)'}"
                    )
                key = wire_key
            if value is not None:
                setattr(self, key, value)

    # -- decoding / encoding ---------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Decode a wire object (camelCase keys) without copying or validating it.

        Raises:
            TypeError: ``data`` is not a dict.
        """
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}.from_dict() expects a dict, got {type(data).__name__}")
        obj = cls.__new__(cls)
        obj._wire = data
        obj._values = {}
        obj._dirty = set()
        obj._pager = None
        return obj

    @classmethod
    def from_json(cls, text: str | bytes) -> Any:
        """Decode a JSON document holding one wire object."""
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict[str, Any]:
        """Return the wire-format dict (camelCase keys, dates as API strings).

        Fields received from the server and never touched come back exactly as they
        came, unknown ones included; fields set to ``None`` are left out, fields set to
        ``NULL`` are sent as ``null``.
        """
        out = dict(self._wire)
        if not self._values:
            return out
        cls = type(self)
        for name, value in self._values.items():
            field: _Field = getattr(cls, name)
            if value is None:
                if name in self._dirty:
                    out.pop(field.wire, None)
                continue
            out[field.wire] = None if value is NULL else field.encode(value)
        return out

    def to_json(self, **kwargs: Any) -> str:
        """Return ``to_dict()`` as a JSON string (``json.dumps`` keyword arguments apply)."""
        return json.dumps(self.to_dict(), **kwargs)

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Wire fields this SDK version does not know, as received."""
        known = type(self).__wire_names__
        return {k: v for k, v in self._wire.items() if k not in known}

    # -- container behaviour -----------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        """Read a field by wire or Python name; unknown wire fields come back raw."""
        cls = type(self)
        if key in cls.__python_names__:
            return getattr(self, key)
        if key in cls.__wire_names__:
            return getattr(self, cls.__wire_names__[key])
        if key in self._wire:
            return self._wire[key]
        raise KeyError(key)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Model):
            return type(self) is type(other) and self.to_dict() == other.to_dict()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """Iterate ``(python_name, value)`` over the fields that are present."""
        data = self.to_dict()
        for name, wire, _ in type(self).__fields__:
            if wire in data:
                yield name, getattr(self, name)

    def __repr__(self) -> str:
        parts = []
        data = self.to_dict()
        for name, wire, _ in type(self).__fields__:
            if wire in data:
                value = getattr(self, name)
                parts.append(f"{name}={_short_repr(name, value)}")
        extra = self.extra_fields
        if extra:
            parts.append(f"extra_fields={sorted(extra)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __getstate__(self) -> dict[str, Any]:
        return {"wire": self.to_dict()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._wire = state["wire"]
        self._values = {}
        self._dirty = set()
        self._pager = None

    def __copy__(self) -> Any:
        return type(self).from_dict(self.to_dict())

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return type(self).from_dict(json.loads(json.dumps(self.to_dict())))


_SECRET_NAMES = re.compile(r"secret|password|token|assertion|credential|private_?key", re.I)


def _short_repr(name: str, value: Any) -> str:
    if value is not None and _SECRET_NAMES.search(name) and isinstance(value, str):
        return "'***'"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
