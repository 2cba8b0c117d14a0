"""``StatusView``: the latest ``documents.status`` record per doc_id, materialised in
the API process by a background consumer thread (the compacted topic is the truth;
this is a read model rebuilt from offset 0 at every start)."""

from __future__ import annotations

import logging
import threading
import uuid

__all__ = ["StatusView"]

log = logging.getLogger(__name__)


class StatusView:
    """Thread-safe map doc_id -> latest status record. ``observe`` lets the process that
    wrote a record see it before the consumer reads it back (read-your-writes)."""

    def __init__(self, topic: str, consumer_factory=None) -> None:
        self.topic = topic
        self._consumer_factory = consumer_factory
        self._latest: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.records_read = 0

    @classmethod
    def from_settings(cls, settings) -> "StatusView":
        from confluent_kafka import Consumer

        from connectors.capture.sink import kafka_config

        def factory():
            # A private group read from the beginning: every API process holds the whole view.
            return Consumer(kafka_config(settings, **{
                "group.id": f"inkstream-capture-status-{uuid.uuid4().hex[:12]}",
                "auto.offset.reset": "earliest", "enable.auto.commit": "false",
                "isolation.level": "read_committed"}))

        return cls(settings.topics.name("documents.status"), factory)

    def get(self, doc_id: str) -> dict | None:
        with self._lock:
            return self._latest.get(doc_id)

    def observe(self, record: dict) -> None:
        with self._lock:
            current = self._latest.get(record["doc_id"])
            if current is None or record["occurred_at"] >= current["occurred_at"]:
                self._latest[record["doc_id"]] = record

    def start(self) -> "StatusView":
        if self._consumer_factory is None:
            return self
        self._thread = threading.Thread(target=self._run, name="capture-status-view", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        from inkstream.errors import RecordErased
        from schemas.codec import decode

        consumer = self._consumer_factory()
        consumer.subscribe([self.topic])
        try:
            while not self._stop.is_set():
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error():
                    log.warning("status view: %s", msg.error())
                    continue
                key = msg.key().decode() if msg.key() else None
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
                except Exception as exc:  # one bad record must not blind the whole view
                    log.warning("status view: undecodable record at %s/%s: %s",
                                msg.partition(), msg.offset(), exc)
        finally:
            consumer.close()
