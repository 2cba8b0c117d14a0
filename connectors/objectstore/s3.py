"""``S3ObjectStore``: the ``ObjectStore`` contract over any S3-compatible server (minio SDK).

The bucket is versioned, so a second ``put`` of a key makes a new version and never
overwrites silently. ``put`` streams the body (a file is never read whole into memory)
and computes the SHA-256 over exactly the bytes sent; the digest is also stored as
user metadata (``x-amz-meta-sha256``) so ``exists`` can rebuild a full ``ObjectRef``.

>>> store = S3ObjectStore.from_settings(load_settings())          # doctest: +SKIP
>>> ref = store.put("originals/ab/abc", b"%PDF-1.7 ...", content_type="application/pdf")  # doctest: +SKIP
>>> store.get(ref)[:5]                                            # doctest: +SKIP
b'%PDF-'
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from typing import BinaryIO
from urllib.parse import urlsplit

from connectors.objectstore.ref import ObjectRef
from inkstream.errors import ObjectStoreError

__all__ = ["S3ObjectStore"]

_PART_SIZE = 16 * 1024 * 1024  # multipart chunk when the length is unknown
_META_PREFIX = "x-amz-meta-"
_CONDITIONAL_MAX = 5 * 1024 * 1024  # single-PUT size (minio's minimum part size)


class _HashingReader(io.RawIOBase):
    """Wraps a binary stream; hashes and counts what the SDK actually reads."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self._raw.read(n)
        self.sha256.update(chunk)
        self.size += len(chunk)
        return chunk


class S3ObjectStore:
    """Versioned-bucket object store. Errors surface as ``ObjectStoreError``."""

    def __init__(self, client, bucket: str) -> None:
        # Serialises this store's stat-then-put fallback (objects too large for one
        # conditional PUT); a process holds one store, built at its edge.
        self._fallback_lock = threading.Lock()
        self._client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings, *, ensure_bucket: bool = True) -> "S3ObjectStore":
        from minio import Minio

        from inkstream.fail_closed import s3_credentials

        url = urlsplit(settings.s3.url)
        access_key, secret_key = s3_credentials(settings)
        client = Minio(url.netloc, access_key=access_key, secret_key=secret_key,
                       secure=url.scheme == "https", region=settings.s3.region)
        store = cls(client, settings.s3.bucket)
        if ensure_bucket:
            store.ensure_bucket()
        return store

    def ensure_bucket(self) -> None:
        """Create the bucket if missing and turn versioning on (idempotent)."""
        from minio.commonconfig import ENABLED
        from minio.versioningconfig import VersioningConfig

        with _converted("ensure bucket"):
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket)
            if self._client.get_bucket_versioning(self.bucket).status != ENABLED:
                self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str,
            metadata: dict[str, str] | None = None) -> ObjectRef:
        stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
        length = _remaining_length(stream)
        reader = _HashingReader(stream)
        meta = dict(metadata or {})
        with _converted(f"put {key}"):
            # User metadata is fixed when a version is written, so a caller that wants the
            # digest recorded (ingest: it hashed first to derive the key) passes it in
            # metadata["sha256"]; we check it against what was really sent below.
            result = self._client.put_object(
                self.bucket, key, reader, length=length if length is not None else -1,
                part_size=0 if length is not None else _PART_SIZE,
                content_type=content_type, metadata=meta or None)
        digest = reader.sha256.hexdigest()
        claimed = meta.get("sha256")
        if claimed and claimed != digest:
            # Never leave bytes under a content address they do not match.
            with _converted(f"remove bad version of {key}"):
                self._client.remove_object(self.bucket, key, version_id=result.version_id)
            raise ObjectStoreError(f"put {key}: bytes changed while uploading "
                                   f"(expected sha256 {claimed}, sent {digest})")
        return ObjectRef(bucket=self.bucket, key=key, version_id=result.version_id, sha256=digest,
                         size_bytes=reader.size, content_type=content_type)

    def put_if_absent(self, key: str, data: bytes | BinaryIO, *, content_type: str,
                      metadata: dict[str, str] | None = None) -> ObjectRef | None:
        """Store ``data`` only if ``key`` does not exist yet; None when it already does.

        Up to ``_CONDITIONAL_MAX`` bytes this is one atomic conditional PUT
        (``If-None-Match: *``, S3 since 2024, versitygw): two processes storing the same
        content at once make one version, and a new object costs one round trip. Larger
        objects go through a HEAD then a multipart upload, atomic only within a process.
        """
        from minio.error import S3Error

        stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
        length = _remaining_length(stream)
        if length is None or length > _CONDITIONAL_MAX:
            with self._fallback_lock:
                if self.stat(key) is not None:
                    return None
                return self.put(key, stream, content_type=content_type, metadata=metadata)
        body = stream.read(length)
        digest = hashlib.sha256(body).hexdigest()
        meta = dict(metadata or {})
        if meta.get("sha256", digest) != digest:
            raise ObjectStoreError(f"put {key}: bytes changed before uploading "
                                   f"(expected sha256 {meta['sha256']}, read {digest})")
        headers = {"Content-Type": content_type, "If-None-Match": "*",
                   **{f"{_META_PREFIX}{k}": v for k, v in meta.items()}}
        try:
            # minio's put_object cannot send If-None-Match; _put_object is the single-PUT
            # call put_object itself uses (minio pinned exactly in pyproject.toml).
            result = self._client._put_object(self.bucket, key, body, headers=headers)
        except S3Error as exc:
            if exc.code in ("PreconditionFailed", "ConditionalRequestConflict"):
                return None
            raise ObjectStoreError(f"put {key}: {exc.code}") from exc
        except Exception as exc:
            raise ObjectStoreError(f"put {key}: {exc}") from exc
        return ObjectRef(bucket=self.bucket, key=key, version_id=result.version_id, sha256=digest,
                         size_bytes=len(body), content_type=content_type)

    def discard(self, ref: ObjectRef) -> None:
        """Delete exactly ``ref``'s version (never the whole key's history)."""
        if not ref.version_id:
            raise ObjectStoreError(f"discard {ref.key}: refusing to delete without a version id")
        with _converted(f"discard {ref.key}"):
            self._client.remove_object(ref.bucket, ref.key, version_id=ref.version_id)

    def get(self, ref: ObjectRef) -> bytes:
        with _converted(f"get {ref.key}"):
            response = self._client.get_object(ref.bucket, ref.key, version_id=ref.version_id)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def exists(self, key: str) -> ObjectRef | None:
        found = self.stat(key)
        return found[0] if found else None

    def metadata(self, key: str) -> dict[str, str] | None:
        """User metadata of the latest version (``x-amz-meta-`` stripped), or None."""
        found = self.stat(key)
        return found[1] if found else None

    def stat(self, key: str) -> tuple[ObjectRef, dict[str, str]] | None:
        from minio.error import S3Error

        try:
            st = self._client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return None
            raise ObjectStoreError(f"stat {key}: {exc.code}") from exc
        except Exception as exc:  # urllib3 connection errors
            raise ObjectStoreError(f"stat {key}: {exc}") from exc
        meta = {k[len(_META_PREFIX):].lower(): v for k, v in (st.metadata or {}).items()
                if k.lower().startswith(_META_PREFIX)}
        ref = ObjectRef(bucket=self.bucket, key=key, version_id=st.version_id,
                        sha256=meta.get("sha256", ""), size_bytes=st.size or 0,
                        content_type=st.content_type or "application/octet-stream")
        return ref, meta

    def versions(self, key: str) -> list[str]:
        """Every version id stored under ``key`` (newest first); for audits and tests."""
        with _converted(f"list versions {key}"):
            return [o.version_id for o in self._client.list_objects(
                self.bucket, prefix=key, include_version=True) if o.object_name == key]


def _remaining_length(stream: BinaryIO) -> int | None:
    try:
        pos = stream.tell()
        return os.fstat(stream.fileno()).st_size - pos
    except (OSError, AttributeError, io.UnsupportedOperation):
        pass
    try:
        pos = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(pos)
        return end - pos
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None


class _converted:
    """Context manager: foreign (minio/urllib3) errors become ``ObjectStoreError``."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or isinstance(exc, ObjectStoreError):
            return False
        if isinstance(exc, Exception):
            code = getattr(exc, "code", None) or type(exc).__name__
            raise ObjectStoreError(f"{self.what}: {code}: {exc}") from exc
        return False
