"""Profiles of the command line tool and where their secrets live.

Profiles (no secrets) are kept in ``~/.genesyscloudpython/cli-profiles.json``::

    {"current": "default",
     "profiles": {"default": {"grant_type": "client_credentials", "client_id": "...",
                              "region": "eu-west-1" | null, "api_host": "http://..." | null,
                              "redirect_uri": null}}}

``grant_type`` is ``client_credentials`` or ``pkce`` (``login --interactive``; then
``redirect_uri`` is the loopback address used and the token cache holds the refresh token).
``login_host`` is the login service the credentials were issued by: the profile's secret
and cached token are bound to it and to ``client_id``, and are never sent anywhere else
(a ``--api-host`` or ``GENESYSCLOUD_API_HOST`` for another host is refused). Any other key
in the file is an error naming the file and the key.

Secrets (the client secret and the cached access token of each profile) go to the OS
keyring (service ``genesyscloud-cli``) when the ``keyring`` package is installed and has a
working backend, else to ``~/.genesyscloudpython/cli-secrets.json`` created with mode 0600.
``GENESYSCLOUD_KEYRING=0`` forces the file. Both files are replaced atomically.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Profile", "ProfileStore", "SecretStore", "config_dir", "ProfileError"]

KEYRING_SERVICE = "genesyscloud-cli"
DEFAULT_PROFILE = "default"


class ProfileError(Exception):
    """A missing or invalid profile, or an unreadable profiles file."""


def config_dir() -> Path:
    """``~/.genesyscloudpython`` (the SDK's configuration directory)."""
    return Path(os.path.expanduser("~")) / ".genesyscloudpython"


def _write_private(path: Path, data: Any) -> None:
    """Write JSON to ``path`` atomically with mode 0600 (the directory gets 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise ProfileError(f"{path} is not valid JSON ({exc}); fix or delete it") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{path} must hold a JSON object")
    return data


@dataclass
class Profile:
    """One named profile: where to connect and which OAuth client to use (never the secret)."""

    name: str
    client_id: str | None = None
    region: str | None = None
    api_host: str | None = None
    grant_type: str = "client_credentials"
    redirect_uri: str | None = None
    login_host: str | None = None  # where the credentials were issued (None: from region/api_host)

    def bound_login_host(self) -> str:
        """The login base URL this profile's secret and tokens belong to."""
        if self.login_host:
            return self.login_host
        from .._regions import resolve_hosts

        return resolve_hosts(self.region, self.api_host).login

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("name")
        return data


PROFILE_KEYS = ("client_id", "region", "api_host", "grant_type", "redirect_uri", "login_host")
TOP_LEVEL_KEYS = ("current", "profiles")


class SecretStore:
    """Client secrets and cached tokens: the OS keyring, else a 0600 JSON file.

    Args:
        directory: where the fallback file lives (default :func:`config_dir`).
        use_keyring: ``None`` = use the keyring when one works (and ``GENESYSCLOUD_KEYRING``
            is not ``0``), ``False`` = always the file.
        backend: a ``keyring`` backend object to use instead of the default one.
    """

    def __init__(self, directory: Path | None = None, *, use_keyring: bool | None = None,
                 backend: Any = None) -> None:
        self.path = (directory or config_dir()) / "cli-secrets.json"
        if use_keyring is None:
            use_keyring = os.environ.get("GENESYSCLOUD_KEYRING", "1").lower() not in ("0", "false", "no", "off")
        self._keyring = (backend or _usable_keyring()) if use_keyring else None

    @property
    def location(self) -> str:
        """Human-readable description of where secrets go."""
        if self._keyring is not None:
            return f"OS keyring ({type(self._keyring).__name__}, service {KEYRING_SERVICE!r})"
        return f"{self.path} (mode 0600)"

    def get(self, key: str) -> str | None:
        if self._keyring is not None:
            return self._keyring.get_password(KEYRING_SERVICE, key)
        value = _read_json(self.path).get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        if self._keyring is not None:
            self._keyring.set_password(KEYRING_SERVICE, key, value)
            return
        data = _read_json(self.path)
        data[key] = value
        _write_private(self.path, data)

    def delete(self, key: str) -> None:
        if self._keyring is not None:
            import keyring.errors

            try:
                self._keyring.delete_password(KEYRING_SERVICE, key)
            except keyring.errors.PasswordDeleteError:
                pass
            return
        data = _read_json(self.path)
        if key in data:
            del data[key]
            _write_private(self.path, data)

    # -- cached tokens -------------------------------------------------------------------
    def get_token(self, profile: str, *, login_host: str | None = None,
                  client_id: str | None = None) -> tuple[str, _dt.datetime | None, str | None] | None:
        """The cached ``(access_token, expires_at, refresh_token)`` of a profile, or ``None``
        (also when ``login_host``/``client_id`` are given and the token was issued for others)."""
        raw = self.get(f"{profile}:token")
        if not raw:
            return None
        try:
            data = json.loads(raw)
            expires = data.get("expires_at")
            token = (data["access_token"], _dt.datetime.fromisoformat(expires) if expires else None,
                     data.get("refresh_token"))
        except (ValueError, KeyError, TypeError, AttributeError):
            self.delete(f"{profile}:token")  # unreadable cache: forget it, a new token is fetched
            return None
        if not _bound(data, login_host, client_id):
            return None
        return token

    def set_token(self, profile: str, access_token: str, expires_at: _dt.datetime | None,
                  refresh_token: str | None = None, *, login_host: str | None = None,
                  client_id: str | None = None) -> None:
        data = {"access_token": access_token, "expires_at": expires_at.isoformat() if expires_at else None,
                "login_host": login_host, "client_id": client_id}
        if refresh_token:
            data["refresh_token"] = refresh_token
        self.set(f"{profile}:token", json.dumps(data))

    # -- client secrets ------------------------------------------------------------------
    def get_secret(self, profile: str, *, login_host: str, client_id: str) -> str | None:
        """The profile's client secret if it was stored for ``login_host`` and ``client_id``."""
        raw = self.get(f"{profile}:client_secret")
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("client_secret"), str):
            # stored before secrets were bound to a host: bound to the profile's own host
            return raw
        return data["client_secret"] if _bound(data, login_host, client_id) else None

    def set_secret(self, profile: str, secret: str, *, login_host: str, client_id: str) -> None:
        """Store the client secret bound to the login host and client id it belongs to."""
        self.set(f"{profile}:client_secret",
                 json.dumps({"client_secret": secret, "login_host": login_host, "client_id": client_id}))


def _bound(data: dict[str, Any], login_host: str | None, client_id: str | None) -> bool:
    """Whether a stored entry may be used for ``login_host``/``client_id`` (entries without a
    binding predate it and belong to their profile's own host)."""
    if login_host is not None and data.get("login_host") not in (None, login_host):
        return False
    return client_id is None or data.get("client_id") in (None, client_id)


def _usable_keyring() -> Any:
    """The keyring backend when ``keyring`` is installed and has a real backend, else ``None``."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration: fall back to the file
        return None
    if isinstance(backend, fail.Keyring):
        return None
    try:
        from keyring.backends import chainer

        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
    except ImportError:
        pass
    priority = getattr(backend, "priority", 1)
    return backend if priority and priority > 0 else None


class ProfileStore:
    """Reads and writes ``cli-profiles.json``; secrets through a :class:`SecretStore`."""

    def __init__(self, directory: Path | None = None, secrets: SecretStore | None = None) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / "cli-profiles.json"
        self.secrets = secrets or SecretStore(self.directory)

    def _load(self) -> dict[str, Any]:
        data = _read_json(self.path)
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                raise ProfileError(f"{self.path}: unknown key {key!r} (expected {', '.join(TOP_LEVEL_KEYS)})")
        profiles = data.get("profiles", {})
        if not isinstance(profiles, dict):
            raise ProfileError(f"{self.path}: 'profiles' must be an object")
        for name, body in profiles.items():
            if not isinstance(body, dict):
                raise ProfileError(f"{self.path}: profile {name!r} must be an object")
            for key, value in body.items():
                if key not in PROFILE_KEYS:
                    raise ProfileError(f"{self.path}: profile {name!r} has an unknown key {key!r} "
                                       f"(expected {', '.join(PROFILE_KEYS)})")
                if value is not None and not isinstance(value, str):
                    raise ProfileError(f"{self.path}: profile {name!r}, key {key!r} must be a string or null")
        return {"current": data.get("current"), "profiles": profiles}

    def names(self) -> list[str]:
        return sorted(self._load()["profiles"])

    @property
    def current(self) -> str | None:
        return self._load()["current"]

    def get(self, name: str) -> Profile:
        """Raises ProfileError when there is no such profile."""
        data = self._load()["profiles"].get(name)
        if data is None:
            known = ", ".join(self.names()) or "none"
            raise ProfileError(f"no profile named {name!r} (known: {known}); run `genesys-cloud login --profile {name}`")
        return Profile(name=name, **data)

    def save(self, profile: Profile, *, make_current: bool = False) -> None:
        data = self._load()
        data["profiles"][profile.name] = profile.to_dict()
        if make_current or not data["current"]:
            data["current"] = profile.name
        _write_private(self.path, data)

    def use(self, name: str) -> None:
        self.get(name)
        data = self._load()
        data["current"] = name
        _write_private(self.path, data)

    def delete(self, name: str) -> None:
        """Remove a profile and its secrets (ProfileError when unknown)."""
        self.get(name)
        data = self._load()
        del data["profiles"][name]
        if data["current"] == name:
            data["current"] = None
        _write_private(self.path, data)
        self.secrets.delete(f"{name}:client_secret")
        self.secrets.delete(f"{name}:token")
