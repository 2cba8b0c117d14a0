"""Metrics.create builds every runtime metric on the registry it is given."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from streams.runtime.metrics import Metrics

NAMES = {"inkstream_records_in", "inkstream_records_out", "inkstream_errors", "inkstream_dlq_records",
         "inkstream_processing_seconds", "inkstream_consumer_lag"}


def test_two_workers_in_one_process_get_independent_registries() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    a = Metrics.create(first, processor="ocr")
    Metrics.create(second, processor="ocr")  # would raise "Duplicated timeseries" with module globals
    a.records_in("documents.ingested").inc()
    assert first.get_sample_value("inkstream_records_in_total", {"processor": "ocr", "topic": "documents.ingested"}) == 1
    assert second.get_sample_value("inkstream_records_in_total", {"processor": "ocr", "topic": "documents.ingested"}) is None


def test_every_documented_metric_exists_with_bounded_labels() -> None:
    registry = CollectorRegistry()
    m = Metrics.create(registry, processor="p")
    m.lag("ocr.results", 3).set(7)
    m.processing_seconds("ocr.results").observe(0.01)
    families = {f.name: f for f in registry.collect()}
    assert NAMES <= set(families)
    assert registry.get_sample_value("inkstream_consumer_lag",
                                     {"processor": "p", "topic": "ocr.results", "partition": "3"}) == 7
    labels = {k for f in families.values() for s in f.samples for k in s.labels}
    assert labels <= {"processor", "topic", "partition", "error_type", "result", "le"}
