"""What the object store deals in: ``ObjectRef`` (a claim check) and the ``ObjectStore``
contract. Imported as ``connectors.objectstore.ObjectRef`` by callers; the stores
(``s3``, ``sealed``) import this module, never the package's factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

__all__ = ["ObjectRef", "ObjectStore"]


@dataclass(frozen=True)
class ObjectRef:
    """Where bytes live. Mirrors the ``ObjectRef`` record in ``schemas/*.avsc``."""

    bucket: str
    key: str
    version_id: str | None
    sha256: str
    size_bytes: int
    content_type: str

    def to_record(self) -> dict:
        return {
            "bucket": self.bucket, "key": self.key, "version_id": self.version_id,
            "sha256": self.sha256, "size_bytes": self.size_bytes, "content_type": self.content_type,
        }

    @classmethod
    def from_record(cls, record: dict) -> "ObjectRef":
        return cls(**{k: record[k] for k in
                      ("bucket", "key", "version_id", "sha256", "size_bytes", "content_type")})


@runtime_checkable
class ObjectStore(Protocol):
    """Contract every object store MUST keep.

    - ``put`` stores bytes under ``key`` in the configured (versioned) bucket and returns a
      ref whose ``sha256`` and ``size_bytes`` were computed over exactly the bytes given (a
      sealing store keeps an envelope of them on the server; the ref still describes the
      document); it never overwrites silently: a second put of the same key makes a new version.
    - ``get`` returns the bytes of exactly ``ref.version_id`` when set (opened, if sealed).
    - ``exists`` tells whether ``key`` is present (latest version).
    - errors are raised as ``inkstream.errors.ObjectStoreError``.
    """

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str,
            metadata: dict[str, str] | None = None) -> ObjectRef: ...

    def get(self, ref: ObjectRef) -> bytes: ...

    def exists(self, key: str) -> ObjectRef | None: ...
