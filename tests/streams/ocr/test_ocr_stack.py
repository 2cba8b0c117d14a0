"""On the real stack: originals in the S3 server, documents.ingested[.priority] on Kafka,
the ocr processor under the runtime's worker (exactly-once) -> ocr.results, DLQ, status."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid

import pytest

from streams.ocr.testpages import contract_lines, mixed_pdf, render_pdf_page, text_pdf
from schemas.records import envelope
from session_codec import session_codec

pytestmark = pytest.mark.stack

DPI = 150
TOPICS = ["documents.ingested", "documents.ingested.priority", "ocr.results", "documents.status",
          "documents.ingested.dlq", "documents.ingested.priority.dlq"]


@pytest.fixture
def stack_settings(settings, ocr_settings, kafka_topics):
    s = settings.model_copy(update={"ocr": ocr_settings})
    kafka_topics(s, TOPICS)
    return s


def _record(ref: dict, priority: str) -> dict:
    return {**envelope(f"doc-{uuid.uuid4().hex[:8]}", producer="capture.test"), "source": "folder",
            "source_ref": "scans", "filename": "contract.pdf", "original": ref, "duplicate_of": None,
            "priority": priority, "crm_ref": None, "email": None, "metadata": {}}


def _read(settings, topic, expect, timeout):
    from confluent_kafka import Consumer

    from session_codec import decode

    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"r-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False, **settings.kafka.client})
    consumer.subscribe([settings.topics.name(topic)])
    out, deadline = [], time.monotonic() + timeout
    try:
        while len(out) < expect and time.monotonic() < deadline:
            out += [(m.value(), decode(m.value()) if not topic.endswith("dlq") else None)
                    for m in consumer.consume(100, 0.5) if m.error() is None]
    finally:
        consumer.close()
    return out


def test_documents_on_both_lanes_come_out_as_ocr_results_and_a_tampered_one_in_the_dlq(stack_settings, reader):
    from confluent_kafka import Producer

    from connectors.objectstore import open_store
    from session_codec import decode, encode
    from streams.ocr.processor import factory
    from streams.runtime.loop import Worker

    s = stack_settings
    store = open_store(s)
    # Unique per run; digits only: a random hex code mixes 0/O-like glyphs the tiny default
    # model may swap (seen once in CI: "B0DC08" read "BODC08"), which is not what this test checks.
    nonce = f"{uuid.uuid4().int % 10**6:06d}"
    scan = render_pdf_page(text_pdf([contract_lines(0)[:6] + [f"Reference {nonce}"]]), 0, DPI)
    scanned, typed = mixed_pdf([scan], DPI), text_pdf([[f"Typed invoice INV-{nonce}, total due EUR 11,516.82"]])
    refs = []
    for data in (scanned, typed):
        digest = hashlib.sha256(data).hexdigest()
        refs.append(store.put(f"originals/{digest[:2]}/{digest}", data, content_type="application/pdf").to_record())
    high, bulk = _record(refs[0], "high"), _record(refs[1], "normal")
    tampered = _record({**refs[1], "sha256": "0" * 64}, "normal")
    producer = Producer({"bootstrap.servers": s.kafka.bootstrap, **s.kafka.client})
    for topic, rec in (("documents.ingested", bulk), ("documents.ingested", tampered),
                       ("documents.ingested.priority", high)):
        producer.produce(s.topics.name(topic), encode(topic, rec), rec["doc_id"].encode())
    assert producer.flush(30) == 0

    worker = Worker(factory(s, reader=reader), s, codec=session_codec())
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        results = {r["doc_id"]: r for _, r in _read(s, "ocr.results", 2, timeout=240)}
        dead = _read(s, "documents.ingested.dlq", 1, timeout=30)
    finally:
        worker.stop()
        thread.join(60)

    assert set(results) == {high["doc_id"], bulk["doc_id"]}
    text = "\n".join(ln["text"] for ln in results[high["doc_id"]]["pages"][0]["lines"])
    assert "MSA-2026-04000" in text and f"Reference {nonce}" in text
    assert results[high["doc_id"]]["priority"] == "high"
    typed_page = results[bulk["doc_id"]]["pages"][0]
    assert typed_page["text_source"] == "text_layer"
    assert typed_page["lines"][0]["text"] == f"Typed invoice INV-{nonce}, total due EUR 11,516.82"
    [(raw, _)] = dead
    letter = decode(raw)
    assert letter["error_type"] == "OcrError" and "SHA-256" in letter["error"]
    assert decode(letter["value"])["doc_id"] == tampered["doc_id"]
    statuses = {r["doc_id"]: r["status"] for _, r in _read(s, "documents.status", 3, timeout=30)}
    assert statuses == {high["doc_id"]: "done", bulk["doc_id"]: "done", tampered["doc_id"]: "failed"}
