"""The one ingest function every capture source calls.

``ingest(doc, store=..., producer=..., settings=..., codec=...)``:

1. validates the file (``intake.check``: real type by magic bytes, size, encryption,
   corruption, decompression bombs) and refuses with ``CaptureError(reason=...)``;
2. hashes it (SHA-256, streamed) and stores it content-addressed under
   ``originals/<sha[:2]>/<sha>`` in the versioned bucket, unless that key exists: then
   it is a duplicate, nothing is uploaded, and the new event's ``duplicate_of`` names
   the first document (its ``doc-id`` is kept in the object's metadata);
3. produces one ``documents.ingested`` record (``documents.ingested.priority`` for
   ``priority="high"``) and one ``documents.status`` record (stage ``ingested``), keyed
   by ``doc_id``, through an idempotent producer.

Guarantee: at-least-once. The object is written before the record, so a record never
points at missing bytes. If Kafka refuses the record, the object just created is
removed again, so the sender's retry stores it afresh. Only a crash between the two
steps leaves an orphan, whose next upload is then reported as a duplicate of a doc_id
no record names (visible in the object's metadata; documented weakness).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from connectors.capture import intake
from connectors.capture.document import CapturedDocument, IngestResult
from connectors.objectstore import ObjectRef, ObjectStore
from inkstream.errors import CaptureError, ConnectorError
from schemas.codec import Codec
from schemas.records import envelope

__all__ = ["DedupeStore", "IngestMetrics", "RecordSink", "ingest", "ingested_topic", "new_doc_id",
           "original_key"]

log = logging.getLogger(__name__)
_DELIVERY_TIMEOUT_S = 30.0


@runtime_checkable
class RecordSink(Protocol):
    """Where encoded records go. ``send`` MUST NOT block on the broker; it returns a
    future that resolves when the record is durably acknowledged (or fails with the
    delivery error). ``KafkaRecordSink`` is the real one; tests use a list."""

    def send(self, topic: str, key: str, value: bytes) -> Future: ...


class DedupeStore(ObjectStore, Protocol):
    """An ``ObjectStore`` that can also store-unless-present and return an object's user
    metadata (the first document's ``doc-id`` lives there). ``S3ObjectStore`` and
    ``SealedObjectStore`` (what ``open_store`` returns) implement it.

    - ``put_if_absent`` MUST store nothing and return None when ``key`` exists, and
      SHOULD be atomic (two writers of one key: one version, one None).
    - ``stat`` returns the latest version's ref and user metadata, or None.
    - ``discard`` removes one version, and only that one.
    """

    def put_if_absent(self, key: str, data, *, content_type: str,
                      metadata: dict[str, str] | None = None) -> ObjectRef | None: ...

    def stat(self, key: str) -> tuple[ObjectRef, dict[str, str]] | None: ...

    def discard(self, ref: ObjectRef) -> None:
        """Remove exactly ``ref.version_id`` (undo a put whose announcement failed)."""


@dataclass(frozen=True)
class IngestMetrics:
    """Prometheus metrics of capture; labels carry the source and outcome only (no PII)."""

    documents: object
    refused: object
    seconds: object
    bytes: object

    @classmethod
    def create(cls, registry) -> "IngestMetrics":
        from prometheus_client import Counter, Histogram

        return cls(
            documents=Counter("inkstream_ingest_documents_total", "Captured documents by outcome "
                              "(ingested, duplicate, refused, error)", ["source", "outcome"], registry=registry),
            refused=Counter("inkstream_ingest_refused_total", "Refused documents by reason code",
                            ["source", "reason"], registry=registry),
            seconds=Histogram("inkstream_ingest_seconds", "Time to validate, store and produce one document",
                              ["source"], registry=registry,
                              buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)),
            bytes=Counter("inkstream_ingest_bytes_total", "Bytes of accepted originals", ["source"],
                          registry=registry),
        )


def new_doc_id() -> str:
    """A time-ordered id (ms timestamp + random, like a ULID) so ids sort by arrival."""
    return f"{time.time_ns() // 1_000_000:012x}-{uuid.uuid4().hex[:20]}"


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def ingested_topic(priority: str) -> str:
    """Logical topic of the lane: high priority travels a lane of its own."""
    return "documents.ingested.priority" if priority == "high" else "documents.ingested"


def ingest(doc: CapturedDocument, *, store: DedupeStore, producer: RecordSink, settings, codec: Codec,
           metrics: IngestMetrics | None = None, wait: bool = True) -> IngestResult:
    """Validate, store (or recognise as duplicate) and announce one captured document.

    With ``wait=True`` returns only after Kafka acknowledged both records (the HTTP API
    answers 201 only then); with ``wait=False`` the caller waits on ``result.delivered``
    (the CLI does, after queueing a whole batch). Raises ``CaptureError`` for a refused
    file and ``ConnectorError`` (``ObjectStoreError``) when S3 or Kafka fail.
    """
    started = time.perf_counter()
    try:
        result = _ingest(doc, store, producer, settings, codec)
    except CaptureError as exc:
        if metrics:
            metrics.documents.labels(doc.source, "refused").inc()
            metrics.refused.labels(doc.source, exc.reason).inc()
        raise
    except Exception:
        if metrics:
            metrics.documents.labels(doc.source, "error").inc()
        raise
    result.delivered.add_done_callback(lambda fut: _settle(fut, doc, result, store, metrics, started))
    if wait:
        _wait(result.delivered)
    return result


def _settle(delivered: Future, doc: CapturedDocument, result: IngestResult, store, metrics, started: float) -> None:
    """Once Kafka answered: count the outcome, and if the record was lost, remove the
    object this call created, so that a retry stores it again instead of reporting a
    duplicate of a document no record announces."""
    failed = delivered.exception() is not None
    if failed and not result.duplicate:
        try:
            store.discard(result.original)
        except Exception:  # noqa: BLE001 - best effort: the orphan is then visible as a duplicate_of without record
            log.warning("could not remove %s after a failed delivery", result.original.key)
    if metrics:
        outcome = "error" if failed else "duplicate" if result.duplicate else "ingested"
        metrics.documents.labels(doc.source, outcome).inc()
        if not failed:
            metrics.bytes.labels(doc.source).inc(result.original.size_bytes)
            metrics.seconds.labels(doc.source).observe(time.perf_counter() - started)


def _ingest(doc: CapturedDocument, store: DedupeStore, producer: RecordSink, settings, codec: Codec) -> IngestResult:
    cap = settings.capture
    checked = intake.check(doc.path if doc.path is not None else doc.data, doc.filename,
                           max_bytes=cap.max_bytes, max_image_pixels=cap.max_image_pixels)
    sha = _sha256(doc)
    key = original_key(sha)
    doc_id = new_doc_id()
    with doc.open() as fh:
        ref = store.put_if_absent(key, fh, content_type=checked.content_type,
                                  metadata={"sha256": sha, "doc-id": doc_id, "source": doc.source})
    duplicate = ref is None
    duplicate_of = None
    if duplicate:
        existing = store.stat(key)
        if existing is None:  # deleted between the two calls: a lifecycle rule, an operator
            raise ConnectorError(f"{key} vanished while being checked; retry")
        ref, meta = existing
        duplicate_of = meta.get("doc-id") or None
        ref = ObjectRef(ref.bucket, ref.key, ref.version_id, ref.sha256 or sha, ref.size_bytes,
                        ref.content_type)
    record = _ingested_record(doc, doc_id, ref, duplicate_of)
    topic = ingested_topic(doc.priority)
    status = {**envelope(doc_id, producer=record["producer"]["name"], trace=record["trace"]),
              "stage": "ingested", "status": "duplicate" if duplicate else "stored",
              "detail": f"duplicate of {duplicate_of}" if duplicate else None}
    delivered = _send_both(producer, settings, codec, topic, doc_id, record, status)
    return IngestResult(doc_id=doc_id, sha256=sha, duplicate=duplicate, duplicate_of=duplicate_of,
                        original=ref, topic=settings.topics.name(topic), delivered=delivered)


def _ingested_record(doc: CapturedDocument, doc_id: str, ref: ObjectRef, duplicate_of: str | None) -> dict:
    return {
        **envelope(doc_id, producer=f"capture.{doc.source}", trace=doc.trace),
        "source": doc.source, "source_ref": doc.source_ref, "filename": doc.filename,
        "original": ref.to_record(), "duplicate_of": duplicate_of, "priority": doc.priority,
        "crm_ref": doc.crm_ref, "email": doc.email.to_record() if doc.email else None,
        "metadata": dict(doc.metadata),
    }


def _send_both(producer: RecordSink, settings, codec: Codec, topic: str, doc_id: str, record: dict,
               status: dict) -> Future:
    # The codec maps the (prefixed) topic to its schema; the priority lane shares
    # documents.ingested's schema. It seals with the deployment's key store (the caller's
    # edge built it from these settings): the one its processors open the records with.
    encode = codec.encode
    ingested, status_topic = settings.topics.name(topic), settings.topics.name("documents.status")
    first = producer.send(ingested, doc_id, encode(ingested, record))
    second = producer.send(status_topic, doc_id, encode(status_topic, status))
    both: Future = Future()
    pending = [2]
    lock = threading.Lock()

    def done(fut: Future) -> None:
        with lock:
            if both.done():
                return
            if fut.exception() is not None:
                both.set_exception(fut.exception())
                return
            pending[0] -= 1
            if pending[0] == 0:
                both.set_result(None)

    first.add_done_callback(done)
    second.add_done_callback(done)
    return both


def _wait(delivered: Future) -> None:
    try:
        delivered.result(timeout=_DELIVERY_TIMEOUT_S)
    except Exception as exc:
        raise ConnectorError(f"Kafka did not acknowledge the ingested record: {exc}") from exc


def _sha256(doc: CapturedDocument) -> str:
    if doc.data is not None:
        return hashlib.sha256(doc.data).hexdigest()
    with doc.open() as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
