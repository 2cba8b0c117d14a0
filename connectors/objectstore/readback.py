"""Trust a stored object only once it reads back: content-addressed writers reuse the object
already at their key instead of storing again, so they must know it still opens.

A sealed object can be there and unusable: its KEK is not in this deployment's key store
(key ring lost and re-made, a new deployment on an old bucket, a KEK retired after a
compromise) or its envelope was altered; an unsealed one can hold other bytes than its
address says. Reusing such an object points a document at bytes no processor can open, for
good: every later copy would be "already stored" too. So the object is read back (through
the decrypting store) and hashed; when it does not open or match, the caller stores its
bytes again as a new version on top (the old version stays: a restored key ring still opens
it) and records why. S3 or network failures are raised, never taken for an unusable object.
"""

from __future__ import annotations

import hashlib
import logging

from connectors.objectstore.ref import ObjectRef, ObjectStore
from inkstream.errors import ObjectUnreadable

__all__ = ["REASONS", "stored_once", "unusable"]

log = logging.getLogger(__name__)

# Why an object at its address was not trusted (metadata ``stored-again``, status details, metric labels).
REASONS = {
    "key_unavailable": "does not open with this deployment's keys (its key-encryption key is not in the key "
                       "store, or the envelope was altered)",
    "digest_mismatch": "does not hash to its address",
}


def unusable(store: ObjectStore, ref: ObjectRef, sha256: str) -> str | None:
    """A ``REASONS`` code when ``ref`` cannot stand for the bytes whose digest is ``sha256``,
    None when it reads back and matches. Reads the whole object (held in memory while hashed)."""
    try:
        body = store.get(ref)
    except ObjectUnreadable:
        return "key_unavailable"
    return None if hashlib.sha256(body).hexdigest() == sha256 else "digest_mismatch"


def stored_once(store: ObjectStore, key: str, data: bytes, *, content_type: str,
                metadata: dict[str, str] | None = None) -> ObjectRef:
    """The object at ``key`` holding ``data``: the one already there when it reads back to
    ``data``'s digest, else ``data`` stored (again: a new version naming the one it replaces
    and why, in its metadata ``replaces-version`` / ``stored-again``)."""
    sha = hashlib.sha256(data).hexdigest()
    found = store.exists(key)
    meta = dict(metadata or {})
    if found is not None:
        reason = unusable(store, found, sha)
        if reason is None:
            return found
        log.warning("%s: storing it again over version %s (%s)", key, found.version_id, reason)
        meta.update({"replaces-version": found.version_id or "null", "stored-again": reason})
    return store.put(key, data, content_type=content_type, metadata=meta)
