"""Keep a ReviewQueue current from the ``fields.validated`` topic, and publish decisions.

The follower replays the topic from the beginning on every start (read_committed, no
committed offsets): the queue is a cache of the topic, so a restarted review server
shows exactly what Kafka holds.
"""

from __future__ import annotations

import logging
import threading
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer

from inkstream.errors import RecordErased
from inkstream.kafka_config import client_config
from inkstream.settings import Settings
from schemas.codec import Codec
from schemas.records import envelope
from streams.review.queue import ReviewQueue
from streams.review.users import Reviewer

__all__ = ["QueueFollower", "KafkaPublisher"]

log = logging.getLogger(__name__)


class QueueFollower(threading.Thread):
    def __init__(self, settings: Settings, queue: ReviewQueue, codec: Codec) -> None:
        super().__init__(name="review-follower", daemon=True)
        self.topic = settings.topics.name("fields.validated")
        self.queue, self.codec = queue, codec
        self.caught_up = threading.Event()
        self._stopping = threading.Event()  # not _stop: Thread.join() calls its own _stop()
        self._consumer = Consumer(client_config(settings, **{
            "group.id": f"inkstream.review.{uuid.uuid4().hex}", "enable.auto.commit": False,
            "isolation.level": "read_committed", "auto.offset.reset": "earliest",
        }))

    def run(self) -> None:
        self._consumer.subscribe([self.topic], on_assign=self._from_beginning)
        try:
            while not self._stopping.is_set():
                msg = self._consumer.poll(0.5)
                if msg is None:
                    self._check_caught_up()
                    continue
                if msg.error():
                    log.warning("review follower: %s", msg.error())
                    continue
                try:
                    self.queue.apply(self.codec.decode(msg.value(), msg.topic()))
                except RecordErased as exc:  # the subject was erased: so is the document's review
                    self.queue.forget(exc.doc_id)
                except Exception as exc:  # noqa: BLE001 - a poison record is the extractor's DLQ's business
                    log.warning("review follower skipped offset %s: %s", msg.offset(), type(exc).__name__)
        finally:
            self._consumer.close()

    def _from_beginning(self, consumer, partitions) -> None:
        for p in partitions:
            p.offset = OFFSET_BEGINNING
        consumer.assign(partitions)

    def _check_caught_up(self) -> None:
        """Set ``caught_up`` once every assigned partition is read to its high watermark."""
        if self.caught_up.is_set():
            return
        try:
            positions = self._consumer.position(self._consumer.assignment())
            for p in positions:
                low, high = self._consumer.get_watermark_offsets(p, timeout=2, cached=False)
                if (p.offset if p.offset >= 0 else low) < high:
                    return
        except KafkaException:
            return
        if positions:
            self.caught_up.set()

    def stop(self) -> None:
        self._stopping.set()


class KafkaPublisher:
    """Publishes decisions (fields.validated) and reviewer actions (review.actions)."""

    def __init__(self, settings: Settings, codec: Codec) -> None:
        self.settings, self.codec = settings, codec
        self._producer = Producer(client_config(settings, **{
            "enable.idempotence": True}))

    def _send(self, topic: str, key: str, record: dict) -> None:
        self._producer.produce(self.settings.topics.name(topic), key=key.encode(),
                               value=self.codec.encode(topic, record))
        if self._producer.flush(10) != 0:
            raise RuntimeError(f"could not deliver to {topic} within 10 s")

    def publish(self, record: dict) -> None:
        self._send("fields.validated", record["doc_id"], record)

    def record_action(self, who: Reviewer, action: str, doc_id: str, detail: dict) -> None:
        record = {**envelope(doc_id, producer="review"), "reviewer": who.name, "role": who.role,
                  "action": action, "detail": {k: str(v) for k, v in detail.items()}}
        self._send("review.actions", doc_id or who.name, record)
