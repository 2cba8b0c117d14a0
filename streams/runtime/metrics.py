"""Prometheus metrics of one processor worker, built on a registry passed in.

>>> from prometheus_client import CollectorRegistry
>>> m = Metrics.create(CollectorRegistry(), processor="ocr")
>>> m.records_in("documents.ingested").inc()

Labels are processor, topic, partition and outcome only: never a doc id or anything
derived from record contents (no PII, bounded cardinality).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]

_Metric = TypeVar("_Metric", Counter, Gauge, Histogram)
_SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


@dataclass(frozen=True)
class Metrics:
    processor: str
    registry: CollectorRegistry
    _in: Counter
    _out: Counter
    _errors: Counter
    _dlq: Counter
    _skipped: Counter
    _erased: Counter
    _retries: Counter
    _backpressure: Counter
    _transactions: Counter
    _renewals: Counter
    _seconds: Histogram
    _lag: Gauge
    # labels() takes a lock and builds a tuple each call; the hot path caches the children.
    _children: dict[tuple[int, tuple[str, ...]], Any] = field(default_factory=dict, compare=False, repr=False)

    def _child(self, metric: _Metric, *labels: str) -> _Metric:
        key = (id(metric), labels)
        child: _Metric | None = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(self.processor, *labels)
        return child

    @classmethod
    def create(cls, registry: CollectorRegistry, *, processor: str) -> "Metrics":
        """Register every inkstream runtime metric on ``registry`` (one per worker process)."""
        def counter(name: str, doc: str, labels: tuple[str, ...] = ("processor", "topic")) -> Counter:
            return Counter(name, doc, labels, registry=registry)
        return cls(
            processor=processor, registry=registry,
            _in=counter("inkstream_records_in_total", "Records consumed."),
            _out=counter("inkstream_records_out_total", "Records produced (outputs, not DLQ/status)."),
            _errors=counter("inkstream_errors_total", "Records whose handling failed (DLQ) or a runtime error.",
                            ("processor", "topic", "error_type")),
            _dlq=counter("inkstream_dlq_records_total", "Records routed to a DLQ topic."),
            _skipped=counter("inkstream_skipped_total", "Records skipped by SkipRecord."),
            _erased=counter("inkstream_records_erased_total",
                            "Records skipped because their document was erased (key destroyed)."),
            _retries=counter("inkstream_retries_total", "Retryable attempts beyond the first."),
            _backpressure=counter("inkstream_backpressure_total", "Backpressure pauses.", ("processor",)),
            _transactions=counter("inkstream_checkpoints_total", "Checkpoints (transactions / commits) by result.",
                                  ("processor", "result")),
            _renewals=counter("inkstream_producer_renewals_total",
                              "Producers replaced by a new instance (stuck after a broker restart, or fatal), by reason.",
                              ("processor", "reason")),
            _seconds=Histogram("inkstream_processing_seconds", "Time in handle() per record, retries included.",
                               ("processor", "topic"), buckets=_SECONDS_BUCKETS, registry=registry),
            _lag=Gauge("inkstream_consumer_lag", "High watermark minus the consumer position (records not yet read).",
                       ("processor", "topic", "partition"), registry=registry),
        )

    def records_in(self, topic: str) -> Counter:
        return self._child(self._in, topic)

    def records_out(self, topic: str) -> Counter:
        return self._child(self._out, topic)

    def errors(self, topic: str, error_type: str) -> Counter:
        return self._child(self._errors, topic, error_type)

    def dlq(self, topic: str) -> Counter:
        return self._child(self._dlq, topic)

    def skipped(self, topic: str) -> Counter:
        return self._child(self._skipped, topic)

    def erased(self, topic: str) -> Counter:
        return self._child(self._erased, topic)

    def retries(self, topic: str) -> Counter:
        return self._child(self._retries, topic)

    def backpressure(self) -> Counter:
        return self._child(self._backpressure)

    def checkpoint(self, result: str) -> Counter:
        return self._child(self._transactions, result)

    def producer_renewals(self, reason: str) -> Counter:
        return self._child(self._renewals, reason)

    def processing_seconds(self, topic: str) -> Histogram:
        return self._child(self._seconds, topic)

    def lag(self, topic: str, partition: int) -> Gauge:
        return self._child(self._lag, topic, str(partition))
