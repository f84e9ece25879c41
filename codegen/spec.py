"""Load the Swagger 2.0 definition and normalise it into what the templates need.

Everything is sorted so that generation is deterministic.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .naming import MODEL_RESERVED, PARAM_RESERVED, safe, snake, tag_attribute, tag_class, unique

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "platform-api.json"


@dataclass
class Prop:
    name: str  # python
    wire: str
    spec: str  # runtime type spec
    annotation: str  # python annotation for type checkers
    description: str
    enum: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Schema:
    name: str
    module: str
    props: list[Prop]
    refs: list[str]  # definition names referenced (for TYPE_CHECKING imports)
    paged: bool = False  # the response of a paged operation: gains iter_pages()/auto_paging_iter()

    @property
    def required(self) -> list[str]:
        return [p.name for p in self.props if p.required]


@dataclass
class Param:
    name: str
    wire: str
    location: str
    spec: str
    annotation: str
    required: bool
    description: str
    default: Any = None
    enum: tuple[str, ...] = ()


@dataclass
class Operation:
    operation_id: str
    method_name: str
    http_method: str
    path: str
    tags: list[str]
    params: list[Param]
    response: str | None
    response_annotation: str
    summary: str
    description: str
    deprecated: bool
    consumes: list[str]
    produces: list[str]
    secured: bool
    refs: list[str] = field(default_factory=list)
    paging: str | None = None

    @property
    def required_params(self) -> list[Param]:
        return [p for p in self.params if p.required]

    @property
    def optional_params(self) -> list[Param]:
        return [p for p in self.params if not p.required]

    @property
    def var(self) -> str:
        return "_" + self.method_name


@dataclass
class Tag:
    name: str
    attribute: str
    module: str
    class_name: str
    operations: list[Operation]  # every operation reachable in the group
    own: list[Operation]  # operations whose descriptor lives in this module (first tag)


@dataclass
class Api:
    schemas: list[Schema]
    operations: list[Operation]
    tags: list[Tag]
    source_sha256: str


def type_spec(schema: dict[str, Any]) -> str:
    """Runtime type spec of a schema fragment (see genesyscloud._core.models)."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        if fmt in ("date-time", "local-date-time"):
            return "datetime"
        if fmt == "date":
            return "date"
        return "str"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        return f"list[{type_spec(schema.get('items') or {})}]"
    if kind == "object" or kind is None:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"dict[{type_spec(extra)}]"
        return "any"
    raise ValueError(f"unsupported schema: {schema}")


def annotation(spec: str, enum: tuple[str, ...] = (), *, param: bool = False) -> str:
    """Python annotation for a type spec (models by class name, imported under TYPE_CHECKING)."""
    if spec.startswith("list["):
        inner = annotation(spec[5:-1], param=param)
        return f"Sequence[{inner}]" if param else f"list[{inner}]"
    if spec.startswith("dict["):
        inner = annotation(spec[5:-1], param=param)
        return f"Mapping[str, {inner}]" if param else f"dict[str, {inner}]"
    simple = {"str": "str", "int": "int", "float": "float", "bool": "bool", "any": "Any", "binary": "BinaryResponse"}
    if spec == "datetime":
        return "datetime.datetime | str" if param else "datetime.datetime"
    if spec == "date":
        return "datetime.date | str" if param else "datetime.date"
    if spec in simple:
        if spec == "str" and enum and len(enum) <= 30:
            return "Literal[" + ", ".join(json.dumps(v) for v in enum) + "] | str"
        return simple[spec]
    return f"{spec} | dict[str, Any]" if param else spec


def is_json_media(content_type: str) -> bool:
    """``application/json`` and the ``+json`` suffix types (RFC 6839)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media.endswith("/json") or media.endswith("+json")


def refs_of(spec: str) -> list[str]:
    if spec.startswith(("list[", "dict[")):
        return refs_of(spec[5:-1])
    if spec in ("str", "int", "float", "bool", "any", "datetime", "date", "binary"):
        return []
    return [spec]


def clean(text: str | None) -> str:
    text = html.unescape(text or "").replace("\r", "")
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    return " ".join(text.split())


def module_names(names: list[str]) -> dict[str, str]:
    taken = {"_index"}
    return {name: unique(snake(name), taken) for name in sorted(names)}


def load(path: Path = SPEC_PATH) -> Api:
    import hashlib

    raw = path.read_bytes()
    data = json.loads(raw)
    definitions: dict[str, Any] = data["definitions"]
    modules = module_names(list(definitions))

    schemas: list[Schema] = []
    for name in sorted(definitions):
        definition = definitions[name]
        required = set(definition.get("required", ()))
        taken = set(MODEL_RESERVED)
        props: list[Prop] = []
        refs: set[str] = set()
        for wire, sub in definition.get("properties", {}).items():
            spec = type_spec(sub)
            enum = tuple(sub.get("enum", ()))
            refs.update(r for r in refs_of(spec) if r != name)
            props.append(Prop(
                name=unique(safe(snake(wire), MODEL_RESERVED), taken),
                wire=wire,
                spec=spec,
                annotation=annotation(spec, enum),
                description=clean(sub.get("description")),
                enum=enum,
                required=wire in required,
            ))
        schemas.append(Schema(name=name, module=modules[name], props=props, refs=sorted(refs)))

    operations: list[Operation] = []
    for path_template, item in data["paths"].items():
        for http_method, op in item.items():
            if http_method == "parameters":
                continue
            taken = set(PARAM_RESERVED)
            params: list[Param] = []
            refs: set[str] = set()
            for p in op.get("parameters", []):
                if p["in"] == "body":
                    spec = type_spec(p.get("schema") or {})
                    pname = unique("body", taken)
                    enum: tuple[str, ...] = ()
                elif p["in"] == "formData":
                    raise ValueError(f"formData parameters are not supported: {op['operationId']}")
                else:
                    spec = type_spec(p)
                    enum = tuple(p.get("enum") or p.get("items", {}).get("enum") or ())
                    pname = unique(safe(snake(p["name"]), PARAM_RESERVED), taken | {"body"})
                refs.update(refs_of(spec))
                params.append(Param(
                    name=pname,
                    wire=p["name"],
                    location=p["in"],
                    spec=spec,
                    annotation=annotation(spec, enum, param=True),
                    required=bool(p.get("required")),
                    description=clean(p.get("description")),
                    default=p.get("default"),
                    enum=enum,
                ))
            responses = op.get("responses", {})
            response = None
            for code in ("200", "201", "202", "203", "206"):
                schema = (responses.get(code) or {}).get("schema")
                if schema:
                    response = type_spec(schema)
                    break
            produces = list(op.get("produces") or data.get("produces") or ["application/json"])
            if not any(is_json_media(c) for c in produces):
                response = "binary"  # text/calendar, text/plain, audio...: a BinaryResponse, never parsed
            if response is not None:
                refs.update(refs_of(response))
            operations.append(Operation(
                operation_id=op["operationId"],
                # snake_case whether the definition gives the Python name (ours) or the
                # camelCase one (Genesys' live document); the operationId when it gives none
                method_name=snake(op.get("x-purecloud-method-name") or op["operationId"]),
                http_method=http_method.upper(),
                path=path_template,
                tags=list(op.get("tags") or ["Default"]),
                params=params,
                response=response,
                response_annotation=annotation(response) if response else "None",
                summary=clean(op.get("summary")),
                description=clean(op.get("description")),
                deprecated=bool(op.get("deprecated")),
                consumes=list(op.get("consumes") or data.get("consumes") or ["application/json"]),
                produces=produces,
                secured=bool(op.get("security", data.get("security"))),
                refs=sorted(refs),
            ))
    operations.sort(key=lambda o: o.method_name)
    from .paging import paging_style

    schema_by_name = {s.name: s for s in schemas}
    for op in operations:
        op.paging = paging_style(op, schema_by_name)
        if op.paging and op.response in schema_by_name:
            schema_by_name[op.response].paged = True

    tag_names = sorted({t for o in operations for t in o.tags})
    tags: list[Tag] = []
    taken_modules: set[str] = set()
    for tag in tag_names:
        ops = [o for o in operations if tag in o.tags]
        tags.append(Tag(
            name=html.unescape(tag),
            attribute=tag_attribute(tag),
            module=unique(tag_attribute(tag), taken_modules),
            class_name=tag_class(tag),
            operations=ops,
            own=[o for o in ops if o.tags[0] == tag],
        ))
    return Api(schemas=schemas, operations=operations, tags=tags, source_sha256=hashlib.sha256(raw).hexdigest())


# -- secret-bearing body fields (masked in logs; see genesyscloud._core.logging) ----------------

#: a string field whose wire name contains one of these words carries a secret ...
SECRET_WORDS = ("password", "secret", "token", "passphrase", "apikey", "api_key", "privatekey", "private_key",
                "assertion", "verifier", "credential")
#: ... unless the name ends with one of these (it names, dates, counts or locates a secret)
NOT_SECRET_SUFFIXES = ("id", "ids", "url", "uri", "date", "hash", "location", "count", "type", "types", "seconds",
                       "rate", "size", "provided", "name", "timeout", "requirements", "fields", "issued", "idles")


def is_secret_field(wire: str, spec: str, enum: tuple[str, ...] = ()) -> bool:
    """Whether a definition field carries a secret: a plain string (not a date, not an
    enum) named like one (``password``, ``newPassword``, ``clientSecret``, ``deviceToken``...)."""
    low = wire.lower().replace("-", "_")
    flat = low.replace("_", "")
    if spec != "str" or enum:
        return False
    if not any(word.replace("_", "") in flat for word in SECRET_WORDS):
        return False
    return not any(flat.endswith(suffix) for suffix in NOT_SECRET_SUFFIXES)


def secret_fields(api: Api) -> list[str]:
    """The wire names of every secret-bearing string field in the definition, sorted."""
    return sorted({p.wire for s in api.schemas for p in s.props if is_secret_field(p.wire, p.spec, p.enum)})
