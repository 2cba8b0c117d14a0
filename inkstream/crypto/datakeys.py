"""Per-document data keys, destroyable: the basis of crypto-shredding.

Each document gets one random AES-256 key the first time something of it is encrypted;
the key is stored wrapped by the ``KeyProvider`` (never in clear), one small file per
document under ``crypto.document_keys_dir`` (default ``<data_dir>/keys/documents``).
``destroy`` deletes the wrapped key and leaves a tombstone, so everything sealed with it
(Kafka records, stored copies) becomes unreadable for good, and no new key is ever made
for that document again.

Processes cache unwrapped keys for ``crypto.key_cache_seconds``: a destruction reaches
every running process within that time. A shared directory serves processes on one
host (or a shared volume); a database or KMS-backed store implements the same methods.
"""

from __future__ import annotations

from inkstream.errors import KeyDestroyed  # noqa: F401 - defined in the one error tree

import base64
import json
import os
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from inkstream.crypto.keyring import KeyProvider, KeyUnavailable, key_provider, publish_private_json

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["DocumentKeys", "KeyDestroyed"]

_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
_NONCE = 12
_CACHE_MAX = 10_000


class DocumentKeys:
    def __init__(self, directory: Path, provider: KeyProvider, *, cache_seconds: float = 30.0) -> None:
        self.directory = Path(directory)
        self.provider = provider
        self.cache_seconds = cache_seconds
        self._cache: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "DocumentKeys":
        c = settings.crypto
        return cls(c.document_keys_path(settings.data_dir), key_provider(settings),
                   cache_seconds=c.key_cache_seconds)

    # -- keys ---------------------------------------------------------------------------
    def key(self, doc_id: str, *, create: bool = True) -> bytes | None:
        """The document's data key; made on first use when ``create``. ``None`` when it has
        none and ``create`` is false; ``KeyDestroyed`` once destroyed."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(doc_id)
            if hit and hit[0] > now:
                self._cache.move_to_end(doc_id)
                return hit[1]
        path = self._path(doc_id)
        if path.with_suffix(".erased").exists():
            raise KeyDestroyed(f"the key of document {doc_id} was destroyed")
        stored = _read(path)
        if stored is None:
            if not create:
                return None
            stored = self._create(doc_id, path)
        try:
            key = self.provider.unwrap(stored["kek_id"], base64.b64decode(stored["wrapped"]),
                                       context=f"document:{doc_id}")
        except KeyUnavailable:
            if path.with_suffix(".erased").exists():  # destroyed while we read
                raise KeyDestroyed(f"the key of document {doc_id} was destroyed") from None
            raise
        with self._lock:
            self._cache[doc_id] = (now + self.cache_seconds, key)
            while len(self._cache) > _CACHE_MAX:
                self._cache.popitem(last=False)
        return key

    def destroy(self, doc_id: str) -> bool:
        """Tombstone the document and delete its wrapped key. True if a key existed."""
        path = self._path(doc_id)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tomb = path.with_suffix(".erased")
        fd = os.open(tomb, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{int(time.time())}\n")
            fh.flush()
            os.fsync(fh.fileno())
        existed = path.exists()
        path.unlink(missing_ok=True)
        with self._lock:
            self._cache.pop(doc_id, None)
        return existed

    def is_destroyed(self, doc_id: str) -> bool:
        return self._path(doc_id).with_suffix(".erased").exists()

    # -- sealing with a document's key ----------------------------------------------------
    def encrypt(self, doc_id: str, plaintext: bytes, *, aad: bytes = b"") -> bytes:
        """``nonce | ciphertext+tag`` under the document's key (made if missing)."""
        key = self.key(doc_id, create=True)
        if key is None:  # create=True makes one; None only when it exists nowhere
            raise KeyUnavailable(f"no key for document {doc_id}")
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)

    def decrypt(self, doc_id: str, blob: bytes, *, aad: bytes = b"") -> bytes:
        """The plaintext; ``KeyDestroyed`` after erasure, ``KeyUnavailable`` if altered."""
        key = self.key(doc_id, create=False)
        if key is None:
            if self.is_destroyed(doc_id):
                raise KeyDestroyed(f"the key of document {doc_id} was destroyed")
            raise KeyUnavailable(f"document {doc_id} has no data key")
        try:
            return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], aad)
        except (InvalidTag, ValueError) as exc:
            raise KeyUnavailable(f"data of document {doc_id} does not authenticate") from exc

    # -- storage --------------------------------------------------------------------------
    def _path(self, doc_id: str) -> Path:
        if not _ID.fullmatch(doc_id or ""):
            raise KeyUnavailable(f"not a valid document id for a key: {doc_id!r}")
        return self.directory / doc_id[:2] / f"{doc_id}.key"

    def _create(self, doc_id: str, path: Path) -> dict[str, Any]:
        kek_id, wrapped = self.provider.wrap(AESGCM.generate_key(bit_length=256), context=f"document:{doc_id}")
        stored = {"kek_id": kek_id, "wrapped": base64.b64encode(wrapped).decode()}
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not publish_private_json(path, stored, replace=False):
            stored = _read(path) or stored  # a racing process made it first: use the winner's key
        if path.with_suffix(".erased").exists():  # erased while we made it
            path.unlink(missing_ok=True)
            raise KeyDestroyed(f"the key of document {doc_id} was destroyed")
        return stored


def _read(path: Path) -> dict[str, Any] | None:
    try:
        stored: dict[str, Any] = json.loads(path.read_text())
        return stored
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise KeyUnavailable(f"document key file {path.name} is unreadable: {exc}") from exc
