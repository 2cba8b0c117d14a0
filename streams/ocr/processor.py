"""The OCR processor: ``documents.ingested[.priority]`` -> ``ocr.results``.

Fetches the original through its claim check, checks its SHA-256, reads every page and
emits one ``OcrResult``. Models are loaded once per worker process, when the factory
runs there (``run_workers`` spawns each worker and builds its processor in it).

Lanes: high-priority documents arrive on ``documents.ingested.priority``. Run dedicated
workers for it (``inkstream run ocr.priority``) beside the bulk ones
(``inkstream run ocr.bulk --workers N``) so a bulk backlog never queues in front of a
contract waiting for signature; ``inkstream run ocr`` consumes both (one small host).
Priority workers commit after every document (latency); bulk workers commit several
documents per transaction (throughput).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

from connectors.objectstore import ObjectRef
from inkstream.errors import ObjectStoreError, OcrError
from streams.extract.einvoice import EInvoiceError, for_ocr_record, looks_like_xml
from schemas.records import envelope
from streams.runtime import Context, Emit, Processor, Retryable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.ocr.reader import DocumentReader

__all__ = ["factory", "priority_factory", "bulk_factory", "OcrHandler", "LANES", "INPUT_PRIORITY", "INPUT_BULK"]

INPUT_PRIORITY = "documents.ingested.priority"
INPUT_BULK = "documents.ingested"
OUTPUT = "ocr.results"
LANES = {"all": (INPUT_PRIORITY, INPUT_BULK), "priority": (INPUT_PRIORITY,), "bulk": (INPUT_BULK,)}

class OcrHandler:
    """``handle(record, ctx)`` for the processor, reading with ``reader`` (the worker's one
    DocumentReader); ``store`` is built lazily from ``settings`` unless passed in (tests
    pass a fake store)."""

    def __init__(self, settings, *, reader: DocumentReader, store=None, metrics=None) -> None:
        self.settings = settings
        self._store = store
        self._reader = reader
        self.metrics = metrics  # OcrMetrics, or None

    @property
    def store(self):
        if self._store is None:
            from connectors.objectstore import open_store

            self._store = open_store(self.settings, ensure_bucket=False)
        return self._store

    @property
    def reader(self) -> DocumentReader:
        return self._reader

    def fetch(self, ref: ObjectRef) -> bytes:
        try:
            data = self.store.get(ref)
        except ObjectStoreError as exc:
            raise Retryable(f"cannot fetch {ref.bucket}/{ref.key}: {exc}") from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != ref.sha256:
            raise OcrError(f"original {ref.key} has SHA-256 {digest}, the record says {ref.sha256}: "
                           "refusing to read bytes that are not the captured document")
        return data

    def __call__(self, record: dict, ctx: Context) -> Iterator[Emit]:
        started = time.perf_counter()
        ref = ObjectRef.from_record(record["original"])
        data = self.fetch(ref)
        reader = self.reader
        einvoice = _einvoice(data)
        # A plain XML invoice is a document without pages: nothing to render or read.
        pages = [] if looks_like_xml(data) else reader.read(data)
        if self.metrics is not None:
            self.metrics.document(pages, seconds=time.perf_counter() - started)
        out = {
            **envelope(record["doc_id"], producer="ocr", trace=record["trace"]),
            "source": record["source"],
            "original": ref.to_record(),
            "priority": record.get("priority", "normal"),
            "crm_ref": record.get("crm_ref"),
            "engine": reader.engine_record(),
            "pages": pages,
            "einvoice": einvoice,
            "duration_ms": int((time.perf_counter() - started) * 1000),
        }
        yield Emit(OUTPUT, out)


def _einvoice(data: bytes) -> dict | None:
    """The e-invoice the document carries (Factur-X/ZUGFeRD attachment, or the file itself)."""
    try:
        return for_ocr_record(data)
    except EInvoiceError as exc:  # an XML file that is no invoice: the DLQ, with the reason
        raise OcrError(f"XML document is not a readable e-invoice: {exc}") from exc


def _build(settings, lane: str, *, store=None, reader=None) -> Processor:
    if lane not in LANES:
        from inkstream.errors import ConfigError

        raise ConfigError(f"ocr.lane={lane!r}: choose one of {sorted(LANES)}")
    name = "ocr" if lane == "all" else f"ocr.{lane}"
    if reader is None:
        # The worker's edge: load the models now, in the worker process, once (a bad device
        # or a missing model fails at start-up; the first document does not pay for the load).
        from streams.ocr.reader import DocumentReader

        reader = DocumentReader.from_settings(settings.ocr)
    # A transaction per document on the priority lane (latency); the bulk lane commits up
    # to 8 documents or 20 s of work at once (fewer commits, same exactly-once).
    batch = (8, 20.0) if lane == "bulk" else (1, 0.05)
    from prometheus_client import CollectorRegistry

    from streams.ocr.metrics import OcrMetrics

    registry = CollectorRegistry()  # served by the worker on /metrics (Processor.registry)
    return Processor(name=name, inputs=LANES[lane], stage="ocr",
                     handle=OcrHandler(settings, store=store, reader=reader, metrics=OcrMetrics.create(registry)),
                     batch_max_records=batch[0], batch_max_seconds=batch[1], registry=registry,
                     memory_limit_mb=settings.ocr.memory_limit_mb)  # hostile pages: SECURITY.md


def factory(settings, *, store=None, reader=None) -> Processor:
    """``inkstream run ocr``: the lanes named by ``settings.ocr.lane`` (default both)."""
    return _build(settings, settings.ocr.lane, store=store, reader=reader)


def priority_factory(settings, *, store=None, reader=None) -> Processor:
    """``inkstream run ocr.priority``: dedicated workers for high-priority documents."""
    return _build(settings, "priority", store=store, reader=reader)


def bulk_factory(settings, *, store=None, reader=None) -> Processor:
    """``inkstream run ocr.bulk``: the bulk lane only."""
    return _build(settings, "bulk", store=store, reader=reader)
