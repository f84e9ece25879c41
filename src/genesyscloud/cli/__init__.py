"""The ``genesys-cloud`` command line tool (extra ``cli``: Click, Rich, PyYAML, keyring).

Every operation of the Platform API is a command, ``genesys-cloud <group> <method>``,
built at run time from the operation descriptors; plus ``api`` (raw calls), ``login``,
``logout``, ``whoami``, ``profiles``, ``sandbox serve``, ``demo`` and ``completion``.

Exit codes: 0 success, 1 API error, 2 usage error, 3 auth error, 4 connection error,
130 interrupted. Errors are one line on stderr (status, code, message, correlation id);
``--verbose`` adds every request and response with credentials redacted.

Importing this package is cheap; Click is imported by :func:`main`, Rich only when a
table or a progress bar is drawn.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Sequence

__all__ = ["main", "run"]


#: third-party modules of the ``cli`` extra
CLI_MODULES = frozenset({"click", "rich", "yaml", "keyring"})
CLI_INSTALL = "pip install 'genesyscloud[cli]'"


def _missing_extra(exc: ImportError) -> str | None:
    """The one-line message for a missing extra's module, or ``None`` for another ImportError."""
    from ..sandbox._requires import SandboxExtraMissing

    if isinstance(exc, SandboxExtraMissing):
        return str(exc)
    name = (exc.name or "").split(".")[0]
    if name in CLI_MODULES:
        return f"genesys-cloud needs the 'cli' extra (no module {name!r}): {CLI_INSTALL}"
    return None


def run(argv: Sequence[str] | None = None) -> int:
    """Run the tool with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    Without the ``cli`` extra (Click, Rich, PyYAML, keyring) it prints one line naming
    it (``pip install 'genesyscloud[cli]'``) and returns 2; likewise for the ``sandbox``
    extra with ``--sandbox`` or ``sandbox serve``.
    """
    try:
        from ._app import build_root
    except ImportError as exc:
        message = _missing_extra(exc)
        if message is None:
            raise
        sys.stderr.write(message + "\n")
        return 2

    args = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "--verbose") for a in args)
    root = build_root()
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        return _run(root, args, verbose)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    sys.stderr.write(f"warning: {message}\n")


def _run(root: Any, args: list[str], verbose: bool) -> int:
    import click

    from ._app import PROG
    from ._errors import EXIT_INTERRUPTED, EXIT_USAGE, describe, exit_code

    try:
        root.main(args=args, prog_name=PROG, standalone_mode=False,
                  complete_var="_GENESYS_CLOUD_COMPLETE")
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code not in (0, 1) else EXIT_USAGE
    except (click.Abort, KeyboardInterrupt):
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _reader_gone()
    except Exception as exc:
        from ._paging import OutputClosed

        if isinstance(exc, OutputClosed):
            return _reader_gone()
        message = _missing_extra(exc) if isinstance(exc, ImportError) else None
        if message is not None:  # one line naming the extra to install, no traceback
            sys.stderr.write(message + "\n")
            return EXIT_USAGE
        from .._core.errors import GenesysCloudError
        from ._errors import CLIError
        from ._profiles import ProfileError

        if verbose and not isinstance(exc, GenesysCloudError | CLIError | ProfileError):
            import traceback

            traceback.print_exc(file=sys.stderr)
        sys.stderr.write(describe(exc) + "\n")
        return exit_code(exc)


def _reader_gone() -> int:
    """The reader went away (``genesys-cloud ... | head``): not an error of ours."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 0


def main() -> None:
    """Entry point of ``genesys-cloud`` (exits with the tool's exit code)."""
    sys.exit(run())
