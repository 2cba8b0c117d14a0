"""The production parts of a data-subject request, shared by ``inkstream subject
export|erase`` (``app.commands.privacy``) and the upload API's subject routes
(``streams.upload_api``): the object store that reads files back, the sender of
``privacy.erasures`` records, and the two runners ``SubjectRequests`` calls."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["object_store", "kafka_sender", "privacy_runners"]


def object_store(settings):
    """The store that reads files back as they were captured (decrypting sealed ones)."""
    try:
        from connectors.objectstore import open_store
    except ImportError:  # before sealed objects: the plain store
        from connectors.objectstore.s3 import S3ObjectStore

        return S3ObjectStore.from_settings(settings, ensure_bucket=False)
    return open_store(settings, ensure_bucket=False)


def kafka_sender(settings, codec: Codec):
    """``(send, flush)`` for ``privacy.erasures``: an idempotent producer, acks=all, records
    encoded with ``codec`` (the caller's edge's); flush raises ``ConnectorError`` unless
    every record was acknowledged."""
    from confluent_kafka import Producer

    from inkstream.errors import ConnectorError
    from inkstream.kafka_config import client_config
    from streams.privacy.erase import TOPIC

    producer = Producer(client_config(settings, **{"enable.idempotence": True, "acks": "all",
                                                   "message.timeout.ms": 15000}))
    topic = settings.topics.name(TOPIC)
    errors: list = []
    sent: list[int] = []

    def send(doc_id: str, record: dict) -> None:
        producer.produce(topic, key=doc_id.encode(), value=codec.encode(topic, record),
                         on_delivery=lambda err, _msg: (errors if err is not None else sent).append(err or 1))

    def flush() -> None:
        left = producer.flush(20)
        if left or errors:
            raise ConnectorError(f"{len(errors) + left} erasure record(s) not acknowledged by Kafka on {topic}: "
                                 f"{errors[0] if errors else 'timed out'}; run the command again")

    return send, flush


def privacy_runners(settings: Any, codec: Codec) -> tuple[Callable[..., dict], Callable[..., dict]]:
    """The production runners: ``streams.privacy`` with the same parts the CLI uses, and
    the API process's codec (its key store destroys the keys; it encodes the erasures)."""

    def run_export(email: str, out: Path, audit, actor: str) -> dict:
        from streams.audit.query import open_reader
        from streams.privacy.wiring import object_store
        from streams.privacy.export import export_subject

        report = export_subject(email, out, reader=open_reader(settings), objects=object_store(settings),
                                audit=audit, actor=actor)
        return {"request_id": report.request_id, "documents": report.documents, "events": report.events,
                "fields": report.fields, "files": report.files, "files_unavailable": report.files_unavailable}

    def run_erase(email: str, audit, actor: str) -> dict:
        from connectors.objectstore.s3 import S3ObjectStore
        from streams.audit.query import open_reader
        from streams.privacy.erase import erase_subject, sink_wait_s

        send, flush = kafka_sender(settings, codec)
        reader = open_reader(settings)
        report = erase_subject(email, reader=reader, keys=codec.keys,
                               s3=S3ObjectStore.from_settings(settings, ensure_bucket=False), send=send,
                               flush=flush, audit=audit, actor=actor, wait_s=sink_wait_s(settings, reader, 120.0))
        return report.to_dict()

    return run_export, run_erase
