"""An in-memory Kafka for testing the worker loop without a broker: the subset of
confluent-kafka's ``Consumer`` and ``Producer`` that :class:`streams.runtime.loop.Worker`
calls, with the semantics its logic depends on — partitions and offsets, consumer groups
with committed offsets, transactions whose records and offsets appear atomically at
commit and never after an abort (``read_committed``), pause/resume, seek, and rebalances
driven by the test. Faults are injected with :meth:`MemoryProducer.fail_next`.

>>> broker = MemoryBroker({"in": 1, "out": 1})
>>> broker.append("in", b"v", key=b"k").offset()
0
>>> producer = MemoryProducer(broker, {"transactional.id": "t"})
>>> producer.init_transactions(1); producer.begin_transaction()
>>> producer.produce("out", b"x", b"k")
>>> [m.value() for m in broker.committed_records("out")]
[]
>>> producer.commit_transaction(1); [m.value() for m in broker.committed_records("out")]
[b'x']

The stack tests (``tests/streams/runtime/test_exactly_once.py``) prove the same
guarantees against the real broker; these make the loop's branches cheap to reach.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from streams.runtime.ports import ConsumerPort, ProducerPort, RebalanceCallback

__all__ = ["MemoryBroker", "MemoryConsumer", "MemoryProducer", "MemoryMessage"]


@dataclass
class MemoryMessage:
    """Shaped like ``confluent_kafka.Message`` (methods, not attributes)."""

    _topic: str
    _partition: int
    _offset: int
    _key: bytes | None
    _value: bytes | None
    _headers: list[Any] | None = None
    _timestamp: int = 0
    _state: str = "committed"  # "open" while its transaction is; "aborted" is never delivered
    _error: KafkaError | None = None

    def topic(self) -> str: return self._topic
    def partition(self) -> int: return self._partition
    def offset(self) -> int: return self._offset
    def key(self) -> bytes | None: return self._key
    def value(self) -> bytes | None: return self._value
    def headers(self) -> list[Any] | None: return self._headers
    def timestamp(self) -> tuple[int, int]: return (1, self._timestamp)
    def error(self) -> KafkaError | None: return self._error


@dataclass
class MemoryBroker:
    """Topics -> partitions -> records; group -> committed offsets."""

    partitions: dict[str, int]
    logs: dict[tuple[str, int], list[MemoryMessage]] = field(default_factory=lambda: defaultdict(list))
    offsets: dict[str, dict[tuple[str, int], int]] = field(default_factory=lambda: defaultdict(dict))
    # transactional.id -> the producer that owns it (the last to call init_transactions)
    owners: dict[str, "MemoryProducer"] = field(default_factory=dict)

    def append(self, topic: str, value: bytes | None, *, key: bytes | None = None, partition: int | None = None,
               state: str = "committed") -> MemoryMessage:
        if topic not in self.partitions:
            raise KafkaException(KafkaError(KafkaError._UNKNOWN_TOPIC, f"unknown topic {topic}"))
        if partition is None:
            partition = (zlib.crc32(key) if key is not None else len(self.logs[(topic, 0)])) % self.partitions[topic]
        log = self.logs[(topic, partition)]
        log.append(MemoryMessage(topic, partition, len(log), key, value, _state=state))
        return log[-1]

    def committed_records(self, topic: str) -> list[MemoryMessage]:
        """What a ``read_committed`` consumer sees on ``topic``, all partitions."""
        return [m for p in range(self.partitions.get(topic, 0)) for m in self.logs[(topic, p)] if m._state == "committed"]

    def topic_partitions(self, topics: list[str]) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t in topics for p in range(self.partitions.get(t, 0))]


class MemoryConsumer:
    """One group member. ``rebalance(partitions)`` (called by the test, or at subscribe with
    every partition) revokes the current assignment and assigns the new one, through the
    same callbacks librdkafka would call from ``consume``."""

    def __init__(self, broker: MemoryBroker, config: dict[str, Any]) -> None:
        self.broker, self.group = broker, config.get("group.id", "group")
        self._assigned: list[TopicPartition] = []
        self._position: dict[tuple[str, int], int] = {}
        self._paused: set[tuple[str, int]] = set()
        self._callbacks: dict[str, RebalanceCallback | None] = {}
        self._pending_rebalance: list[TopicPartition] | None = None
        self.closed = False

    # -- group membership ------------------------------------------------------
    def subscribe(self, topics: list[str], on_assign: RebalanceCallback | None = None,
                  on_revoke: RebalanceCallback | None = None, on_lost: RebalanceCallback | None = None) -> None:
        self._callbacks = {"assign": on_assign, "revoke": on_revoke}
        self._pending_rebalance = self.broker.topic_partitions(list(topics))

    def rebalance(self, partitions: list[TopicPartition]) -> None:
        """At the next ``consume``: revoke everything, then assign ``partitions``."""
        self._pending_rebalance = list(partitions)

    def _apply_rebalance(self) -> None:
        new, self._pending_rebalance = self._pending_rebalance or [], None
        revoke, assign = self._callbacks.get("revoke"), self._callbacks.get("assign")
        if self._assigned and revoke:
            revoke(self, list(self._assigned))
        self._assigned, self._position, self._paused = [], {}, set()
        if assign:
            assign(self, new)
        if not self._assigned:  # the callback did not assign itself: the library does
            self.assign(new)

    def assign(self, partitions: list[TopicPartition]) -> None:
        self._assigned = [TopicPartition(tp.topic, tp.partition) for tp in partitions]
        for tp in self._assigned:
            committed = self.broker.offsets[self.group].get((tp.topic, tp.partition))
            self._position[(tp.topic, tp.partition)] = committed if committed is not None else 0

    def assignment(self) -> list[TopicPartition]:
        return list(self._assigned)

    # -- reading ------------------------------------------------------------------
    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[MemoryMessage]:
        if self._pending_rebalance is not None:
            self._apply_rebalance()
        out: list[MemoryMessage] = []
        for tp in self._assigned:
            key = (tp.topic, tp.partition)
            if key in self._paused:
                continue
            log = self.broker.logs[key]
            while len(out) < num_messages and self._position[key] < len(log):
                msg = log[self._position[key]]
                if msg._state == "open":
                    break  # read_committed: nothing past an open transaction's first record
                self._position[key] += 1
                if msg._state == "committed":
                    out.append(msg)
        return out

    def pause(self, partitions: list[TopicPartition]) -> None:
        self._paused |= {(tp.topic, tp.partition) for tp in partitions}

    def resume(self, partitions: list[TopicPartition]) -> None:
        self._paused -= {(tp.topic, tp.partition) for tp in partitions}

    def seek(self, partition: TopicPartition) -> None:
        self._position[(partition.topic, partition.partition)] = partition.offset if partition.offset >= 0 else 0

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, self._position.get((tp.topic, tp.partition), -1001))
                for tp in partitions]

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float = -1,
                              cached: bool = False) -> tuple[int, int]:
        return 0, len(self.broker.logs[(partition.topic, partition.partition)])

    # -- offsets ------------------------------------------------------------------
    def commit(self, *, offsets: list[TopicPartition] | None = None, asynchronous: bool = True) -> None:
        for tp in offsets or []:
            self.broker.offsets[self.group][(tp.topic, tp.partition)] = tp.offset

    def committed(self, partitions: list[TopicPartition], timeout: float = -1) -> list[TopicPartition]:
        group = self.broker.offsets[self.group]
        return [TopicPartition(tp.topic, tp.partition, group.get((tp.topic, tp.partition), -1001))
                for tp in partitions]

    def consumer_group_metadata(self) -> str:
        return str(self.group)

    def close(self) -> None:
        self.closed = True


class MemoryProducer:
    """Idempotent, optionally transactional. ``fail_next(method, error)`` makes the next
    call of ``method`` (``produce``, ``commit_transaction``, ``begin_transaction``,
    ``send_offsets_to_transaction``, ``flush``) raise ``KafkaException(error)``."""

    def __init__(self, broker: MemoryBroker, config: dict[str, Any]) -> None:
        self.broker, self.config = broker, config
        self.transactional = "transactional.id" in config
        self._txn: list[MemoryMessage] | None = None
        self._txn_offsets: list[tuple[str, list[TopicPartition]]] = []
        self._faults: dict[str, list[KafkaError]] = defaultdict(list)
        self.closed = self.fenced = False
        self.calls: list[str] = []

    def fail_next(self, method: str, error: KafkaError) -> None:
        self._faults[method].append(error)

    def _maybe_fail(self, method: str) -> None:
        self.calls.append(method)
        if self.fenced and method != "close":
            raise KafkaException(KafkaError(KafkaError._FENCED, "fenced by a newer instance", fatal=True))
        if self._faults[method]:
            raise KafkaException(self._faults[method].pop(0))

    def init_transactions(self, timeout: float = -1) -> None:
        """Take the transactional.id: the previous owner is fenced and its open
        transaction aborted, as the transaction coordinator does."""
        self._maybe_fail("init_transactions")
        tid = self.config["transactional.id"]
        previous = self.broker.owners.get(tid)
        if previous is not None and previous is not self:
            for msg in previous._txn or []:
                msg._state = "aborted"
            previous._txn, previous.fenced = None, True
        self.broker.owners[tid] = self

    def begin_transaction(self) -> None:
        self._maybe_fail("begin_transaction")
        self._txn, self._txn_offsets = [], []

    def produce(self, topic: str, value: str | bytes | None = None, key: str | bytes | None = None,
                **_: Any) -> None:
        self._maybe_fail("produce")
        value, key = _as_bytes(value), _as_bytes(key)  # librdkafka encodes a str as UTF-8
        msg = self.broker.append(topic, value, key=key, state="committed" if self._txn is None else "open")
        if self._txn is not None:
            self._txn.append(msg)

    def send_offsets_to_transaction(self, positions: list[TopicPartition], group_metadata: Any,
                                    timeout: float = -1) -> None:
        self._maybe_fail("send_offsets_to_transaction")
        self._txn_offsets.append((group_metadata, list(positions)))

    def commit_transaction(self, timeout: float = -1) -> None:
        self._maybe_fail("commit_transaction")
        for msg in self._txn or []:
            msg._state = "committed"
        for group, offsets in self._txn_offsets:
            for tp in offsets:
                self.broker.offsets[group][(tp.topic, tp.partition)] = tp.offset
        self._txn, self._txn_offsets = None, []

    def abort_transaction(self, timeout: float = -1) -> None:
        self._maybe_fail("abort_transaction")
        for msg in self._txn or []:
            msg._state = "aborted"  # keeps its offset; read_committed consumers skip it
        self._txn, self._txn_offsets = None, []

    def poll(self, timeout: float = -1) -> int:
        return 0

    def flush(self, timeout: float = -1) -> int:
        self._maybe_fail("flush")
        return 0

    def purge(self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True) -> None:
        pass

    def close(self, timeout: float = -1) -> None:
        self.closed = True


def _as_bytes(data: str | bytes | None) -> bytes | None:
    return data.encode() if isinstance(data, str) else data


if TYPE_CHECKING:
    def _satisfies_ports(broker: MemoryBroker) -> tuple[ConsumerPort, ProducerPort]:
        """Never called: mypy checks here that the in-memory pair is what the worker loop takes."""
        return MemoryConsumer(broker, {}), MemoryProducer(broker, {})
