"""The one ingest function every capture source calls.

``ingest(doc, store=..., producer=..., settings=..., codec=...)``:

1. validates the file (``intake.check``: real type by magic bytes, size, encryption,
   corruption, decompression bombs) and refuses with ``CaptureError(reason=...)``;
2. hashes it (SHA-256, streamed) and stores it content-addressed under
   ``originals/<sha[:2]>/<sha>`` in the versioned bucket, unless that key exists: then
   it is a duplicate, nothing is uploaded, and the new event's ``duplicate_of`` names
   the first document (its ``doc-id`` is kept in the object's metadata) — but only once
   the stored original was read back with this deployment's keys and hashes to the
   address. One that does not open (its KEK is not in this key store: lost, replaced,
   retired after a compromise) or does not match is never trusted: the document is stored
   again as a new version on top of it (the old version is kept, a restored key ring still
   opens it), announced as a new document, and the status record says why. So is a copy
   of a document whose subject was erased while its bytes survived (the erasure's S3 step
   failed or object lock kept them): erasure means a re-sent copy is a new ingestion;
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
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, runtime_checkable

from connectors.capture import intake
from connectors.capture.document import CapturedDocument, IngestResult
from connectors.objectstore import ObjectRef, ObjectStore
from connectors.objectstore.readback import REASONS, unusable
from inkstream.errors import CaptureError, ConnectorError
from schemas.codec import Codec
from schemas.sealing import key_id
from schemas.records import envelope

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from inkstream.settings import Settings

__all__ = ["DedupeStore", "IngestMetrics", "RecordSink", "ingest", "ingested_topic", "new_doc_id",
           "original_key"]

log = logging.getLogger(__name__)
_DELIVERY_TIMEOUT_S = 30.0


@runtime_checkable
class RecordSink(Protocol):
    """Where encoded records go. ``send`` MUST NOT block on the broker; it returns a
    future that resolves when the record is durably acknowledged (or fails with the
    delivery error). ``KafkaRecordSink`` is the real one; tests use a list."""

    def send(self, topic: str, key: str, value: bytes) -> Future[Any]: ...


class DedupeStore(ObjectStore, Protocol):
    """An ``ObjectStore`` that can also store-unless-present and return an object's user
    metadata (the first document's ``doc-id`` lives there). ``S3ObjectStore`` and
    ``SealedObjectStore`` (what ``open_store`` returns) implement it.

    - ``put_if_absent`` MUST store nothing and return None when ``key`` exists, and
      SHOULD be atomic (two writers of one key: one version, one None).
    - ``stat`` returns the latest version's ref and user metadata, or None.
    - ``discard`` removes one version, and only that one.
    """

    def put_if_absent(self, key: str, data: BinaryIO, *, content_type: str,
                      metadata: dict[str, str] | None = None) -> ObjectRef | None: ...

    def stat(self, key: str) -> tuple[ObjectRef, dict[str, str]] | None: ...

    def discard(self, ref: ObjectRef) -> None:
        """Remove exactly ``ref.version_id`` (undo a put whose announcement failed)."""


@dataclass(frozen=True)
class IngestMetrics:
    """Prometheus metrics of capture; labels carry the source and outcome only (no PII)."""

    documents: Counter
    refused: Counter
    seconds: Histogram
    bytes: Counter
    stored_again: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "IngestMetrics":
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
            stored_again=Counter("inkstream_ingest_originals_stored_again_total",
                                 "Originals stored again because the one at their address did not open with "
                                 "this deployment's keys or did not match it (reason)", ["source", "reason"],
                                 registry=registry),
        )


def new_doc_id() -> str:
    """A time-ordered id (ms timestamp + random, like a ULID) so ids sort by arrival."""
    return f"{time.time_ns() // 1_000_000:012x}-{uuid.uuid4().hex[:20]}"


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


# Why a stored original was not trusted as the first copy (status detail, metric label).
STORED_AGAIN = {
    **REASONS,
    "first_erased": "belongs to an erased document (its key was destroyed): this is a new ingestion",
}


def ingested_topic(priority: str) -> str:
    """Logical topic of the lane: high priority travels a lane of its own."""
    return "documents.ingested.priority" if priority == "high" else "documents.ingested"


def ingest(doc: CapturedDocument, *, store: DedupeStore, producer: RecordSink, settings: Settings, codec: Codec,
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
    delivered = result.delivered
    assert delivered is not None  # _ingest always sets it
    delivered.add_done_callback(lambda fut: _settle(fut, doc, result, store, metrics, started))
    if wait:
        _wait(delivered)
    return result


def _settle(delivered: Future[None], doc: CapturedDocument, result: IngestResult, store: DedupeStore,
            metrics: IngestMetrics | None, started: float) -> None:
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
            if result.stored_again:
                metrics.stored_again.labels(doc.source, result.stored_again).inc()
            metrics.seconds.labels(doc.source).observe(time.perf_counter() - started)


def _ingest(doc: CapturedDocument, store: DedupeStore, producer: RecordSink, settings: Settings, codec: Codec) -> IngestResult:
    cap = settings.capture
    checked = intake.check(doc.path if doc.path is not None else doc.data or b"", doc.filename,
                           max_bytes=cap.max_bytes, max_image_pixels=cap.max_image_pixels)
    sha = _sha256(doc)
    key = original_key(sha)
    doc_id = new_doc_id()
    with doc.open() as fh:
        ref = store.put_if_absent(key, fh, content_type=checked.content_type,
                                  metadata={"sha256": sha, "doc-id": doc_id, "source": doc.source})
    duplicate = ref is None
    duplicate_of = stored_again = detail = None
    if ref is None:
        existing = store.stat(key)
        if existing is None:  # deleted between the two calls: a lifecycle rule, an operator
            raise ConnectorError(f"{key} vanished while being checked; retry")
        ref, meta = existing
        stored_again = unusable(store, ref, sha)  # the dedup never trusts bytes it cannot open
        if stored_again is None and _erased(codec, meta.get("doc-id")):
            # The erasure's S3 step failed or is held by object lock: the bytes survived, the
            # document did not. Erasure means a re-sent copy starts afresh, never "a duplicate of" it.
            stored_again = "first_erased"
        if stored_again is None:
            duplicate_of = meta.get("doc-id") or None
            ref = ObjectRef(ref.bucket, ref.key, ref.version_id, ref.sha256 or sha, ref.size_bytes,
                            ref.content_type)
            detail = f"duplicate of {duplicate_of}"
        else:
            # A duplicate of bytes nobody here can read would never be processed, and the
            # sender's copy is the only readable one: store it as a new version (the old one
            # stays for a restored key ring) and announce a new document, saying why.
            log.warning("%s: storing the document again over version %s (%s)", key, ref.version_id, stored_again)
            detail = f"stored again: the original at its address (version {ref.version_id}) {STORED_AGAIN[stored_again]}"
            with doc.open() as fh:
                ref = store.put(key, fh, content_type=checked.content_type,
                                metadata={"sha256": sha, "doc-id": doc_id, "source": doc.source,
                                          "replaces-version": ref.version_id or "null",
                                          "stored-again": stored_again})
            duplicate = False
    record = _ingested_record(doc, doc_id, ref, duplicate_of)
    topic = ingested_topic(doc.priority)
    status = {**envelope(doc_id, producer=record["producer"]["name"], trace=record["trace"]),
              "stage": "ingested", "status": "duplicate" if duplicate else "stored", "detail": detail}
    delivered = _send_both(producer, settings, codec, topic, doc_id, record, status)
    return IngestResult(doc_id=doc_id, sha256=sha, duplicate=duplicate, duplicate_of=duplicate_of,
                        original=ref, topic=settings.topics.name(topic), delivered=delivered,
                        stored_again=stored_again)


def _erased(codec: Codec, doc_id: str | None) -> bool:
    """Whether ``doc_id``'s key was destroyed by a subject erasure (the codec's key store)."""
    keys = codec.keys
    return bool(doc_id) and keys is not None and keys.is_destroyed(key_id(doc_id or ""))


def _ingested_record(doc: CapturedDocument, doc_id: str, ref: ObjectRef, duplicate_of: str | None) -> dict[str, Any]:
    return {
        **envelope(doc_id, producer=f"capture.{doc.source}", trace=doc.trace),
        "source": doc.source, "source_ref": doc.source_ref, "filename": doc.filename,
        "original": ref.to_record(), "duplicate_of": duplicate_of, "priority": doc.priority,
        "crm_ref": doc.crm_ref, "email": doc.email.to_record() if doc.email else None,
        "metadata": dict(doc.metadata),
    }


def _send_both(producer: RecordSink, settings: Settings, codec: Codec, topic: str, doc_id: str, record: dict,
               status: dict) -> Future:
    # The codec maps the (prefixed) topic to its schema; the priority lane shares
    # documents.ingested's schema. It seals with the deployment's key store (the caller's
    # edge built it from these settings): the one its processors open the records with.
    encode = codec.encode
    ingested, status_topic = settings.topics.name(topic), settings.topics.name("documents.status")
    first = producer.send(ingested, doc_id, encode(ingested, record))
    second = producer.send(status_topic, doc_id, encode(status_topic, status))
    both: Future[None] = Future()
    pending = [2]
    lock = threading.Lock()

    def done(fut: Future[Any]) -> None:
        with lock:
            if both.done():
                return
            error = fut.exception()
            if error is not None:
                both.set_exception(error)
                return
            pending[0] -= 1
            if pending[0] == 0:
                both.set_result(None)

    first.add_done_callback(done)
    second.add_done_callback(done)
    return both


def _wait(delivered: Future[None]) -> None:
    try:
        delivered.result(timeout=_DELIVERY_TIMEOUT_S)
    except Exception as exc:
        raise ConnectorError(f"Kafka did not acknowledge the ingested record: {exc}") from exc


def _sha256(doc: CapturedDocument) -> str:
    if doc.data is not None:
        return hashlib.sha256(doc.data).hexdigest()
    with doc.open() as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()  # type: ignore[arg-type]  # a file or BytesIO: both have readinto
