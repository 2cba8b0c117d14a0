"""A producer that is stuck (no idempotence PID after a broker restart: flush never ends)
or broken (fatal error, failed abort) is replaced by a new instance and the batch repeats,
for sinks and exactly-once processors alike; a fenced transactional producer still stops
the worker. Fake producers here; tests/streams/runtime/test_broker_restart.py does it on
a real broker that restarts."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from prometheus_client import CollectorRegistry

from streams.runtime import Processor, loop, producer as producer_module
from streams.runtime.execute import Produced
from streams.runtime.metrics import Metrics
from streams.runtime.producer import RenewableProducer


def kafka_error(code: int, *, fatal: bool = False, retriable: bool = False, abortable: bool = False):
    return KafkaException(KafkaError(code, "injected", fatal=fatal, retriable=retriable, txn_requires_abort=abortable))


class FakeProducer:
    """Scripted: ``fail`` maps a method name to the exceptions its next calls raise;
    ``stuck`` makes flush() keep every record (a producer that has no PID)."""

    def __init__(self, config: dict, *, stuck: bool = False, fail: dict | None = None,
                 close_blocks: threading.Event | None = None) -> None:
        self.config, self.stuck, self.fail = config, stuck, {k: list(v) for k, v in (fail or {}).items()}
        self.close_blocks = close_blocks
        self.calls: list[str] = []
        self.flush_timeouts: list[float | None] = []
        self.queued = 0

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.fail.get(name):
            raise self.fail[name].pop(0)

    def produce(self, topic, value, key=None):
        self._call("produce")
        self.queued += 1

    def poll(self, timeout=0):
        return 0

    def flush(self, timeout=None):
        self._call("flush")
        self.flush_timeouts.append(timeout)
        if not self.stuck:
            self.queued = 0
        return self.queued

    def purge(self, in_queue=True, in_flight=True, blocking=True):
        self.calls.append("purge")
        self.queued = 0

    def close(self):
        self.calls.append("close")
        if self.close_blocks is not None:
            self.close_blocks.wait(30)
        return True

    def init_transactions(self, timeout):
        self._call("init_transactions")

    def begin_transaction(self):
        self._call("begin_transaction")

    def send_offsets_to_transaction(self, tps, meta, timeout):
        self._call("send_offsets_to_transaction")

    def commit_transaction(self, timeout):
        self._call("commit_transaction")

    def abort_transaction(self, timeout):
        self._call("abort_transaction")


class Factory:
    """Hands out the scripted producers in order, then well-behaved ones."""

    def __init__(self, *scripts: dict) -> None:
        self.scripts, self.made = list(scripts), []

    def __call__(self, config: dict) -> FakeProducer:
        made = FakeProducer(config, **(self.scripts.pop(0) if self.scripts else {}))
        self.made.append(made)
        return made


class Consumer:
    def __init__(self) -> None:
        self.commits = []

    def commit(self, offsets, asynchronous):
        self.commits.append(offsets)

    def consumer_group_metadata(self):
        return object()


def worker_with(factory: Factory, *, exactly_once: bool) -> loop.Worker:
    """A Worker with only what the checkpoint path uses (no broker)."""
    worker = object.__new__(loop.Worker)
    worker.proc = Processor(name="p", inputs=("x",), handle=lambda r, c: (), sink=not exactly_once)
    worker.exactly_once = exactly_once
    worker.metrics = Metrics.create(CollectorRegistry(), processor="p")
    worker.consumer = Consumer()
    worker._delivery_errors, worker._in_txn = [], False
    worker._producer = RenewableProducer({"client.id": "p"}, transactional=exactly_once, name="p[0]",
                                         on_renew=lambda r: worker.metrics.producer_renewals(r).inc(),
                                         factory=factory)
    return worker


def renewals(worker: loop.Worker, reason: str) -> float:
    return worker.metrics.producer_renewals(reason)._value.get()


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(loop.time, "sleep", lambda s: None)
    monkeypatch.setattr(producer_module, "_CLOSE_WAIT_S", 0.5)


TPS = [TopicPartition("x", 0, 42)]
RECORD = Produced("out", b"k", b"v")


# -- at-least-once sinks (the e-sign completion sink of the drill) ----------------------
def test_a_sink_whose_producer_never_gets_a_pid_renews_it_and_repeats_the_batch():
    factory = Factory({"stuck": True})
    worker = worker_with(factory, exactly_once=False)
    worker._produce([RECORD])
    with pytest.raises(loop._AbortBatch):
        worker._commit_at_least_once(TPS)
    stuck = factory.made[0]
    assert stuck.flush_timeouts == [loop._FLUSH_TIMEOUT_S]  # bounded: never flush() without a timeout
    assert "purge" in stuck.calls and worker.producer is factory.made[1]
    assert worker.consumer.commits == []  # nothing committed for records never delivered
    assert renewals(worker, "flush_timeout") == 1
    assert worker.metrics.checkpoint("failed")._value.get() == 1
    worker._produce([RECORD])  # the repeated batch, on the new instance
    worker._commit_at_least_once(TPS)
    assert worker.consumer.commits == [TPS] and factory.made[1].queued == 0


def test_a_sink_producer_that_turns_fatal_is_renewed_instead_of_killing_the_worker():
    factory = Factory({"fail": {"produce": [kafka_error(KafkaError._FATAL, fatal=True)]}})
    worker = worker_with(factory, exactly_once=False)
    with pytest.raises(loop._AbortBatch):
        worker._produce([RECORD])
    assert renewals(worker, "fatal") == 1 and worker.producer is factory.made[1]


def test_a_sink_record_the_broker_refuses_for_good_still_raises():
    factory = Factory({"fail": {"produce": [kafka_error(KafkaError.MSG_SIZE_TOO_LARGE)]}})
    worker = worker_with(factory, exactly_once=False)
    with pytest.raises(KafkaException):
        worker._produce([RECORD])
    assert len(factory.made) == 1


def test_purged_records_of_the_old_producer_do_not_fail_the_repeated_batch():
    factory = Factory({"stuck": True})
    worker = worker_with(factory, exactly_once=False)
    worker._produce([RECORD])
    worker._delivery_errors.append("out: Local: Purged in queue")  # as the purge reports them
    with pytest.raises(loop._AbortBatch):
        worker._commit_at_least_once(TPS)
    worker._commit_at_least_once(TPS)
    assert worker.consumer.commits == [TPS]


# -- exactly-once processors ------------------------------------------------------------
def test_a_fatal_commit_error_renews_the_transactional_producer_and_aborts_the_batch():
    factory = Factory({"fail": {"commit_transaction": [kafka_error(KafkaError._FATAL, fatal=True)]}})
    worker = worker_with(factory, exactly_once=True)
    worker._producer.start()
    worker._begin()
    with pytest.raises(loop._AbortBatch):
        worker._commit_txn(TPS)
    fresh = factory.made[1]
    assert worker.producer is fresh and fresh.calls == ["init_transactions"]  # fences the old one's txn
    assert renewals(worker, "fatal") == 1 and not worker._in_txn
    worker._begin()
    worker._commit_txn(TPS)
    assert fresh.calls[-1] == "commit_transaction"


def test_an_abort_that_times_out_behind_a_broker_restart_renews_the_producer():
    factory = Factory({"fail": {"commit_transaction": [kafka_error(KafkaError.INVALID_TXN_STATE, abortable=True)],
                                "abort_transaction": [kafka_error(KafkaError._TIMED_OUT, retriable=True)]}})
    worker = worker_with(factory, exactly_once=True)
    worker._begin()
    with pytest.raises(loop._AbortBatch):
        worker._commit_txn(TPS)
    assert renewals(worker, "abort_failed") == 1 and worker.producer is factory.made[1]


def test_a_producer_fatal_while_idle_is_renewed_at_the_next_batch():
    factory = Factory({"fail": {"begin_transaction": [kafka_error(KafkaError._FATAL, fatal=True)]}})
    worker = worker_with(factory, exactly_once=True)
    with pytest.raises(loop._AbortBatch):
        worker._begin()
    assert renewals(worker, "fatal") == 1 and not worker._in_txn


@pytest.mark.parametrize("code", [KafkaError._FENCED, KafkaError.PRODUCER_FENCED])
def test_a_fenced_transactional_producer_stops_the_worker_and_is_not_renewed(code):
    factory = Factory({"fail": {"commit_transaction": [kafka_error(code, fatal=True)]}})
    worker = worker_with(factory, exactly_once=True)
    worker._begin()
    with pytest.raises(KafkaException):
        worker._commit_txn(TPS)
    assert len(factory.made) == 1 and worker.metrics.checkpoint("fatal")._value.get() == 1


# -- RenewableProducer.start -----------------------------------------------------------
def test_init_transactions_that_times_out_is_tried_again_on_a_new_instance():
    timeout = {"fail": {"init_transactions": [kafka_error(KafkaError._TIMED_OUT, retriable=True)]}}
    factory = Factory(timeout, timeout)
    reasons: list[str] = []
    renewable = RenewableProducer({}, transactional=True, name="p[0]", on_renew=reasons.append, factory=factory)
    renewable.start()
    assert reasons == ["init_failed", "init_failed"] and renewable.producer is factory.made[2]
    assert factory.made[2].calls == ["init_transactions"]


def test_init_transactions_gives_up_after_a_few_instances():
    timeout = {"fail": {"init_transactions": [kafka_error(KafkaError._TIMED_OUT, retriable=True)]}}
    factory = Factory(*[timeout] * 10)
    with pytest.raises(KafkaException):
        RenewableProducer({}, transactional=True, name="p[0]", factory=factory).start()
    assert len(factory.made) == producer_module._INIT_ATTEMPTS


def test_a_fenced_init_is_raised_at_once():
    factory = Factory({"fail": {"init_transactions": [kafka_error(KafkaError._FENCED, fatal=True)]}})
    with pytest.raises(KafkaException):
        RenewableProducer({}, transactional=True, name="p[0]", factory=factory).start()
    assert len(factory.made) == 1


def test_renewal_does_not_wait_on_an_old_instance_whose_close_hangs():
    release = threading.Event()
    factory = Factory({"close_blocks": release})
    renewable = RenewableProducer({}, transactional=False, name="p[0]", factory=factory)
    started = time.monotonic()
    renewable.renew("flush_timeout")
    elapsed = time.monotonic() - started
    release.set()
    assert renewable.producer is factory.made[1] and "close" in factory.made[0].calls
    assert elapsed < producer_module._CLOSE_WAIT_S + 2
