"""ingest: one function turns any captured document into a stored original and one record."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from connectors.capture import CapturedDocument, EmailOrigin
from connectors.capture.ingest import IngestMetrics, ingest, original_key
from connectors.capture.testing import make_pdf
from inkstream.errors import CaptureError, ConnectorError
from inkstream.settings import load_settings


@pytest.fixture
def settings():
    s = load_settings()
    return s.model_copy(update={"topics": s.topics.model_copy(update={"prefix": "unit."})})


def test_a_new_document_is_stored_content_addressed_and_announced_once(memstore, sink, settings):
    data = make_pdf("Contract ACME-7")
    sha = hashlib.sha256(data).hexdigest()
    doc = CapturedDocument(source="http", filename="acme.pdf", data=data, crm_ref="006XYZ",
                           metadata={"batch": "7"}, source_ref="key:ab12")
    result = ingest(doc, store=memstore, producer=sink, codec=sink.codec, settings=settings)

    assert (result.sha256, result.duplicate, result.duplicate_of) == (sha, False, None)
    assert list(memstore.versions) == [f"originals/{sha[:2]}/{sha}"] == [original_key(sha)]
    assert memstore.versions[original_key(sha)][0][1]["doc-id"] == result.doc_id
    [record] = sink.decoded("documents.ingested")
    assert record["doc_id"] == result.doc_id
    assert record["original"]["sha256"] == sha and record["original"]["size_bytes"] == len(data)
    assert record["original"]["content_type"] == "application/pdf"
    assert (record["source"], record["crm_ref"], record["metadata"], record["source_ref"]) == \
        ("http", "006XYZ", {"batch": "7"}, "key:ab12")
    assert [(t, k) for t, k, _ in sink.records] == [
        ("unit.documents.ingested", result.doc_id), ("unit.documents.status", result.doc_id)]
    [status] = sink.decoded("documents.status")
    assert (status["stage"], status["status"], status["trace"]) == ("ingested", "stored", record["trace"])


def test_the_same_bytes_twice_are_a_duplicate_pointing_at_the_first_document(memstore, sink, settings):
    data = make_pdf("Same")
    first = ingest(CapturedDocument(source="cli", filename="a.pdf", data=data),
                   store=memstore, producer=sink, codec=sink.codec, settings=settings)
    second = ingest(CapturedDocument(source="email", filename="b.pdf", data=data),
                    store=memstore, producer=sink, codec=sink.codec, settings=settings)
    third = ingest(CapturedDocument(source="folder", filename="c.pdf", data=data),
                   store=memstore, producer=sink, codec=sink.codec, settings=settings)

    assert len(memstore.versions[original_key(first.sha256)]) == 1  # no second copy
    assert second.duplicate and second.duplicate_of == first.doc_id and second.doc_id != first.doc_id
    assert third.duplicate_of == first.doc_id  # always the first, never a chain
    records = sink.decoded("documents.ingested")
    assert [r["duplicate_of"] for r in records] == [None, first.doc_id, first.doc_id]
    assert records[1]["original"] == records[0]["original"]
    assert [s["status"] for s in sink.decoded("documents.status")] == ["stored", "duplicate", "duplicate"]


def test_high_priority_documents_travel_their_own_lane(memstore, sink, settings):
    doc = CapturedDocument(source="http", filename="urgent.pdf", data=make_pdf("Urgent"), priority="high")
    result = ingest(doc, store=memstore, producer=sink, codec=sink.codec, settings=settings)
    assert result.topic == "unit.documents.ingested.priority"
    assert sink.records[0][0] == "unit.documents.ingested.priority"
    assert sink.decoded("documents.ingested.priority")[0]["priority"] == "high"


def test_an_emailed_document_keeps_sender_subject_and_message_id(memstore, sink, settings):
    origin = EmailOrigin(sender="mfp@acme.test", subject="Scan 12", message_id="<m1@acme.test>")
    ingest(CapturedDocument(source="email", filename="scan.pdf", data=make_pdf("Mail"), email=origin),
           store=memstore, producer=sink, codec=sink.codec, settings=settings)
    assert sink.decoded("documents.ingested")[0]["email"] == origin.to_record()


def test_a_file_on_disk_is_hashed_and_stored_from_the_file(tmp_path: Path, memstore, sink, settings):
    path = tmp_path / "big.pdf"
    path.write_bytes(make_pdf("Disk", pages=20))
    result = ingest(CapturedDocument(source="cli", filename=path.name, path=path),
                    store=memstore, producer=sink, codec=sink.codec, settings=settings)
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert memstore.versions[original_key(result.sha256)][0][0] == path.read_bytes()


def test_a_refused_file_stores_nothing_produces_nothing_and_is_counted(memstore, sink, settings):
    registry = CollectorRegistry()
    metrics = IngestMetrics.create(registry)
    with pytest.raises(CaptureError) as err:
        ingest(CapturedDocument(source="http", filename="x.pdf", data=b"not a pdf at all"),
               store=memstore, producer=sink, codec=sink.codec, settings=settings, metrics=metrics)
    assert err.value.reason == "type_mismatch"
    assert memstore.versions == {} and sink.records == []
    assert registry.get_sample_value("inkstream_ingest_documents_total",
                                     {"source": "http", "outcome": "refused"}) == 1
    assert registry.get_sample_value("inkstream_ingest_refused_total",
                                     {"source": "http", "reason": "type_mismatch"}) == 1


def test_metrics_count_ingested_duplicates_and_bytes_by_source(memstore, sink, settings):
    registry = CollectorRegistry()
    metrics = IngestMetrics.create(registry)
    data = make_pdf("Metrics")
    for _ in range(2):
        ingest(CapturedDocument(source="cli", filename="m.pdf", data=data),
               store=memstore, producer=sink, codec=sink.codec, settings=settings, metrics=metrics)
    get = registry.get_sample_value
    assert get("inkstream_ingest_documents_total", {"source": "cli", "outcome": "ingested"}) == 1
    assert get("inkstream_ingest_documents_total", {"source": "cli", "outcome": "duplicate"}) == 1
    assert get("inkstream_ingest_bytes_total", {"source": "cli"}) == 2 * len(data)
    assert get("inkstream_ingest_seconds_count", {"source": "cli"}) == 2


def test_a_kafka_delivery_failure_is_raised_and_the_stored_object_undone(memstore, sink, settings):
    class FailingSink:
        def send(self, topic, key, value):
            fut: Future = Future()
            fut.set_exception(RuntimeError("broker gone"))
            return fut

    data = make_pdf("F")
    with pytest.raises(ConnectorError, match="broker gone"):
        ingest(CapturedDocument(source="cli", filename="f.pdf", data=data),
               store=memstore, producer=FailingSink(), settings=settings, codec=sink.codec)
    # The object it had stored is removed again, so the sender's retry is not a
    # "duplicate" of a document that no record announced.
    assert memstore.versions == {}
    retry = ingest(CapturedDocument(source="cli", filename="f.pdf", data=data),
                   store=memstore, producer=sink, codec=sink.codec, settings=settings)
    assert retry.duplicate is False and sink.decoded("documents.ingested")[0]["duplicate_of"] is None


def test_an_unknown_priority_is_refused_before_anything_happens():
    with pytest.raises(CaptureError) as err:
        CapturedDocument(source="http", filename="a.pdf", data=b"%PDF-", priority="urgent!!")
    assert err.value.reason == "invalid_priority"


def test_path_components_in_a_file_name_are_dropped():
    doc = CapturedDocument(source="http", filename="..\\..\\windows\\evil\x00.pdf", data=b"x")
    assert doc.filename == "evil.pdf"
