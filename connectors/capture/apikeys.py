"""API keys of the upload API: stored hashed, scoped per source and action, revocable.

A key looks like ``ink_<id>_<secret>``: the id finds the entry, the secret (256 random
bits) is only ever shown once, at creation. The file keeps ``sha256(key)``: for a
high-entropy random key a fast hash is as safe as a slow one (nothing to brute-force)
and costs microseconds per request. Each key names the *source* it speaks for (it
becomes ``source_ref`` in records: ``<source>/<id>``; a request cannot name another
source) and its scopes: ``ingest`` (upload), ``read`` (document status), ``admin`` (manage
keys on ``/v1/admin/apikeys``; never granted unless asked for). ``last_used_at`` is kept
in memory on every use and written at most once a minute and at shutdown.

>>> import tempfile, pathlib
>>> keys = ApiKeyStore(pathlib.Path(tempfile.mkdtemp()) / "apikeys.json")
>>> entry, secret = keys.create("crm-button", scopes=("ingest",))
>>> keys.verify(secret).source, keys.verify(secret).allows("read")
('crm-button', False)
>>> keys.revoke(entry.id); keys.verify(secret) is None
True
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from inkstream.errors import ConfigError
from inkstream.secure_files import write_private

__all__ = ["ApiKey", "ApiKeyStore", "SCOPES", "DEFAULT_SCOPES"]

SCOPES = ("ingest", "read", "admin")
DEFAULT_SCOPES = ("ingest", "read")  # admin only when asked for: least privilege
_PREFIX = "ink_"
_LAST_USED_FLUSH_S = 60.0  # last-used is informational: write it at most once a minute


@dataclass(frozen=True)
class ApiKey:
    id: str
    source: str
    scopes: tuple[str, ...]
    sha256: str
    created_at: float
    revoked_at: float | None = None
    last_used_at: float | None = None

    def allows(self, scope: str) -> bool:
        return self.revoked_at is None and scope in self.scopes

    @property
    def source_ref(self) -> str:
        return f"{self.source}/{self.id}"


class ApiKeyStore:
    """A JSON file (mode 0600) under the data dir; re-read when another process (the
    ``inkstream apikey`` command) changes it, so a revocation takes effect at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKey] = {}
        self._mtime: float | None = None
        self._last_flush = 0.0
        self._dirty = False

    @classmethod
    def from_settings(cls, settings) -> "ApiKeyStore":
        """The file store of this host; ``apikeys_shared.open_key_store`` picks it or the
        Kafka-shared one by ``state.backend``."""
        return cls(settings.capture.apikeys_file or Path(settings.data_dir) / "capture" / "apikeys.json")

    def create(self, source: str, *, scopes: tuple[str, ...] = DEFAULT_SCOPES,
               before_save: Callable[[ApiKey], None] | None = None) -> tuple[ApiKey, str]:
        """A new key and its secret. ``before_save`` (the admin audit) runs with the new
        entry before it is written, outside the lock; if it raises, no key exists."""
        unknown = set(scopes) - set(SCOPES)
        if unknown or not scopes:
            raise ConfigError(f"scopes must be some of {SCOPES}, got {sorted(scopes)}")
        if not source or not source.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ConfigError("source must be a short name of letters, digits, '-', '_' or '.'")
        key_id = secrets.token_hex(6)
        secret = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        entry = ApiKey(id=key_id, source=source, scopes=tuple(scopes), sha256=_digest(secret),
                       created_at=time.time())
        if before_save is not None:
            before_save(entry)
        with self._lock:
            self._reload()
            self._keys[key_id] = entry
            self._write()
        return entry, secret

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            self._reload()
            entry = self._keys.get(key_id)
            if entry is None or entry.revoked_at is not None:
                return False
            self._keys[key_id] = replace(entry, revoked_at=time.time())
            self._write()
            return True

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            self._reload()
            return self._keys.get(key_id)

    def list(self) -> list[ApiKey]:
        with self._lock:
            self._reload()
            return sorted(self._keys.values(), key=lambda k: k.created_at)

    def verify(self, presented: str | None) -> ApiKey | None:
        """The live key matching ``presented``, or None (unknown, malformed or revoked)."""
        if not presented or not presented.startswith(_PREFIX):
            return None
        key_id = presented[len(_PREFIX):].split("_", 1)[0]
        with self._lock:
            self._reload()
            entry = self._keys.get(key_id)
            if entry is None or not hmac.compare_digest(entry.sha256, _digest(presented)):
                return None
            if entry.revoked_at is not None:
                return None
            entry = replace(entry, last_used_at=time.time())
            self._keys[key_id] = entry
            self._dirty = True
            if time.monotonic() - self._last_flush > _LAST_USED_FLUSH_S:
                self._write()
            return entry

    def flush(self) -> None:
        """Persist last-used times (the API calls this at shutdown)."""
        with self._lock:
            if self._dirty:
                self._write()

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._mtime:
            return
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path} is not a valid API key file: {exc}") from exc
        on_disk = {k["id"]: ApiKey(**{**k, "scopes": tuple(k["scopes"])}) for k in raw.get("keys", [])}
        for key_id, mine in self._keys.items():  # keep unsaved (newer) last-used times
            theirs = on_disk.get(key_id)
            if theirs is not None and (mine.last_used_at or 0) > (theirs.last_used_at or 0):
                on_disk[key_id] = replace(theirs, last_used_at=mine.last_used_at)
        self._keys = on_disk
        self._mtime = mtime

    def _write(self) -> None:
        # A fresh O_EXCL 0600 temp file: a stale or planted .tmp with a wider mode is never reused.
        write_private(self.path, json.dumps({"keys": [asdict(k) for k in self._keys.values()]}, indent=1).encode())
        self._mtime = self.path.stat().st_mtime_ns
        self._last_flush = time.monotonic()
        self._dirty = False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
