"""Where the gateway's records go. ``Publisher`` is the plug-in point; ``KafkaPublisher``
produces each batch in ONE Kafka transaction, so an ``esign.events`` record and the
``esign.envelopes`` state that remembers its event id are committed together or not at
all (a crash in between cannot produce the event twice nor lose the dedupe id)."""

from __future__ import annotations

import threading
import uuid
from typing import Protocol

from inkstream.errors import ConnectorError
from inkstream.kafka_config import client_config

__all__ = ["Publisher", "KafkaPublisher", "Record"]

Record = tuple[str, str | None, dict]  # (logical topic, key, value)


class Publisher(Protocol):
    """MUST make every record of one ``publish`` call durable together (all or none) before
    returning, and raise ``ConnectorError`` when it could not (the gateway answers 503 so
    the vendor retries)."""

    def publish(self, records: list[Record]) -> None: ...


class KafkaPublisher:
    def __init__(self, settings, *, codec=None, transactional_id: str | None = None) -> None:
        from confluent_kafka import Producer

        from schemas.codec import Codec

        self._codec = codec or Codec.from_settings(settings)
        self._topics = settings.topics
        self._producer = Producer(client_config(settings, **{
            "enable.idempotence": True,
            "transactional.id": transactional_id or f"inkstream-webhooks-{uuid.uuid4().hex[:12]}",
        }))
        self._producer.init_transactions(30)
        self._lock = threading.Lock()

    def publish(self, records: list[Record]) -> None:
        from confluent_kafka import KafkaException

        with self._lock:
            try:
                self._producer.begin_transaction()
                for topic, key, value in records:
                    self._producer.produce(self._topics.name(topic), key=key.encode() if key else None,
                                           value=self._codec.encode(topic, value))
                self._producer.commit_transaction(30)
            except KafkaException as exc:
                try:
                    self._producer.abort_transaction(10)
                except KafkaException:
                    pass
                raise ConnectorError(f"could not produce webhook records: {exc}") from exc

    def close(self) -> None:
        self._producer.flush(10)
