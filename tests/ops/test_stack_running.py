"""The running dev stack (`inkstream up`, started by .ci/run): health, topics, Kafka's
own console consumer, S3 versioning, Prometheus file_sd scraping."""

from __future__ import annotations

import io
import json
import subprocess
import time
import uuid

import httpx
import pytest

from ops.stack import kafka, s3, stack
from ops.stack.layout import Layout
from streams.runtime.scrape_targets import register_target, unregister_target
from inkstream.topic_plan import MISSION_TOPICS, PRIORITY_TOPIC, planned_topics
from ops.stack.topics import ensure_topics
from stack_helpers import cli, free_port

pytestmark = pytest.mark.stack


def test_status_shows_every_component_healthy_and_exits_zero(base_settings):
    rows = {r.name: r for r in stack.status(base_settings)}
    assert set(rows) == {"kafka", "s3", "prometheus", "registry", "alertmanager", "clickhouse"}
    assert all(r.healthy for r in rows.values()), rows
    result = cli("status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("healthy") >= 6   # + the audit sink's ClickHouse HTTP row when it runs


def test_status_json_gives_every_component_its_address(base_settings):
    result = cli("status", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    body = json.loads(result.stdout)
    parts = {c["name"]: c for c in body["components"]}
    assert body["healthy"] is True and {"kafka", "s3", "prometheus", "registry", "alertmanager", "clickhouse",
                                        "clickhouse-http"} <= set(parts)
    assert parts["kafka"]["address"] == base_settings.kafka.bootstrap
    assert parts["alertmanager"]["address"] == f"http://127.0.0.1:{base_settings.alertmanager.port}"
    assert httpx.get(f"{parts['alertmanager']['address']}/-/ready", timeout=5).status_code == 200
    assert httpx.get(f"{parts['prometheus']['address']}/api/v1/alertmanagers", timeout=5).json()["data"][
        "activeAlertmanagers"], "Prometheus does not send to the local Alertmanager"


def test_ensure_topics_creates_every_topic_with_the_configured_partitions_and_cleanup_policy(settings):
    from confluent_kafka.admin import AdminClient, ConfigResource

    first = ensure_topics(settings)
    plan = planned_topics(settings)
    expected = {settings.topics.name(n) for n in plan}
    assert set(first) == expected and set(first.values()) == {"created"}
    for logical in MISSION_TOPICS + (PRIORITY_TOPIC,):
        assert f"{logical}.dlq" in plan
    assert plan["documents.status"].cleanup_policy == "compact"

    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap})
    meta = admin.list_topics(timeout=10).topics
    resources = [ConfigResource("TOPIC", settings.topics.name(n)) for n in plan]
    configs = {r.name: fut.result() for r, fut in admin.describe_configs(resources).items()}
    for logical, cfg in plan.items():
        name = settings.topics.name(logical)
        assert len(meta[name].partitions) == cfg.partitions, name
        assert configs[name]["cleanup.policy"].value == cfg.cleanup_policy, name
        want_retention = str(cfg.retention_ms if cfg.retention_ms is not None else -1)
        assert configs[name]["retention.ms"].value == want_retention, name
    # Idempotent: a second run creates nothing and fails on nothing.
    assert set(ensure_topics(settings).values()) == {"exists"}


def test_kafkas_own_console_consumer_reads_a_record_produced_with_confluent_kafka(settings):
    from confluent_kafka import Producer

    ensure_topics(settings)
    topic = settings.topics.name("ocr.results")
    key, value = f"doc-{uuid.uuid4()}", f"hello from inkstream {uuid.uuid4()}"
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, "enable.idempotence": True})
    producer.produce(topic, key=key, value=value, partition=0)
    assert producer.flush(15) == 0

    layout = Layout.of(settings)
    argv = kafka.java_argv(layout, settings, "org.apache.kafka.tools.consumer.ConsoleConsumer",
                           "--bootstrap-server", settings.kafka.bootstrap, "--topic", topic,
                           "--partition", "0", "--offset", "earliest", "--max-messages", "1",
                           "--timeout-ms", "60000", "--formatter-property", "print.key=true",
                           "--formatter-property", "key.separator=|")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"{key}|{value}" in out.stdout.splitlines()


def test_the_bucket_keeps_every_version_of_an_overwritten_key(base_settings):
    client = s3.client(base_settings)
    bucket = base_settings.s3.bucket
    key = f"tests/ops/{uuid.uuid4()}"
    v1 = client.put_object(bucket, key, io.BytesIO(b"first"), 5).version_id
    v2 = client.put_object(bucket, key, io.BytesIO(b"second"), 6).version_id
    assert v1 and v2 and v1 != v2
    versions = [o.version_id for o in client.list_objects(bucket, prefix=key, include_version=True)]
    assert sorted(versions) == sorted([v1, v2])
    assert client.get_object(bucket, key, version_id=v1).read() == b"first"
    assert client.get_object(bucket, key).read() == b"second"


def test_prometheus_scrapes_a_process_registered_with_register_target(base_settings):
    from prometheus_client import CollectorRegistry, Counter, start_http_server

    registry = CollectorRegistry()
    Counter("inkstream_stack_probe", "a probe for the stack test", registry=registry).inc()
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    job = f"stacktest-{uuid.uuid4().hex[:8]}"
    path = register_target(base_settings, job, port)
    try:
        assert json.loads(path.read_text())[0]["targets"] == [f"127.0.0.1:{port}"]
        api = f"http://{base_settings.prometheus.host}:{base_settings.prometheus.port}/api/v1/query"
        deadline, found = time.monotonic() + 60, []
        while time.monotonic() < deadline and not found:
            found = httpx.get(api, params={"query": f'inkstream_stack_probe_total{{job="{job}"}}'},
                              timeout=5).json()["data"]["result"]
            time.sleep(1)
        assert found and float(found[0]["value"][1]) == 1.0
    finally:
        unregister_target(base_settings, job, port)
        server.shutdown()
