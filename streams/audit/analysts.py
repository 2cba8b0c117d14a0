"""Analysts: read-only users of the ClickHouse HTTP interface (``streams.audit.clickhouse_http``).

One JSON file, ``<data_dir>/analysts.json``, created mode 0600 from its first byte; each
user has a random secret that is shown once and stored only as a scrypt hash. Checks
are cached for a minute under a SHA-256 of (name, secret, file mtime) so a dashboard's
burst of queries costs one scrypt, and a removed user is refused on the next request.

>>> import tempfile, pathlib
>>> a = Analysts(pathlib.Path(tempfile.mkdtemp()) / "analysts.json")
>>> secret = a.add("fin")
>>> a.check("fin", secret), a.check("fin", "wrong")
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Callable

from inkstream.errors import ConfigError

__all__ = ["Analysts", "analysts_path", "writers_path"]

# Same cost as the reviewers' passwords (streams/review/users.py): ~50 ms, 32 MiB.
_SCRYPT = {"n": 2**15, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_CACHE_SECONDS = 60.0


def analysts_path(settings) -> Path:
    return Path(settings.data_dir).resolve() / "analysts.json"


def writers_path(settings) -> Path:
    """The audit sinks' own users of the HTTP interface (the write side, for sink
    instances whose ``CLICKHOUSE_URL`` points at this one): same format, separate file,
    so no analyst can ever be given write access by a typo."""
    return Path(settings.data_dir).resolve() / "audit-writers.json"


def _scrypt(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode("utf-8", "surrogatepass"), salt=salt, dklen=32, **_SCRYPT).hex()


class Analysts:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ok: dict[str, float] = {}   # sha256(name, secret, mtime) -> expiry

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"users": {}}

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # 0600 from the first byte
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, self.path)
        self._ok.clear()

    def add(self, name: str, *, before_save: Callable[[], None] | None = None) -> str:
        """Create (or reset) ``name`` with a new random secret; returns the secret, once."""
        if not _NAME.match(name):
            raise ConfigError("an analyst name is a letter then up to 63 letters, digits, '_', '.', '-'")
        secret = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        hashed = _scrypt(secret, salt)
        if before_save is not None:
            before_save()
        with self._lock:
            data = self._load()
            data["users"][name] = {"salt": salt.hex(), "hash": hashed, "created": int(time.time())}
            self._save(data)
        return secret

    def remove(self, name: str, *, before_save: Callable[[], None] | None = None) -> bool:
        if name not in self._load()["users"]:
            return False
        if before_save is not None:
            before_save()
        with self._lock:
            data = self._load()
            data["users"].pop(name, None)
            self._save(data)
        return True

    def names(self) -> list[str]:
        return sorted(self._load()["users"])

    def check(self, name: str, secret: str) -> bool:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return False
        key = hashlib.sha256(f"{name}\0{secret}\0{mtime}".encode("utf-8", "surrogatepass")).hexdigest()
        now = time.monotonic()
        if self._ok.get(key, 0.0) > now:
            return True
        user = self._load()["users"].get(name)
        if user is None:
            _scrypt(secret, b"0" * 16)   # same cost whether or not the user exists
            return False
        if not hmac.compare_digest(_scrypt(secret, bytes.fromhex(user["salt"])), user["hash"]):
            return False
        if len(self._ok) > 1000:
            self._ok.clear()
        self._ok[key] = now + _CACHE_SECONDS
        return True
