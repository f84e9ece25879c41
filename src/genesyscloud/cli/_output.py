"""Output formats: JSON (pretty on a terminal, compact when piped), JSON lines, YAML,
table, CSV; ``--fields a,b.c`` picks (dotted) fields, checked against the response model.
:class:`PageWriter` writes ``--autopaginate`` output page by page as it arrives."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import sys
from typing import IO, Any, Iterable, Sequence

from ._errors import EXIT_USAGE, CLIError

__all__ = ["FORMATS", "PageWriter", "check_fields", "to_plain", "records_of", "parse_fields", "pick", "project",
           "render", "write_json_line"]

FORMATS = ("json", "jsonl", "yaml", "table", "csv")
_MISSING = object()


def to_plain(value: Any) -> Any:
    """Models, lists and dicts of them -> JSON-ready data (wire names)."""
    from .._core.models import Model

    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return value


def page_items(plain: Any) -> list[Any] | None:
    """The items of a listing page (plain dict), or ``None`` when it is not a listing."""
    from .._core.pagination import ITEM_FIELDS

    if not isinstance(plain, dict):
        return None
    for key in ITEM_FIELDS:
        if isinstance(plain.get(key), list):
            return plain[key]
    return None


def records_of(plain: Any) -> list[Any]:
    """Rows for a table or CSV: a page's items, a list's elements, or the object itself."""
    if isinstance(plain, list):
        return plain
    items = page_items(plain)
    if items is not None:
        return items
    return [plain]


def parse_fields(text: str | None) -> list[str] | None:
    """``"a, b.c"`` -> ``["a", "b.c"]``; ``None`` when not given. Raises CLIError on an empty list."""
    if text is None:
        return None
    fields = [f.strip() for f in text.split(",") if f.strip()]
    if not fields:
        raise CLIError("--fields needs at least one field name, e.g. --fields id,name,division.name", EXIT_USAGE)
    return fields


def pick(record: Any, path: str) -> Any:
    """The value at a dotted path (``division.name``, ``addresses.0.city``), or ``None``."""
    value = record
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            value = _MISSING
        if value is _MISSING:
            return None
    return value


def project(record: Any, fields: Sequence[str]) -> Any:
    """Keep only ``fields`` (dotted paths) of a record, nested as in the original."""
    if not isinstance(record, dict):
        return record
    out: dict[str, Any] = {}
    for path in fields:
        parts = path.split(".")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            target[parts[-1]] = pick(record, path)
    return out


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def default_columns(records: Sequence[Any], limit: int | None) -> list[str]:
    """Scalar top-level fields of the first records (``id`` and ``name`` first)."""
    seen: dict[str, None] = {}
    for record in records[:50]:
        if isinstance(record, dict):
            for key, value in record.items():
                if _is_scalar(value) and key != "selfUri":
                    seen.setdefault(key, None)
    columns = sorted(seen, key=lambda k: (k not in ("id", "name"), k != "id"))
    return columns[:limit] if limit else columns


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _json_text(data: Any, pretty: bool) -> str:
    if pretty:
        return json.dumps(data, indent=2, ensure_ascii=False)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_json_line(data: Any, out: IO[str] | None = None) -> None:
    """One compact JSON document and a newline (``--stream``), flushed."""
    out = out or sys.stdout
    out.write(_json_text(data, False) + "\n")
    out.flush()


def render(plain: Any, fmt: str, fields: list[str] | None, *, records: list[Any] | None = None,
           out: IO[str] | None = None, title: str | None = None) -> None:
    """Write a result.

    Args:
        plain: the JSON-ready result (``to_plain``).
        fmt: one of :data:`FORMATS`.
        fields: dotted paths to keep, or ``None`` for everything.
        records: the rows for table/CSV (default :func:`records_of`); with ``fields`` JSON
            and YAML print these rows projected.
    """
    out = out or sys.stdout
    if fmt not in FORMATS:
        raise CLIError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}", EXIT_USAGE)
    if fmt == "jsonl":  # one compact JSON document per row
        for row in records if records is not None else records_of(plain):
            out.write(_json_text(project(row, fields) if fields else row, False) + "\n")
        out.flush()
        return
    if fmt in ("json", "yaml"):
        data = plain
        if fields is not None:
            if records is not None or isinstance(plain, list) or page_items(plain) is not None:
                data = [project(r, fields) for r in (records if records is not None else records_of(plain))]
            else:
                data = project(plain, fields)
        if fmt == "json":
            out.write(_json_text(data, out.isatty()) + "\n")
        else:
            try:
                import yaml
            except ImportError as exc:
                raise CLIError("--output yaml needs PyYAML: pip install 'genesyscloud[cli]'", EXIT_USAGE) from exc
            out.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False))
        out.flush()
        return
    rows = records if records is not None else records_of(plain)
    if rows and not any(isinstance(r, dict) for r in rows):  # a list of strings, numbers
        rows = [{"value": r} for r in rows]
        fields = fields or ["value"]
    columns = fields or default_columns(rows, 8 if fmt == "table" else None)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(pick(row, c)) for c in columns])
        out.flush()
        return
    _table(rows, columns, out, title)


def _table(rows: Iterable[Any], columns: list[str], out: IO[str], title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    rows = list(rows)
    console = Console(file=out, soft_wrap=False, width=None if out.isatty() else 160)
    table = Table(title=title, show_lines=False, header_style="bold", expand=False)
    for column in columns:
        table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=48)
    for row in rows:
        table.add_row(*[_cell(pick(row, c)) for c in columns])
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", style="dim")


def csv_text(rows: Sequence[Any], columns: Sequence[str]) -> str:
    """CSV (header + rows) of ``columns`` picked from ``rows``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(pick(row, c)) for c in columns])
    return buf.getvalue()


# -- checking --fields against the response model ------------------------------------------------------
_PRIMITIVES = frozenset({"str", "int", "float", "bool", "date", "datetime"})


def _model_class(spec: str | None) -> Any:
    from .. import models

    if not spec or spec in _PRIMITIVES or spec == "any" or spec.startswith(("dict[", "list[")):
        return None
    return getattr(models, spec, None)


def _row_models(spec: str | None) -> list[Any]:
    """The models of the rows a result may print as: a listing's item model, a list's
    element model, or the result's own model (empty when the shape is not known). A page
    with a single list field not named like a listing's may print as itself, or (with
    ``--autopaginate``) as its items: both are candidates."""
    from .._core.pagination import ITEM_FIELDS

    if spec and spec.startswith("list["):
        inner = _model_class(spec[5:-1])
        return [inner] if inner is not None else []
    cls = _model_class(spec)
    if cls is None:
        return []
    lists = {wire: inner for _, wire, inner in cls.__fields__ if inner.startswith("list[")}
    for wire in ITEM_FIELDS:
        if wire in lists:
            inner = _model_class(lists[wire][5:-1])
            return [inner] if inner is not None else []
    if len(lists) == 1:
        inner = _model_class(next(iter(lists.values()))[5:-1])
        return [cls, inner] if inner is not None else []
    return [cls]


def _field_error(root: Any, path: str) -> str | None:
    """Why ``path`` is not a field of rows of model ``root`` (``None`` when it may be)."""
    import difflib

    cls, spec = root, None
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if cls is None:
            if spec is not None and spec.startswith("list[") and part.lstrip("-").isdigit():
                spec = spec[5:-1]
                cls = _model_class(spec)
                continue
            if spec is not None and spec in _PRIMITIVES:
                return f"--fields {path!r}: {'.'.join(parts[:depth])!r} is a {spec}, it has no field {part!r}"
            return None  # a map, an untyped value: anything goes below
        wires = {wire: inner for _, wire, inner in cls.__fields__}
        if part not in wires:
            close = difflib.get_close_matches(part, list(wires), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            known = ", ".join(sorted(wires)[:40]) + (", ..." if len(wires) > 40 else "")
            return f"--fields {path!r}: {cls.__name__} has no field {part!r}{hint} (its fields: {known})"
        spec = wires[part]
        cls = _model_class(spec)
    return None


def check_fields(response_spec: str | None, fields: Sequence[str] | None) -> None:
    """Refuse ``--fields`` paths that the operation's response cannot have.

    ``response_spec`` is the operation's response type (``UserEntityListing``); for a
    listing the paths are checked against the item model (``User``). Dotted paths walk
    nested models; a numeric part indexes a list; a map (``dict``) or untyped value
    accepts any further part.

    Raises:
        CLIError: a field that is not in the model (exit code 2), naming it and the
            fields that are.
    """
    if not fields:
        return
    roots = _row_models(response_spec)
    if not roots:
        return
    for path in fields:
        errors = [_field_error(root, path) for root in roots]
        if all(errors):
            raise CLIError(str(errors[0]), EXIT_USAGE)


# -- writing pages as they arrive -----------------------------------------------------------------------
STREAM_FORMATS = FORMATS


class PageWriter:
    """Writes rows page by page in any output format, flushed after each page, so that
    ``| head`` sees the first rows at once and an interrupted run keeps what it wrote.

    ``json`` is one array (closed by :meth:`close`, also after Ctrl-C, so the output stays
    valid JSON); ``jsonl`` one compact object per line; ``yaml`` a list; ``csv`` a header
    and rows; ``table`` aligned columns whose widths come from the first page.
    """

    def __init__(self, fmt: str, fields: list[str] | None, out: IO[str] | None = None) -> None:
        if fmt not in STREAM_FORMATS:
            raise CLIError(f"unknown output format {fmt!r}; choose one of {', '.join(STREAM_FORMATS)}", EXIT_USAGE)
        self.fmt, self.fields, self.out = fmt, fields, out or sys.stdout
        self.rows = 0
        self._columns: list[str] | None = list(fields) if fields else None
        self._widths: list[int] = []
        self._csv: Any = None
        self._pretty = self.out.isatty()
        self._closed = False

    def write(self, records: Sequence[Any]) -> None:
        """Write one page's records (plain data)."""
        out, fmt = self.out, self.fmt
        if records and fmt in ("table", "csv") and not any(isinstance(r, dict) for r in records):
            records = [{"value": r} for r in records]
            self._columns = self._columns or ["value"]
        if fmt in ("json", "jsonl", "yaml") and self.fields:
            records = [project(r, self.fields) for r in records]
        if fmt == "json":
            for record in records:
                text = _json_text(record, self._pretty)
                if self._pretty:
                    text = "\n".join("  " + line for line in text.splitlines())
                    out.write(("[\n" if self.rows == 0 else ",\n") + text)
                else:
                    # piped: one complete line per row (`[row`, `,row`, ..., `]`), so that a
                    # line reader sees each row as soon as it is written
                    out.write(("[" if self.rows == 0 else ",") + text + "\n")
                self.rows += 1
        elif fmt == "jsonl":
            for record in records:
                out.write(_json_text(record, False) + "\n")
            self.rows += len(records)
        elif fmt == "yaml":
            if records:
                try:
                    import yaml
                except ImportError as exc:
                    raise CLIError("--output yaml needs PyYAML: pip install 'genesyscloud[cli]'", EXIT_USAGE) from exc
                out.write(yaml.safe_dump(list(records), sort_keys=False, allow_unicode=True, default_flow_style=False))
            self.rows += len(records)
        elif fmt == "csv":
            if self._csv is None:
                if not records and self._columns is None:
                    return  # the header waits for the first rows (their columns)
                self._columns = self._columns or default_columns(list(records), None)
                self._csv = csv.writer(out, lineterminator="\n")
                self._csv.writerow(self._columns)
            for row in records:
                self._csv.writerow([_cell(pick(row, c)) for c in self._columns or ()])
            self.rows += len(records)
        else:
            self._table_rows(records)
        out.flush()

    def _table_rows(self, records: Sequence[Any]) -> None:
        if not self._widths:
            if not records and self._columns is None:
                return
            self._columns = self._columns or default_columns(list(records), 8)
            self._widths = [min(48, max([len(c)] + [len(_cell(pick(r, c))) for r in records[:200]]))
                            for c in self._columns]
            self.out.write(self._line(self._columns) + "\n")
            self.out.write("  ".join("─" * w for w in self._widths) + "\n")
        for row in records:
            self.out.write(self._line([_cell(pick(row, c)) for c in self._columns or ()]) + "\n")
        self.rows += len(records)

    def _line(self, cells: Sequence[str]) -> str:
        out = []
        for text, width in zip(cells, self._widths):
            text = text.replace("\n", " ")
            if len(text) > width:
                text = text[: max(0, width - 1)] + "…"
            out.append(text.ljust(width))
        return "  ".join(out).rstrip()

    def close(self) -> None:
        """Finish the output (close the JSON array; the table's row count)."""
        if self._closed:
            return
        self._closed = True
        if self.fmt == "json":
            self.out.write(("\n]\n" if self._pretty else "]\n") if self.rows else "[]\n")
        elif self.fmt == "yaml" and not self.rows:
            self.out.write("[]\n")
        elif self.fmt == "table":
            if not self._widths and self._columns:
                self._table_rows([])
            self.out.write(f"{self.rows} row{'s' if self.rows != 1 else ''}\n")
        self.out.flush()
