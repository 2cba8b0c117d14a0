"""SealedObjectStore against the local S3 server: what lands on the server is an envelope
naming its KEK, what comes back is the document, and the contract holds for the plaintext."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest

from connectors.objectstore import ObjectRef, ObjectStore, open_store
from connectors.objectstore.s3 import S3ObjectStore
from connectors.objectstore.sealed import SealedObjectStore
from inkstream.crypto import LocalKeyRing, is_sealed
from inkstream.crypto.envelope import kek_id_of
from inkstream.errors import ObjectStoreError

pytestmark = pytest.mark.stack


@pytest.fixture
def keyed(settings, tmp_path):
    """Settings whose key ring is this test's own (never the shared dev key ring)."""
    crypto = settings.crypto.model_copy(update={"keyring_file": tmp_path / "keys" / "keyring.json",
                                                "encrypt_objects": True})
    return settings.model_copy(update={"crypto": crypto})


@pytest.fixture
def store(keyed):
    s = open_store(keyed)
    yield s
    for key in _made.pop(id(s), ()):  # every version the test stored
        for version in s.inner.versions(key):
            s.inner._client.remove_object(s.bucket, key, version_id=version)


_made: dict[int, set[str]] = {}


@pytest.fixture
def key(store) -> str:
    k = f"tests/sealed/{uuid.uuid4().hex}"
    _made.setdefault(id(store), set()).add(k)
    return k


def raw_bytes(store, key: str, version_id: str | None = None) -> bytes:
    response = store.inner._client.get_object(store.bucket, key, version_id=version_id)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def test_open_store_seals_when_configured_and_keeps_the_contract(keyed):
    store = open_store(keyed)
    assert isinstance(store, SealedObjectStore) and isinstance(store, ObjectStore)
    off = keyed.model_copy(update={"crypto": keyed.crypto.model_copy(update={"encrypt_objects": False})})
    assert isinstance(open_store(off, ensure_bucket=False), S3ObjectStore)


def test_the_server_holds_an_envelope_naming_its_kek_and_get_returns_the_document(store, key, keyed):
    data = b"%PDF-1.7 Master Services Agreement MSA-2026-04000 EUR 48,750.00 " * 50
    sha = hashlib.sha256(data).hexdigest()
    ref = store.put(key, io.BytesIO(data), content_type="application/pdf", metadata={"sha256": sha, "doc-id": "d1"})
    current = LocalKeyRing(keyed.crypto.keyring_path(keyed.data_dir)).current

    stored = raw_bytes(store, key, ref.version_id)
    assert b"MSA-2026-04000" not in stored and b"Master Services" not in stored
    assert is_sealed(stored) and kek_id_of(stored) == current
    meta = store.inner._client.stat_object(store.bucket, key).metadata
    assert meta["x-amz-meta-kek-id"] == current
    assert meta["x-amz-meta-sha256"] == hashlib.sha256(stored).hexdigest()  # the bytes on the server

    assert (ref.sha256, ref.size_bytes) == (sha, len(data))  # the ref describes the document
    assert store.get(ref) == data
    found, user = store.stat(key)
    assert (found.sha256, found.size_bytes, found.version_id) == (sha, len(data), ref.version_id)
    assert user["sha256"] == sha and user["doc-id"] == "d1" and user["kek-id"] == current
    assert store.exists(key) == ref and store.versions(key) == [ref.version_id]


def test_after_rotation_new_objects_name_the_new_kek_and_old_ones_still_open(store, keyed):
    ring = LocalKeyRing(keyed.crypto.keyring_path(keyed.data_dir))
    first_key, second_key = f"tests/sealed/{uuid.uuid4().hex}", f"tests/sealed/{uuid.uuid4().hex}"
    _made.setdefault(id(store), set()).update({first_key, second_key})
    before = store.put(first_key, b"%PDF before rotation", content_type="application/pdf")
    old_kek = ring.current
    new_kek = ring.rotate()  # another process (the CLI) rotates; this store sees it
    after = store.put(second_key, b"%PDF after rotation", content_type="application/pdf")

    assert kek_id_of(raw_bytes(store, first_key)) == old_kek != new_kek == kek_id_of(raw_bytes(store, second_key))
    assert store.metadata(first_key)["kek-id"] == old_kek and store.metadata(second_key)["kek-id"] == new_kek
    fresh = open_store(keyed, ensure_bucket=False)  # a process started after the rotation
    assert fresh.get(before) == b"%PDF before rotation" and fresh.get(after) == b"%PDF after rotation"


def test_a_blob_copied_under_another_key_does_not_open(store, key):
    from minio.commonconfig import CopySource

    ref = store.put(key, b"%PDF signed contract", content_type="application/pdf")
    moved = f"{key}-copy"
    _made[id(store)].add(moved)
    copy = store.inner._client.copy_object(store.bucket, moved, CopySource(store.bucket, key))
    with pytest.raises(ObjectStoreError, match="cannot decrypt"):
        store.get(ObjectRef(store.bucket, moved, copy.version_id, ref.sha256, ref.size_bytes, ref.content_type))


def test_another_key_ring_cannot_read_it(store, key, settings, tmp_path):
    ref = store.put(key, b"%PDF confidential", content_type="application/pdf")
    other = settings.model_copy(update={"crypto": settings.crypto.model_copy(
        update={"keyring_file": tmp_path / "other" / "keyring.json", "encrypt_objects": True})})
    with pytest.raises(ObjectStoreError, match="cannot decrypt"):
        open_store(other, ensure_bucket=False).get(ref)


def test_an_object_stored_before_encryption_still_reads(store, key):
    data = b"%PDF stored in the clear by an older release"
    plain = store.inner.put(key, data, content_type="application/pdf",
                            metadata={"sha256": hashlib.sha256(data).hexdigest(), "doc-id": "old"})
    assert store.get(plain) == data
    found, meta = store.stat(key)
    assert found.sha256 == hashlib.sha256(data).hexdigest() and found.size_bytes == len(data)
    assert meta["doc-id"] == "old" and "kek-id" not in meta


def test_put_if_absent_stores_once_and_refuses_bytes_that_do_not_match_their_address(store, key):
    data = b"%PDF original"
    sha = hashlib.sha256(data).hexdigest()
    first = store.put_if_absent(key, data, content_type="application/pdf", metadata={"sha256": sha, "doc-id": "d1"})
    assert first is not None and first.sha256 == sha and store.get(first) == data
    assert store.put_if_absent(key, data, content_type="application/pdf", metadata={"sha256": sha, "doc-id": "d2"}) is None
    assert store.metadata(key)["doc-id"] == "d1" and store.versions(key) == [first.version_id]

    other = f"{key}-other"
    _made[id(store)].add(other)
    with pytest.raises(ObjectStoreError, match="bytes changed"):
        store.put_if_absent(other, b"%PDF tampered", content_type="application/pdf", metadata={"sha256": sha})
    assert store.exists(other) is None
    store.discard(first)
    assert store.exists(key) is None


def test_a_large_stream_is_sealed_in_parts_and_reads_back(store, key, tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-" + b"\x00scan" * (1024 * 1024 + 3) + b"MSA-2026-04000")  # above the single-PUT size
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with path.open("rb") as fh:
        ref = store.put_if_absent(key, fh, content_type="application/pdf", metadata={"sha256": sha})
    with path.open("rb") as fh:
        assert store.put_if_absent(key, fh, content_type="application/pdf", metadata={"sha256": sha}) is None
    assert ref.size_bytes == path.stat().st_size and ref.sha256 == sha
    stored = raw_bytes(store, key)
    assert is_sealed(stored) and b"MSA-2026-04000" not in stored and len(stored) > ref.size_bytes
    assert store.get(ref) == path.read_bytes() and store.stat(key)[0] == ref
    meta = store.inner._client.stat_object(store.bucket, key).metadata
    assert meta["x-amz-meta-kek-id"] == kek_id_of(stored) and "x-amz-meta-sha256" not in meta
    with path.open("rb") as fh:  # put (a new version) takes the same path
        again = store.put(key, fh, content_type="application/pdf")
    assert again.version_id != ref.version_id and store.get(again) == path.read_bytes()


class _RewrittenWhileUploading(io.BytesIO):
    """A file someone rewrites once it has been read to the end (the hashing pass)."""

    changed = False

    def read(self, n=-1):
        chunk = super().read(n)
        if not chunk and not self.changed:
            self.changed = True
            view = self.getbuffer()
            view[len(view) // 2] ^= 0xFF
            view.release()
        return chunk


def test_a_large_file_that_changes_during_the_upload_is_not_left_stored(store, key):
    body = b"%PDF-" + b"scan" * (2 * 1024 * 1024)
    with pytest.raises(ObjectStoreError, match="bytes changed while uploading"):
        store.put_if_absent(key, _RewrittenWhileUploading(body), content_type="application/pdf",
                            metadata={"sha256": hashlib.sha256(body).hexdigest()})
    assert store.exists(key) is None and store.versions(key) == []


def test_the_audit_verify_checks_files_through_the_sealed_store(store, key):
    from streams.audit.verify import _check_file, _FileClaim

    ref = store.put(key, b"%PDF audited", content_type="application/pdf")
    assert _check_file(store, _FileClaim("d1", 1, "original", ref)) == []
    store.put(key, b"%PDF swapped", content_type="application/pdf")  # a new version over it
    [problem] = _check_file(store, _FileClaim("d1", 1, "original", ref))
    assert problem.kind == "file_changed" and problem.found == hashlib.sha256(b"%PDF swapped").hexdigest()


def test_the_dev_s3_server_ignores_server_side_encryption_headers(settings):
    """Why inkstream seals objects itself: versitygw (posix) answers SSE-S3 and SSE-C
    uploads with 200 and writes the plaintext to disk. If this starts failing, the server
    gained server-side encryption: revisit SECURITY.md ("At-rest encryption")."""
    from minio.sse import SseCustomerKey, SseS3

    from ops.stack.layout import Layout

    objects = Layout.of(settings).data / "s3" / "objects" / settings.s3.bucket
    if not objects.is_dir():
        pytest.skip("not the local versitygw of `inkstream up`")
    raw = S3ObjectStore.from_settings(settings)
    marker = f"SSE probe plaintext {uuid.uuid4().hex}".encode()
    for sse in (SseS3(), SseCustomerKey(b"k" * 32)):
        key = f"tests/sealed/sse-{uuid.uuid4().hex}"
        result = raw._client.put_object(raw.bucket, key, io.BytesIO(marker), len(marker), sse=sse)
        try:
            assert (objects / key).read_bytes() == marker  # stored in the clear
            response = raw._client.get_object(raw.bucket, key)  # no SSE-C key given
            assert response.read() == marker
            assert "x-amz-server-side-encryption" not in {h.lower() for h in response.headers}
            response.close()
            response.release_conn()
        finally:
            raw._client.remove_object(raw.bucket, key, version_id=result.version_id)
