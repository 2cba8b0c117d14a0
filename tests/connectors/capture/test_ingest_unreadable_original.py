"""A document whose original is already stored but does not open here is ingested anew.

Originals are content-addressed (``originals/<sha>``) and sealed under the key ring's KEK.
When the bucket holds the bytes sealed under a KEK this deployment no longer has (key ring
lost and re-made, a new deployment on an old bucket, a KEK retired after a compromise), the
dedup must not announce a "duplicate" pointing at bytes no processor can open: the document
is stored again as a new version (the old one kept), announced as a new document, and the
status record and a metric say why. No stack: the sealed store over the in-memory one."""

from __future__ import annotations

import hashlib

import pytest
from prometheus_client import CollectorRegistry

from connectors.capture import CapturedDocument
from connectors.capture.ingest import IngestMetrics, ingest, original_key
from connectors.capture.testing import make_pdf
from connectors.objectstore.sealed import KEK_ID, SealedObjectStore
from inkstream.crypto import LocalKeyRing, is_sealed
from inkstream.errors import ObjectStoreError, ObjectUnreadable
from inkstream.settings import load_settings


@pytest.fixture
def settings():
    s = load_settings()
    return s.model_copy(update={"topics": s.topics.model_copy(update={"prefix": "unit."})})


def _ingest(store, sink, settings, data, source="http", metrics=None):
    return ingest(CapturedDocument(source=source, filename="scan.pdf", data=data), store=store, producer=sink,
                  codec=sink.codec, settings=settings, metrics=metrics)


def test_a_document_resent_after_the_key_ring_was_replaced_is_stored_again_and_opens(memstore, sink, settings,
                                                                                      tmp_path):
    data = make_pdf("Invoice INV-77 sealed under a lost key ring")
    sha = hashlib.sha256(data).hexdigest()
    before = SealedObjectStore(memstore, LocalKeyRing(tmp_path / "old" / "keyring.json"))
    first = _ingest(before, sink, settings, data)
    # The key ring is lost and made anew (or another deployment shares the bucket).
    after = SealedObjectStore(memstore, LocalKeyRing(tmp_path / "new" / "keyring.json"))
    with pytest.raises(ObjectUnreadable):
        after.get(first.original)
    registry = CollectorRegistry()
    again = _ingest(after, sink, settings, data, metrics=IngestMetrics.create(registry))

    # A new document, not a duplicate of one nobody here can read; its original opens.
    assert (again.duplicate, again.duplicate_of, again.stored_again) == (False, None, "key_unavailable")
    assert again.original.version_id != first.original.version_id
    assert after.get(again.original) == data and again.original.sha256 == sha
    # Nothing lost: the old version is still there, as stored, for a restored key ring.
    old_body, old_meta, _ = memstore.versions[original_key(sha)][0]
    new_body, new_meta, _ = memstore.versions[original_key(sha)][1]
    assert len(memstore.versions[original_key(sha)]) == 2 and is_sealed(old_body) and is_sealed(new_body)
    assert before.get(first.original) == data
    assert old_meta["doc-id"] == first.doc_id and new_meta["doc-id"] == again.doc_id
    assert new_meta[KEK_ID] != old_meta[KEK_ID]
    assert (new_meta["replaces-version"], new_meta["stored-again"]) == (first.original.version_id, "key_unavailable")
    # The record points at the readable version; the status (audited) says why.
    record = sink.decoded("documents.ingested")[-1]
    assert (record["doc_id"], record["duplicate_of"]) == (again.doc_id, None)
    assert record["original"]["version_id"] == again.original.version_id
    status = sink.decoded("documents.status")[-1]
    assert (status["status"], status["detail"]) == (
        "stored", f"stored again: the original at its address (version {first.original.version_id}) does not "
                  "open with this deployment's keys (its key-encryption key is not in the key store, or the "
                  "envelope was altered)")
    assert registry.get_sample_value("inkstream_ingest_originals_stored_again_total",
                                     {"source": "http", "reason": "key_unavailable"}) == 1
    assert registry.get_sample_value("inkstream_ingest_documents_total",
                                     {"source": "http", "outcome": "ingested"}) == 1

    # From now on the readable copy is the first one: later copies are its duplicates.
    third = _ingest(after, sink, settings, data, source="email")
    assert (third.duplicate, third.duplicate_of, third.stored_again) == (True, again.doc_id, None)
    assert third.original.version_id == again.original.version_id
    assert len(memstore.versions[original_key(sha)]) == 2


def test_a_readable_original_stays_a_duplicate_with_nothing_stored(memstore, sink, settings, tmp_path):
    store = SealedObjectStore(memstore, LocalKeyRing(tmp_path / "keyring.json"))
    data = make_pdf("Readable")
    first = _ingest(store, sink, settings, data)
    second = _ingest(store, sink, settings, data)
    assert (second.duplicate, second.duplicate_of, second.stored_again) == (True, first.doc_id, None)
    assert len(memstore.versions[original_key(first.sha256)]) == 1
    assert sink.decoded("documents.status")[-1]["detail"] == f"duplicate of {first.doc_id}"


def test_an_original_that_does_not_hash_to_its_address_is_stored_again(memstore, sink, settings):
    data = make_pdf("The real document")
    sha = hashlib.sha256(data).hexdigest()
    # Bytes under the document's address that are not the document (an unsealed object
    # written by hand or damaged on the server).
    memstore.put(original_key(sha), b"%PDF-1.4 something else", content_type="application/pdf",
                 metadata={"doc-id": "someone-else"})
    result = _ingest(memstore, sink, settings, data)
    assert (result.duplicate, result.duplicate_of, result.stored_again) == (False, None, "digest_mismatch")
    assert memstore.get(result.original) == data
    assert "does not hash to its address" in sink.decoded("documents.status")[-1]["detail"]


def test_a_failed_announcement_removes_only_the_new_version(memstore, sink, settings, tmp_path):
    from concurrent.futures import Future

    from connectors.capture.testing import ListSink
    from inkstream.errors import ConnectorError

    data = make_pdf("Kafka down on the second try")
    sha = hashlib.sha256(data).hexdigest()
    first = _ingest(SealedObjectStore(memstore, LocalKeyRing(tmp_path / "a.json")), sink, settings, data)

    class Refusing(ListSink):
        def send(self, topic, key, value):
            fut: Future = Future()
            fut.set_exception(RuntimeError("broker down"))
            return fut

    with pytest.raises(ConnectorError):
        _ingest(SealedObjectStore(memstore, LocalKeyRing(tmp_path / "b.json")), Refusing(sink.codec), settings, data)
    # The unreadable first version is untouched; the retry will store the document again.
    assert [m["doc-id"] for _, m, _ in memstore.versions[original_key(sha)]] == [first.doc_id]


def test_an_s3_failure_while_checking_is_raised_not_taken_for_an_unreadable_original(memstore, sink, settings,
                                                                                    monkeypatch):
    data = make_pdf("S3 hiccup")
    first = _ingest(memstore, sink, settings, data)

    def down(ref):
        raise ObjectStoreError("get: connection reset")

    monkeypatch.setattr(memstore, "get", down)
    with pytest.raises(ObjectStoreError, match="connection reset"):
        _ingest(memstore, sink, settings, data)
    assert len(memstore.versions[original_key(first.sha256)]) == 1  # nothing stored over a readable original


@pytest.fixture
def keyed(tmp_path):
    """A codec and sink with a key store of their own (a destroyed key stays in this test)."""
    from connectors.capture.testing import ListSink
    from inkstream.crypto import DocumentKeys
    from schemas.codec import Codec

    keys = DocumentKeys(tmp_path / "documents", LocalKeyRing(tmp_path / "ring.json"))
    return keys, ListSink(Codec(keys=keys, seal=True))


def test_a_copy_of_an_erased_document_whose_bytes_survived_is_a_new_ingestion(memstore, keyed, settings):
    from schemas.sealing import key_id

    keys, sink = keyed
    data = make_pdf("Contract of a subject who asked to be erased")
    first = _ingest(memstore, sink, settings, data)
    # The erasure destroyed the document's key, but its S3 step failed (or object lock kept
    # the version): the bytes are still at their address, naming the erased document.
    keys.destroy(key_id(first.doc_id))
    again = _ingest(memstore, sink, settings, data)

    assert (again.duplicate, again.duplicate_of, again.stored_again) == (False, None, "first_erased")
    assert memstore.get(again.original) == data and again.original.version_id != first.original.version_id
    assert [m["doc-id"] for _, m, _ in memstore.versions[original_key(first.sha256)]] == [first.doc_id, again.doc_id]
    record, status = _records_of(sink, again.doc_id)  # the erased document's records no longer open
    assert (record["doc_id"], record["duplicate_of"]) == (again.doc_id, None)
    detail = status["detail"]
    assert detail.endswith("belongs to an erased document (its key was destroyed): this is a new ingestion")
    assert first.doc_id not in detail  # the new document's trail does not lead back to the erased one
    # Later copies are duplicates of the new, living document.
    third = _ingest(memstore, sink, settings, data)
    assert (third.duplicate, third.duplicate_of) == (True, again.doc_id)


def test_a_copy_sent_after_a_complete_erasure_is_a_new_ingestion(memstore, keyed, settings):
    from schemas.sealing import key_id
    from streams.privacy.erase import delete_all_versions

    keys, sink = keyed
    data = make_pdf("Erased whole, then sent again")
    first = _ingest(memstore, sink, settings, data)
    keys.destroy(key_id(first.doc_id))


    class Bucket:  # what the erasure's S3 step calls on the raw store
        bucket = "mem"
        versions = staticmethod(memstore.versions_of)
        discard = staticmethod(memstore.discard)

    assert delete_all_versions(Bucket(), original_key(first.sha256)) == 1
    assert original_key(first.sha256) not in memstore.versions
    again = _ingest(memstore, sink, settings, data)
    assert (again.duplicate, again.duplicate_of, again.stored_again) == (False, None, None)
    record, status = _records_of(sink, again.doc_id)
    assert (record["duplicate_of"], status["status"], status["detail"]) == (None, "stored", None)
    assert memstore.get(again.original) == data


def _records_of(sink, doc_id):
    """The (documents.ingested, documents.status) records of ``doc_id``."""
    return [sink.codec.decode(v) for t, k, v in sink.records if k == doc_id]


def test_the_upload_api_answers_201_a_new_document_and_says_why(memstore, sink, tmp_path):
    """The phone page's path (``test_mobile_capture``): an upload whose bytes are already in
    the bucket under another key ring is accepted as a new document that opens."""
    from fastapi.testclient import TestClient

    from connectors.capture.apikeys_shared import open_key_store
    from connectors.capture.http import create_app

    settings = load_settings(data_dir=tmp_path)
    settings = settings.model_copy(update={"topics": settings.topics.model_copy(update={"prefix": "unit."})})
    data = make_pdf("Photographed twice, by two test runs")
    SealedObjectStore(memstore, LocalKeyRing(tmp_path / "other-run.json")).put(
        original_key(hashlib.sha256(data).hexdigest()), data, content_type="application/pdf")
    store = SealedObjectStore(memstore, LocalKeyRing(tmp_path / "keyring.json"))
    keys = open_key_store(settings)
    app = create_app(settings, store=store, producer=sink, codec=sink.codec, keys=keys, status=None,
                     registry=CollectorRegistry())
    with TestClient(app) as client:
        resp = client.post("/v1/documents", headers={"X-API-Key": keys.create("phones")[1]},
                           files={"file": ("photo.pdf", data, "application/pdf")})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["duplicate"], body["duplicate_of"], body["stored_again"]) == (False, None, "key_unavailable")
    ref = store.exists(original_key(body["sha256"]))
    assert ref is not None and store.get(ref) == data
