"""``genesys-cloud jobs``: list the job kinds; run one (submit, wait with a progress line,
stream the results as they are read)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any, IO

import click

from ._errors import EXIT_USAGE, CLIError
from ._ops import read_data, session_options, settings_from

__all__ = ["jobs"]


def _with(options: list[click.Option]) -> Any:
    def decorate(cmd: click.Command) -> click.Command:
        cmd.params.extend(options)
        return cmd
    return decorate


@click.group("jobs", no_args_is_help=True)
def jobs() -> None:
    """Long-running jobs: analytics, recordings, exports, WFM adherence, usage (see `jobs list`)."""


@jobs.command("list")
def jobs_list() -> None:
    """Every job kind, the arguments it needs, and how its results are read."""
    from ..jobs import KINDS

    for name, row in sorted(KINDS.items()):
        needs = " ".join(f"--param {p}=..." for p in row.path_params)
        body = {"required": " --body FILE", "optional": " [--body FILE]", "none": ""}[row.body]
        sys.stdout.write(f"{name}{body}{' ' + needs if needs else ''}\n    {row.summary}\n")


class _Writer:
    """Writes results as they arrive: ``jsonl`` (one per line), ``json`` (an array), ``csv``."""

    def __init__(self, fmt: str, fields: list[str] | None, out: IO[str]) -> None:
        self.fmt, self.fields, self.out = fmt, fields, out
        self.count = 0
        self.columns: list[str] | None = fields

    def write(self, item: Any) -> None:
        import csv
        import json

        from ._output import _cell, default_columns, pick, project, to_plain

        plain = to_plain(item)
        if self.fmt == "csv":
            if self.columns is None:
                self.columns = default_columns([plain], None)
            writer = csv.writer(self.out, lineterminator="\n")
            if self.count == 0:
                writer.writerow(self.columns)
            writer.writerow([_cell(pick(plain, c)) for c in self.columns])
        else:
            data = project(plain, self.fields) if self.fields else plain
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            if self.fmt == "json":
                text = ("[" if self.count == 0 else ",") + "\n" + text
            self.out.write(text + ("\n" if self.fmt == "jsonl" else ""))
        self.count += 1
        self.out.flush()

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("[]\n" if self.count == 0 else "\n]\n")
            self.out.flush()


class _Progress:
    """One status line on stderr (Rich when stderr is a terminal, else nothing)."""

    def __init__(self, enabled: bool) -> None:
        self.status: Any = None
        self.started = time.monotonic()
        self.job: Any = None
        self.polls = 0
        if enabled and sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(file=sys.stderr).status("submitting...")
            self.status.start()

    def submitted(self, job: Any) -> None:
        self.job = job
        self.update()

    def update(self, items: int | None = None) -> None:
        if self.status is None or self.job is None:
            return
        state = self.job.state or "waiting"
        text = f"{self.job.kind.name} {self.job.job_id}: {state}, {self.polls} status reads, " \
               f"{time.monotonic() - self.started:.0f} s"
        if items is not None:
            text += f", {items:,} results"
        self.status.update(text)

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in pairs:
        if "=" not in item:
            raise CLIError(f"--param {item!r}: expected NAME=VALUE", EXIT_USAGE)
        key, value = item.split("=", 1)
        out[key.strip().replace("-", "_")] = value
    return out


@_with(session_options())
@jobs.command("run")
@click.argument("kind")
@click.option("--body", "-b", metavar="FILE|@FILE|JSON|-", help="The job's query or request: a JSON file, JSON text or -.")
@click.option("--param", "-P", "param", multiple=True, metavar="NAME=VALUE",
              help="What the job addresses, e.g. --param contact_list_id=... (repeatable).")
@click.option("--output", "-o", "fmt", type=click.Choice(["jsonl", "json", "csv"]), default="jsonl", show_default=True,
              help="How the results are written, each as soon as it is read.")
@click.option("--fields", metavar="A,B.C", help="Fields (dotted paths) to keep, comma-separated.")
@click.option("--timeout", type=click.FloatRange(min=0), default=3600.0, show_default=True,
              help="Wall-clock seconds to wait for the job (status reads included).")
@click.option("--poll-interval", type=click.FloatRange(min=0.001), default=None,
              help="First wait between status reads, seconds (grows 1.5x, up to 15 s).")
@click.option("--page-size", type=click.IntRange(min=1), default=None, help="Results page size, where paged.")
def jobs_run(kind: str, body: str | None, param: tuple[str, ...], fmt: str, fields: str | None, timeout: float,
             poll_interval: float | None, page_size: int | None, **kw: Any) -> None:
    """Submit a KIND job, wait for it (progress on stderr) and stream its results to stdout.

    Ctrl-C, an error or the timeout cancel the job where the API allows it; the results
    already written stay written.
    """
    from ..jobs import get_kind, run_job
    from ._output import parse_fields
    from ._session import open_session

    settings = settings_from(click.get_current_context(), kw)
    try:
        row = get_kind(kind)
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from exc
    data = None
    if body is not None:
        if body not in ("-",) and not body.startswith("@") and os.path.isfile(body):
            body = "@" + body
        data = read_data(body, "--body")
    params = _params(param)
    if row.body == "required" and data is None:
        raise CLIError(f"job kind {row.name} needs --body (the job's query)", EXIT_USAGE)
    if row.body == "none" and data is not None:
        raise CLIError(f"job kind {row.name} takes no --body", EXIT_USAGE)
    missing = [p for p in row.path_params if p not in params]
    unknown = sorted(set(params) - set(row.path_params))
    if missing or unknown:
        text = f"job kind {row.name} needs --param {'=... --param '.join(row.path_params)}=..." if row.path_params \
            else f"job kind {row.name} takes no --param"
        raise CLIError(text, EXIT_USAGE)
    writer = _Writer(fmt, parse_fields(fields or settings.fields), sys.stdout)
    progress = _Progress(not settings.quiet)

    def sleep(seconds: float) -> None:
        progress.polls += 1
        progress.update()
        time.sleep(seconds)

    try:
        with open_session(settings) as session:
            results = run_job(session.client, row, data, timeout=timeout, poll_interval=poll_interval,
                              page_size=page_size, sleep=sleep, on_submit=progress.submitted, **params)
            for item in results:
                writer.write(item)
                if writer.count % 100 == 0:
                    progress.update(writer.count)
    finally:
        progress.stop()
        writer.close()
