"""Kafka topic retention (real broker, test-owned topics): apply sets retention.ms from
inkstream.yaml's topic config, read back with describe_configs; report sees drift and
flags a content topic that outlives the per-type policy."""

from __future__ import annotations

import time

import pytest

from inkstream.kafka_config import client_config
from inkstream.settings import DocRetention, TopicConfig
from ops.retention import kafka

pytestmark = pytest.mark.stack

DAY_MS = 24 * 3600 * 1000


def _admin(settings):
    from confluent_kafka.admin import AdminClient

    return AdminClient(client_config(settings))


def _eventually(check, timeout: float = 15.0):
    """Topic creation and config changes reach the broker's metadata a moment after the
    admin call returns (KRaft metadata log): wait for them, as an operator would."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _create(admin, topics: dict[str, dict[str, str]]) -> None:
    from confluent_kafka.admin import NewTopic

    futures = admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1, config=c)
                                   for n, c in topics.items()], request_timeout=30)
    for fut in futures.values():
        fut.result()
    assert _eventually(lambda: set(topics) <= set(admin.list_topics(timeout=10).topics))


def _retention_ms(admin, topic: str) -> str:
    from confluent_kafka.admin import ConfigResource

    (fut,) = admin.describe_configs([ConfigResource("TOPIC", topic)], request_timeout=30).values()
    return fut.result()["retention.ms"].value


@pytest.fixture
def topics(settings):
    """ocr.results configured at 1 day; documents.status compacted; both created wrong."""
    s = settings.model_copy(update={"topics": settings.topics.model_copy(update={"topics": {
        "ocr.results": TopicConfig(retention_ms=DAY_MS),
        "documents.status": TopicConfig(cleanup_policy="compact", retention_ms=None),
    }})})
    admin = _admin(s)
    names = {s.topics.name("ocr.results"): {"retention.ms": str(7 * DAY_MS)},
             s.topics.name("documents.status"): {"cleanup.policy": "compact", "retention.ms": str(DAY_MS)}}
    _create(admin, names)
    yield s, admin
    for fut in admin.delete_topics(list(names), request_timeout=30).values():
        fut.result()


def test_apply_sets_retention_ms_and_is_idempotent(topics):
    s, admin = topics
    ocr, status = s.topics.name("ocr.results"), s.topics.name("documents.status")
    before = {i.target: i for i in kafka.report(s, admin)}
    assert before[ocr].state == "drift" and before[status].state == "drift"
    assert before[s.topics.name("fields.validated")].state == "missing"  # listed, never created by apply

    dry = {i.target: i.state for i in kafka.apply(s, admin, dry_run=True)}
    assert dry[ocr] == "would change" and _retention_ms(admin, ocr) == str(7 * DAY_MS)

    done = {i.target: i.state for i in kafka.apply(s, admin)}
    assert done[ocr] == done[status] == "changed"
    assert _eventually(lambda: _retention_ms(admin, ocr) == str(DAY_MS))
    assert _eventually(lambda: _retention_ms(admin, status) == "-1")  # compacted: latest value per key kept

    after = {i.target: i for i in kafka.report(s, admin)}
    assert after[ocr].state == after[status].state == "ok"
    assert after[status].configured.startswith("compact")
    again = {i.target: i.state for i in kafka.apply(s, admin)}
    assert again[ocr] == again[status] == "unchanged"


def test_content_topic_longer_than_policy_is_a_conflict(topics):
    s, admin = topics
    ocr = s.topics.name("ocr.results")
    # The invoice policy keeps OCR text 3 days; ocr.results (1 day) fits, until the
    # policy tightens below the topic's retention.
    fits = s.model_copy(update={"retention": s.retention.model_copy(update={
        "doc_types": {"invoice": DocRetention(ocr_text_days=3)}})})
    kafka.apply(fits, admin)
    assert _eventually(lambda: {i.target: i.state for i in kafka.report(fits, admin)}[ocr] == "ok")
    s_topics = s.topics.model_copy(update={"topics": {**s.topics.topics, "ocr.results": TopicConfig(retention_ms=5 * DAY_MS)}})
    too_long = fits.model_copy(update={"topics": s_topics})
    row = {i.target: i for i in kafka.report(too_long, admin)}[ocr]
    assert row.state == "conflict" and "3d" in row.note
    assert row.drift
