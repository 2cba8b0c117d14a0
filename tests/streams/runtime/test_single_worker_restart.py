"""A single worker survives a fatal client error (e.g. a fenced static member)."""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException

from streams.runtime import workers


def test_a_fatal_kafka_error_restarts_the_single_worker(monkeypatch):
    calls = []

    def child(name, settings, index, metrics_port, exactly_once):
        calls.append(name)
        if len(calls) == 1:
            raise KafkaException(KafkaError(KafkaError.FENCED_INSTANCE_ID, "Static consumer fenced"))

    monkeypatch.setattr(workers, "_child", child)
    monkeypatch.setattr(workers.time, "sleep", lambda s: None)
    assert workers.run_workers("audit", settings=None, workers=1) == 0
    assert calls == ["audit", "audit"]
