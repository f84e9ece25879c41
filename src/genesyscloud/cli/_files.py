"""``genesys-cloud download <id|url> [-o path]`` and ``genesys-cloud upload TARGET FILE``:
stream a file to or from disk with a progress bar."""

from __future__ import annotations

import sys
from typing import Any

import click

from ._ops import session_options, settings_from

__all__ = ["download", "upload"]


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


def _upload_target(text: str) -> Any:
    """TARGET: a presigned URL, or the JSON answer that handed out the upload."""
    from ._ops import read_data

    if text.startswith(("http://", "https://")):
        return text
    return read_data(text, "TARGET")


@_with(session_options())
@click.command("upload")
@click.argument("target")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--filename", metavar="NAME", default=None,
              help="File name of a multipart upload's part (default: FILE's name).")
@click.option("--content-type", metavar="TYPE", default=None,
              help="Content-Type of a multipart upload's part (default: guessed from the file name).")
def upload(target: str, file: str, filename: str | None, content_type: str | None, **kw: Any) -> None:
    """Upload FILE to TARGET, streamed from disk with a progress bar.

    TARGET is what the API handed out for the upload, as JSON text, @FILE or - (stdin):
    the answer of an /api/v2/uploads/... operation (a presigned PUT; prints the uploadKey),
    a content management document or the answer of its content replace operation
    (uploadDestinationUri), or a prompt resource (legacy uploadUri; both a multipart POST
    with the token; print the resource read again); or a presigned URL.

    The token goes to the API host (and a region's apps host) only: an upload URL
    anywhere else is refused before anything is sent.
    """
    from ..files import upload as upload_file
    from ._ops import emit
    from ._session import open_session

    settings = settings_from(click.get_current_context(), kw)
    plan = _upload_target(target)
    progress = not settings.quiet and sys.stderr.isatty()
    with open_session(settings) as session:
        result = upload_file(session.client, plan, file, filename=filename, content_type=content_type,
                             progress=True if progress else None)
    if result is None:
        sys.stderr.write(f"uploaded {file}\n")
    elif isinstance(result, str):
        click.echo(result)
    else:  # the resource read again (a model: emit prints its wire form)
        emit(result, settings, None, label="upload")
