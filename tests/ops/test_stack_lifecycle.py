"""`up` / `down` / `status` on a second stack with its own data dir and ports, and the
errors a person gets when something is missing. Never touches the dev stack."""

from __future__ import annotations

import io
import os
import shutil
import socket
import time
import uuid
from pathlib import Path

import pytest

from inkstream.errors import StackError
from inkstream.settings import load_settings
from ops.stack import process, s3, stack
from stack_helpers import cli


def _settings_from(env: dict[str, str]):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return load_settings()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.stack
@pytest.mark.slow
def test_down_then_up_keeps_kafka_records_and_s3_objects(side_stack_env):
    from confluent_kafka import Consumer, Producer

    env = side_stack_env
    first = cli("up", env=env)
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        settings = _settings_from(env)
        topic = settings.topics.name("documents.ingested")
        producer = Producer({"bootstrap.servers": settings.kafka.bootstrap})
        marker = f"kept-{uuid.uuid4()}".encode()
        producer.produce(topic, key=b"doc-1", value=marker, partition=0)
        assert producer.flush(15) == 0
        key = f"tests/{uuid.uuid4()}"
        s3.client(settings).put_object(settings.s3.bucket, key, io.BytesIO(marker), len(marker))

        stopped = cli("down", env=env)
        assert stopped.returncode == 0 and "kafka" in stopped.stdout
        down_status = cli("status", env=env)
        assert down_status.returncode == 1 and "not running" in down_status.stdout

        again = cli("up", env=env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert cli("status", env=env).returncode == 0
        consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"g{uuid.uuid4()}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.assign([__import__("confluent_kafka").TopicPartition(topic, 0, 0)])
        msg = None
        for _ in range(30):
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error():
                break
        consumer.close()
        assert msg is not None and msg.value() == marker
        assert s3.client(settings).get_object(settings.s3.bucket, key).read() == marker
    finally:
        cli("down", env=env)


@pytest.mark.stack
def test_up_refuses_a_taken_port_and_names_the_setting_to_change(side_stack_env):
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = {**side_stack_env, "INKSTREAM_S3__PORT": str(port)}
        result = cli("up", env=env)
        try:
            assert result.returncode == 2
            assert f"port 127.0.0.1:{port} is taken" in result.stderr
            assert "INKSTREAM_S3__PORT" in result.stderr
            # The check runs before anything starts: Kafka was not left behind.
            assert "not running" in cli("status", env=env).stdout
            assert not (Path(env["INKSTREAM_DATA_DIR"]) / "run" / "kafka.pid").exists()
        finally:
            cli("down", env=env)


@pytest.mark.parametrize("missing, hint", [
    ("java", "apt-get install -y openjdk-17-jre-headless"),
    ("mvn", "apt-get install -y maven"),
])
def test_up_says_which_tool_is_missing_and_how_to_install_it(tmp_path, missing, hint):
    # A PATH holding every tool but `missing`, and a data dir with no cache, so up must provision.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("java", "mvn", "go", "prometheus", "ss"):
        found = shutil.which(tool)
        if found and tool != missing:
            (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "INKSTREAM_DATA_DIR": str(tmp_path / "data"),
           "INKSTREAM_KAFKA__PORT": "1", "INKSTREAM_S3__PORT": "2", "INKSTREAM_PROMETHEUS__PORT": "3"}
    result = cli("up", env=env)
    assert result.returncode == 2
    assert f"`{missing}` is not on PATH" in result.stderr and hint in result.stderr


def test_a_nearly_full_disk_is_refused_with_what_to_do(tmp_path):
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    with pytest.raises(StackError, match=r"disk full: only \d+ MB free .* INKSTREAM_DATA_DIR"):
        process.require_disk(tmp_path, min_free_mb=free_mb + 1024)
    process.require_disk(tmp_path, min_free_mb=1)


def test_down_never_signals_a_process_whose_pid_was_reused(tmp_path):
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        proc = process.Managed("kafka", tmp_path / "kafka.pid", tmp_path / "k.log", marker=str(tmp_path / "conf"))
        proc.pid_file.write_text(f"{other.pid}\n")
        assert process.running_pid(proc) is None
        assert process.stop(proc, timeout=1) is False
        assert other.poll() is None and not proc.pid_file.exists()
    finally:
        other.kill()
        other.wait()


def test_a_cluster_id_is_never_read_as_an_option(monkeypatch):
    from ops.stack import kafka

    # 0xF8 is 111110xx: the base64url id of this UUID would start with "-" (index 62).
    ids = iter([uuid.UUID(bytes=bytes([0xF8]) + bytes(15)), uuid.UUID(int=1)])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(ids))
    cluster_id = kafka._cluster_id()
    assert cluster_id == "AAAAAAAAAAAAAAAAAAAAAQ"


@pytest.mark.stack
def test_external_services_are_used_without_starting_local_processes(tmp_path, base_settings, topic_prefix):
    prefix = topic_prefix("ext")  # `up` creates the whole plan under it; deleted when the test ends
    env = {"INKSTREAM_DATA_DIR": str(tmp_path / "data"), "INKSTREAM_PROMETHEUS__ENABLED": "false",
           "INKSTREAM_REGISTRY__ENABLED": "false",
           "KAFKA_BOOTSTRAP_SERVERS": base_settings.kafka.bootstrap, "S3_ENDPOINT": base_settings.s3.url,
           "INKSTREAM_TOPICS__PREFIX": prefix}
    result = cli("up", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "data" / "run").exists() or not list((tmp_path / "data" / "run").iterdir())
    assert "external" in result.stdout
    # Topics were still created on the external cluster, under the configured prefix.
    from confluent_kafka.admin import AdminClient

    topics = AdminClient({"bootstrap.servers": base_settings.kafka.bootstrap}).list_topics(timeout=10).topics
    assert f"{prefix}documents.ingested.dlq" in topics

    dead = {**env, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    status = cli("status", env=dead)
    assert status.returncode == 1 and "external: not answering" in status.stdout


@pytest.mark.stack
def test_a_broker_that_dies_while_starting_is_reported_with_its_log(side_stack_env):
    env = {**side_stack_env, "INKSTREAM_KAFKA__HEAP_MB": "1"}  # the JVM refuses a 1 MB heap
    started = time.monotonic()
    try:
        result = cli("up", env=env)
        assert result.returncode == 2
        assert "Kafka exited while starting" in result.stderr
        assert "heap" in result.stderr.lower() and "kafka.stdout.log" in result.stderr
        # Reported as soon as it dies, not after the start timeout.
        assert time.monotonic() - started < stack.UP_TIMEOUT_S / 2
    finally:
        cli("down", env=env)
