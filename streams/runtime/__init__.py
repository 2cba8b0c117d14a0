"""The processor runtime: processors are plain functions, the runtime owns Kafka.

Public contract::

    from streams.runtime import Processor, Emit, Context, SkipRecord, Backpressure, Retryable
    Processor(name="ocr", inputs=("documents.ingested",), handle=fn, stage="ocr")
    # fn(record: dict, ctx: Context) -> Iterable[Emit]

    from streams.runtime.testing import run_processor   # no broker

``streams.runtime.loop.run(proc, settings)`` runs one worker against Kafka;
``streams.runtime.workers.run_workers`` runs N of them (``inkstream run <name> --workers N``).
"""

from streams.runtime.processor import (
    Backpressure, BatchSink, Context, Emit, Handler, Processor, Retryable, SkipRecord,
)

__all__ = ["Processor", "Emit", "Context", "SkipRecord", "Backpressure", "Retryable", "BatchSink", "Handler"]
