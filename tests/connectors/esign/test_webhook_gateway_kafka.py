"""The gateway on the real broker: one transaction per event (esign.events + esign.envelopes),
state materialised from the compacted topic after a restart, refusals audited."""

from __future__ import annotations

import uuid

import pytest
from esign_gateway_harness import KEYS, NOW, gateway_settings
from fastapi.testclient import TestClient

from connectors.esign.gateway import create_app
from connectors.esign.publisher import KafkaPublisher
from connectors.esign.simulate import build_request
from connectors.esign.state import EnvelopeBook, KafkaEnvelopeReader, initial_state
from session_codec import decode
from session_codec import session_codec
from topic_admin import watermarks  # tests/topic_admin.py

pytestmark = pytest.mark.stack


def _read_all(settings, topic: str) -> list[tuple[str | None, dict]]:
    from confluent_kafka import Consumer, TopicPartition

    name = settings.topics.name(topic)
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                         "isolation.level": "read_committed", "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(name, timeout=10).topics[name].partitions
        tps = [TopicPartition(name, p, 0) for p in partitions]
        consumer.assign(tps)
        ends = {tp.partition: watermarks(consumer, tp)[1] for tp in tps}
        out, idle = [], 0
        while idle < 10 and any(consumer.position([TopicPartition(name, p)])[0].offset < end
                                for p, end in ends.items() if end > 0):
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                idle += 1
                continue
            out.append((msg.key().decode() if msg.key() else None, decode(msg.value())))
        return out
    finally:
        consumer.close()


@pytest.fixture
def kafka_settings(settings):
    from ops.stack.topics import ensure_topics

    settings = gateway_settings(settings)
    ensure_topics(settings)
    return settings


def _gateway(settings):
    book = EnvelopeBook()
    reader = KafkaEnvelopeReader(settings, book, codec=session_codec())
    reader.catch_up()
    publisher = KafkaPublisher(settings, codec=session_codec(), transactional_id=f"test-webhooks-{uuid.uuid4().hex}")
    app = create_app(settings, publisher=publisher, book=book, refresh=reader.catch_up, clock=lambda: NOW)
    return TestClient(app), book, reader, publisher


def _post(client, req):
    return client.request(req.method, req.path, headers=req.headers, content=req.content)


def test_events_survive_a_restart_and_a_replay_is_still_ignored(kafka_settings):
    client, book, reader, publisher = _gateway(kafka_settings)
    sent = build_request("docusign", "sent", envelope_id="env-k1", doc_id="doc-k1", key=KEYS["docusign"], at=NOW - 5)
    done = build_request("docusign", "completed", envelope_id="env-k1", doc_id="doc-k1", key=KEYS["docusign"], at=NOW)
    assert _post(client, sent).status_code == 200 and _post(client, done).status_code == 200
    publisher.close(), reader.close()

    client2, book2, reader2, publisher2 = _gateway(kafka_settings)  # a new process
    assert book2.get("env-k1")["status"] == "completed"
    assert _post(client2, done).json() == {"status": "duplicate"}
    publisher2.close(), reader2.close()

    events = _read_all(kafka_settings, "esign.events")
    assert [(k, v["event_type"]) for k, v in events] == [("doc-k1", "sent"), ("doc-k1", "completed")]
    states = _read_all(kafka_settings, "esign.envelopes")
    assert {k for k, _ in states} == {"env-k1"} and states[-1][1]["status"] == "completed"


def test_an_envelope_created_after_start_is_found_by_catching_up(kafka_settings):
    client, book, reader, publisher = _gateway(kafka_settings)
    # The dispatcher (another process) records a new envelope after the gateway started.
    other = KafkaPublisher(kafka_settings, codec=session_codec(), transactional_id=f"test-dispatch-{uuid.uuid4().hex}")
    other.publish([("esign.envelopes", "env-k2", initial_state(doc_id="doc-k2", provider="acrobat_sign",
                                                               envelope_id="env-k2", trace="trace-k2"))])
    req = build_request("acrobat_sign", "signed", envelope_id="env-k2", doc_id=None, key=KEYS["acrobat_sign"], at=NOW)
    assert _post(client, req).status_code == 200
    [(key, event)] = _read_all(kafka_settings, "esign.events")
    assert key == "doc-k2" and event["trace"] == "trace-k2"
    other.close(), publisher.close(), reader.close()


def test_a_forged_webhook_is_audited_and_produces_no_event(kafka_settings):
    client, book, reader, publisher = _gateway(kafka_settings)
    forged = build_request("standard", "completed", envelope_id="env-k3", doc_id="doc-k3",
                           key="whsec_Zm9yZ2VkIGJ5IHNvbWVvbmUgZWxzZQ==", at=NOW)
    assert _post(client, forged).status_code == 401
    publisher.close(), reader.close()
    [(key, rejected)] = _read_all(kafka_settings, "webhooks.rejected")
    assert key == "standard" and rejected["reason"] == "bad_signature"
    assert _read_all(kafka_settings, "esign.events") == []
