"""Key-encryption keys (KEKs): the ``KeyProvider`` contract and its local key-file form.

The key file (default ``<data_dir>/keys/keyring.json``, mode 0600) holds every KEK ever
made and which one is current::

    {"current": "k-20261202-3f9a", "keys": {"k-20261202-3f9a": {"created": "...", "material": "<b64>"}}}

``rotate`` adds a KEK and makes it current: new data keys are wrapped by it, old ones
still unwrap with the KEK whose id they recorded, so nothing already written is re-written.
Retiring a KEK for good means re-wrapping what it wrapped first (not done automatically).
"""

from __future__ import annotations

from inkstream.errors import KeyUnavailable  # noqa: F401 - defined in the one error tree

import base64
import datetime as dt
import fcntl
import json
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from inkstream.errors import ConfigError

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["KeyProvider", "LocalKeyRing", "key_provider", "KeyUnavailable", "publish_private_json"]

_NONCE = 12


@runtime_checkable
class KeyProvider(Protocol):
    """What a KMS must do for inkstream: wrap and unwrap 32-byte data keys.

    ``wrap`` returns ``(kek_id, wrapped)``; ``unwrap(kek_id, wrapped)`` gives the key back
    or raises ``KeyUnavailable``. ``context`` is bound to the wrapping (AAD / KMS
    encryption context): a wrapped key moved to another document does not unwrap.
    """

    def wrap(self, data_key: bytes, *, context: str) -> tuple[str, bytes]: ...

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: str) -> bytes: ...


class LocalKeyRing:
    """KEKs in a local JSON file. Created on first use; safe for concurrent processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._loaded: tuple[float, dict[str, Any]] | None = None

    # -- the KeyProvider contract -------------------------------------------------------
    def wrap(self, data_key: bytes, *, context: str) -> tuple[str, bytes]:
        ring = self._ring()
        kek_id = ring["current"]
        nonce = os.urandom(_NONCE)
        aad = f"{kek_id}\n{context}".encode()
        return kek_id, nonce + AESGCM(_material(ring, kek_id)).encrypt(nonce, data_key, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: str) -> bytes:
        ring = self._ring()
        if kek_id not in ring["keys"]:
            ring = self._ring(reload=True)  # another process may have rotated
        if kek_id not in ring["keys"]:
            raise KeyUnavailable(f"key-encryption key {kek_id!r} is not in {self.path}")
        aad = f"{kek_id}\n{context}".encode()
        try:
            return AESGCM(_material(ring, kek_id)).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
        except (InvalidTag, ValueError) as exc:
            raise KeyUnavailable(f"wrapped key under {kek_id!r} does not unwrap (altered or moved)") from exc

    # -- administration -----------------------------------------------------------------
    @property
    def current(self) -> str:
        current: str = self._ring()["current"]
        return current

    def keys(self) -> list[tuple[str, str, bool]]:
        """``(kek_id, created, is_current)`` for every KEK, oldest first."""
        ring = self._ring(reload=True)
        return [(k, v["created"], k == ring["current"])
                for k, v in sorted(ring["keys"].items(), key=lambda kv: kv[1]["created"])]

    def rotate(self) -> str:
        """Add a new KEK and make it current; returns its id. Old KEKs stay for unwrapping."""
        self._ring()  # creates the file on first use
        # Read-modify-write under an exclusive file lock: two rotations at once must not
        # drop each other's key (data keys wrapped under a lost KEK would be lost with it).
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ring = self._ring(reload=True)
            kek_id = _new_id()
            ring["keys"][kek_id] = _new_key()
            ring["current"] = kek_id
            publish_private_json(self.path, ring, replace=True)
            self._loaded = None
            return kek_id

    def _ring(self, reload: bool = False) -> dict[str, Any]:
        with self._lock:
            if self._loaded is not None and not reload:
                mtime, ring = self._loaded
                try:
                    if self.path.stat().st_mtime == mtime:
                        return ring
                except FileNotFoundError:
                    pass
            if not self.path.exists():
                self._create()
            try:
                read: dict[str, Any] = json.loads(self.path.read_text())
                read["keys"][read["current"]]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"key file {self.path} is unreadable or malformed: {exc}") from exc
            self._loaded = (self.path.stat().st_mtime, read)
            return read

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        kek_id = _new_id()
        ring = {"current": kek_id, "keys": {kek_id: _new_key()}}
        publish_private_json(self.path, ring, replace=False)  # another process's ring wins a race


def key_provider(settings: Settings) -> KeyProvider:
    """The configured provider: Vault transit (``crypto.kms: vault``) or the local key ring
    at ``crypto.keyring_file``."""
    c = settings.crypto
    if c.kms == "vault":
        if not (c.vault_url and c.vault_token):
            raise ConfigError("crypto.kms is vault: set crypto.vault_url and INKSTREAM_CRYPTO__VAULT_TOKEN")
        from inkstream.crypto.vault import VaultTransit

        return VaultTransit(c.vault_url, c.vault_token, c.vault_key)
    return LocalKeyRing(c.keyring_path(settings.data_dir))


def _material(ring: dict[str, Any], kek_id: str) -> bytes:
    return base64.b64decode(ring["keys"][kek_id]["material"])


def _new_id() -> str:
    return f"k-{dt.datetime.now(dt.timezone.utc):%Y%m%d}-{secrets.token_hex(3)}"


def _new_key() -> dict[str, Any]:
    return {"created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "material": base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}


def publish_private_json(path: Path, data: dict[str, Any], *, replace: bool) -> bool:
    """Write ``data`` to ``path`` (mode 0600) all at once: a reader sees the old file or the
    whole new one. ``replace=False`` publishes only if ``path`` does not exist yet (the
    first writer wins; False when another process got there first)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    if replace:
        os.replace(tmp, path)
        return True
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
