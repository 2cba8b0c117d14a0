"""``StatusView``: the latest ``documents.status`` record per doc_id, materialised in
the API process by a background consumer thread (the compacted topic is the truth;
this is a read model rebuilt from offset 0 at every start).

It also learns each document's owner — ``(source, source_ref)`` from its
``documents.ingested`` record (either lane) — so the API can answer a key only about
its own source's documents. Only the two short strings are kept per document (interned:
a deployment has few sources), never the record."""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["StatusView"]

log = logging.getLogger(__name__)


class StatusView:
    """Thread-safe maps doc_id -> latest status record and doc_id -> owner. ``observe``
    and ``observe_owner`` let the process that wrote a record see it before the consumer
    reads it back (read-your-writes). ``owner_topics``: the ``documents.ingested`` lanes
    (physical names) to learn owners from; ``decode``: the codec's (sealed records open
    with the deployment's keys); a view that consumes (``consumer_factory``) needs it."""

    def __init__(self, topic: str, consumer_factory=None, *, owner_topics: tuple[str, ...] = (),
                 decode=None) -> None:
        self.topic = topic
        self.owner_topics = tuple(owner_topics)
        self._consumer_factory = consumer_factory
        self._decode = decode
        self._latest: dict[str, dict] = {}
        self._owners: dict[str, tuple[str, str | None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.records_read = 0

    @classmethod
    def from_settings(cls, settings, codec: Codec) -> "StatusView":
        from confluent_kafka import Consumer

        from connectors.capture.sink import kafka_config

        def factory():
            # A private group read from the beginning: every API process holds the whole view.
            return Consumer(kafka_config(settings, **{
                "group.id": f"inkstream-capture-status-{uuid.uuid4().hex[:12]}",
                "auto.offset.reset": "earliest", "enable.auto.commit": "false",
                "isolation.level": "read_committed"}))

        from connectors.capture.ingest import ingested_topic

        lanes = tuple(dict.fromkeys(settings.topics.name(ingested_topic(p)) for p in ("high", "normal")))
        return cls(settings.topics.name("documents.status"), factory, owner_topics=lanes,
                   decode=codec.decode)

    def get(self, doc_id: str) -> dict | None:
        with self._lock:
            return self._latest.get(doc_id)

    def owner(self, doc_id: str) -> tuple[str, str | None] | None:
        """``(source, source_ref)`` of the document's ingested record, or None when not
        (yet) seen, erased, or older than ``documents.ingested``'s retention."""
        with self._lock:
            return self._owners.get(doc_id)

    def observe_owner(self, doc_id: str, source: str, source_ref: str | None) -> None:
        owner = (sys.intern(source), sys.intern(source_ref) if source_ref else None)
        with self._lock:
            self._owners[doc_id] = owner

    def observe(self, record: dict) -> None:
        with self._lock:
            current = self._latest.get(record["doc_id"])
            if current is None or record["occurred_at"] >= current["occurred_at"]:
                self._latest[record["doc_id"]] = record

    def start(self) -> "StatusView":
        if self._consumer_factory is None:
            return self
        if self._decode is None:
            raise ValueError("a status view that consumes records needs decode= (its codec's)")
        self._thread = threading.Thread(target=self._run, name="capture-status-view", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        from inkstream.errors import RecordErased

        decode = self._decode
        consumer = self._consumer_factory()
        consumer.subscribe([self.topic, *self.owner_topics])
        try:
            while not self._stop.is_set():
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error():
                    log.warning("status view: %s", msg.error())
                    continue
                key = msg.key().decode() if msg.key() else None
                if msg.topic() in self.owner_topics:
                    self._learn_owner(msg, decode)
                    continue
                if msg.value() is None:  # tombstone: the document's status was deleted
                    if key:
                        with self._lock:
                            self._latest.pop(key, None)
                    continue
                try:
                    self.observe(decode(msg.value(), msg.topic()))
                    self.records_read += 1
                except RecordErased as exc:  # its subject was erased: the document is gone
                    with self._lock:
                        self._latest.pop(exc.doc_id, None)
                except Exception as exc:  # noqa: BLE001 - one bad record must not blind the whole view
                    log.warning("status view: undecodable record at %s/%s: %s",
                                msg.partition(), msg.offset(), exc)
        finally:
            consumer.close()

    def _learn_owner(self, msg, decode) -> None:
        from inkstream.errors import RecordErased

        if msg.value() is None:
            return
        try:
            record = decode(msg.value(), msg.topic())
        except RecordErased as exc:  # erased: nobody but an admin reads it any more
            with self._lock:
                self._owners.pop(exc.doc_id, None)
            return
        except Exception as exc:  # noqa: BLE001 - unreadable: its status stays admin-only (fail closed)
            log.warning("status view: undecodable ingested record at %s/%s: %s",
                        msg.partition(), msg.offset(), exc)
            return
        self.observe_owner(record["doc_id"], record["source"], record.get("source_ref"))
