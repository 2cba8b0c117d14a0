"""On the real broker: ocr.results -> extract (transactional) -> fields.validated + documents.status,
a poison record to ocr.results.dlq, and the A/B split visible on the topic."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from extract_records import CONTRACT_PROSE, ocr_result, page, rows
from session_codec import session_codec

pytestmark = pytest.mark.stack

TOPICS = ["ocr.results", "fields.validated", "documents.status", "ocr.results.dlq"]


@pytest.fixture
def stack_settings(settings, kafka_topics):
    s = settings.model_copy(update={"extraction": settings.extraction.model_copy(
        update={"candidate_version": "rules-2", "candidate_share": 0.5})})
    kafka_topics(s, TOPICS)
    return s


def _produce(settings, topic, values):
    from confluent_kafka import Producer

    from session_codec import encode

    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    for v in values:
        raw = v if isinstance(v, bytes) else encode(topic, v)
        producer.produce(settings.topics.name(topic), raw, b"poison" if isinstance(v, bytes) else v["doc_id"].encode())
    assert producer.flush(30) == 0


def _read(settings, topic, expect, timeout=60.0):
    from confluent_kafka import Consumer

    from session_codec import decode

    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"r-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False, **settings.kafka.client})
    consumer.subscribe([settings.topics.name(topic)])
    out, deadline = [], time.monotonic() + timeout
    try:
        while len(out) < expect and time.monotonic() < deadline:
            out += [decode(m.value()) for m in consumer.consume(100, 0.5) if m.error() is None]
    finally:
        consumer.close()
    return out


def test_ocr_results_become_validated_fields_on_the_broker(stack_settings):
    from streams.extract.processor import factory
    from streams.runtime.loop import Worker

    s = stack_settings
    records = [ocr_result([page(rows(CONTRACT_PROSE))], doc_id=f"doc-{uuid.uuid4().hex[:8]}") for _ in range(12)]
    _produce(s, "ocr.results", records[:6] + [b"not avro"] + records[6:])
    worker = Worker(factory(s, codec=session_codec()), s, codec=session_codec())
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        out = _read(s, "fields.validated", 12)
        dead = _read(s, "ocr.results.dlq", 1)
        statuses = _read(s, "documents.status", 12)
    finally:
        worker.stop()
        thread.join(30)
    assert sorted(o["doc_id"] for o in out) == sorted(r["doc_id"] for r in records)
    assert {o["status"] for o in out} == {"accepted"}
    assert {o["extractor_version"] for o in out} == {"rules-3", "rules-2"}
    assert all(o["trace"] == r["trace"] for o in out for r in records if r["doc_id"] == o["doc_id"])
    assert len(dead) == 1 and dead[0]["processor"] == "extract"
    assert {(st["stage"], st["status"]) for st in statuses if st["doc_id"] in {r["doc_id"] for r in records}} == {
        ("extracted", "done")}
