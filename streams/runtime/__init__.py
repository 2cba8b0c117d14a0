"""The processor runtime: processors are plain functions, the runtime owns Kafka.

Writing a processor::

    from streams.runtime import Processor, Emit, Context, SkipRecord, Backpressure, Retryable

    def ocr(record: dict, ctx: Context):          # record: decoded Avro (int ms, str uuids)
        if record["duplicate_of"]:
            raise SkipRecord("duplicate")          # consumed, counted, nothing produced
        yield Emit("ocr.results", {...})           # logical topic; key defaults to doc_id

    def factory(settings) -> Processor:            # listed in streams/registry.py
        return Processor(name="ocr", inputs=("documents.ingested",), handle=ocr, stage="ocr")

Testing it without a broker (same decode/handle/encode/DLQ code as production)::

    from streams.runtime.testing import run_processor
    run = run_processor(factory(settings), [("documents.ingested", record)])
    run.emitted, run.dead, run.statuses, run.skipped

Running it: ``inkstream run ocr --workers 4 --metrics-port 9400`` (``/metrics``, ``/healthz``).

Guarantees: Kafka→Kafka processors are exactly-once (one transaction per batch holds the
outputs, DLQ records, documents.status records and consumed offsets); ``sink=True`` and
``batch_sink=`` processors are at-least-once (offsets committed after the side effect).
A ``batch_sink``'s ``flush()`` may hand back ``Emit`` and ``Refused`` records (statuses, a row
the vendor refused): they are produced and delivered before the offsets are committed.
Failures: ``Retryable`` is retried ``max_attempts`` times with backoff, ``Backpressure``
pauses the partitions, anything else goes to ``<input>.dlq`` with the original bytes.
"""

from streams.runtime.processor import (
    Backpressure, BatchSink, Context, Emit, Handler, Processor, Refused, Retryable, SkipRecord,
)

__all__ = ["Processor", "Emit", "Context", "SkipRecord", "Backpressure", "Retryable", "BatchSink", "Refused", "Handler"]
