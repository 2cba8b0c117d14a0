"""The processor contract: a plain function plus the control-flow exceptions.

A processor never imports confluent_kafka. It receives a decoded record (a dict) and a
:class:`Context`, and returns the records it wants produced as :class:`Emit` values:

>>> def upper(record, ctx):
...     yield Emit("ocr.results", {**record, "text": record["text"].upper()})
>>> proc = Processor(name="upper", inputs=("documents.ingested",), handle=upper, stage="ocr")
>>> proc.name, proc.transactional
('upper', True)

What the runtime does with what ``handle`` raises:

- :class:`SkipRecord` — the record is consumed, nothing is produced, ``skipped`` is counted;
- :class:`Backpressure` ``(retry_after)`` — the runtime pauses its partitions for
  ``retry_after`` seconds and hands the same record to ``handle`` again (not an error);
- :class:`Retryable` — retried up to ``Processor.max_attempts`` with exponential backoff,
  then routed to ``<input>.dlq``;
- anything else — routed to ``<input>.dlq`` with the original bytes, the error type and
  the reason, in the same transaction as the consumed offset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Emit", "Context", "Processor", "Handler", "BatchSink", "Refused",
    "SkipRecord", "Backpressure", "Retryable",
]


class SkipRecord(Exception):
    """Raise to consume a record without output (a duplicate, an irrelevant event)."""

    def __init__(self, reason: str = "skipped") -> None:
        super().__init__(reason)
        self.reason = reason


class Backpressure(Exception):
    """Raise when a downstream system asks to slow down (HTTP 429, quota close to limit).

    The runtime pauses consumption for ``retry_after`` seconds and retries the same record;
    this is flow control, so it never counts as an attempt and never reaches the DLQ."""

    def __init__(self, retry_after: float, reason: str = "backpressure") -> None:
        super().__init__(f"{reason} (retry after {retry_after:.3g}s)")
        self.retry_after = max(0.0, float(retry_after))
        self.reason = reason


class Retryable(Exception):
    """Raise (or ``raise Retryable(...) from exc``) for a transient failure worth retrying.

    Bounded: after ``Processor.max_attempts`` attempts the record goes to the DLQ."""


@dataclass(frozen=True)
class Emit:
    """One record to produce. ``topic`` is the logical name (the runtime adds the prefix);
    ``key`` defaults to ``value["doc_id"]``."""

    topic: str
    value: dict
    key: str | None = None

    @property
    def resolved_key(self) -> str | None:
        if self.key is not None:
            return self.key
        doc_id = self.value.get("doc_id") if isinstance(self.value, dict) else None
        return doc_id if isinstance(doc_id, str) else None


@dataclass(slots=True)
class Context:
    """Where the current record came from; read-only for the processor by convention.

    ``topic`` is the logical input topic (prefix stripped); ``attempt`` starts at 1."""

    processor: str
    topic: str
    partition: int = 0
    offset: int = 0
    key: str | None = None
    timestamp_ms: int | None = None
    headers: dict[str, bytes] = field(default_factory=dict)
    attempt: int = 1
    settings: Any = None


Handler = Callable[[dict, Context], "Iterable[Emit] | None"]


@dataclass(frozen=True)
class Refused:
    """What a batch sink's ``flush()`` returns for one added record it refused for good
    (the vendor rejected that row): ``ctx`` is the Context ``add`` received. The runtime
    writes the record's DeadLetter (original bytes, ``error``'s type and message) and, with
    ``stage=``, a ``failed`` documents.status, like a record ``handle`` failed on."""

    ctx: Context
    error: BaseException


@runtime_checkable
class BatchSink(Protocol):
    """A batching side-effect sink (e.g. the audit sink writing ClickHouse).

    The runtime calls ``add(record, ctx)`` for every consumed record and ``flush()`` at
    each checkpoint, *before* committing the consumed offsets. An implementation MUST
    make ``flush()`` write everything added since the last flush, or raise (the runtime
    then does not commit and retries the whole batch from the last committed offsets).

    Guarantee: **at-least-once**. After a crash between ``flush()`` and the offset commit
    the same records are added and flushed again, so a sink that must not duplicate
    rows dedupes on ``event_id`` (every inkstream record carries a unique one), e.g. a
    ReplacingMergeTree keyed on ``event_id`` or an insert that skips known ids.
    ``add`` may raise SkipRecord; any other exception from ``add`` sends that record to
    the DLQ (a poison record must not block the sink).

    ``flush()`` may return what the batch produced: :class:`Emit` records (status records,
    outputs) and :class:`Refused` records (rows refused for good: their DLQ records). The
    runtime produces them and waits for their delivery *before* it commits the offsets, so
    they are at-least-once too (a crash after the flush repeats the batch and its records;
    status records carry fresh event ids, readers take the latest per document). If
    producing them fails, the whole batch repeats, flush included."""

    def add(self, record: dict, ctx: Context) -> None: ...

    def flush(self) -> "Iterable[Emit | Refused] | None": ...


@dataclass(frozen=True)
class Processor:
    """A named processor over one or more logical input topics.

    - Kafka→Kafka (default): exactly-once. Outputs, DLQ records, status records and the
      consumed offsets are committed in one Kafka transaction.
    - ``sink=True``: for side effects (a CRM call). At-least-once: offsets are committed
      after ``handle`` returned; ``handle`` must be idempotent (use ``event_id`` or the
      command's idempotency key). Emits are still produced (flushed before the commit).
    - ``batch_sink=...``: a :class:`BatchSink`; implies sink mode, ``handle`` unused.
    - ``stage="ocr"``: for every output ``doc_id`` the runtime also writes a
      ``documents.status`` record (stage, status ``done``), in the same transaction; a
      DLQ-routed record gets status ``failed``.
    - ``registry``: a prometheus ``CollectorRegistry`` holding the processor's own
      metrics (``OcrMetrics.create(registry)``...); the worker registers its runtime
      metrics on it too and serves it on ``/metrics``. None: the worker makes one.
    """

    name: str
    inputs: tuple[str, ...]
    handle: Handler | None = None
    stage: str | None = None
    sink: bool = False
    batch_sink: BatchSink | None = None
    max_attempts: int = 3
    retry_backoff_s: float = 0.2
    retry_backoff_max_s: float = 5.0
    # Checkpoint (transaction) bounds, whichever comes first: records per transaction, and
    # seconds of processing (records still unprocessed then are carried into the next
    # transaction); waiting for a full batch takes at most min(batch_max_seconds, 0.5 s).
    # Each transaction costs two broker round trips: batches make exactly-once cheap.
    batch_max_records: int = 1000
    batch_max_seconds: float = 0.5
    version: str | None = None
    registry: Any = field(default=None, compare=False, repr=False)
    # Data-segment ceiling (MiB) the worker process sets for itself before its first record
    # (streams/ocr/limits.py); 0 = none. Only worker processes apply it, never an importer.
    memory_limit_mb: int = 0
    # What the processor holds beyond its worker (the audit sink's query endpoint), released
    # when the worker stops: a processor built again in the same process (after a fatal
    # Kafka error) finds its port free.
    close: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.inputs, str):
            object.__setattr__(self, "inputs", (self.inputs,))
        if not self.name or not self.inputs:
            raise ValueError("a Processor needs a name and at least one input topic")
        if self.handle is None and self.batch_sink is None:
            raise ValueError(f"processor {self.name!r}: give handle= or batch_sink=")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")

    @property
    def transactional(self) -> bool:
        return not (self.sink or self.batch_sink is not None)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (exponential, capped)."""
        return min(self.retry_backoff_max_s, self.retry_backoff_s * (2 ** (attempt - 1)))
