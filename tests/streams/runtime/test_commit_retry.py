"""A sink's offset commit rides out a broker restart instead of killing the worker."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from prometheus_client import CollectorRegistry

from streams.runtime import Processor
from streams.runtime import loop
from streams.runtime.metrics import Metrics


class FlakyConsumer:
    def __init__(self, failures: list[int]) -> None:
        self.failures, self.commits = list(failures), []

    def commit(self, offsets, asynchronous):
        if self.failures:
            raise KafkaException(KafkaError(self.failures.pop(0), "Commit failed"))
        self.commits.append(offsets)


def worker_with(consumer) -> loop.Worker:
    worker = object.__new__(loop.Worker)  # no broker: only the commit path is exercised
    worker.proc = Processor(name="sink", inputs=("x",), handle=lambda r, c: (), sink=True)
    worker.consumer = consumer
    worker.metrics = Metrics.create(CollectorRegistry(), processor="sink")
    return worker


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(loop.time, "sleep", lambda s: None)


def test_commit_is_retried_while_the_coordinator_moves():
    consumer = FlakyConsumer([KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS])
    tps = [TopicPartition("x", 0, 42)]
    worker_with(consumer)._commit_offsets(tps)
    assert consumer.commits == [tps]


def test_a_commit_that_keeps_failing_repeats_the_batch_instead_of_crashing():
    consumer = FlakyConsumer([KafkaError.NOT_COORDINATOR] * 50)
    with pytest.raises(loop._AbortBatch):
        worker_with(consumer)._commit_offsets([TopicPartition("x", 0, 42)])
    assert consumer.commits == []


def test_a_non_retriable_commit_error_is_raised():
    consumer = FlakyConsumer([KafkaError.GROUP_AUTHORIZATION_FAILED])
    with pytest.raises(KafkaException):
        worker_with(consumer)._commit_offsets([TopicPartition("x", 0, 42)])
