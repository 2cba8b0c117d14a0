"""On the real broker: kill -9 a processor mid-run several times, restart it, and the
output topic (read_committed) holds each input's result exactly once. The same run with
transactions off shows duplicates, so this test is what tells the two apart."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from kafka_helpers import create_topics, delete_topics, ingested, produce, read_all, require_broker

from session_codec import decode
from streams.runtime.examples import OUTPUT_NAMESPACE
from topic_admin import watermarks  # tests/topic_admin.py

WORKER = Path(__file__).with_name("relay_worker.py")
ROOT = Path(__file__).resolve().parents[3]
N, POISON_EVERY, KILLS = 3000, 600, 4
OUT = "documents.ingested.priority"


def _start(settings, exactly_once: bool) -> subprocess.Popen:
    env = {**os.environ, "INKSTREAM_TOPICS__PREFIX": settings.topics.prefix,
           "RELAY_EXACTLY_ONCE": "1" if exactly_once else "0", "RELAY_DELAY_S": "0.002"}
    return subprocess.Popen([sys.executable, str(WORKER)], cwd=ROOT, env=env)


def _produced_so_far(settings) -> int:
    """Sum of the output's high watermarks: grows with every write, committed or not."""
    topic = settings.topics.name(OUT)
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": "watermarks"})
    try:
        return sum(watermarks(consumer, TopicPartition(topic, p))[1] for p in range(4))
    finally:
        consumer.close()


def _kill_mid_batch(settings, exactly_once: bool) -> None:
    """Start the worker, wait until it is writing, kill -9 it a moment later."""
    worker = _start(settings, exactly_once)
    before, deadline = _produced_so_far(settings), time.monotonic() + 60
    while _produced_so_far(settings) <= before and time.monotonic() < deadline:
        assert worker.poll() is None, "worker died on its own"
        time.sleep(0.1)
    time.sleep(random.uniform(0.05, 0.4))
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)


def _outputs(settings, isolation: str = "read_committed") -> Counter:
    return Counter(decode(m.value())["event_id"] for m in read_all(settings, OUT, isolation=isolation))


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize("exactly_once", [True, False], ids=["transactions", "transactions-off"])
def test_kill_9_mid_run_then_restart_leaves_each_result_exactly_once(settings, exactly_once: bool) -> None:
    require_broker(settings)
    names = create_topics(settings, {"documents.ingested": 4, OUT: 4, "documents.ingested.dlq": 1})
    try:
        records = ingested(N, poison_every=POISON_EVERY)
        produce(settings, "documents.ingested", records + [b"not avro at all"], keys=[r["doc_id"] for r in records] + ["x"])
        good = [r for r in records if not r["filename"].startswith("poison")]
        expected = {str(uuid.uuid5(OUTPUT_NAMESPACE, r["event_id"])) for r in good}

        for _ in range(KILLS):
            _kill_mid_batch(settings, exactly_once)
        after_kills = _outputs(settings)
        assert 0 < sum(after_kills.values()) < len(expected) * (1 if exactly_once else 2), "kills were not mid-run"

        worker = _start(settings, exactly_once)
        deadline = time.monotonic() + 120
        while not expected <= set(_outputs(settings)) and time.monotonic() < deadline:
            assert worker.poll() is None, "worker died on its own"
            time.sleep(1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0, "graceful shutdown must exit 0"

        committed = _outputs(settings)
        duplicates = sum(c - 1 for c in committed.values())
        uncommitted = sum(_outputs(settings, "read_uncommitted").values())
        dead = [decode(m.value()) for m in read_all(settings, "documents.ingested.dlq")]
        print(f"\n[{'transactions' if exactly_once else 'transactions off'}] {len(records) + 1} inputs, "
              f"{KILLS} x kill -9: {sum(committed.values())} committed outputs for {len(expected)} expected, "
              f"{duplicates} duplicates, {uncommitted - sum(committed.values())} aborted writes hidden by "
              f"read_committed, {len(dead)} DLQ records")
        assert set(committed) == expected, "an input's result is missing"
        if exactly_once:
            assert duplicates == 0
            assert sorted(d["error_type"] for d in dead) == ["SchemaError"] + ["ValueError"] * (N // POISON_EVERY)
            assert uncommitted > sum(committed.values()), "no kill interrupted an open transaction"
        else:
            assert duplicates > 0, "without transactions a kill -9 mid-batch repeats outputs"
    finally:
        delete_topics(settings, names)
