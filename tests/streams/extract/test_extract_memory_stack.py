"""On the real broker: the second invoice of a new supplier, whose first needed review, is
accepted without review. ocr.results -> extract (memory-1) -> fields.validated; a
reviewer's approval on fields.validated -> extract-memory -> extract.memory (compacted)
-> every extract worker's memory."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from extract_records import ocr_result  # noqa: F401 (path set up like the other stack tests)
from test_extract_memory import invoice
from session_codec import session_codec

pytestmark = pytest.mark.stack

TOPICS = ["ocr.results", "fields.validated", "documents.status", "ocr.results.dlq", "fields.validated.dlq",
          "extract.memory"]


def _produce(settings, topic, value, key):
    from confluent_kafka import Producer

    from session_codec import encode

    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    producer.produce(settings.topics.name(topic), encode(topic, value), key.encode())
    assert producer.flush(30) == 0


def _read_until(settings, topic, done, timeout=60.0):
    from confluent_kafka import Consumer

    from session_codec import decode

    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"r-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False, **settings.kafka.client})
    consumer.subscribe([settings.topics.name(topic)])
    out, deadline = [], time.monotonic() + timeout
    try:
        while not done(out) and time.monotonic() < deadline:
            out += [decode(m.value()) for m in consumer.consume(100, 0.5) if m.error() is None]
    finally:
        consumer.close()
    return out


def test_the_second_invoice_of_a_new_supplier_is_accepted_without_review(settings, kafka_topics):
    from streams.extract.memory import learner
    from streams.extract.processor import factory
    from streams.review.decision import decide
    from streams.runtime.loop import Worker

    s = settings.model_copy(update={"extraction": settings.extraction.model_copy(update={"version": "memory-1"})})
    kafka_topics(s, TOPICS)
    workers = [Worker(factory(s, codec=session_codec()), s, codec=session_codec()), Worker(learner(s), s, codec=session_codec())]
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
    for t in threads:
        t.start()
    try:
        first = invoice("NW-2001", "03/04/2026", "110.00")
        _produce(s, "ocr.results", first, first["doc_id"])
        got = _read_until(s, "fields.validated", lambda out: any(o["doc_id"] == first["doc_id"] for o in out))
        record = next(o for o in got if o["doc_id"] == first["doc_id"])
        assert record["status"] == "review" and record["extractor_version"] == "memory-1"

        approved = decide(record, reviewer="ana", decision="approved", corrections={"invoice_date": "2026-04-03"})
        _produce(s, "fields.validated", approved, approved["doc_id"])
        learnt = _read_until(s, "extract.memory", lambda out: len(out) >= 1)
        assert learnt and learnt[0]["sender"] == record["sender"]
        time.sleep(2.0)  # the extract worker's follower polls every 0.5 s

        second = invoice("NW-2002", "05/06/2026", "220.00")
        _produce(s, "ocr.results", second, second["doc_id"])
        got = _read_until(s, "fields.validated", lambda out: any(o["doc_id"] == second["doc_id"] for o in out))
    finally:
        for w in workers:
            w.stop()
        for t in threads:
            t.join(30)
    out = next(o for o in got if o["doc_id"] == second["doc_id"])
    fields = {f["name"]: f for f in out["fields"]}
    assert out["status"] == "accepted", out["reason"]
    assert fields["invoice_date"]["normalized"] == "2026-06-05" and fields["invoice_date"]["source"] == "memory"
