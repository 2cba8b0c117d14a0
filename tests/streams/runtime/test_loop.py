"""streams/runtime/loop.py on the real broker: transactions, stage status, sinks,
backpressure, rebalances between workers."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
from confluent_kafka import Consumer, TopicPartition
from kafka_helpers import create_topics, delete_topics, ingested, produce, read_all, require_broker

from session_codec import decode, session_codec
from streams.runtime import Backpressure, Emit, Processor
from streams.runtime.examples import OUTPUT_NAMESPACE, relay
from streams.runtime.loop import Worker, group_id

pytestmark = pytest.mark.stack
IN, OUT = "documents.ingested", "documents.ingested.priority"


_RUNNING: list["Running"] = []


@pytest.fixture
def topics(settings):
    require_broker(settings)
    names = create_topics(settings, {IN: 3, OUT: 3, f"{IN}.dlq": 1, "documents.status": 3})
    yield settings
    for running in _RUNNING:  # a failed assertion must not leave workers polling
        running.worker.stop()
        running.thread.join(30)
    _RUNNING.clear()
    delete_topics(settings, names)


class Running:
    """A Worker on a thread; ``stop()`` joins it and re-raises what it raised."""

    def __init__(self, worker: Worker) -> None:
        self.worker, self.error = worker, None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        _RUNNING.append(self)

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as exc:  # noqa: BLE001 - surfaced by stop()
            self.error = exc

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(60)
        assert not self.thread.is_alive(), "worker did not stop"
        if self.error:
            raise self.error


def wait_for(predicate, timeout: float = 90.0, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def outputs(settings) -> Counter:
    return Counter(decode(m.value())["event_id"] for m in read_all(settings, OUT))


def expected_ids(records) -> set[str]:
    return {str(uuid.uuid5(OUTPUT_NAMESPACE, r["event_id"])) for r in records}


def committed_offsets(settings, proc: Processor) -> int:
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": group_id(settings, proc)})
    try:
        parts = [TopicPartition(settings.topics.name(IN), p) for p in range(3)]
        return sum(max(tp.offset, 0) for tp in consumer.committed(parts, timeout=10))
    finally:
        consumer.close()


def test_stage_writes_one_status_per_output_in_the_same_transaction(topics) -> None:
    records = ingested(200, poison_every=100)
    produce(topics, IN, records)
    proc = Processor(name="staged", inputs=(IN,), handle=relay, stage="relay")
    running = Running(Worker(proc, topics, codec=session_codec()))
    wait_for(lambda: len(outputs(topics)) == 198)
    running.stop()
    statuses = [decode(m.value()) for m in read_all(topics, "documents.status")]
    by_status = Counter(s["status"] for s in statuses)
    assert by_status == {"done": 198, "failed": 2}
    assert {s["doc_id"] for s in statuses if s["status"] == "failed"} == {
        r["doc_id"] for r in records if r["filename"].startswith("poison")}
    assert committed_offsets(topics, proc) == 200


def test_two_workers_joining_mid_run_rebalance_without_losing_or_doubling_output(topics) -> None:
    records = ingested(3000)
    produce(topics, IN, records)
    joined = threading.Event()
    handled = Counter()

    def gated(record, ctx):
        # Past 1000 records, wait (as flow control, so the worker keeps polling and can
        # rebalance) until the second worker holds partitions: the join lands mid-run.
        if sum(handled.values()) >= 1000 and not joined.is_set():
            raise Backpressure(retry_after=0.2, reason="waiting for the second worker")
        handled[threading.current_thread().name] += 1
        time.sleep(0.001)
        yield from relay(record, ctx)
    proc = Processor(name="pair", inputs=(IN,), handle=gated, batch_max_records=100, batch_max_seconds=0.2)
    first = Running(Worker(proc, topics, codec=session_codec(), index=0))
    wait_for(lambda: sum(handled.values()) >= 1000, interval=0.1)
    second = Running(Worker(proc, topics, codec=session_codec(), index=1))
    wait_for(lambda: second.worker.consumer.assignment(), interval=0.1)
    joined.set()
    assert sum(outputs(topics).values()) < len(records), "the rebalance happened mid-run"
    wait_for(lambda: set(outputs(topics)) >= expected_ids(records))
    first.stop()
    second.stop()
    result = outputs(topics)
    assert set(result) == expected_ids(records) and max(result.values()) == 1
    assert len(handled) == 2 and min(handled.values()) > 0, f"both workers should have worked: {handled}"


def test_backpressure_pauses_consumption_and_retries_the_same_record(topics) -> None:
    records = ingested(20)
    produce(topics, IN, records)
    seen: list[tuple[str, float]] = []

    def rate_limited(record, ctx):
        seen.append((record["doc_id"], time.monotonic()))
        if len(seen) == 5:
            raise Backpressure(retry_after=1.0, reason="429 from the CRM")
        yield from relay(record, ctx)
    proc = Processor(name="limited", inputs=(IN,), handle=rate_limited, max_attempts=1)
    running = Running(Worker(proc, topics, codec=session_codec()))
    wait_for(lambda: len(outputs(topics)) == 20)
    running.stop()
    assert set(outputs(topics)) == expected_ids(records)
    doc, paused_at = seen[4]
    retried_at = next(t for d, t in seen[5:] if d == doc)
    assert retried_at - paused_at >= 1.0
    assert running.worker.metrics.backpressure()._value.get() == 1
    assert read_all(topics, f"{IN}.dlq") == []


def test_sink_processor_commits_offsets_after_handle_returned(topics) -> None:
    records = ingested(30)
    produce(topics, IN, records)
    handled: list[str] = []

    def side_effect(record, ctx):
        handled.append(record["doc_id"])
        return ()
    proc = Processor(name="sink", inputs=(IN,), handle=side_effect, sink=True)
    running = Running(Worker(proc, topics, codec=session_codec()))
    wait_for(lambda: committed_offsets(topics, proc) == 30)
    running.stop()
    assert sorted(handled) == sorted(r["doc_id"] for r in records)


class FlakySink:
    """Fails its first flush; at-least-once means the batch comes again."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.flushed: list[str] = []
        self.failures = 1

    def add(self, record, ctx) -> None:
        self.pending.append(record["doc_id"])

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ClickHouse went away")
        self.flushed.extend(batch)


def test_batch_sink_flush_failure_is_retried_and_offsets_wait_for_success(topics) -> None:
    records = ingested(40)
    produce(topics, IN, records)
    sink = FlakySink()
    proc = Processor(name="audit-like", inputs=(IN,), batch_sink=sink, retry_backoff_s=0.1)
    running = Running(Worker(proc, topics, codec=session_codec()))
    wait_for(lambda: committed_offsets(topics, proc) == 40)
    running.stop()
    assert sink.failures == 0
    assert set(sink.flushed) == {r["doc_id"] for r in records}
    assert running.worker.metrics.checkpoint("failed")._value.get() == 1


def test_emit_to_a_topic_without_schema_goes_to_the_dlq_and_the_worker_keeps_going(topics) -> None:
    records = ingested(10)
    produce(topics, IN, records)

    def misrouted(record, ctx):
        if record["doc_id"].endswith("3"):
            yield Emit("no.such.topic", record)
        else:
            yield from relay(record, ctx)
    running = Running(Worker(Processor(name="misrouted", inputs=(IN,), handle=misrouted), topics, codec=session_codec()))
    wait_for(lambda: len(outputs(topics)) == 9)
    wait_for(lambda: len(read_all(topics, f"{IN}.dlq")) == 1)
    running.stop()
    [dead] = [decode(m.value()) for m in read_all(topics, f"{IN}.dlq")]
    assert dead["error_type"] == "SchemaError" and "no.such.topic" in dead["error"]
