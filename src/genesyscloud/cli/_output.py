"""Output formats: JSON (pretty on a terminal, compact when piped), YAML, table, CSV;
``--fields a,b.c`` picks (dotted) fields."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import sys
from typing import IO, Any, Iterable, Sequence

from ._errors import EXIT_USAGE, CLIError

__all__ = ["FORMATS", "to_plain", "records_of", "parse_fields", "pick", "project", "render", "write_json_line"]

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
    if fmt == "jsonl":  # one compact document per record (cli/_bulk.py streams these)
        rows = records if records is not None else (plain if isinstance(plain, list) else [plain])
        for row in rows:
            write_json_line(project(row, fields) if fields else row, out)
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
