"""``--from FILE|- --concurrency N``: one operation over many ids (``genesyscloud.bulk``).

``genesys-cloud users get-user --from ids.txt --concurrency 20 -o jsonl`` reads one id per
line (blank lines and lines starting with ``#`` are skipped) into the operation's last path
parameter, calls it on up to N threads through the same client (rate-limit pacing and
retries apply), and prints the results in input order as they become available. A failed
id is reported on stderr (``ID: error ...``) and does not stop the others; the exit code is
then 1 (API error). Ctrl-C stops starting calls, prints what finished, and exits 130.
"""

from __future__ import annotations

import sys
from typing import Any, Iterator

import click

from ._errors import EXIT_API, EXIT_INTERRUPTED, EXIT_USAGE, CLIError, describe

__all__ = ["bulk_options", "read_ids", "run_bulk"]


def bulk_options() -> list[click.Option]:
    return [
        click.Option(["--from", "c_from"], metavar="FILE|-",
                     help="Read the last path parameter from this file (one per line; - for stdin) and call once per line."),
        click.Option(["--concurrency", "c_concurrency"], type=click.IntRange(1, 256), default=None, metavar="N",
                     help="With --from: calls in flight at once (default 10)."),
    ]


def read_ids(source: str) -> Iterator[str]:
    """Ids from a file or ``-`` (stdin), one per line. Raises CLIError (exit 2) if unreadable."""
    if source == "-":
        handle = sys.stdin
    else:
        try:
            handle = open(source, encoding="utf-8")
        except OSError as exc:
            raise CLIError(f"--from: cannot read {source!r}: {exc.strerror}", EXIT_USAGE) from exc
    with handle if source != "-" else _nullcontext(handle):
        for line in handle:
            text = line.strip()
            if text and not text.startswith("#"):
                yield text


class _nullcontext:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


def run_bulk(method: Any, param: str, args: dict[str, Any], source: str, concurrency: int | None,
             settings: Any, fields: list[str] | None) -> None:
    """Call ``method(**args, param=id)`` for every id of ``source``; print in input order."""
    from ..bulk import BulkInterrupted, run_many
    from ._output import project, render, to_plain, write_json_line

    fmt = settings.output or "json"
    ids = list(read_ids(source))
    stream = fmt == "jsonl"
    collected: list[Any] = []
    failures = 0
    pending: dict[int, Any] = {}
    next_index = 0

    def show(result: Any) -> None:
        nonlocal failures
        if not result.ok:
            failures += 1
            click.echo(f"{result.input}: {describe(result.error)}", err=True)
            return
        plain = to_plain(result.value)
        plain = project(plain, fields) if fields else plain
        if stream:
            write_json_line(plain)
        else:
            collected.append(plain)

    def call(one: str) -> Any:
        return method(**{**args, param: one})

    show_progress = not settings.quiet and sys.stderr.isatty()
    try:
        for result in run_many(call, ids, concurrency=concurrency or 10, as_completed=True,
                               progress=show_progress, description=f"{len(ids)} calls"):
            pending[result.index] = result
            while next_index in pending:
                show(pending.pop(next_index))
                next_index += 1
    except BulkInterrupted as stop:
        for result in stop.results:
            if result.index >= next_index:
                show(result)
        raise CLIError(f"interrupted: {len(stop.results)} of {len(ids)} calls finished", EXIT_INTERRUPTED) from None
    if not stream:
        render(collected, fmt, fields, records=collected)
    if failures:
        raise CLIError(f"{failures} of {len(ids)} calls failed", EXIT_API)
