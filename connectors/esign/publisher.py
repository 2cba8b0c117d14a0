"""Where the gateway's records go. ``Publisher`` is the plug-in point; ``KafkaPublisher``
produces each batch in ONE Kafka transaction, so an ``esign.events`` record and the
``esign.envelopes`` state that remembers its event id are committed together or not at
all (a crash in between cannot produce the event twice nor lose the dedupe id)."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Protocol

from inkstream.errors import ConnectorError, RecordErased
from inkstream.kafka_config import client_config
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["Publisher", "KafkaPublisher", "Record"]

Record = tuple[str, str | None, dict]  # (logical topic, key, value)

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """MUST make every record of one ``publish`` call durable together (all or none) before
    returning, and raise ``ConnectorError`` when it could not (the gateway answers 503 so
    the vendor retries)."""

    def publish(self, records: list[Record]) -> None: ...


class KafkaPublisher:
    def __init__(self, settings, *, codec: Codec, transactional_id: str | None = None) -> None:
        from confluent_kafka import Producer

        self._codec = codec
        self._topics = settings.topics
        self._producer = Producer(client_config(settings, **{
            "enable.idempotence": True,
            "transactional.id": transactional_id or f"inkstream-webhooks-{uuid.uuid4().hex[:12]}",
        }))
        self._producer.init_transactions(30)
        self._lock = threading.Lock()

    def publish(self, records: list[Record]) -> None:
        from confluent_kafka import KafkaException

        # Encoded before the transaction opens: a record that cannot be encoded must not
        # leave it open. Records about an erased document are not written (nothing new is
        # kept about an erased subject); the vendor still gets its 2xx.
        encoded = []
        for topic, key, value in records:
            try:
                encoded.append((self._topics.name(topic), key.encode() if key else None,
                                self._codec.encode(topic, value)))
            except RecordErased as exc:
                log.info("webhook record for erased document %s not written", exc.doc_id)
        if not encoded:
            return
        with self._lock:
            try:
                self._producer.begin_transaction()
                for topic, key, value in encoded:
                    self._producer.produce(topic, key=key, value=value)
                self._producer.commit_transaction(30)
            except KafkaException as exc:
                try:
                    self._producer.abort_transaction(10)
                except KafkaException:
                    pass
                raise ConnectorError(f"could not produce webhook records: {exc}") from exc

    def close(self) -> None:
        self._producer.flush(10)
