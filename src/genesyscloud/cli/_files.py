"""``genesys-cloud download <id|url> [-o path]``: stream a file to disk with a progress bar."""

from __future__ import annotations

import sys
from typing import Any

import click

from ._ops import session_options, settings_from

__all__ = ["download"]


def _with(options: list[click.Option]) -> Any:
    def decorate(cmd: click.Command) -> click.Command:
        cmd.params.extend(options)
        return cmd
    return decorate


@_with(session_options())
@click.command("download")
@click.argument("source")
@click.option("--output", "-o", "path", metavar="PATH", default=None,
              help="File or directory to write (default: the server's file name in the current directory).")
@click.option("--max-resumes", type=click.IntRange(min=0), default=5, show_default=True,
              help="Dropped connections to resume from (with Range) before giving up.")
def download(source: str, path: str | None, max_resumes: int, **kw: Any) -> None:
    """Download SOURCE: a download id, an /api/v2/downloads/... URL, or a presigned URL.

    The file is written as PATH.part and renamed when complete; the token is sent to the
    API host only, never to the object store.
    """
    from ..files import download as download_file
    from ._session import open_session

    settings = settings_from(click.get_current_context(), kw)
    progress = not settings.quiet and sys.stderr.isatty()
    with open_session(settings) as session:
        result = download_file(session.client, source, path, progress=True if progress else None,
                               max_resumes=max_resumes)
    sys.stderr.write(f"wrote {result.path} ({result.size:,} bytes"
                     + (f", resumed {result.resumes} times" if result.resumes else "") + ")\n")
