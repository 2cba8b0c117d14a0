"""On the real stack: fields.validated -> map (Kafka, exactly-once) -> crm.commands ->
crm sink (dry run, file bytes from the real S3 server) -> crm.dryrun + documents.status."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid

import pytest

from fakes.crm_records import validated_contract
from session_codec import session_codec

pytestmark = pytest.mark.stack

PDF = b"%PDF-1.7\n% inkstream stack test " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"
TOPICS = ["fields.validated", "crm.commands", "crm.dryrun", "documents.status",
          "fields.validated.dlq", "crm.commands.dlq"]


@pytest.fixture
def stack_settings(settings, kafka_topics):
    s = settings.model_copy(update={"crm": settings.crm.model_copy(update={"crm": "salesforce", "dry_run": True})})
    kafka_topics(s, TOPICS)
    return s


def _produce(settings, topic, records):
    from confluent_kafka import Producer
    from session_codec import encode
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    for r in records:
        producer.produce(settings.topics.name(topic), encode(topic, r), r["doc_id"].encode())
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


def _run_until(proc, settings, done):
    from streams.runtime.loop import Worker
    worker = Worker(proc, settings, codec=session_codec())
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        return done()
    finally:
        worker.stop()
        thread.join(30)


def test_approved_contract_flows_to_recorded_crm_requests(stack_settings):
    from connectors.objectstore import open_store
    from streams.crm.processor import factory as crm_factory
    from streams.mapper.processor import factory as map_factory

    s = stack_settings
    store = open_store(s)
    digest = hashlib.sha256(PDF).hexdigest()
    ref = store.put(f"originals/{digest[:2]}/{digest}", PDF, content_type="application/pdf")
    doc_id = f"doc-{uuid.uuid4().hex[:8]}"
    accepted = validated_contract(doc_id)
    accepted["original"] = ref.to_record()
    _produce(s, "fields.validated", [accepted, validated_contract(f"{doc_id}-r", status="review")])

    commands = _run_until(map_factory(s), s, lambda: _read(s, "crm.commands", 7))
    assert len(commands) == 7 and {c["doc_id"] for c in commands} == {doc_id}

    recorded = _run_until(crm_factory(s), s, lambda: _read(s, "crm.dryrun", 12))
    assert {r["operation"] for r in recorded} == {"upsert", "attach_file", "timeline_event"}
    upsert = next(r for r in recorded if r["method"] == "PATCH" and "/sobjects/Opportunity/" in r["url"])
    assert upsert["url"].endswith(f"/sobjects/Opportunity/Inkstream_Document_Id__c/{doc_id}")
    assert json.loads(upsert["body"])["Amount"] == 125000.5
    blob = next(r for r in recorded if r["url"].endswith("/sobjects/ContentVersion"))
    part = next(p for p in json.loads(blob["body"])["multipart"] if p["name"] == "VersionData")
    assert part["sha256"] == digest  # the bytes came from S3 and match the claim check
    assert all(r["headers"].get("authorization") == "[redacted]" for r in recorded)
    assert _read(s, "crm.commands.dlq", 0, timeout=1) == []
