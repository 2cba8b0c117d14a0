"""``inkstream run extract``: ``ocr.results`` → ``fields.validated``.

Kafka→Kafka, so exactly-once: the record and the ``extracted`` status of its document
are produced in the transaction that commits the consumed offset. Extraction is a pure
function of the OCR record and the rules version, and the A/B split hashes ``doc_id``,
so a replay produces the same fields with the same version.

A record the rules cannot understand is not an error: it comes out as ``unknown`` with
status ``review`` for a person. Only a record that breaks the contract (no pages
array) goes to ``ocr.results.dlq``, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from inkstream import __version__
from inkstream.errors import ExtractionError
from streams.extract.einvoice import extract_document
from streams.extract.versions import ruleset
from schemas.records import envelope
from streams.runtime import Context, Emit, Processor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["factory", "make_handler", "validated_record"]

OUTPUT = "fields.validated"


def validated_record(ocr_record: dict, result: dict) -> dict:
    """The ``ValidatedFields`` value for one extraction of one OCR record."""
    version = result["extractor_version"]
    return {
        **envelope(ocr_record["doc_id"], producer="extract", trace=ocr_record.get("trace"),
                   version=f"{__version__}+{version}"),
        "source": ocr_record.get("source", "unknown"),
        "original": ocr_record["original"],
        "crm_ref": ocr_record.get("crm_ref"),
        "doc_type": result["doc_type"],
        "status": result["status"],
        "extractor_version": version,
        "fields": result["fields"],
        "line_items": result["line_items"],
        "review": None,
        "sender": result.get("sender"),
        "reason": result.get("reason"),
    }


def make_handler(extraction_settings, memory=None):
    def handle(record: dict, ctx: Context) -> Iterator[Emit]:
        if not isinstance(record.get("pages"), list):
            raise ExtractionError("ocr.results record without a pages array")
        # e-invoice values over the visual reading when the document carries one
        result = extract_document(record, extraction_settings, memory=memory)
        yield Emit(OUTPUT, validated_record(record, result))
    return handle


def factory(settings, *, codec: Codec) -> Processor:
    extraction = settings.extraction
    # Unknown versions stop the processor at start, not each record at the DLQ.
    ruleset(extraction.version)
    if extraction.candidate_version:
        ruleset(extraction.candidate_version)
    version = extraction.version + (f"/{extraction.candidate_version}@{extraction.candidate_share:g}"
                                    if extraction.candidate_version else "")
    memory = None
    if any(v and ruleset(v).sender_memory for v in (extraction.version, extraction.candidate_version)):
        from streams.extract.memory import MemoryFollower, SenderMemory

        # Every extract worker follows the whole compacted topic: the same memory everywhere.
        memory = SenderMemory()
        MemoryFollower(settings, memory, codec).start()
    return Processor(name="extract", inputs=("ocr.results",), stage="extracted",
                     handle=make_handler(extraction, memory), version=version)


