"""``KafkaRecordSink``: the ``RecordSink`` capture produces through.

One idempotent confluent-kafka producer per process (``enable.idempotence``: acks=all,
no duplicates or reordering on retry). ``send`` never blocks on the broker: it returns
a future resolved by the delivery report, which a background thread polls for.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING

from inkstream.errors import ConnectorError

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["KafkaRecordSink", "kafka_config"]


def kafka_config(settings: Settings, **extra: str) -> dict:
    """Client properties for ``settings.kafka`` (security settings ride in ``client``)."""
    from inkstream.kafka_config import client_config

    return client_config(settings, **extra)


class KafkaRecordSink:
    """Thread-safe; close() flushes what is queued."""

    def __init__(self, producer) -> None:
        self._producer = producer
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="capture-producer-poll", daemon=True)
        self._poller.start()

    @classmethod
    def from_settings(cls, settings: Settings, *, client_id: str = "inkstream-capture",
                      linger_ms: int = 5) -> "KafkaRecordSink":
        """``linger_ms``: batching delay; the HTTP API, which answers only after the
        acknowledgement, uses 1 ms so a lone upload is not held back."""
        from confluent_kafka import Producer

        return cls(Producer(kafka_config(settings, **{
            "enable.idempotence": "true", "client.id": client_id,
            "linger.ms": str(linger_ms), "compression.type": "lz4"})))

    def send(self, topic: str, key: str, value: bytes) -> Future:
        fut: Future = Future()

        def report(err, _msg) -> None:
            if err is not None:
                fut.set_exception(ConnectorError(f"delivery to {topic} failed: {err}"))
            else:
                fut.set_result(None)

        deadline = time.monotonic() + 30
        while True:
            try:
                self._producer.produce(topic, value=value, key=key.encode(), on_delivery=report)
                return fut
            except BufferError:
                # Local queue full: the broker is slow; wait for deliveries, then retry.
                if time.monotonic() > deadline:
                    raise ConnectorError("Kafka producer queue stayed full for 30 s") from None
                self._producer.poll(0.05)
            except Exception as exc:  # KafkaException: unknown topic, message too large...
                raise ConnectorError(f"cannot produce to {topic}: {exc}") from exc

    def flush(self, timeout: float = 30.0) -> int:
        return self._producer.flush(timeout)

    def close(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._poller.join(timeout=2)
        remaining = self._producer.flush(timeout)
        if remaining:
            raise ConnectorError(f"{remaining} records were not delivered before shutdown")

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.1)
