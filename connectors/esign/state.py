"""Envelope state: a lifecycle that tolerates out-of-order delivery, kept in the compacted
topic ``esign.envelopes`` (key ``envelope_id``) and materialised on start.

Rules (:func:`advance`): a terminal state (completed, declined, voided, expired) sticks;
otherwise the state moves only forward along sent < delivered < viewed < signed <
completed, so a ``delivered`` that arrives after ``completed`` changes nothing. The
state also remembers the provider event ids already produced (bounded), which is what
makes a redelivery survive a gateway restart: the ids come back with the topic.

Several gateway instances write the same key. :meth:`EnvelopeBook.apply` therefore MERGES
a record into what it knows (:func:`merge`: status by :func:`advance`, seen ids as a union,
a field's value never replaced by a null) instead of replacing it, so the view does not
depend on which of two concurrent writes landed last; and it notes an envelope whose last
record on the topic is behind that merged view (:meth:`EnvelopeBook.behind`), which the
gateway that commits last writes back (one record that carries both writes), so the
compacted topic keeps the join after compaction too.

>>> advance("completed", "delivered"), advance("sent", "viewed"), advance("viewed", "sent")
('completed', 'viewed', 'viewed')
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from connectors.esign.events import ProviderEvent
from schemas.records import envelope, now_ms
from inkstream.kafka_config import client_config
from inkstream.errors import RecordErased
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["advance", "merge", "TERMINAL", "EnvelopeBook", "KafkaEnvelopeReader", "initial_state", "TOPIC"]

log = logging.getLogger(__name__)
TOPIC = "esign.envelopes"
TERMINAL = frozenset({"completed", "declined", "voided", "expired"})
_RANK = {"created": 0, "sent": 1, "delivered": 2, "viewed": 3, "signed": 4, "completed": 5}


def advance(current: str | None, incoming: str) -> str:
    if current in TERMINAL:
        return current
    if incoming in TERMINAL or current is None:
        return incoming
    return incoming if _RANK.get(incoming, -1) > _RANK.get(current, -1) else current


def merge(current: dict | None, incoming: dict, *, max_seen: int = 200) -> dict:
    """The join of two states of one envelope, whichever was written first: the newer
    record's fields, except that the status only advances, the seen ids are the union
    (bounded, oldest dropped) and a known value is never replaced by a null.

    >>> a = {"status": "completed", "seen_event_ids": ["e2"], "crm_object": "Deal"}
    >>> b = {"status": "viewed", "seen_event_ids": ["e1"], "crm_object": None}
    >>> m = merge(a, b); (m["status"], m["seen_event_ids"], m["crm_object"])
    ('completed', ['e2', 'e1'], 'Deal')
    """
    if current is None:
        return incoming
    merged = {**current, **{k: v for k, v in incoming.items() if v is not None}}
    merged["status"] = advance(current.get("status"), incoming.get("status") or current.get("status"))
    seen = list(dict.fromkeys([*current.get("seen_event_ids", []), *incoming.get("seen_event_ids", [])]))
    merged["seen_event_ids"] = seen[-max_seen:]
    times = [t for t in (current.get("last_event_at"), incoming.get("last_event_at")) if t is not None]
    merged["last_event_at"] = max(times) if times else None
    return merged


def _covers(record: dict, view: dict) -> bool:
    """True when ``record`` already says everything the merged ``view`` does (no write-back needed)."""
    return record.get("status") == view.get("status") \
        and set(view.get("seen_event_ids", [])) <= set(record.get("seen_event_ids", []))


def initial_state(*, doc_id: str, provider: str, envelope_id: str, trace: str | None = None,
                  producer: str = "esign.dispatcher", **extra: Any) -> dict:
    """A new ``EnvelopeState`` record (status ``created`` unless given)."""
    record = {**envelope(doc_id, producer=producer, trace=trace), "provider": provider, "envelope_id": envelope_id,
              "status": "created", "idempotency_key": None, "crm_target": None, "crm_object": None,
              "crm_external_id_field": None, "crm_external_id": None, "auth_method": None,
              "seen_event_ids": [], "last_event_at": None}
    record.update(extra)
    return record


class EnvelopeBook:
    """In-memory view of ``esign.envelopes``; thread-safe. Fed by :meth:`apply` (records
    read from the topic, or just written by this process)."""

    def __init__(self, *, max_seen: int = 200) -> None:
        self._by_envelope: dict[str, dict] = {}
        self._by_idempotency: dict[str, str] = {}
        self._behind: set[str] = set()  # envelopes whose last record is behind the merged view
        self._max_seen = max_seen
        self._lock = threading.RLock()

    def apply(self, record: dict | None, *, key: str | None = None) -> None:
        with self._lock:
            if record is None:  # a tombstone
                if key:
                    self._by_envelope.pop(key, None)
                    self._behind.discard(key)
                return
            envelope_id = record["envelope_id"]
            view = merge(self._by_envelope.get(envelope_id), record, max_seen=self._max_seen)
            self._by_envelope[envelope_id] = view
            if _covers(record, view):
                self._behind.discard(envelope_id)
            else:
                self._behind.add(envelope_id)
            if record.get("idempotency_key"):
                self._by_idempotency[record["idempotency_key"]] = record["envelope_id"]

    def behind(self, envelope_id: str) -> bool:
        """True when the last record applied for ``envelope_id`` says less than the merged
        view (another instance's write landed after it was computed, or before it)."""
        with self._lock:
            return envelope_id in self._behind

    def get(self, envelope_id: str) -> dict | None:
        with self._lock:
            return self._by_envelope.get(envelope_id)

    def forget(self, doc_id: str) -> None:
        """Drop every envelope of an erased document (its records no longer decode)."""
        with self._lock:
            for envelope_id in [e for e, s in self._by_envelope.items() if s["doc_id"] == doc_id]:
                record = self._by_envelope.pop(envelope_id)
                self._behind.discard(envelope_id)
                if record.get("idempotency_key"):
                    self._by_idempotency.pop(record["idempotency_key"], None)

    def by_idempotency_key(self, key: str) -> dict | None:
        with self._lock:
            envelope_id = self._by_idempotency.get(key)
            return self._by_envelope.get(envelope_id) if envelope_id else None

    def for_doc(self, doc_id: str) -> list[dict]:
        with self._lock:
            return [s for s in self._by_envelope.values() if s["doc_id"] == doc_id]

    def __len__(self) -> int:
        return len(self._by_envelope)

    def next_state(self, current: dict | None, event: ProviderEvent, doc_id: str, *, trace: str | None = None) -> dict:
        """The state after ``event`` (a new record; ``current`` is not modified)."""
        base = current or initial_state(doc_id=doc_id, provider=event.provider, envelope_id=event.envelope_id,
                                        trace=trace, producer="esign.gateway")
        seen = [*base.get("seen_event_ids", []), event.provider_event_id][-self._max_seen:]
        return {**base, "event_id": str(uuid.uuid4()), "occurred_at": now_ms(),
                "producer": {**base["producer"], "name": "esign.gateway"},
                "status": advance(current["status"] if current else None, event.event_type),
                "seen_event_ids": seen, "last_event_at": event.provider_time or now_ms()}


class KafkaEnvelopeReader:
    """Reads ``esign.envelopes`` from the beginning into an :class:`EnvelopeBook`, and
    later catches up to the current end on demand (an envelope created by the dispatcher
    after this process started). Read-committed, no consumer group offsets."""

    def __init__(self, settings, book: EnvelopeBook, *, codec: Codec) -> None:
        from confluent_kafka import Consumer, TopicPartition

        self._tp = TopicPartition
        self._codec = codec  # the process's (its key store opens the sealed envelope records)
        self._book = book
        self._topic = settings.topics.name(TOPIC)
        self._consumer = Consumer(client_config(settings, **{
            "group.id": f"inkstream-envelopes-{uuid.uuid4().hex[:8]}", "enable.auto.commit": False,
            "isolation.level": "read_committed", "auto.offset.reset": "earliest",
            # Offset look-ups share the broker connection with fetches: a long-polling fetch
            # (500 ms by default) would hold every look-up of catch_up() behind it.
            "fetch.wait.max.ms": 10,
        }))
        self._partitions: list = []
        self._admin = None  # for end offsets (_latest_offsets), made on first use
        self._settings = settings
        self._assign()
        self._lock = threading.Lock()

    def _assign(self) -> None:
        # A topic created a moment ago (or after this process started) can still be missing
        # from the metadata: then catch_up() asks again rather than never reading it.
        metadata = self._consumer.list_topics(self._topic, timeout=10)
        topic = metadata.topics.get(self._topic)
        partitions = topic.partitions if topic is not None and topic.error is None else {}
        self._partitions = [self._tp(self._topic, p, 0) for p in sorted(partitions)]
        if self._partitions:
            self._consumer.assign(self._partitions)

    def catch_up(self, timeout_s: float = 10.0) -> int:
        """Apply every record up to the end offsets seen now; returns how many were read."""
        with self._lock:
            if not self._partitions:
                self._assign()
            deadline = time.monotonic() + timeout_s
            ends = self._end_offsets(deadline)
            # Watermarks are one round trip per partition; on a loaded host they can use up
            # the whole budget, so always leave time to read what they promised.
            deadline = max(deadline, time.monotonic() + 1.0)
            done = {p for p, end in ends.items() if self._position(p) >= end}
            count = 0
            while len(done) < len(ends) and time.monotonic() < deadline:
                # Short: a transaction's commit marker is no message, so a long poll would sit
                # out its whole timeout before the position moves past it (each gateway event
                # catches up twice when instances share the topic).
                msg = self._consumer.poll(0.01)
                if msg is None:
                    done |= {p for p, end in ends.items() if self._position(p) >= end}
                    continue
                if msg.error():
                    continue
                key = msg.key().decode() if msg.key() else None
                try:
                    record = self._codec.decode(msg.value(), msg.topic()) if msg.value() is not None else None
                except RecordErased as exc:  # the document's subject was erased: so is its envelope
                    self._book.forget(exc.doc_id)
                else:
                    self._book.apply(record, key=key)
                count += 1
                if msg.offset() + 1 >= ends[msg.partition()]:
                    done.add(msg.partition())
            return count

    def _end_offsets(self, deadline: float) -> dict[int, int]:
        from confluent_kafka import KafkaError, KafkaException

        settling = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                    KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_PARTITION}
        while True:
            try:
                return self._latest_offsets()
            except KafkaException as exc:
                # A topic created a moment ago has no leader yet: retriable until the deadline.
                error = exc.args[0]
                if not (error.retriable() or error.code() in settling) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def _latest_offsets(self) -> dict[int, int]:
        """One ListOffsets request for every partition (per-partition watermarks cost a round
        trip each, twice per webhook when gateway instances share the topic)."""
        from confluent_kafka import IsolationLevel
        from confluent_kafka.admin import AdminClient, OffsetSpec

        if self._admin is None:
            self._admin = AdminClient(client_config(self._settings))
        futures = self._admin.list_offsets({tp: OffsetSpec.latest() for tp in self._partitions},
                                           isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=5)
        try:
            return {tp.partition: future.result().offset for tp, future in futures.items()}
        except Exception as exc:  # noqa: BLE001 - e.g. a partition without a leader yet
            log.info("ListOffsets on %s failed (%s): asking partition by partition", self._topic, exc)
            # The high watermark: past an open transaction, catch_up then waits for its end.
            return {tp.partition: self._consumer.get_watermark_offsets(tp, timeout=5, cached=False)[1]
                    for tp in self._partitions}

    def _position(self, partition: int) -> int:
        pos = self._consumer.position([self._tp(self._topic, partition)])[0].offset
        return pos if pos >= 0 else 0

    def close(self) -> None:
        self._consumer.close()
