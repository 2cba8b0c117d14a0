"""The Kafka loop of one worker: consume a batch, run each record through the
processor, produce the results and commit the consumed offsets.

Exactly-once (Kafka→Kafka processors): each batch is one Kafka transaction holding the
outputs, the DLQ records, the documents.status records and the consumed offsets
(``send_offsets_to_transaction``); consumers read ``read_committed``; the producer is
idempotent with a ``transactional.id`` that is stable per worker
(``<prefix>inkstream-<processor>-<index>``), so a restarted worker fences its
predecessor and aborts whatever it left open. A batch is bounded by
``Processor.batch_max_records`` and ``batch_max_seconds`` (waiting for records plus
processing them); records of a batch cut by the time bound are carried into the next
transaction, and on an abort or a backpressure pause the partitions are rewound (seek).

At-least-once (``sink=True`` / ``batch_sink``): the producer is flushed, the batch sink
flushed, the records its flush returned (statuses, DLQ records of refused rows) produced
and delivered, then the offsets committed synchronously; a crash in between repeats the batch.

Every wait on the producer is bounded. One that runs out (a producer stuck without an
idempotence PID after a broker restart) or a fatal producer error replaces the producer
with a new instance (``producer.RenewableProducer``) and repeats the batch; only a fenced
transactional producer (another instance owns the transactional.id) stops the worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from prometheus_client import CollectorRegistry

from schemas.codec import Codec
from streams.runtime.execute import Incoming, Outcome, Produced, Runner
from streams.runtime.health import Health
from streams.runtime.metrics import Metrics
from streams.runtime.processor import Processor
from streams.runtime.producer import RenewableProducer, fenced, needs_renewal
from inkstream.kafka_config import client_config

__all__ = ["Worker", "group_id", "transactional_id", "client_id"]

log = logging.getLogger("inkstream.runtime")

_LAG_EVERY_S = 5.0
_TXN_TIMEOUT_S = 30.0
# Errors an offset commit meets while the group coordinator moves (broker restart).
_COORDINATOR_MOVES = {KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_NOT_AVAILABLE,
                      KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError.REQUEST_TIMED_OUT,
                      KafkaError._TRANSPORT, KafkaError._TIMED_OUT}
_COMMIT_ATTEMPTS = 5
# Longest an at-least-once checkpoint waits for its records to be delivered. Beyond it the
# producer is deemed stuck (librdkafka would otherwise wait message.timeout.ms, 5 min, and
# an instance that lost its PID never recovers) and is replaced; the batch repeats.
_FLUSH_TIMEOUT_S = 30.0
_MAX_WAIT_S = 0.5  # longest wait for a full batch; beyond it, process what came


def group_id(settings, proc: Processor) -> str:
    return f"{settings.topics.prefix}inkstream-{proc.name}"


def transactional_id(settings, proc: Processor, index: int) -> str:
    """``<prefix>inkstream-<processor>-<instance>-<index>``: unique per host and worker, and
    the same after a restart (so the restarted worker fences its own zombie, not a peer)."""
    return f"{settings.topics.prefix}inkstream-{proc.name}-{settings.instance.name}-{index}"


def client_id(settings, proc: Processor, index: int) -> str:
    return f"inkstream-{proc.name}-{settings.instance.name}-{index}"


class _AbortBatch(Exception):
    """The open transaction had to be aborted; the batch is rewound and read again."""


class Worker:
    """One consumer-group member running one processor. ``run()`` until ``stop()``."""

    def __init__(self, proc: Processor, settings, *, codec: Codec, index: int = 0,
                 metrics: Metrics | None = None, health: Health | None = None,
                 exactly_once: bool | None = None, kafka_config: dict | None = None,
                 consumer: Consumer | None = None,
                 producer_factory: Callable[[dict], Producer] | None = None) -> None:
        """``consumer`` replaces confluent-kafka's Consumer and ``producer_factory(config)``
        builds each producer (renewals too) instead of ``Producer``: tests pass
        ``streams.runtime.memory``'s to run the loop's logic without a broker."""
        self.proc, self.settings, self.index = proc, settings, index
        # exactly_once=False turns transactions off for a transactional processor (tests/bench only).
        self.exactly_once = proc.transactional if exactly_once is None else (exactly_once and proc.transactional)
        self.codec = codec  # the process's one codec, built at its edge (workers._child)
        self.metrics = metrics or Metrics.create(CollectorRegistry(), processor=proc.name)
        self.health = health or Health()
        self.runner = Runner(proc, self.codec, settings.topics.name, settings)
        self._logical = {settings.topics.name(t): t for t in proc.inputs}
        self._stop = threading.Event()
        self._generation = 0
        self._in_txn = False
        self._resume_at: float | None = None
        self._next_lag = 0.0
        self._delivery_errors: list[str] = []
        self._counts: Counter[tuple[str, str]] = Counter()
        self._backlog: list[Message] = []
        base = client_config(settings, **(kafka_config or {}))
        consumer_config = {
            **base, "group.id": group_id(settings, proc), "enable.auto.commit": False,
            "enable.auto.offset.store": False, "auto.offset.reset": "earliest",
            "isolation.level": "read_committed", "enable.partition.eof": False,
            "client.id": client_id(settings, proc, index),
            # Static membership: a restarted worker (same index) takes its partitions back at
            # once instead of waiting for the dead member's session to time out.
            "group.instance.id": transactional_id(settings, proc, index),
        }
        self.consumer = consumer if consumer is not None else Consumer(consumer_config)
        producer_config = {**base, "enable.idempotence": True, "acks": "all", "linger.ms": 5,
                           "client.id": client_id(settings, proc, index),
                           "on_delivery": self._on_delivery, "delivery.report.only.error": True}
        if self.exactly_once:
            producer_config |= {"transactional.id": transactional_id(settings, proc, index),
                                "transaction.timeout.ms": int(_TXN_TIMEOUT_S * 1000 * 2)}
        self._producer = RenewableProducer(
            producer_config, transactional=self.exactly_once, name=f"{proc.name}[{index}]",
            on_renew=lambda reason: self.metrics.producer_renewals(reason).inc(), txn_timeout_s=_TXN_TIMEOUT_S,
            factory=producer_factory or Producer)

    @property
    def producer(self) -> Producer:
        return self._producer.producer

    # -- lifecycle -------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to finish the record in hand, commit what is done, and close."""
        self._stop.set()

    def start(self) -> None:
        """Join the group and make the producer ready; ``run()`` does it first. Tests call
        it, then ``step()`` as often as they like."""
        self._producer.start()  # transactional: fences a predecessor, aborts its open txn
        self.consumer.subscribe(list(self._logical), on_assign=self._on_assign,
                                on_revoke=self._on_revoke, on_lost=self._on_revoke)
        self.health.beat("running")

    def run(self) -> None:
        self.start()
        try:
            while not self._stop.is_set():
                self.step()
        except BaseException:
            self.health.beat("failed")
            raise
        finally:
            self._close()

    def _close(self) -> None:
        if self._in_txn:
            try:
                self._abort()
            except KafkaException as exc:  # fenced/fatal: the broker aborts it on timeout anyway
                log.warning("%s: could not abort the open transaction: %s", self.proc.name, exc)
        try:
            self.consumer.close()  # leaves the group now, so the partitions move at once
        finally:
            self.producer.flush(10)
            self.health.beat("stopped")

    # -- one batch -------------------------------------------------------------
    def step(self) -> None:
        """Consume one batch (or wait out a backpressure pause) and checkpoint it."""
        if self._resume_at is not None and self._paused():
            return
        if self._backlog:  # the rest of a batch cut by its time bound
            msgs, self._backlog = self._backlog, []
            self._process_batch(msgs)
            return
        generation = self._generation
        msgs = self.consumer.consume(self.proc.batch_max_records, min(self.proc.batch_max_seconds, _MAX_WAIT_S))
        self.health.beat("running", len(self.consumer.assignment()))
        msgs = [m for m in msgs if self._usable(m)]
        if generation != self._generation and msgs:
            self._rewind_committed(msgs)  # fetched across a rebalance: read again under the new one
            return
        if msgs:
            self._process_batch(msgs)
        self._maybe_report_lag()

    def _paused(self) -> bool:
        remaining = self._resume_at - time.monotonic()
        if remaining > 0:
            for msg in self.consumer.consume(1, min(remaining, 0.5)):  # serves heartbeats/rebalances
                self._rewind([msg])
            self.health.beat("paused", len(self.consumer.assignment()))
            return True
        self.consumer.resume(self.consumer.assignment())
        self._resume_at = None
        return False

    def _process_batch(self, msgs: list[Message]) -> None:
        offsets: dict[tuple[str, int], int] = {}
        done, paused = 0, False
        deadline = time.monotonic() + self.proc.batch_max_seconds
        try:
            self._begin()
            for msg in msgs:
                if done and (self._stop.is_set() or time.monotonic() > deadline):
                    break
                outcome = self._execute(msg)
                if outcome.kind == "backpressure":
                    self._pause(outcome.retry_after)
                    paused = True
                    break
                self._produce(outcome.produced)
                offsets[(msg.topic(), msg.partition())] = msg.offset() + 1
                done += 1
            self.producer.poll(0)  # serve delivery reports once per batch
            if paused:
                self._rewind(msgs[done:])
            elif done < len(msgs) and not self._stop.is_set():
                self._backlog = msgs[done:]  # already fetched: no seek, next transaction
            self._checkpoint(offsets)
        except _AbortBatch:
            self._backlog = []
            self._rewind(msgs)
        finally:
            self._flush_counts()

    def _execute(self, msg: Message) -> Outcome:
        topic = msg.topic()
        logical = self._logical.get(topic, topic)
        ts_type, ts = msg.timestamp()
        headers = msg.headers()
        incoming = Incoming(topic, logical, msg.partition(), msg.offset(), msg.key(), msg.value(),
                            ts if ts_type else None, dict(headers) if headers else {})
        started = time.perf_counter()
        outcome = self.runner.execute(incoming)
        self.metrics.processing_seconds(logical).observe(time.perf_counter() - started)
        self._counts[("in", logical)] += 1
        if outcome.attempts > 1:
            self.metrics.retries(logical).inc(outcome.attempts - 1)
        if outcome.kind == "dead":
            self.metrics.errors(logical, outcome.error_type).inc()
            self.metrics.dlq(logical).inc()
            log.warning("%s: %s[%d]@%d -> DLQ: %s: %s", self.proc.name, msg.topic(), msg.partition(),
                        msg.offset(), outcome.error_type, outcome.reason[:200])
        elif outcome.kind == "skipped":
            self.metrics.skipped(logical).inc()
        elif outcome.kind == "erased":
            # The document's key was destroyed: consumed, not an error. Logged by id only.
            self.metrics.erased(logical).inc()
            log.info("%s: %s[%d]@%d skipped: document %s was erased", self.proc.name, msg.topic(),
                     msg.partition(), msg.offset(), outcome.doc_id)
        elif outcome.kind == "backpressure":
            self.metrics.backpressure().inc()
        for emit in outcome.emits:
            self._counts[("out", emit.topic)] += 1
        return outcome

    def _flush_counts(self) -> None:
        """Add the batch's in/out counts to the metrics (one locked update per topic)."""
        for (direction, topic), count in self._counts.items():
            (self.metrics.records_in if direction == "in" else self.metrics.records_out)(topic).inc(count)
        self._counts.clear()

    # -- producing and checkpoints --------------------------------------------
    def _produce(self, produced: Iterable[Produced]) -> None:
        for item in produced:
            while True:
                try:
                    self.producer.produce(item.topic, item.value, item.key)
                    break
                except BufferError:  # local queue full: let librdkafka drain it
                    self.producer.poll(0.05)
                except KafkaException as exc:
                    self._fail_txn(exc)
                    raise _AbortBatch() from exc

    def _begin(self) -> None:
        if self.exactly_once:
            try:
                self.producer.begin_transaction()
            except KafkaException as exc:  # a producer turned fatal while idle
                self._fail_txn(exc)
                raise _AbortBatch() from exc
            self._in_txn = True

    def _checkpoint(self, offsets: dict[tuple[str, int], int]) -> None:
        tps = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        if self.exactly_once:
            self._commit_txn(tps)
        elif tps or self.proc.batch_sink is not None:
            self._commit_at_least_once(tps)

    def _commit_txn(self, tps: list[TopicPartition]) -> None:
        try:
            if tps:
                self.producer.send_offsets_to_transaction(tps, self.consumer.consumer_group_metadata(), _TXN_TIMEOUT_S)
            for attempt in range(_COMMIT_ATTEMPTS):
                try:
                    self.producer.commit_transaction(_TXN_TIMEOUT_S)
                    break
                except KafkaException as exc:
                    # Retriable (e.g. a timeout): the same commit may be retried, per librdkafka.
                    if not exc.args[0].retriable() or attempt == _COMMIT_ATTEMPTS - 1:
                        raise
            self._in_txn = False
            self.metrics.checkpoint("committed").inc()
        except KafkaException as exc:
            self._fail_txn(exc)
            raise _AbortBatch() from exc

    def _fail_txn(self, exc: KafkaException) -> None:
        """A produce/transaction call failed: abort (abortable error), renew the producer
        (fatal error, or an abort that fails too) or stop the worker (fenced). The caller
        repeats the batch."""
        error: KafkaError = exc.args[0]
        if self.exactly_once and fenced(error):
            self.metrics.checkpoint("fatal").inc()
            raise exc  # a newer instance holds our transactional.id: this one must stop
        if needs_renewal(error):
            self._in_txn = False  # the new instance's init_transactions aborts the open one
            self.metrics.checkpoint("aborted" if self.exactly_once else "failed").inc()
            self._renew("fatal")
            return
        if not self.exactly_once:
            self.metrics.checkpoint("fatal").inc()
            raise exc  # e.g. a record the broker refuses for good: not a producer state
        log.warning("%s: aborting transaction: %s", self.proc.name, error)
        self._abort_or_renew()
        self.metrics.checkpoint("aborted").inc()

    def _abort_or_renew(self) -> None:
        try:
            self._abort()
        except KafkaException as exc:
            if fenced(exc.args[0]):
                self.metrics.checkpoint("fatal").inc()
                raise
            self._renew("abort_failed")  # e.g. the abort timed out behind a broker restart

    def _renew(self, reason: str) -> None:
        self._producer.renew(reason)
        self._delivery_errors.clear()  # the old instance's purged records: the batch repeats

    def _abort(self) -> None:
        try:
            self.producer.abort_transaction(_TXN_TIMEOUT_S)
        finally:
            self._in_txn = False

    def _commit_at_least_once(self, tps: list[TopicPartition]) -> None:
        self._deliver()
        if self.proc.batch_sink is not None:
            try:
                flushed = self.runner.flush_sink()
            except Exception as exc:  # noqa: BLE001 - the sink's failure is retried, never swallowed
                self.metrics.checkpoint("failed").inc()
                log.warning("%s: sink flush failed, repeating the batch: %s", self.proc.name, exc)
                time.sleep(self.proc.retry_backoff_s)
                raise _AbortBatch() from exc
            if flushed.produced:  # the flush's records are delivered before the offsets move
                self._count_flushed(flushed)
                self._produce(flushed.produced)
                self._deliver()
        if tps:
            self._commit_offsets(tps)
        self.metrics.checkpoint("committed").inc()

    def _deliver(self) -> None:
        """Wait until every record produced so far is delivered, or repeat the batch."""
        undelivered = self.producer.flush(_FLUSH_TIMEOUT_S)
        if undelivered:
            self.metrics.checkpoint("failed").inc()
            log.warning("%s: %d records not delivered within %.0fs; renewing the producer and repeating the batch",
                        self.proc.name, undelivered, _FLUSH_TIMEOUT_S)
            self._renew("flush_timeout")
            raise _AbortBatch()
        if self._delivery_errors:
            errors, self._delivery_errors = self._delivery_errors, []
            self.metrics.checkpoint("failed").inc()
            log.warning("%s: %d deliveries failed (%s); repeating the batch", self.proc.name, len(errors), errors[0])
            raise _AbortBatch()

    def _count_flushed(self, flushed: Outcome) -> None:
        for emit in flushed.emits:
            self._counts[("out", emit.topic)] += 1
        for item in flushed.produced:
            if item.topic.endswith(".dlq"):
                logical = self._logical.get(item.topic[:-len(".dlq")], "?")
                self.metrics.dlq(logical).inc()
                self.metrics.errors(logical, "Refused").inc()

    def _commit_offsets(self, tps: list[TopicPartition]) -> None:
        """Commit, riding out a broker restart or coordinator move (retriable errors); if it
        still fails, repeat the batch: the sink is at-least-once and dedupes on event_id."""
        for attempt in range(1, _COMMIT_ATTEMPTS + 1):
            try:
                self.consumer.commit(offsets=tps, asynchronous=False)
                return
            except KafkaException as exc:
                error = exc.args[0]
                if not error.retriable() and error.code() not in _COORDINATOR_MOVES:
                    raise
                log.warning("%s: offset commit failed (%s), attempt %d", self.proc.name, error.str(), attempt)
                time.sleep(min(0.5 * attempt, 5.0))
        self.metrics.checkpoint("failed").inc()
        raise _AbortBatch()

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(f"{msg.topic()}: {err}")

    # -- rebalances, pauses, rewinds -------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._generation += 1
        if self._resume_at is not None:  # still in a backpressure pause: stay paused
            consumer.assign(partitions)  # (the library would assign after this callback)
            consumer.pause(partitions)
        log.info("%s[%d]: assigned %d partitions", self.proc.name, self.index, len(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._generation += 1
        self._backlog = []  # the next owner reads them from the committed offsets
        if self._in_txn:  # never committed after losing the partitions: the new owner redoes them
            self._abort_or_renew()
        for tp in partitions:
            self.metrics.lag(self._logical.get(tp.topic, tp.topic), tp.partition).set(0)

    def _pause(self, seconds: float) -> None:
        self._resume_at = time.monotonic() + seconds
        self.consumer.pause(self.consumer.assignment())

    def _rewind(self, msgs: list[Message]) -> None:
        """Seek each partition back to its first message in ``msgs`` (read them again)."""
        first: dict[tuple[str, int], int] = {}
        for msg in msgs:
            first.setdefault((msg.topic(), msg.partition()), msg.offset())
        assigned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        for (topic, partition), offset in first.items():
            if (topic, partition) in assigned:
                self.consumer.seek(TopicPartition(topic, partition, offset))

    def _rewind_committed(self, msgs: list[Message]) -> None:
        assigned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        tps = [TopicPartition(t, p) for t, p in {(m.topic(), m.partition()) for m in msgs} if (t, p) in assigned]
        for tp in self.consumer.committed(tps, timeout=10) if tps else []:
            self.consumer.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else -2))

    def _usable(self, msg: Message) -> bool:
        error = msg.error()
        if error is None:
            return True
        if error.code() != KafkaError._PARTITION_EOF:
            self.metrics.errors(self._logical.get(msg.topic() or "", "?"), "KafkaError").inc()
            log.warning("%s: consumer error: %s", self.proc.name, error)
        return False

    def _maybe_report_lag(self) -> None:
        now = time.monotonic()
        if now < self._next_lag:
            return
        assignment = self.consumer.assignment()
        if not assignment:
            return  # report as soon as partitions arrive, then every _LAG_EVERY_S
        self._next_lag = now + _LAG_EVERY_S
        for tp in self.consumer.position(assignment):
            _, high = self.consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0:
                position = tp.offset if tp.offset >= 0 else 0  # nothing consumed yet
                self.metrics.lag(self._logical.get(tp.topic, tp.topic), tp.partition).set(max(0, high - position))
