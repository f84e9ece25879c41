"""Exit codes and the one-line error message of the command line tool.

Exit codes: 0 success, 1 API error, 2 usage error, 3 auth error, 4 connection error,
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXIT_OK", "EXIT_API", "EXIT_USAGE", "EXIT_AUTH", "EXIT_CONNECTION", "EXIT_INTERRUPTED",
           "CLIError", "exit_code", "describe"]

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_CONNECTION = 4
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """An error the tool reports as one line with a given exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def exit_code(exc: BaseException) -> int:
    """Map an exception to the tool's exit code."""
    from .._core.errors import (
        APIConnectionError,
        APIStatusError,
        AuthenticationError,
        AuthError,
        GenesysCloudError,
    )
    from ._profiles import ProfileError

    if isinstance(exc, CLIError):
        return exc.code
    if isinstance(exc, AuthError | AuthenticationError | ProfileError):
        return EXIT_AUTH
    if isinstance(exc, APIConnectionError):
        return EXIT_CONNECTION
    if isinstance(exc, APIStatusError | GenesysCloudError):
        return EXIT_API
    if isinstance(exc, ValueError | TypeError):
        return EXIT_USAGE
    return EXIT_API


def describe(exc: BaseException) -> str:
    """One line: status, code, message and correlation id where known."""
    from .._core.errors import APIConnectionError, APIStatusError, AuthError, ResponseDecodeError

    if isinstance(exc, APIStatusError):
        parts = [f"error: {exc.status}"]
        if exc.code:
            parts.append(exc.code)
        text = " ".join(parts) + f": {_one_line(exc.message)} ({exc.method} {exc.url})"
        if exc.correlation_id:
            text += f" correlation id {exc.correlation_id}"
        return text
    if isinstance(exc, AuthError):
        text = f"error: authentication failed: {exc.status or ''} {exc.error}".replace("  ", " ")
        if exc.error_description:
            text += f": {_one_line(exc.error_description)}"
        if exc.correlation_id:
            text += f" correlation id {exc.correlation_id}"
        return text
    if isinstance(exc, APIConnectionError):
        return f"error: connection failed: {_one_line(str(exc))}"
    if isinstance(exc, ResponseDecodeError):
        text = f"error: {exc.status}: {_one_line(str(exc))}"
        if exc.correlation_id:
            text += f" correlation id {exc.correlation_id}"
        return text
    return f"error: {_one_line(str(exc)) or type(exc).__name__}"


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())
