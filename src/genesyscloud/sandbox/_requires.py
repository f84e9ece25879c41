"""The sandbox's third-party modules (extra ``sandbox``): a one-line error when missing."""

from __future__ import annotations

import importlib.util

__all__ = ["SandboxExtraMissing", "require_sandbox_extra"]

#: modules the sandbox cannot serve without (uvloop and httptools are optional speed-ups)
MODULES = ("starlette", "uvicorn", "jsonschema", "python_multipart")
INSTALL = "pip install 'genesyscloud[sandbox]'"


class SandboxExtraMissing(ImportError):
    """The sandbox needs the ``sandbox`` extra; the message says how to install it."""


def require_sandbox_extra() -> None:
    """Check that the ``sandbox`` extra is installed.

    Raises:
        SandboxExtraMissing: (an ``ImportError``) naming the missing module and the command
            ``pip install 'genesyscloud[sandbox]'``.
    """
    for name in MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise SandboxExtraMissing(f"the sandbox needs the 'sandbox' extra (no module {name!r}): {INSTALL}",
                                      name=name)
