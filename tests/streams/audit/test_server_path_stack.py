"""Issue 13 item 3 on the real broker: two audit sink instances (one consumer group, two
instance ids, the real runtime loop) write one "ClickHouse server" (inkstream's own HTTP
interface, writer user). One dies after a flush and before its offset commit; the other
takes its partitions over, replays what the dead one wrote, and the server ends with one
row per record, every chain intact."""

from __future__ import annotations

import time

import audit_samples as s
import pytest
from confluent_kafka import Producer
from prometheus_client import CollectorRegistry

from schemas.codec import Codec
from streams.audit.analysts import Analysts, writers_path
from streams.audit.query import QueryServer, _Direct
from streams.audit.sink import AuditMetrics, AuditSink
from streams.audit.store import connect
from streams.audit.verify import verify
from streams.runtime import Processor
from streams.runtime.loop import Worker
from topic_admin import create_topics, delete_topics

pytestmark = [pytest.mark.stack, pytest.mark.slow]
TOPICS = ("documents.ingested", "ocr.results", "documents.status")
DOCS = 24
# Static members: a dead one's partitions move after the session timeout (the broker's floor).
FAST_GROUP = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000, "max.poll.interval.ms": 20000}


class Crash(BaseException):
    """The instance dies: after its flush reached the server, before its offsets were committed."""


def _instance(settings, name: str, remote, codec: Codec) -> tuple[Worker, AuditMetrics]:
    metrics = AuditMetrics.create(CollectorRegistry())
    mine = settings.model_copy(update={"instance": settings.instance.model_copy(update={"id": name})})
    sink = AuditSink(lambda: connect(remote), metrics=metrics)
    proc = Processor(name="audit", inputs=TOPICS, batch_sink=sink, batch_max_records=5, batch_max_seconds=0.5)
    return Worker(proc, mine, index=0, codec=codec, kafka_config=FAST_GROUP), metrics


def test_two_instances_on_one_server_one_dies_the_other_takes_over(store, audit_settings):
    settings = audit_settings.model_copy(update={"audit": audit_settings.audit.model_copy(
        update={"query_port": 0, "query_row_limit": 100_000})})
    secret = Analysts(writers_path(settings)).add("sink")
    srv = QueryServer(store, settings).start()
    url = f"http://sink:{secret}@127.0.0.1:{srv.port}/{settings.clickhouse.database}"
    remote = settings.model_copy(update={"clickhouse": settings.clickhouse.model_copy(update={"url": url})})
    names = create_topics(settings, dict.fromkeys(TOPICS, 4))   # co-partitioned
    codec = Codec.from_settings(settings)
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, "enable.idempotence": True})
    for i in range(DOCS):
        d = f"doc-{i:03d}"
        for topic, rec in (("documents.ingested", s.ingested(d)), ("ocr.results", s.ocr(d)),
                           ("documents.status", s.status(d, "ocr"))):
            producer.produce(settings.topics.name(topic), codec.encode(topic, rec), d.encode())
    assert producer.flush(30) == 0
    total = DOCS * len(TOPICS)
    count = lambda: store.query("SELECT count() FROM audit_events")[1][0][0]  # noqa: E731
    a, _ = _instance(settings, "host-a", remote, codec)
    b, b_metrics = _instance(settings, "host-b", remote, codec)
    try:
        a.start()
        b.start()
        deadline = time.monotonic() + 90
        while count() < total // 3 and time.monotonic() < deadline:
            a.step()
            b.step()
        assert len(a.consumer.assignment()) and len(b.consumer.assignment()), "both instances own partitions"

        def die(tps):
            raise Crash()

        a._commit_offsets = die
        with pytest.raises(Crash):
            while time.monotonic() < deadline:
                a.step()
        a.consumer.close()       # a static member: its partitions move after the session timeout
        written_by_a = count()
        while count() < total and time.monotonic() < deadline + 60:
            b.step()
        for _ in range(10):      # let b drain anything left (replays only)
            b.step()
    finally:
        b.stop()
        b._close()
        srv.stop()
        Analysts(writers_path(settings)).remove("sink")
        delete_topics(settings, names)
    assert written_by_a < total
    assert store.query("SELECT count(), uniqExact(event_id) FROM audit_events")[1] == [(total, total)]
    assert store.query("SELECT count() FROM (SELECT doc_id, seq FROM audit_events GROUP BY doc_id, seq "
                       "HAVING count() > 1)")[1] == [(0,)]
    assert store.query("SELECT count(), uniqExact(doc_id) FROM documents")[1] == [(DOCS, DOCS)]
    assert b_metrics.duplicates._value.get() > 0, "b replayed what a flushed but never committed"
    report = verify(_Direct(store, 100_000), None)
    assert report.ok and report.rows == total and report.chains == DOCS, [str(p) for p in report.problems][:5]
