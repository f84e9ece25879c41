"""One command per API operation, built at run time from the operation descriptors.

``genesys-cloud <group> <method>``: the group is the client attribute with dashes
(``speech-text-analytics``), the method the SDK method name with dashes
(``get-oauth-clients``). Only the group's own API module is imported, so help and
completion stay fast; the descriptors are the same objects ``genesyscloud.operations()``
returns.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from functools import lru_cache
from typing import Any

import click

from genesyscloud import BinaryResponse

from ._errors import EXIT_USAGE, CLIError

__all__ = ["group_names", "ApiGroup", "build_command", "group_operations", "read_data", "output_options",
           "session_options", "run_operation"]


@lru_cache(maxsize=1)
def _groups() -> dict[str, tuple[str, str, str]]:
    """dashed group name -> (module, tag, sync class name)."""
    from ..api import GROUPS

    return {attr.replace("_", "-"): (module, tag, sync_cls) for tag, (module, attr, sync_cls, _) in GROUPS.items()}


def group_names() -> dict[str, str]:
    """dashed group name -> the API definition's tag."""
    return {name: tag for name, (_, tag, _) in _groups().items()}


@lru_cache(maxsize=None)
def group_operations(group: str) -> dict[str, Any]:
    """dashed method name -> Operation, for every method of the group's client class."""
    from .._core.operation import Operation

    module_name, _, cls_name = _groups()[group]
    module = importlib.import_module(f"genesyscloud.api.{module_name}")
    out: dict[str, Any] = {}
    for name, value in vars(getattr(module, cls_name)).items():
        if name.startswith("_") or not callable(value):
            continue
        op = getattr(module, "_" + name, None)
        if isinstance(op, Operation):
            out[name.replace("_", "-")] = op
    return dict(sorted(out.items()))


# -- shared options ----------------------------------------------------------------------------------
def session_options() -> list[click.Option]:
    """Connection options, accepted on the root and on every command (the command's value wins)."""
    return [
        click.Option(["--profile", "-p", "c_profile"], metavar="NAME",
                     help="Profile to use (default: the current profile; env GENESYSCLOUD_PROFILE)."),
        click.Option(["--region", "c_region"], metavar="REGION",
                     help="Region such as eu-west-1 or a domain (env GENESYSCLOUD_REGION)."),
        click.Option(["--api-host", "c_api_host"], metavar="URL",
                     help="API base URL, e.g. a sandbox's http://127.0.0.1:8642 (env GENESYSCLOUD_API_HOST)."),
        click.Option(["--sandbox", "c_sandbox"], is_flag=True, default=False,
                     help="Run against an embedded sandbox org started in-process."),
        click.Option(["--verbose", "-v", "c_verbose"], is_flag=True, default=False,
                     help="Print every request and response (credentials redacted) to stderr."),
        click.Option(["--quiet", "-q", "c_quiet"], is_flag=True, default=False, help="No progress bar."),
    ]


def output_options() -> list[click.Option]:
    return [
        click.Option(["--output", "-o", "c_output"], type=click.Choice(["json", "jsonl", "yaml", "table", "csv"]),
                     help="Output format (default json: pretty on a terminal, compact when piped; "
                          "jsonl: one JSON object per line)."),
        click.Option(["--fields", "c_fields"], metavar="A,B.C", help="Fields (dotted paths) to keep, comma-separated."),
    ]


def binary_output_options() -> list[click.Option]:
    """``-o PATH`` of an operation whose response is not JSON (its bytes are written, never parsed)."""
    return [
        click.Option(["--output", "-o", "c_file"], metavar="PATH", default=None,
                     help="Write the response bytes to PATH (a directory: the server's file name, sanitised); "
                          "without it, or with -, the bytes go to stdout."),
    ]


def paging_options() -> list[click.Option]:
    return [
        click.Option(["--autopaginate", "-a", "c_autopaginate"], is_flag=True, default=False,
                     help="Follow every page and merge the items (progress bar on stderr)."),
        click.Option(["--stream", "-s", "c_stream"], is_flag=True, default=False,
                     help="Follow every page, printing each page as one JSON line as it arrives."),
        click.Option(["--max-pages", "c_max_pages"], type=click.IntRange(min=1), metavar="N",
                     help="With --autopaginate/--stream: stop after N pages."),
        click.Option(["--max-items", "c_max_items"], type=click.IntRange(min=1), metavar="N",
                     help="With --autopaginate/--stream: stop after N items."),
    ]


def settings_from(ctx: click.Context, kw: dict[str, Any]) -> Any:
    """Root settings merged with the command's ``c_*`` options (consumed from ``kw``)."""
    from ._session import Settings

    root = ctx.find_object(Settings) or Settings()
    leaf = {k[2:]: kw.pop(k) for k in list(kw) if k.startswith("c_") and k[2:] in (
        "profile", "region", "api_host", "sandbox", "verbose", "quiet", "output", "fields")}
    return root.merged(**leaf)


# -- input -------------------------------------------------------------------------------------------
def read_data(text: str, what: str = "--body") -> Any:
    """``--body`` / ``--data`` value: JSON text, ``@file`` (JSON) or ``-`` (JSON on stdin).

    Raises:
        CLIError: the file cannot be read or the text is not JSON (exit code 2).
    """
    source = "argument"
    if text == "-":
        text, source = sys.stdin.read(), "stdin"
    elif text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise CLIError(f"{what}: cannot read {path!r}: {exc.strerror}", EXIT_USAGE) from exc
        source = path
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CLIError(f"{what}: the {source} is not valid JSON: {exc}", EXIT_USAGE) from exc


# -- building commands --------------------------------------------------------------------------------
_CLICK_TYPES = {"int": click.INT, "float": click.FLOAT}


def _param_help(p: Any) -> str:
    parts = [p.description.strip() or "-"]
    kind = p.type
    if kind in ("date", "datetime"):
        kind += " (ISO-8601)"
    parts.append(f"[{p.location} {p.wire_name}: {kind}")
    if p.enum:
        parts[-1] += "; one of " + ", ".join(p.enum)
    if p.default is not None:
        parts[-1] += f"; server default {p.default}"
    parts[-1] += "]"
    if p.type.startswith("list["):
        parts.append("Repeat for several values.")
    return " ".join(parts)


class OperationCommand(click.Command):
    """A command for one operation; its epilog (the body model's fields) is built on demand."""

    def __init__(self, *args: Any, operation: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.operation = operation

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        op = self.operation
        body = next((p for p in op.params if p.location == "body"), None)
        if body is not None:
            rows = body_fields(body.type)
            with formatter.section(f"Body ({body.type}{', required' if body.required else ''}; --body JSON|@file|-)"):
                if rows:
                    formatter.write_dl(rows)
                else:
                    formatter.write_text(f"a JSON value of type {body.type}")
        if op.response:
            formatter.write_paragraph()
            formatter.write_text(f"Returns {op.response}" + (f"; paged ({op.paging}): use --autopaginate or --stream"
                                                             if op.paging else "."))


def body_fields(spec: str) -> list[tuple[str, str]]:
    """``(wire name, "type[, required]")`` for each field of a body model (empty if not a model)."""
    name = spec[5:-1] if spec.startswith("list[") else spec
    if not name[:1].isupper():
        return []
    try:
        from .._core.lazy import resolve_model

        cls = resolve_model(name)
    except (KeyError, ImportError, AttributeError):
        return []
    required = set(re.findall(r"^\s+(\w+) \([^;\n]*?, required; wire name", cls.__doc__ or "", re.M))
    return [(wire, spec_ + (", required" if py in required else "")) for py, wire, spec_ in cls.__fields__]


def build_command(group: str, name: str, op: Any) -> click.Command:
    params: list[click.Parameter] = []
    taken: set[str] = set()
    last_path = [p.name for p in op.params if p.location == "path"][-1:]  # --from fills it (cli/_bulk.py)
    for p in op.params:
        dest = "p_" + p.name
        if p.location == "path":
            params.append(click.Argument([dest], metavar=p.name.upper(), required=p.name not in last_path,
                                         type=_CLICK_TYPES.get(p.type, click.STRING)))
        elif p.location in ("query", "header"):
            flag = "--" + p.name.replace("_", "-")
            taken.add(flag)
            if p.type == "bool":
                params.append(click.Option([f"{flag}/--no-{p.name.replace('_', '-')}", dest], default=None,
                                           help=_param_help(p), required=p.required))
            else:
                base = p.type[5:-1] if p.type.startswith("list[") else p.type
                params.append(click.Option([flag, dest], type=_CLICK_TYPES.get(base, click.STRING),
                                           multiple=p.type.startswith("list["), required=p.required,
                                           metavar=base.upper() if base in ("int", "float") else "TEXT",
                                           help=_param_help(p)))
        else:
            taken.add("--body")
            params.append(click.Option(["--body", dest], metavar="JSON|@FILE|-", required=p.required,
                                       help=f"Request body ({p.type}): JSON text, @file or - for stdin."))
    shadowed = []
    from ._bulk import bulk_options

    outputs = binary_output_options() if op.response == "binary" else output_options()
    for opt in (session_options() + outputs + (paging_options() if op.paging else [])
                + (bulk_options() if last_path else [])):
        long = [o for o in opt.opts if o.startswith("--")][0]
        if long in taken:
            shadowed.append(long)
            continue
        opt.opts = [o for o in opt.opts if o not in taken]
        params.append(opt)
    lines = [op.summary or op.method_name, "", f"{op.http_method} {op.path}   ({op.operation_id})"]
    if op.deprecated:
        lines.append("Deprecated in the Platform API.")
    if op.paging:
        lines.append(f"Paged ({op.paging}).")
    if shadowed:
        lines.append(f"{', '.join(shadowed)} here is the operation's parameter; put the tool's option before the "
                     f"group: genesys-cloud {shadowed[0]} ... {group} {name}")

    def callback(**kw: Any) -> None:
        run_operation(click.get_current_context(), group, op, kw)

    help_text = lines[0] + "\n\n\b\n" + "\n".join(lines[2:])
    return OperationCommand(name, params=params, callback=callback, help=help_text,
                            short_help=(op.summary or "")[:70], operation=op, no_args_is_help=False)


class ApiGroup(click.Group):
    """The commands of one API group, built on first use."""

    def __init__(self, name: str, tag: str) -> None:
        super().__init__(name, help=f"The {tag} API group (genesyscloud client attribute "
                                    f"`{name.replace('-', '_')}`).", short_help=tag)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(group_operations(self.name or ""))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        op = group_operations(self.name or "").get(cmd_name)
        if op is None:
            op = group_operations(self.name or "").get(cmd_name.replace("_", "-"))
        return build_command(self.name or "", cmd_name, op) if op is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ops = group_operations(self.name or "")
        rows = [(name, f"{op.http_method} {op.path}") for name, op in ops.items()]
        if rows:
            with formatter.section(f"Operations ({len(rows)})"):
                formatter.write_dl(rows)


# -- running -----------------------------------------------------------------------------------------
def run_operation(ctx: click.Context, group: str, op: Any, kw: dict[str, Any]) -> None:
    """Call one operation with the command's arguments and print the result."""
    from ._output import check_fields, parse_fields
    from ._session import open_session

    out_file = kw.pop("c_file", None)
    settings = settings_from(ctx, kw)
    paging = {k: kw.pop(k, None) for k in ("c_autopaginate", "c_stream", "c_max_pages", "c_max_items")}
    source, concurrency = kw.pop("c_from", None), kw.pop("c_concurrency", None)
    path_params = [p.name for p in op.params if p.location == "path"]
    if path_params and kw.get("p_" + path_params[-1]) is None and source is None:
        raise CLIError(f"missing argument {path_params[-1].upper()} (or --from FILE|-)", EXIT_USAGE)
    if source is not None and kw.get("p_" + path_params[-1]) is not None:
        raise CLIError(f"give {path_params[-1].upper()} or --from, not both", EXIT_USAGE)
    if concurrency is not None and source is None:
        raise CLIError("--concurrency needs --from", EXIT_USAGE)
    fields = parse_fields(settings.fields)
    check_fields(op.response, fields)  # before any request
    args: dict[str, Any] = {}
    for p in op.params:
        value = kw.get("p_" + p.name)
        if p.location == "body" and value is not None:
            if p.type == "str" and not value.startswith(("@", "-", "{", "[", '"')):
                args[p.name] = value
                continue
            value = read_data(value)
        elif isinstance(value, tuple):
            value = list(value) or None
        if value is not None:
            args[p.name] = value
    with open_session(settings) as session:
        method = getattr(getattr(session.client, group.replace("-", "_")), op.method_name)
        if source is not None:
            from ._bulk import run_bulk

            run_bulk(method, path_params[-1], args, source, concurrency, settings, fields)
            return
        result = method(**args)
        if isinstance(result, BinaryResponse):
            write_binary(result, out_file, quiet=settings.quiet)
            return
        emit(result, settings, fields, label=op.method_name, autopaginate=bool(paging["c_autopaginate"]),
             stream=bool(paging["c_stream"]), max_pages=paging["c_max_pages"], max_items=paging["c_max_items"])


def write_binary(body: BinaryResponse, path: str | None, *, quiet: bool = False) -> None:
    """Stream a non-JSON body to ``path`` (through ``.part`` and a rename) or to stdout."""
    with body:
        if path is None or path == "-":
            out = sys.stdout.buffer
            for chunk in body.iter_bytes(256 * 1024):
                out.write(chunk)
            out.flush()
            return
        written = body.write_to(path)
    if not quiet:
        click.echo(f"wrote {written.stat().st_size} bytes ({body.content_type or 'no content type'}) to {written}",
                   err=True)


def emit(result: Any, settings: Any, fields: list[str] | None, *, label: str, autopaginate: bool = False,
         stream: bool = False, max_pages: int | None = None, max_items: int | None = None) -> None:
    """Print a result in the chosen format, following pages when asked."""
    from ._output import project, render, to_plain, write_json_line
    from ._paging import collect

    fmt = settings.output or "json"
    paged = callable(getattr(result, "iter_pages", None))
    if stream and paged:
        def on_page(page: Any, items: list[Any]) -> None:
            write_json_line([project(i, fields) for i in items] if fields else to_plain(page))

        collect(result, label=label, max_pages=max_pages, max_items=max_items, progress=not settings.quiet,
                on_page=on_page)
        return
    if autopaginate and paged:
        from ._output import PageWriter
        from ._paging import write_pages

        # each page is written as it arrives; on a terminal the rows are the progress
        write_pages(result, PageWriter(fmt, fields), label=label, max_pages=max_pages, max_items=max_items,
                    progress=not settings.quiet and not sys.stdout.isatty())
        return
    if result is None:
        return
    if isinstance(result, BinaryResponse):  # a body whose Content-Type is not JSON: its bytes, never parsed
        write_binary(result, None, quiet=True)
        return
    if isinstance(result, str | bytes) and fmt == "json" and not fields:
        text = result.decode("utf-8", "replace") if isinstance(result, bytes) else result
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    plain = to_plain(result)
    if stream:
        write_json_line([project(i, fields) for i in plain] if fields and isinstance(plain, list)
                        else (project(plain, fields) if fields else plain))
        return
    render(plain, fmt, fields)
