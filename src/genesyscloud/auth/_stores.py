"""Token stores: where the token manager keeps tokens, and how workers share them.

One small protocol (:class:`TokenStore`): ``load``, ``save``, ``delete`` and ``lock``.
The token manager calls ``load``/``save`` while it holds ``lock(key)``, so a store that
several processes share hands out one token per renewal instead of one per process.

* :class:`MemoryTokenStore` (the default): this process only.
* :class:`FileTokenStore`: a JSON file (mode 0600, atomic replace, a file lock), shared
  by the processes of one machine.
* :class:`~genesyscloud.auth.RedisTokenStore` (extra ``redis``): a fleet of workers.

Stores hold secrets (tokens, refresh tokens); their ``repr`` and log lines never do.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import ContextManager, Iterator, Protocol, runtime_checkable

from ._token import Token, utcnow

__all__ = ["TokenStore", "MemoryTokenStore", "FileTokenStore"]

log = logging.getLogger("genesyscloud.auth")


@runtime_checkable
class TokenStore(Protocol):
    """What the token manager needs from a store. ``key`` identifies one grant's tokens
    (a hash; no secret in it)."""

    def load(self, key: str) -> Token | None:
        """The stored token, or ``None`` (nothing stored, or unreadable: report, don't raise)."""

    def save(self, key: str, token: Token) -> None:
        """Store ``token`` (called while ``lock(key)`` is held)."""

    def delete(self, key: str) -> None:
        """Forget the token."""

    def lock(self, key: str, timeout: float) -> ContextManager[object]:
        """A lock around renewing ``key``'s token, shared by everyone who shares the store.

        Raises:
            TimeoutError: not acquired within ``timeout`` seconds.
        """


class MemoryTokenStore:
    """Tokens in this process's memory (the default). Share one instance between clients
    (sync and async alike) to share their tokens."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> Token | None:
        return self._tokens.get(key)

    def save(self, key: str, token: Token) -> None:
        self._tokens[key] = token

    def delete(self, key: str) -> None:
        self._tokens.pop(key, None)

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=max(0.0, timeout)):
            raise TimeoutError(f"the token lock was not released within {timeout:g} s")
        try:
            yield
        finally:
            lock.release()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(tokens={len(self._tokens)})"


def _lock_fd(fd: int) -> bool:
    """Try to take an exclusive lock on ``fd`` without blocking."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


class FileTokenStore:
    """Tokens in a JSON file that several processes on one machine share.

    The file is created with mode 0600 (in a directory created with 0700) and always
    replaced atomically (write a temporary file, ``fsync``, ``os.replace``), so readers
    never see half a file. Renewals are serialised by an exclusive lock on ``PATH.lock``,
    which the operating system releases if a process dies; a symbolic link there is
    refused (reported, and the renewal goes on without the lock), never followed. A corrupt or unreadable file
    is reported (a warning on the ``genesyscloud.auth`` logger) and replaced by the next
    token; it never raises into the caller.

    Args:
        path: the file, e.g. ``~/.genesyscloudpython/tokens.json`` (``~`` is expanded).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    # -- reading -------------------------------------------------------------------------
    def _read_all(self) -> dict[str, dict]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("token store %s cannot be read (%s); carrying on without it", self.path,
                        type(exc).__name__)
            return {}
        try:
            data = json.loads(raw)
            tokens = data["tokens"]
            if not isinstance(tokens, dict):
                raise ValueError
        except (ValueError, TypeError, KeyError, UnicodeDecodeError, RecursionError):
            log.warning("token store %s is corrupt (not a token file); it will be replaced by the next token",
                        self.path)
            return {}
        return tokens

    def load(self, key: str) -> Token | None:
        entry = self._read_all().get(key)
        if entry is None:
            return None
        try:
            return Token.from_dict(entry)
        except ValueError:
            log.warning("token store %s holds a corrupt entry; it will be replaced by the next token", self.path)
            return None

    # -- writing -------------------------------------------------------------------------
    def _write_all(self, tokens: dict[str, dict]) -> None:
        import tempfile

        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{self.path.name}.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"version": 1, "tokens": tokens}, out, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def save(self, key: str, token: Token) -> None:
        now = utcnow()
        tokens = {k: v for k, v in self._read_all().items() if not _stale(v, now)}
        tokens[key] = token.to_dict()
        self._write_all(tokens)

    def delete(self, key: str) -> None:
        tokens = self._read_all()
        if tokens.pop(key, None) is not None:
            self._write_all(tokens)

    # -- locking -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        """An exclusive lock on ``PATH.lock`` (one for the whole file), polled until ``timeout``."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_NOFOLLOW: a (dangling) symlink planted at PATH.lock is refused, never followed, so
        # the SDK never creates or opens the file it points to
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        if os.path.islink(self.lock_path):
            raise OSError(f"{self.lock_path} is a symbolic link; a token lock file must be a plain file")
        fd = os.open(self.lock_path, flags, 0o600)
        try:
            deadline = time.monotonic() + max(0.0, timeout)
            delay = 0.002
            while not _lock_fd(fd):
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{self.lock_path} was not released within {timeout:g} s")
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
            try:
                yield
            finally:
                _unlock_fd(fd)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"


def _stale(entry: object, now: _dt.datetime) -> bool:
    """An entry worth dropping: expired for a day and without a refresh token."""
    if not isinstance(entry, dict) or entry.get("refresh_token"):
        return False
    try:
        token = Token.from_dict(entry)
    except ValueError:
        return True
    return token.expires_at is not None and (now - token.expires_at).total_seconds() > 86400
