"""``PureCloudPlatformClientV2.logger``: the official logging settings, mapped onto ours.

``configuration.logger`` holds the settings (level, format, console, file, bodies); each
API call turns them into :class:`genesyscloud._core.logging.LogSettings` for the client,
which logs through the ``genesyscloud`` logger with ``Authorization`` and secrets redacted.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["Logger", "LogLevel", "LogFormat"]


class LogFormat:
    TEXT = 1
    JSON = 2

    @staticmethod
    def from_string(value: str) -> int:
        """``"text"``/``"json"`` -> the constant. Raises ``ValueError`` for anything else."""
        text = str(value).strip().lower()
        if text == "json":
            return LogFormat.JSON
        if text == "text":
            return LogFormat.TEXT
        raise ValueError(f"log_format must be 'text' or 'json', got {value!r}")


class LogLevel:
    LTrace = logging.DEBUG - 5
    LDebug = logging.DEBUG
    LError = logging.ERROR
    LNone = logging.CRITICAL + 1

    @staticmethod
    def from_string(value: str) -> int:
        """``"trace"``/``"debug"``/``"error"``/``"none"`` -> the constant; ``ValueError`` otherwise."""
        table = {"trace": LogLevel.LTrace, "debug": LogLevel.LDebug, "error": LogLevel.LError, "none": LogLevel.LNone}
        try:
            return table[str(value).strip().lower()]
        except KeyError:
            raise ValueError(f"log_level must be one of trace, debug, error, none; got {value!r}") from None


_LEVEL_NAMES = {LogLevel.LTrace: "trace", LogLevel.LDebug: "debug", LogLevel.LError: "error", LogLevel.LNone: "none"}


class Logger:
    """The official ``configuration.logger`` settings (default: level ``LNone``, text)."""

    def __init__(self) -> None:
        self.log_level: int = LogLevel.LNone
        self.log_format: int = LogFormat.TEXT
        self.log_to_console: bool = True
        self.log_file_path: str | None = None
        self.log_request_body: bool = False
        self.log_response_body: bool = False

    def settings(self) -> Any:
        """These settings as our ``LogSettings`` (``None`` when logging is off).

        Raises:
            ValueError: an unknown level or format value.
        """
        level = _LEVEL_NAMES.get(self.log_level)
        if level is None:
            raise ValueError(f"configuration.logger.log_level must be a LogLevel value, got {self.log_level!r}")
        if level == "none":
            return None
        if self.log_format not in (LogFormat.TEXT, LogFormat.JSON):
            raise ValueError(f"configuration.logger.log_format must be a LogFormat value, got {self.log_format!r}")
        from ..._core.logging import LogSettings

        return LogSettings(level=level, format="json" if self.log_format == LogFormat.JSON else "text",
                           to_console=bool(self.log_to_console), file_path=self.log_file_path or None,
                           request_body=bool(self.log_request_body), response_body=bool(self.log_response_body))

    def key(self) -> tuple[Any, ...]:
        return (self.log_level, self.log_format, self.log_to_console, self.log_file_path, self.log_request_body,
                self.log_response_body)
