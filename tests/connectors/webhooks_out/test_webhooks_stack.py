"""Outbound webhooks on the real broker: the fan-out and delivery processors run in the
real runtime (``Worker``), a receiver that fails once gets the job again from the topic
after its backoff, and every event arrives signed and verified by ``standardwebhooks``."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from connectors.webhooks_out import EVENT_TYPES
from streams.webhooks.deliver import factory as deliver_factory
from streams.webhooks.fanout import Owners
from streams.webhooks.fanout import factory as fanout_factory
from ops.stack.process import wait_until as process_wait
from connectors.webhooks_out.subscriptions import Subscriptions, subscriptions_path
from tests.connectors.webhooks_out.test_webhooks_out import Receiver, _pipeline
from schemas.codec import Codec

pytestmark = pytest.mark.stack

TOPICS = ["documents.ingested", "documents.ingested.priority", "ocr.results", "fields.validated", "esign.events", "documents.status",
          "webhooks.deliveries", "webhooks.log", "webhooks.deliveries.dlq"]


@pytest.fixture
def wstack(settings, kafka_topics, tmp_path):
    s = settings.model_copy(update={"data_dir": tmp_path / "data", "webhooks_out": settings.webhooks_out.model_copy(
        update={"allow_http": True, "allow_private": True, "backoff_s": 0.5, "max_attempts": 4})})
    kafka_topics(s, TOPICS)
    return s


def _produce(settings, records):
    from confluent_kafka import Producer

    from schemas.codec import Codec

    codec = Codec.from_settings(settings)
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    for topic, r in records:
        name = settings.topics.name(topic)
        producer.produce(name, codec.encode(name, r), r["doc_id"].encode())
    assert producer.flush(30) == 0


def _read(settings, topic, timeout=10.0):
    from confluent_kafka import Consumer

    from schemas.codec import Codec

    codec = Codec.from_settings(settings)
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"r-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False, **settings.kafka.client})
    consumer.subscribe([settings.topics.name(topic)])
    out, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            out += [codec.decode(m.value()) for m in consumer.consume(100, 0.5) if m.error() is None]
    finally:
        consumer.close()
    return out


def _workers(settings, procs):
    from streams.runtime.loop import Worker

    codec = Codec.from_settings(settings)  # one per process, as a worker builds it
    workers = [Worker(p, settings, codec=codec) for p in procs]
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
    for t in threads:
        t.start()
    return workers, threads


def test_a_subscriber_gets_every_event_signed_once_with_a_retry_through_the_topic(wstack):
    holder = {}
    receiver = Receiver(lambda: holder["secret"], fail_first=1)
    subs = Subscriptions(subscriptions_path(wstack))
    sub = subs.create("crm-a", receiver.url, list(EVENT_TYPES), all_documents=False)
    holder["secret"] = sub.secret
    doc = f"wh-{uuid.uuid4().hex[:8]}"
    workers, threads = _workers(wstack, [fanout_factory(wstack), deliver_factory(wstack, codec=Codec.from_settings(wstack))])
    try:
        mine, other = _pipeline(doc, "crm-a"), _pipeline(f"{doc}-other", "crm-b")
        # As in the pipeline, a document's ingested record comes before its later events
        # (the fan-out learns the owner from it; see streams/webhooks/fanout.py).
        _produce(wstack, mine[:1] + other[:1])
        owners = Owners(subscriptions_path(wstack).with_name("owners.sqlite"))
        assert process_wait(lambda: owners.get(doc) == "crm-a", 60)
        _produce(wstack, mine[1:] + other[1:])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(receiver.verified) < len(EVENT_TYPES):
            time.sleep(0.5)
    finally:
        for w in workers:
            w.stop()
        for t in threads:
            t.join(30)
        receiver.close()
    log = [(r["event_type"], r["attempt"], r["outcome"]) for r in _read(wstack, "webhooks.log")]
    assert receiver.refused == []
    retried = [e for e, attempt, outcome in log if outcome == "retry"]
    assert len(retried) == 1 and (retried[0], 2, "delivered") in log   # the 503, then again from the topic
    assert sorted(v["type"] for v in receiver.verified) == sorted(EVENT_TYPES)
    assert {v["data"]["doc_id"] for v in receiver.verified} == {doc}
    assert len({v["id"] for v in receiver.verified}) == len(EVENT_TYPES)   # each once, the retried one too
