"""``SealedObjectStore``: originals and signed files encrypted by inkstream before upload.

Why client-side: the S3 server of the dev stack (versitygw, posix backend; v1.7.0 and v1.8.0)
accepts ``x-amz-server-side-encryption: AES256`` and SSE-C headers with 200 and then
writes the plaintext to disk (probed 2026-12-02: the bytes are in the file under
``.inkstream/data/s3/objects``, no encryption header comes back, a GET without the
SSE-C key returns the plaintext; ``tests/connectors/objectstore/test_sealed_store.py::
test_the_dev_s3_server_ignores_server_side_encryption_headers``). Server-side encryption
is therefore never claimed; every object is sealed here, whatever the server does.

Each object is one ``inkstream.crypto.seal`` envelope (AES-256-GCM, a fresh data key per
object wrapped by the key provider's current KEK). The context is the object key, so a
blob copied under another key does not open. The KEK id is in the blob header and in the
user metadata (``x-amz-meta-kek-id``), so a rotation never re-writes what is stored and
an operator can list what a KEK still protects.

The ``ObjectStore`` contract is kept for the *plaintext*: ``ObjectRef.sha256`` and
``size_bytes`` describe the document (its content address; ``inkstream audit verify``
compares them with what ``get`` returns). The stored metadata keeps the wrapped store's
rule that ``sha256`` is the digest of the bytes on the server (the envelope) — checked
on upload as before — and adds ``plaintext-sha256`` / ``plaintext-size``.

``get`` still reads objects stored before encryption was turned on (no envelope header:
returned as they are), so no migration is needed.

Memory: up to 5 MB (the wrapped store's single, atomic conditional PUT) an object is
sealed in memory. A larger seekable stream (the usual upload: a spooled file) is read
twice instead: once to hash it (the digest must be in the metadata, which S3 fixes when
the upload starts), then sealed chunk by chunk as the multipart upload reads it; if the
second read does not hash the same, the version is removed and the put fails. Such
objects carry no ``sha256`` of the envelope (not known until the end). ``get`` holds
the envelope and the plaintext (about twice the file) while it decrypts; files are at
most ``capture.max_bytes`` (50 MB by default). Unsealed mode
(``crypto.encrypt_objects: false``) is the plain streaming ``S3ObjectStore``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import BinaryIO

from connectors.objectstore.ref import ObjectRef
from inkstream.crypto import KeyProvider, is_sealed, seal, unseal
from inkstream.crypto.envelope import StreamSealer, kek_id_of
from inkstream.crypto.keyring import KeyUnavailable
from inkstream.errors import ObjectStoreError, ObjectUnreadable

__all__ = ["SealedObjectStore", "KEK_ID", "PLAINTEXT_SHA256", "PLAINTEXT_SIZE"]

KEK_ID = "kek-id"                      # x-amz-meta-kek-id
PLAINTEXT_SHA256 = "plaintext-sha256"  # digest of the document (the content address)
PLAINTEXT_SIZE = "plaintext-size"
_INTERNAL = (PLAINTEXT_SHA256, PLAINTEXT_SIZE)
_STREAM_ABOVE = 5 * 1024 * 1024  # the wrapped store's single-PUT size: below it, in memory and atomic
_CHUNK = 1024 * 1024


class SealedObjectStore:
    """Wraps an ``S3ObjectStore`` (or any store with its methods); same contract."""

    def __init__(self, inner, provider: KeyProvider) -> None:
        self.inner = inner
        self.provider = provider

    @property
    def bucket(self) -> str:
        return self.inner.bucket

    def ensure_bucket(self) -> None:
        self.inner.ensure_bucket()

    # -- writing --------------------------------------------------------------------------
    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str,
            metadata: dict[str, str] | None = None) -> ObjectRef:
        if not isinstance(data, bytes) and _stream_length(data) > _STREAM_ABOVE:
            streamed = self._put_streamed(self.inner.put, key, data, content_type, metadata)
            if streamed is None:  # inner.put always answers a ref; only put_if_absent may not
                raise ObjectStoreError(f"put {key}: the store answered no reference")
            return streamed
        blob, plain, meta = self._seal(key, data, metadata)
        ref = self.inner.put(key, blob, content_type=content_type, metadata=meta)
        return self._plain_ref(ref, plain)

    def put_if_absent(self, key: str, data: bytes | BinaryIO, *, content_type: str,
                      metadata: dict[str, str] | None = None) -> ObjectRef | None:
        if not isinstance(data, bytes) and _stream_length(data) > _STREAM_ABOVE:
            # the wrapped store's own path for large bodies (HEAD, then multipart)
            return self._put_streamed(self.inner.put_if_absent, key, data, content_type, metadata)
        blob, plain, meta = self._seal(key, data, metadata)
        ref = self.inner.put_if_absent(key, blob, content_type=content_type, metadata=meta)
        return None if ref is None else self._plain_ref(ref, plain)

    def discard(self, ref: ObjectRef) -> None:
        self.inner.discard(ref)

    # -- reading --------------------------------------------------------------------------
    def get(self, ref: ObjectRef) -> bytes:
        blob = self.inner.get(ref)
        if not is_sealed(blob):
            return blob  # stored before encryption was turned on
        try:
            return unseal(self.provider, blob, context=ref.key)
        except KeyUnavailable as exc:
            raise ObjectUnreadable(f"get {ref.key}: cannot decrypt version {ref.version_id}: {exc}") from exc

    def exists(self, key: str) -> ObjectRef | None:
        found = self.stat(key)
        return found[0] if found else None

    def metadata(self, key: str) -> dict[str, str] | None:
        found = self.stat(key)
        return found[1] if found else None

    def stat(self, key: str) -> tuple[ObjectRef, dict[str, str]] | None:
        found = self.inner.stat(key)
        if found is None:
            return None
        ref, meta = found
        if KEK_ID not in meta:
            return ref, meta  # a plaintext object: its metadata already describes it
        try:
            size = int(meta.get(PLAINTEXT_SIZE, ""))
        except ValueError:
            raise ObjectStoreError(f"stat {key}: sealed object without a valid {PLAINTEXT_SIZE}") from None
        sha = meta.get(PLAINTEXT_SHA256, "")
        view = {k: v for k, v in meta.items() if k not in _INTERNAL}
        view["sha256"] = sha  # what callers put in and compare with: the document's digest
        return ObjectRef(ref.bucket, ref.key, ref.version_id, sha, size, ref.content_type), view

    def versions(self, key: str) -> list[str]:
        return self.inner.versions(key)

    # -- helpers --------------------------------------------------------------------------
    def _seal(self, key: str, data, metadata: dict[str, str] | None) -> tuple[bytes, tuple[str, int], dict]:
        plaintext = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else data.read()
        digest = hashlib.sha256(plaintext).hexdigest()
        meta = dict(metadata or {})
        claimed = meta.pop("sha256", None)
        if claimed and claimed != digest:
            # The caller hashed the file to name it; never store bytes under an address they do not match.
            raise ObjectStoreError(f"put {key}: bytes changed before uploading "
                                   f"(expected sha256 {claimed}, read {digest})")
        blob = seal(self.provider, plaintext, context=key)
        meta.update({KEK_ID: kek_id_of(blob), PLAINTEXT_SHA256: digest, PLAINTEXT_SIZE: str(len(plaintext)),
                     # the wrapped store checks this against the bytes it sends (the envelope)
                     "sha256": hashlib.sha256(blob).hexdigest()})
        return blob, (digest, len(plaintext)), meta

    def _put_streamed(self, put: Callable[..., ObjectRef | None], key: str, stream: BinaryIO, content_type: str,
                      metadata: dict[str, str] | None) -> ObjectRef | None:
        start = stream.tell()
        digest, size = hashlib.sha256(), 0
        while chunk := stream.read(_CHUNK):  # first pass: the address goes into the metadata
            digest.update(chunk)
            size += len(chunk)
        stream.seek(start)
        meta = dict(metadata or {})
        claimed = meta.pop("sha256", None)
        if claimed and claimed != digest.hexdigest():
            raise ObjectStoreError(f"put {key}: bytes changed before uploading "
                                   f"(expected sha256 {claimed}, read {digest.hexdigest()})")
        sealer = StreamSealer(self.provider, context=key)
        meta.update({KEK_ID: sealer.kek_id, PLAINTEXT_SHA256: digest.hexdigest(), PLAINTEXT_SIZE: str(size)})
        reader = _SealingReader(stream, sealer)
        ref = put(key, reader, content_type=content_type, metadata=meta)
        if ref is None:
            return None
        sent = reader.sha256.hexdigest()
        if (sent, reader.size) != (digest.hexdigest(), size):
            self.inner.discard(ref)  # never leave bytes under an address they do not match
            raise ObjectStoreError(f"put {key}: bytes changed while uploading "
                                   f"(expected sha256 {digest.hexdigest()}, sent {sent})")
        return self._plain_ref(ref, (sent, size))

    @staticmethod
    def _plain_ref(ref: ObjectRef, plain: tuple[str, int]) -> ObjectRef:
        return ObjectRef(ref.bucket, ref.key, ref.version_id, plain[0], plain[1], ref.content_type)


class _SealingReader(io.RawIOBase):
    """Reads plaintext from ``source`` and hands out its envelope; hashes what it read.
    Not seekable, so the wrapped store uploads it in parts of unknown total length."""

    def __init__(self, source: BinaryIO, sealer: StreamSealer) -> None:
        self._source, self._sealer = source, sealer
        self._buffer = bytearray(sealer.header)
        self._done = False
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        while not self._done and (n is None or n < 0 or len(self._buffer) < n):
            chunk = self._source.read(_CHUNK)
            if chunk:
                self.sha256.update(chunk)
                self.size += len(chunk)
                self._buffer += self._sealer.update(chunk)
            else:
                self._buffer += self._sealer.finalize()
                self._done = True
        take = len(self._buffer) if n is None or n < 0 else min(n, len(self._buffer))
        out = bytes(self._buffer[:take])
        del self._buffer[:take]
        return out


def _stream_length(data) -> int:
    """Bytes left in a seekable stream; 0 for bytes and for streams that cannot seek
    (those are sealed in memory)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return 0
    try:
        pos = data.tell()
        end = data.seek(0, io.SEEK_END)
        data.seek(pos)
        return end - pos
    except (OSError, AttributeError, ValueError):
        return 0
