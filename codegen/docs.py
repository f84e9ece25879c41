"""Write the documentation site's sources: ``python -m codegen.docs OUTDIR``.

``OUTDIR`` becomes a complete MkDocs project: ``OUTDIR/mkdocs.yml`` (inherits the
repository's ``mkdocs.yml`` and adds the reference to its navigation) and
``OUTDIR/docs/``: the hand-written guides copied from ``docs/`` plus the generated API
reference under ``docs/reference/``:

* ``reference/index.md``: every API group, with its operation count;
* ``reference/api/<group>.md``: one page per API group (87), one section per operation:
  sync and async signatures, HTTP method and path, parameters, return type (linked to its
  model), paging style and helpers, errors, a Python example and the equivalent
  ``genesys-cloud`` command;
* ``reference/topics.md``: every notification topic template of
  ``spec/notification-topics.json`` with its event model (linked to the model's section,
  which links back), grouped by area;
* ``reference/models/<page>.md``: the 6,651 models in alphabetical pages of at most
  ``MODELS_PER_PAGE`` (one section per model, so search finds each), each field with its
  Python name, wire name, type, required flag, enum values and description, and links to
  the operations that take or return the model.

Nothing written here is committed (``scripts/docs.sh`` writes into ``build/``). Output
is deterministic. The Python examples are also available programmatically
(:func:`operation_examples`) for the test that runs a sample of them against the sandbox.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import jinja2

from . import spec as spec_mod
from . import topics as topics_mod

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ROOT / "docs"
BASE_CONFIG = ROOT / "mkdocs.yml"
#: the largest number of models on one model page (a letter with more is split)
MODELS_PER_PAGE = 250

PAGING = {
    "page_number": "page number (`pageNumber` / `pageSize` query parameters; the listing's `pageCount` says when to stop)",
    "next_uri": "next URI (the listing's `nextUri`, which carries the `after` / `cursor` / `nextPage` token)",
    "cursor": "cursor (the listing's `cursor`, passed back as the `cursor` query parameter)",
    "cursors_after": "cursors (the listing's `cursors.after`, passed back as the `after` or `cursor` query parameter)",
    "search": "search (`nextPage` of the search result)",
    "body": "body paging (the page number travels in the request body of this query)",
}


# -- text helpers ----------------------------------------------------------------------------------------
def text(value: str | None) -> str:
    """A definition description as Markdown table-cell text (one line, no raw HTML, pipes escaped)."""
    value = str(value if value is not None else "").replace("\\\\", "\\").replace("'''", '"""')
    value = " ".join(value.split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("|", "\\|")


def anchor(name: str) -> str:
    """The HTML id of a model's or operation's section: the identifier itself (case kept)."""
    return re.sub(r"[^0-9A-Za-z_]+", "-", name).strip("-")


@dataclass
class Example:
    """One operation's generated example (the same text the reference page shows)."""

    operation_id: str
    group: str
    method_name: str
    python: str  # runs with ``gc`` bound to a GenesysCloud client
    cli: str  # a ``genesys-cloud`` command line
    imports: tuple[str, ...]


class Reference:
    """Everything the reference pages need, computed once from the loaded definition."""

    def __init__(self, api: spec_mod.Api) -> None:
        self.api = api
        self.schemas = {s.name: s for s in api.schemas}
        self.raw = json.loads(spec_mod.SPEC_PATH.read_bytes())["definitions"]
        self.group_of = {t.name: t for t in api.tags}
        self.model_page = self._paginate_models()
        self.topics = topics_mod.load(set(self.schemas))
        #: model name -> the topic templates whose event body it describes
        self.topics_of: dict[str, list[str]] = {}
        for topic in self.topics:
            if topic.definition:
                self.topics_of.setdefault(topic.definition, []).append(topic.template)
        self.takes: dict[str, list[tuple[spec_mod.Tag, spec_mod.Operation]]] = {}
        self.returns: dict[str, list[tuple[spec_mod.Tag, spec_mod.Operation]]] = {}
        for op in api.operations:
            home = self.home(op)
            for p in op.params:
                for ref in spec_mod.refs_of(p.spec):
                    self.takes.setdefault(ref, []).append((home, op))
            for ref in spec_mod.refs_of(op.response or "str"):
                self.returns.setdefault(ref, []).append((home, op))

    # where things live
    def home(self, op: spec_mod.Operation) -> spec_mod.Tag:
        import html

        return self.group_of[html.unescape(op.tags[0])]

    def _paginate_models(self) -> dict[str, str]:
        by_letter: dict[str, list[str]] = {}
        for s in self.api.schemas:
            by_letter.setdefault(s.name[0].upper(), []).append(s.name)
        page: dict[str, str] = {}
        for letter, names in sorted(by_letter.items()):
            chunks = [names[i:i + MODELS_PER_PAGE] for i in range(0, len(names), MODELS_PER_PAGE)]
            for n, chunk in enumerate(chunks, 1):
                slug = letter.lower() if len(chunks) == 1 else f"{letter.lower()}{n}"
                for name in chunk:
                    page[name] = slug
        return page

    def topic_areas(self) -> list[tuple[str, list[topics_mod.Topic]]]:
        """The topics grouped by area: the segment after ``v2`` (``users``, ``routing``...)."""
        areas: dict[str, list[topics_mod.Topic]] = {}
        for topic in self.topics:
            parts = topic.template.split(".")
            areas.setdefault(parts[1] if len(parts) > 1 else parts[0], []).append(topic)
        return sorted(areas.items())

    def model_pages(self) -> list[tuple[str, list[spec_mod.Schema]]]:
        pages: dict[str, list[spec_mod.Schema]] = {}
        for s in self.api.schemas:
            pages.setdefault(self.model_page[s.name], []).append(s)
        return sorted(pages.items())

    def model_link(self, name: str, frm: str) -> str:
        """Relative URL of a model's section from a page in ``frm`` (``api`` or ``models``)."""
        prefix = "" if frm == "models" else "../models/"
        return f"{prefix}{self.model_page[name]}.md#{anchor(name)}"

    def op_link(self, tag: spec_mod.Tag, op: spec_mod.Operation, frm: str) -> str:
        prefix = "" if frm == "api" else "../api/"
        return f"{prefix}{tag.module}.md#{anchor(op.method_name)}"

    def type_md(self, spec: str, frm: str) -> str:
        """A type spec as Markdown, models linked: ``list[`` [`Queue`](...) ``]``."""
        if not any(ref in self.schemas for ref in spec_mod.refs_of(spec)):
            return f"`{spec}`"
        if spec.startswith(("list[", "dict[")):
            return f"`{spec[:5]}`{self.type_md(spec[5:-1], frm)}`]`"
        if spec in self.schemas:
            return f"[`{spec}`]({self.model_link(spec, frm)})"
        return f"`{spec}`"

    # signatures
    @staticmethod
    def signature(tag: spec_mod.Tag, op: spec_mod.Operation, is_async: bool) -> str:
        args = [f"{p.name}: {p.annotation}" for p in op.required_params]
        if op.optional_params:
            args.append("*")
            args += [f"{p.name}: {p.annotation} | None = None" for p in op.optional_params]
        head = ("async def " if is_async else "def ") + op.method_name + "("
        ret = f") -> {op.response_annotation}"
        one = head + ", ".join(args) + ret
        if len(one) <= 90:
            return one
        return head + "\n" + "".join(f"    {a},\n" for a in args) + ret

    def errors(self, op: spec_mod.Operation) -> list[str]:
        out = ["`BadRequestError` (400)"]
        if op.secured:
            out += ["`AuthenticationError` (401)", "`PermissionDeniedError` (403)"]
        out.append("`NotFoundError` (404)")
        if op.http_method in ("POST", "PUT", "PATCH", "DELETE"):
            out.append("`ConflictError` (409)")
        out += ["`RateLimitError` (429, after the retries)", "`InternalServerError` (5xx, after the retries)",
                "other `APIStatusError`", "`APIConnectionError` / `APITimeoutError` (no response)"]
        if op.secured:
            out.append("`AuthError` (no token could be had)")
        out.append("`TypeError` / `ValueError` (bad arguments, before any request)")
        return out

    # examples
    def _value(self, spec: str, enum: tuple[str, ...], hint: str, depth: int = 0) -> Any:
        if enum:
            return enum[0]
        if spec.startswith("list["):
            return [self._value(spec[5:-1], (), hint, depth)]
        if spec.startswith("dict["):
            return {"key": self._value(spec[5:-1], (), hint, depth)}
        if spec == "int":
            return 1
        if spec == "float":
            return 1.5
        if spec == "bool":
            return True
        if spec == "datetime":
            return "2024-01-02T03:04:05.000Z"
        if spec == "date":
            return "2024-01-02"
        if spec == "any":
            return {"key": "value"}
        if spec == "str":
            if hint in STRING_HINTS:
                return STRING_HINTS[hint]
            return f"example-{hint}" if hint else "example"
        schema = self.schemas[spec]
        out: dict[str, Any] = {}
        for p in schema.props:
            if p.required and depth < 8:
                out[p.wire] = self._value(p.spec, p.enum, snake_hint(p.wire), depth + 1)
        return out

    def example(self, tag: spec_mod.Tag, op: spec_mod.Operation) -> Example:
        args: list[str] = []
        cli: list[str] = ["genesys-cloud", tag.attribute.replace("_", "-"), op.method_name.replace("_", "-")]
        imports: list[str] = []
        pre: list[str] = []
        body_param = next((p for p in op.optional_params if p.location == "body"), None)
        chosen = list(op.required_params)
        if body_param is not None and body_param.spec in self.schemas and self.schemas[body_param.spec].required:
            chosen.append(body_param)  # an optional body whose model has required fields: show it
        for p in chosen:
            if p.location == "body":
                if p.spec in self.schemas:
                    schema = self.schemas[p.spec]
                    imports.append(f"from genesyscloud.models import {p.spec}")
                    kw = [f"{f.name}={py(self._value(f.spec, f.enum, snake_hint(f.wire), 1))}"
                          for f in schema.props if f.required]
                    call = f"{p.spec}(" + ", ".join(kw) + ")"
                    if len(call) > 80:
                        call = f"{p.spec}(\n" + "".join(f"    {k},\n" for k in kw) + ")"
                    pre.append(f"body = {call}")
                    args.append("body" if p.required else "body=body")
                    wire = self._value(p.spec, (), "")
                else:
                    wire = self._value(p.spec, p.enum, "body")
                    args.append(py(wire) if p.required else f"body={py(wire)}")
                if isinstance(wire, str):
                    cli += ["--body", shlex.quote(wire)]
                else:
                    cli += ["--body", shlex.quote(json.dumps(wire, separators=(",", ":")))]
                continue
            value = self._value(p.spec, p.enum, p.wire)
            args.append(py(value))
            if p.location == "path":
                cli.append(shlex.quote(str(value)))
            else:
                flag = "--" + p.name.replace("_", "-")
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if p.spec == "bool":
                        cli.append(flag if v else "--no-" + p.name.replace("_", "-"))
                    else:
                        cli += [flag, shlex.quote(str(v))]
        if op.paging and op.response in self.schemas:
            size = next((p for p in op.optional_params if p.wire in ("pageSize", "limit", "size")), None)
            if size is not None and op.paging != "body":
                args.append(f"{size.name}={'25' if size.spec == 'str' else 25!r}")
                cli += ["--" + size.name.replace("_", "-"), "25"]
        call = f"gc.{tag.attribute}.{op.method_name}(" + ", ".join(args) + ")"
        lines = list(pre)
        if op.response is None:
            lines.append(call)
        elif op.paging and op.response in self.schemas:
            lines.append(f"result = {call}")
            lines.append("for item in result.auto_paging_iter(max_items=50):  # follows the pages")
            lines.append("    print(item)")
            cli.append("--autopaginate --max-items 50")
        else:
            lines.append(f"result = {call}")
            lines.append("print(result)")
        return Example(op.operation_id, tag.attribute, op.method_name, "\n".join(imports + lines), " ".join(cli),
                       tuple(imports))


def py(value: Any) -> str:
    """A Python literal for a JSON-like value, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    return repr(value)


#: example values for strings whose format the definition only describes in words
STRING_HINTS = {
    "interval": "2024-01-01T00:00:00Z/2024-01-08T00:00:00Z",
    "q64": "eyJxdWVyeSI6W3sidHlwZSI6IkVYQUNUIiwidmFsdWUiOiJleGFtcGxlIn1dfQ==",
}


def snake_hint(wire: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", wire).lower()


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates" / "docs")),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["text"] = text
    env.filters["anchor"] = anchor
    env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


def operation_examples(operation_ids: Iterable[str] | None = None, api: spec_mod.Api | None = None) -> list[Example]:
    """The generated example of each operation (of each given id), as the reference shows it."""
    ref = Reference(api or spec_mod.load())
    wanted = set(operation_ids) if operation_ids is not None else None
    return [ref.example(ref.home(op), op) for op in ref.api.operations
            if wanted is None or op.operation_id in wanted]


def _nav_entries(ref: Reference) -> list[Any]:
    groups = [{t.name: f"reference/api/{t.module}.md"} for t in ref.api.tags]
    models = [{f"Models {slug.upper()}": f"reference/models/{slug}.md"} for slug, _ in ref.model_pages()]
    return [{"API reference": ["reference/index.md", {"API groups": groups},
                               {"Models": ["reference/models/index.md"] + models},
                               {"Notification topics": "reference/topics.md"}]}]


def generate(out: Path, api: spec_mod.Api | None = None) -> dict[str, int]:
    """Write the MkDocs project under ``out``; return counts (pages, operations, models)."""
    import yaml

    api = api or spec_mod.load()
    ref = Reference(api)
    env = _env()
    docs = out / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    shutil.copytree(GUIDES, docs)
    pages = sum(1 for _ in docs.rglob("*.md"))

    def write(rel: str, body: str) -> None:
        nonlocal pages
        path = docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body.rstrip("\n") + "\n", encoding="utf-8")
        pages += 1

    write("reference/index.md", env.get_template("index.md.j2").render(api=api, ref=ref))
    group_tpl = env.get_template("group.md.j2")
    for tag in api.tags:
        write(f"reference/api/{tag.module}.md", group_tpl.render(tag=tag, ref=ref, paging=PAGING))
    model_tpl = env.get_template("models.md.j2")
    model_pages = ref.model_pages()
    for slug, schemas in model_pages:
        write(f"reference/models/{slug}.md", model_tpl.render(slug=slug, schemas=schemas, ref=ref))
    write("reference/models/index.md", env.get_template("models_index.md.j2").render(pages=model_pages, ref=ref))
    write("reference/topics.md", env.get_template("topics.md.j2").render(ref=ref))

    base = yaml.safe_load(BASE_CONFIG.read_text(encoding="utf-8"))
    config = {
        "INHERIT": str(BASE_CONFIG),
        "docs_dir": "docs",
        "nav": list(base.get("nav") or []) + _nav_entries(ref),
    }
    (out / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {"pages": pages, "operations": len(api.operations), "models": len(api.schemas),
            "groups": len(api.tags), "model_pages": len(model_pages), "topics": len(ref.topics)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.docs", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write the MkDocs project into (e.g. build/site-src)")
    args = parser.parse_args(argv)
    counts = generate(args.out)
    print("wrote {pages} Markdown pages under {out}/docs: {groups} API groups ({operations} operations), "
          "{models} models on {model_pages} pages, {topics} notification topics".format(out=args.out, **counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
