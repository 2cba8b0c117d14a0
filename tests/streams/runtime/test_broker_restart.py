"""On a private broker that goes away mid-batch and comes back: a sink whose records
cannot be delivered within the bounded flush renews its producer (a new instance, a new
idempotence PID from the restarted broker), repeats the batch, and ends with every input
delivered and committed, the worker still running; an exactly-once processor whose
transaction is open across the restart still writes each output once. The shared dev
broker is never touched (one private broker for the module, each test its own topics)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition
from kafka_helpers import create_topics, ingested, produce, read_all
from private_kafka import PrivateBroker

from session_codec import decode, session_codec
from streams.runtime import Processor, loop
from streams.runtime.examples import OUTPUT_NAMESPACE, relay
from streams.runtime.loop import Worker, group_id

pytestmark = [pytest.mark.stack, pytest.mark.slow]
IN, OUT = "documents.ingested", "documents.ingested.priority"
RECORDS = 40


@pytest.fixture(scope="module")
def kafka(tmp_path_factory, base_settings):
    broker = PrivateBroker(base_settings, tmp_path_factory.mktemp("kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def broker(kafka, settings):
    """The test's settings (its own topic prefix) on the private broker."""
    return settings.model_copy(update={"kafka": kafka.settings.kafka})


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout}s")


def _committed(settings, proc: Processor) -> int:
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": group_id(settings, proc)})
    try:
        parts = [TopicPartition(settings.topics.name(IN), p) for p in range(2)]
        return sum(max(tp.offset, 0) for tp in consumer.committed(parts, timeout=10))
    except KafkaException:  # the coordinator is still loading after the restart: not yet
        return -1
    finally:
        consumer.close()


def test_a_sink_rides_out_a_broker_restart_mid_batch_by_renewing_its_producer(kafka, broker, monkeypatch):
    monkeypatch.setattr(loop, "_FLUSH_TIMEOUT_S", 3.0)
    create_topics(broker, {IN: 2, OUT: 2, f"{IN}.dlq": 1})
    records = ingested(RECORDS)
    produce(broker, IN, records)
    in_hand, broker_gone = threading.Event(), threading.Event()

    def gated(record, ctx):
        if not broker_gone.is_set():
            in_hand.set()
            broker_gone.wait(60)  # the broker stops while this batch is being handled
        yield from relay(record, ctx)

    proc = Processor(name="sink", inputs=(IN,), handle=gated, sink=True)
    worker = Worker(proc, broker, codec=session_codec())
    failure: list[BaseException] = []

    def run():
        try:
            worker.run()
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert in_hand.wait(60), "the worker never got a record"
        kafka.stop()
        broker_gone.set()
        renewed = worker.metrics.producer_renewals("flush_timeout")
        _wait(lambda: renewed._value.get() >= 1, 30, "the stuck flush renewed the producer")
        kafka.start()
        _wait(lambda: _committed(broker, proc) == RECORDS, 120, "every input committed after the restart")
    finally:
        worker.stop()
        thread.join(60)
    assert not thread.is_alive() and not failure, failure
    delivered = Counter(decode(m.value())["event_id"] for m in read_all(broker, OUT))
    expected = {str(uuid.uuid5(OUTPUT_NAMESPACE, r["event_id"])) for r in records}
    assert set(delivered) == expected  # none lost; repeats are allowed (at-least-once sink)
    assert worker.metrics.checkpoint("failed")._value.get() >= 1


def test_an_exactly_once_processor_keeps_each_output_once_across_a_broker_restart_mid_transaction(kafka, broker):
    create_topics(broker, {IN: 2, OUT: 2, f"{IN}.dlq": 1})
    records = ingested(RECORDS)
    produce(broker, IN, records)
    in_hand, broker_gone = threading.Event(), threading.Event()

    def gated(record, ctx):
        if not broker_gone.is_set():
            in_hand.set()
            broker_gone.wait(60)  # the broker stops while this transaction is open
        yield from relay(record, ctx)

    proc = Processor(name="relay", inputs=(IN,), handle=gated)
    worker = Worker(proc, broker, codec=session_codec())
    failure: list[BaseException] = []

    def run():
        try:
            worker.run()
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert in_hand.wait(60), "the worker never got a record"
        kafka.stop()
        broker_gone.set()
        time.sleep(3)  # the commit of the open transaction fails or waits meanwhile
        kafka.start()
        _wait(lambda: _committed(broker, proc) == RECORDS, 180, "every input committed after the restart")
    finally:
        worker.stop()
        thread.join(60)
    assert not thread.is_alive() and not failure, failure
    delivered = Counter(decode(m.value())["event_id"] for m in read_all(broker, OUT))  # read_committed
    assert delivered == Counter({str(uuid.uuid5(OUTPUT_NAMESPACE, r["event_id"])): 1 for r in records})
