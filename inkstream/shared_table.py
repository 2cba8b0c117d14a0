"""A compacted Kafka topic as a small key → JSON-object table that every instance holds in
memory: the shared home of API keys, reviewers and review sessions when several hosts serve
them (``state.backend: kafka``), instead of files in one host's data dir.

- ``put``/``delete`` are durable before they return (idempotent producer, ``acks=all``,
  flushed; a tombstone for a delete) and are applied locally at once (read-your-writes).
- A follower thread applies every instance's writes as they commit: another instance sees
  a change after one fetch round (``fetch.wait.max.ms`` = 100 ms; about 0.1–0.5 s on the
  local stack, measured by tests/inkstream/test_shared_table.py).
- ``start()`` reads the topic to its end before returning, so a new instance never
  answers from a partial table; ``fresh()`` is False once the follower has not reached the
  broker for ``max_staleness_s`` (callers then refuse rather than trust a table that may
  miss a revocation: fail closed).
- One topic carries several kinds: each table sees only the keys under its ``prefix``
  (``apikey/``, ``reviewer/``, ``session/``). Last write per key wins; ``merge`` can guard
  the in-memory view (a revocation is not undone by a stale concurrent write), but the
  compacted topic keeps only the last record, so a field other instances change often
  (an API key's last use) lives under a key of its own, never rewritten with the rest.

Values are JSON, not Avro: this is the services' own configuration (like Kafka's own
``__consumer_offsets``), not a pipeline hop, and the audit sink does not read it (every
change to it is audited on ``admin.actions`` before it is written). Secrets are never
values: API keys and session ids are stored as SHA-256 digests, passwords as their KDF
hashes. Whoever may write this topic may mint keys: restrict it by ACL (SECURITY.md).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from inkstream.errors import ConnectorError
from inkstream.kafka_config import client_config

if TYPE_CHECKING:
    from confluent_kafka import Consumer, KafkaError, Message, Producer

    from inkstream.settings import Settings

__all__ = ["SharedTable", "ensure_state_topic"]

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]
Merge = Callable[[JsonObject | None, JsonObject], JsonObject]


def ensure_state_topic(settings: Settings, topic: str, *, partitions: int = 1) -> str:
    """Create the (compacted) topic if it is missing; returns its physical name."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    name = settings.topics.name(topic)
    admin = AdminClient(client_config(settings))
    if name in admin.list_topics(timeout=10).topics:
        return name
    future = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=-1,
                                           config={"cleanup.policy": "compact"})], request_timeout=15)[name]
    try:
        future.result(30)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise ConnectorError(f"cannot create the shared state topic {name}: {exc}") from exc
    return name


class SharedTable:
    """``SharedTable(settings, "admin.state", prefix="apikey/").start()``; then ``get``,
    ``items``, ``put``, ``delete``. Thread-safe."""

    def __init__(self, settings: Settings, topic: str, *, prefix: str, merge: Merge | None = None,
                 max_staleness_s: float = 30.0, on_change: Callable[[str], None] | None = None) -> None:
        self._settings, self._logical, self._prefix = settings, topic, prefix
        self._merge = merge
        self._max_staleness = max_staleness_s
        self._on_change = on_change
        self._items: dict[str, JsonObject] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fresh_at = 0.0
        self._partitions: list[int] = []
        self._applied: dict[int, int] = {}  # partition -> next offset the follower will apply
        self._offsets: Consumer | None = None  # a consumer for sync()'s end-offset look-ups
        self._offsets_lock = threading.Lock()
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self.topic = settings.topics.name(topic)

    # -- reads -------------------------------------------------------------------------
    def get(self, key: str) -> JsonObject | None:
        with self._lock:
            return self._items.get(key)

    def items(self) -> list[tuple[str, JsonObject]]:
        with self._lock:
            return list(self._items.items())

    @property
    def max_staleness_s(self) -> float:
        return self._max_staleness

    def fresh(self) -> bool:
        """True while the follower reached the broker within ``max_staleness_s``."""
        return time.monotonic() - self._fresh_at <= self._max_staleness

    # -- writes ------------------------------------------------------------------------
    def put(self, key: str, value: JsonObject) -> None:
        self._produce(key, json.dumps(value, separators=(",", ":"), sort_keys=True).encode())
        self._apply(key, value)

    def put_nowait(self, key: str, value: JsonObject) -> None:
        """For informational values (last use): sent in the background, never waited for;
        a failure is logged, not raised."""
        from confluent_kafka import KafkaException

        self._apply(key, value)
        if self._producer is None:
            return

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                log.warning("shared table %s: %s%s not written: %s", self.topic, self._prefix, key, err)
        try:
            self._producer.produce(self.topic, key=(self._prefix + key).encode(), on_delivery=delivered,
                                   value=json.dumps(value, separators=(",", ":"), sort_keys=True).encode())
            self._producer.poll(0)
        except (KafkaException, BufferError) as exc:
            log.warning("shared table %s: %s%s not written: %s", self.topic, self._prefix, key, exc)

    def delete(self, key: str) -> None:
        self._produce(key, None)
        self._apply(key, None)

    def _produce(self, key: str, value: bytes | None) -> None:
        from confluent_kafka import KafkaException

        if self._producer is None:
            raise ConnectorError("the shared table is not started")
        done: list[KafkaError | None] = []
        try:
            self._producer.produce(self.topic, key=(self._prefix + key).encode(), value=value,
                                   on_delivery=lambda err, _msg: done.append(err))
            self._producer.flush(10)
        except (KafkaException, BufferError) as exc:
            raise ConnectorError(f"could not write {self._prefix}{key} to {self.topic}: {exc}") from exc
        if not done or done[0] is not None:
            raise ConnectorError(f"could not write {self._prefix}{key} to {self.topic}: "
                                 f"{done[0] if done else 'not acknowledged in time'}")

    # -- following ---------------------------------------------------------------------
    def start(self, timeout_s: float = 30.0) -> "SharedTable":
        """Create the topic if needed, read it to its end, then follow it in a thread."""
        from confluent_kafka import Consumer, Producer, TopicPartition

        ensure_state_topic(self._settings, self._logical)
        self._producer = Producer(client_config(self._settings, **{
            "enable.idempotence": True, "acks": "all", "linger.ms": 0}))
        self._consumer = consumer = Consumer(client_config(self._settings, **{
            "group.id": f"inkstream-state-{uuid.uuid4().hex[:12]}", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100}))
        deadline = time.monotonic() + timeout_s
        partitions: dict[int, Any] = {}
        while not partitions and time.monotonic() < deadline:  # a topic created a moment ago
            meta = consumer.list_topics(self.topic, timeout=10).topics.get(self.topic)
            partitions = meta.partitions if meta is not None and meta.error is None else {}
            if not partitions:
                time.sleep(0.2)
        if not partitions:
            raise ConnectorError(f"shared state topic {self.topic} has no partitions")
        self._partitions = sorted(partitions)
        tps = [TopicPartition(self.topic, p, 0) for p in self._partitions]
        consumer.assign(tps)
        ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in tps}
        while any(self._position(p) < end for p, end in ends.items()):
            if time.monotonic() > deadline:
                raise ConnectorError(f"could not read {self.topic} to its end in {timeout_s:.0f} s")
            self._poll_once(0.2)
        self._fresh_at = time.monotonic()
        self._thread = threading.Thread(target=self._follow, name=f"shared-table-{self._prefix}", daemon=True)
        self._thread.start()
        return self

    def sync(self, timeout_s: float = 1.0) -> bool:
        """Wait until the follower has applied everything committed before this call (a key
        just written on another instance); False when that took longer than ``timeout_s``."""
        from confluent_kafka import KafkaException, TopicPartition

        deadline = time.monotonic() + timeout_s
        with self._offsets_lock:
            if self._offsets is None:  # its own handle: the follower's is busy polling
                from confluent_kafka import Consumer

                self._offsets = Consumer(client_config(self._settings, **{
                    "group.id": f"inkstream-state-{uuid.uuid4().hex[:12]}", "enable.auto.commit": False}))
            offsets = self._offsets
            try:
                ends = {p: offsets.get_watermark_offsets(TopicPartition(self.topic, p), timeout=timeout_s,
                                                               cached=False)[1] for p in self._partitions}
            except KafkaException:
                return False
        while any(self._applied.get(p, 0) < end for p, end in ends.items()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._consumer is not None:
            self._consumer.close()
        if self._offsets is not None:
            self._offsets.close()
        if self._producer is not None:
            self._producer.flush(5)

    def _position(self, partition: int) -> int:
        from confluent_kafka import TopicPartition

        offset: int = self._follower().position([TopicPartition(self.topic, partition)])[0].offset
        return max(offset, 0)

    def _follower(self) -> Consumer:
        if self._consumer is None:
            raise ConnectorError("the shared table is not started")
        return self._consumer

    def _follow(self) -> None:
        last_check = 0.0
        while not self._stop.is_set():
            try:
                self._poll_once(0.2)
                if time.monotonic() - last_check > 1.0:  # a quiet topic says nothing: ask the broker
                    last_check = time.monotonic()
                    self._follower().list_topics(self.topic, timeout=2)
                    self._fresh_at = time.monotonic()
            except Exception:  # noqa: BLE001 - keep following; fresh() turns False meanwhile
                log.exception("shared table %s: follower error", self.topic)
                time.sleep(1.0)

    def _poll_once(self, timeout: float) -> None:
        msg = self._follower().poll(timeout)
        if msg is None or msg.error():
            return
        try:
            self._handle(msg)
        finally:
            partition, offset = msg.partition(), msg.offset()
            if partition is not None and offset is not None:  # always set on a consumed record
                self._applied[partition] = offset + 1

    def _handle(self, msg: Message) -> None:
        raw_key, raw = msg.key(), msg.value()
        key = raw_key.decode() if raw_key else ""
        if not key.startswith(self._prefix):
            return
        try:
            value = json.loads(raw) if raw is not None else None
        except ValueError:
            log.warning("shared table %s: unreadable value at %s/%s ignored", self.topic, msg.partition(), msg.offset())
            return
        self._apply(key[len(self._prefix):], value)

    def _apply(self, key: str, value: JsonObject | None) -> None:
        with self._lock:
            if value is None:
                self._items.pop(key, None)
            else:
                current = self._items.get(key)
                self._items[key] = self._merge(current, value) if self._merge else value
        if self._on_change is not None:
            self._on_change(key)
