"""The worker loop's logic without a broker (streams/runtime/memory.py): transactions,
rewinds, retries, renewals, fencing, DLQ, backpressure, batch bounds, at-least-once sinks
and rebalances. test_loop.py and test_exactly_once.py prove the same on the real broker."""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from kafka_helpers import ingested

from inkstream.settings import load_settings
from schemas.codec import Codec
from schemas.records import envelope
from streams.runtime import Backpressure, Emit, Processor, Refused
from streams.runtime.examples import OUTPUT_NAMESPACE, relay
from streams.runtime.loop import Worker, group_id
from streams.runtime.memory import MemoryBroker, MemoryConsumer, MemoryProducer

IN, OUT = "documents.ingested", "documents.ingested.priority"
CODEC = Codec(seal=False)


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path)


class Harness:
    """A Worker on an in-memory broker; ``drain()`` steps it until its input is consumed."""

    def __init__(self, settings, proc: Processor, records: list[dict], *, partitions: int = 3,
                 broker: MemoryBroker | None = None, **worker_kw) -> None:
        self.settings, self.proc = settings, proc
        name = settings.topics.name
        self.broker = broker or MemoryBroker({name(IN): partitions, name(OUT): partitions, name(f"{IN}.dlq"): 1,
                                              name("documents.status"): partitions})
        for record in records:
            self.broker.append(name(IN), CODEC.encode(IN, record), key=record["doc_id"].encode())
        self.producers: list[MemoryProducer] = []
        self.consumer = MemoryConsumer(self.broker, {"group.id": group_id(settings, proc)})
        self.worker = Worker(proc, settings, codec=CODEC, consumer=self.consumer,
                             producer_factory=self._producer, **worker_kw)

    def _producer(self, config: dict) -> MemoryProducer:
        self.producers.append(MemoryProducer(self.broker, config))
        return self.producers[-1]

    def drain(self, steps: int = 200) -> None:
        total = len(self.broker.committed_records(self.settings.topics.name(IN)))
        for _ in range(steps):
            if self.committed_offsets() == total:
                return
            self.worker.step()
        raise AssertionError(f"input not consumed in {steps} steps: {self.committed_offsets()}/{total}")

    def committed_offsets(self) -> int:
        return sum(self.broker.offsets[group_id(self.settings, self.proc)].values())

    def outputs(self) -> Counter:
        return Counter(CODEC.decode(m.value())["event_id"]
                       for m in self.broker.committed_records(self.settings.topics.name(OUT)))

    def dead(self) -> list[dict]:
        return [CODEC.decode(m.value()) for m in self.broker.committed_records(self.settings.topics.name(f"{IN}.dlq"))]


def expected(records) -> set[str]:
    return {str(uuid.uuid5(OUTPUT_NAMESPACE, r["event_id"])) for r in records if not r["filename"].startswith("poison")}


def started(harness: Harness) -> Harness:
    """Started and assigned (the first poll only joins: what it fetched across the
    rebalance is read again, as on the broker)."""
    harness.worker.start()
    harness.worker.step()
    assert harness.consumer.assignment() and harness.committed_offsets() == 0
    return harness


def test_outputs_dead_letters_and_offsets_commit_in_one_transaction(settings):
    records = ingested(30, poison_every=10)
    h = started(Harness(settings, Processor(name="relay", inputs=(IN,), handle=relay), records))
    h.drain()
    assert set(h.outputs()) == expected(records) and max(h.outputs().values()) == 1
    assert [d["error_type"] for d in h.dead()] == ["ValueError"] * 3
    assert h.producers[0].calls.count("commit_transaction") == h.worker.metrics.checkpoint("committed")._value.get()


def test_an_abortable_commit_failure_aborts_rewinds_and_repeats_the_batch_once(settings):
    records = ingested(20)
    h = started(Harness(settings, Processor(name="relay", inputs=(IN,), handle=relay), records))
    h.producers[0].fail_next("commit_transaction",
                             KafkaError(KafkaError._STATE, "transaction needs an abort", txn_requires_abort=True))
    h.drain()
    assert h.worker.metrics.checkpoint("aborted")._value.get() == 1
    assert set(h.outputs()) == expected(records) and max(h.outputs().values()) == 1  # aborted copies invisible


def test_a_retriable_commit_failure_is_retried_without_an_abort(settings):
    records = ingested(5)
    h = started(Harness(settings, Processor(name="relay", inputs=(IN,), handle=relay), records, partitions=1))
    h.producers[0].fail_next("commit_transaction", KafkaError(KafkaError._TIMED_OUT, "slow", retriable=True))
    h.drain()
    assert "abort_transaction" not in h.producers[0].calls
    assert h.producers[0].calls.count("commit_transaction") == 2
    assert set(h.outputs()) == expected(records)


def test_a_fatal_producer_error_renews_the_producer_and_repeats_the_batch(settings):
    records = ingested(12)
    h = started(Harness(settings, Processor(name="relay", inputs=(IN,), handle=relay), records))
    h.producers[0].fail_next("produce", KafkaError(KafkaError._INCONSISTENT, "sequence gap", fatal=True))
    h.drain()
    assert len(h.producers) == 2 and h.producers[0].fenced  # the new instance fenced the old one
    assert h.worker.metrics.producer_renewals("fatal")._value.get() == 1
    assert set(h.outputs()) == expected(records) and max(h.outputs().values()) == 1


def test_a_fenced_worker_stops_instead_of_renewing(settings):
    h = started(Harness(settings, Processor(name="relay", inputs=(IN,), handle=relay), ingested(3)))
    h.producers[0].fail_next("commit_transaction", KafkaError(KafkaError._FENCED, "fenced", fatal=True))
    with pytest.raises(KafkaException):
        h.worker.step()
    assert len(h.producers) == 1 and h.committed_offsets() == 0


def test_backpressure_pauses_the_partitions_and_hands_the_same_record_again(settings):
    records = ingested(6)
    seen: list[str] = []

    def limited(record, ctx):
        seen.append(record["doc_id"])
        if len(seen) == 2:
            raise Backpressure(retry_after=0.05, reason="429")
        yield from relay(record, ctx)
    h = started(Harness(settings, Processor(name="limited", inputs=(IN,), handle=limited), records, partitions=1))
    h.worker.step()
    assert h.consumer._paused, "the partitions are paused while the processor waits"
    time.sleep(0.06)
    h.drain()
    assert seen.count(seen[1]) == 2  # the same record came back after the pause
    assert set(h.outputs()) == expected(records) and not h.dead()
    assert h.worker.metrics.backpressure()._value.get() == 1


def test_a_batch_cut_by_its_time_bound_carries_the_rest_into_the_next_transaction(settings):
    records = ingested(10)

    def slow(record, ctx):
        time.sleep(0.02)
        yield from relay(record, ctx)
    proc = Processor(name="slow", inputs=(IN,), handle=slow, batch_max_records=10, batch_max_seconds=0.05)
    h = started(Harness(settings, proc, records, partitions=1))
    h.drain()
    assert h.producers[0].calls.count("commit_transaction") >= 3
    assert set(h.outputs()) == expected(records) and max(h.outputs().values()) == 1


class FlakySink:
    def __init__(self) -> None:
        self.pending, self.flushed, self.failures = [], [], 1

    def add(self, record, ctx) -> None:
        self.pending.append(record["doc_id"])

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ClickHouse went away")
        self.flushed.extend(batch)


def test_an_at_least_once_sink_commits_offsets_only_after_a_successful_flush(settings):
    records = ingested(8)
    sink = FlakySink()
    proc = Processor(name="sink", inputs=(IN,), batch_sink=sink, retry_backoff_s=0.0)
    h = started(Harness(settings, proc, records, partitions=1))
    h.worker.step()
    assert h.committed_offsets() == 0 and sink.flushed == []  # the failed flush committed nothing
    h.drain()
    assert sorted(sink.flushed) == sorted(r["doc_id"] for r in records)
    assert h.worker.metrics.checkpoint("failed")._value.get() == 1


class WritingSink:
    """Writes each batch at flush (a vendor's batch API); refuses the rows named poison.pdf
    (the vendor's per-row error) and hands back a status record per written row."""

    def __init__(self) -> None:
        self.pending: dict = {}
        self.written: list[str] = []

    def add(self, record, ctx) -> None:
        self.pending[(ctx.topic, ctx.partition, ctx.offset)] = (record, ctx)

    def flush(self):
        batch, self.pending = self.pending, {}
        for record, ctx in batch.values():
            if record["filename"] == "poison.pdf":
                yield Refused(ctx, ValueError(f"INVALID_FIELD: {record['doc_id']} refused by the vendor"))
                continue
            self.written.append(record["doc_id"])
            yield Emit("documents.status", {**envelope(record["doc_id"], producer="t"), "stage": "sink",
                                            "status": "written", "detail": None})


def statuses(h: Harness) -> Counter:
    return Counter((v["doc_id"], v["status"]) for v in (
        CODEC.decode(m.value()) for m in h.broker.committed_records(h.settings.topics.name("documents.status"))))


def test_a_batch_sinks_flush_records_are_delivered_before_the_offsets_are_committed(settings):
    records = ingested(12, poison_every=4)
    sink = WritingSink()
    proc = Processor(name="sink", inputs=(IN,), batch_sink=sink, stage="sink", retry_backoff_s=0.0)
    h = started(Harness(settings, proc, records, partitions=1))
    seen_at_commit: list[int] = []
    commit = h.consumer.commit
    h.consumer.commit = lambda **kw: (seen_at_commit.append(sum(statuses(h).values())), commit(**kw))[1]
    h.drain()
    good = [r["doc_id"] for r in records if r["filename"] != "poison.pdf"]
    poison = [r for r in records if r["filename"] == "poison.pdf"]
    assert sorted(sink.written) == sorted(good)
    # Every status of the batch was in the log when its offsets moved.
    assert seen_at_commit and seen_at_commit[-1] == len(records)
    assert statuses(h) == Counter({**{(d, "written"): 1 for d in good}, **{(r["doc_id"], "failed"): 1 for r in poison}})
    dead = h.dead()
    assert [d["value"] for d in dead] == [CODEC.encode(IN, r) for r in poison]  # the original bytes
    assert all("INVALID_FIELD" in d["error"] and d["error_type"] == "ValueError" for d in dead)
    assert h.worker.metrics.dlq(IN)._value.get() == len(poison)


def test_a_failure_producing_the_flush_records_repeats_the_batch_before_any_commit(settings):
    records = ingested(6, poison_every=3)
    sink = WritingSink()
    proc = Processor(name="sink", inputs=(IN,), batch_sink=sink, stage="sink", retry_backoff_s=0.0)
    h = started(Harness(settings, proc, records, partitions=1))
    h.producers[0].fail_next("produce", KafkaError(KafkaError._INCONSISTENT, "sequence gap", fatal=True))
    h.worker.step()
    assert h.committed_offsets() == 0 and len(h.producers) == 2  # renewed, nothing committed
    h.drain()
    good = [r["doc_id"] for r in records if r["filename"] != "poison.pdf"]
    assert sorted(sink.written) == sorted(good * 2)  # at-least-once: the batch was written again
    assert {d for d, s in statuses(h)} == {r["doc_id"] for r in records}  # nothing lost
    assert len(h.dead()) >= 2 and {d["offset"] for d in h.dead()} == {2, 5}


def test_a_rebalance_hands_the_uncommitted_rest_to_the_next_owner_without_doubles(settings):
    records = ingested(60)
    proc = Processor(name="pair", inputs=(IN,), handle=relay, batch_max_records=10)
    first = started(Harness(settings, proc, records))
    first.worker.step()
    done_before = first.committed_offsets()
    assert 0 < done_before < len(records)
    # A second member joins: the group moves partitions 1 and 2 to it.
    topic = settings.topics.name(IN)
    second = Harness(settings, proc, [], broker=first.broker, index=1)
    second.worker.start()
    first.consumer.rebalance([TopicPartition(topic, 0)])
    second.consumer.rebalance([TopicPartition(topic, 1), TopicPartition(topic, 2)])
    for _ in range(100):
        first.worker.step()
        second.worker.step()
    assert first.committed_offsets() == len(records)
    result = first.outputs()
    assert set(result) == expected(records) and max(result.values()) == 1
    assert second.producers[0].calls.count("commit_transaction") > 0, "the new owner did part of the work"
