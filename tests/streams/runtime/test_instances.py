"""Instances that know who they are (issue 13 item 2): the instance id is part of every
transactional id, consumer member id and Prometheus target, and two hosts running the
same processor with the same worker index no longer fence each other."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from collections import Counter

import pytest
from kafka_helpers import create_topics, delete_topics, ingested, produce, read_all, require_broker
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import ValidationError

from inkstream.settings import InstanceSettings, load_settings
from session_codec import decode, session_codec
from streams.runtime import Processor
from streams.runtime.examples import relay
from streams.runtime.health import Health, HealthServer
from streams.runtime.loop import Worker, client_id, transactional_id

IN, OUT = "documents.ingested", "documents.ingested.priority"


def _as(settings, instance: str, **more):
    return settings.model_copy(update={"instance": InstanceSettings(id=instance, **more)})


def test_the_instance_id_is_in_the_transactional_and_client_ids_and_defaults_to_the_hostname(monkeypatch):
    import socket

    proc = Processor(name="ocr", inputs=(IN,), handle=relay)
    base = load_settings()
    a, b = _as(base, "host-a"), _as(base, "host-b")
    assert transactional_id(a, proc, 0) == f"{base.topics.prefix}inkstream-ocr-host-a-0"
    assert transactional_id(a, proc, 0) != transactional_id(b, proc, 0)
    assert client_id(b, proc, 3) == "inkstream-ocr-host-b-3"
    monkeypatch.setattr(socket, "gethostname", lambda: "scan01.example.internal")
    assert InstanceSettings().name == "scan01"
    monkeypatch.setenv("INKSTREAM_INSTANCE__ID", "edge-7")
    assert load_settings().instance.name == "edge-7"
    with pytest.raises(ValidationError):
        InstanceSettings(id="a b/../c")


def test_the_metrics_listener_binds_the_configured_address_and_advertises_a_reachable_one():
    assert InstanceSettings().bind == "127.0.0.1"  # nothing listens beyond the host unless asked
    assert InstanceSettings(bind="0.0.0.0").advertised not in ("0.0.0.0", "")
    assert InstanceSettings(bind="0.0.0.0", advertise="ocr-3.internal").advertised == "ocr-3.internal"
    server = HealthServer(CollectorRegistry(), Health(), 0, host=InstanceSettings(bind="0.0.0.0").bind).start()
    try:
        assert server._server.server_address[0] == "0.0.0.0"
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=10) as r:
            assert r.status == 200
    finally:
        server.stop()


def test_each_instance_registers_its_own_prometheus_target_with_its_id(tmp_path):
    from streams.runtime.workers import _instance_info, _register_target, _unregister_target

    base = load_settings().model_copy(update={"data_dir": tmp_path})
    files = []
    for name in ("host-a", "host-b"):
        s = _as(base, name, bind="0.0.0.0", advertise=f"{name}.lan")
        assert _register_target(s, "ocr", 0, 9400)
    for f in sorted((tmp_path).rglob("ocr-*.json")):
        files.append(json.loads(f.read_text()))
    assert [(g[0]["targets"], g[0]["labels"]["instance_id"]) for g in files] == [
        (["host-a.lan:9400"], "host-a"), (["host-b.lan:9400"], "host-b")]
    _unregister_target(_as(base, "host-a"), "ocr", 9400)
    assert [f.name for f in tmp_path.rglob("ocr-*.json")] == ["ocr-host-b-9400.json"]
    registry = CollectorRegistry()
    _instance_info(registry, "ocr", "host-b", 2)
    assert b'inkstream_worker_info{instance_id="host-b",processor="ocr",worker="2"} 1.0' in generate_latest(registry)


class _Running:
    def __init__(self, worker: Worker) -> None:
        self.worker, self.error = worker, None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as exc:  # noqa: BLE001 - surfaced by stop()
            self.error = exc

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(60)
        assert not self.thread.is_alive(), "worker did not stop"
        if self.error:
            raise self.error


@pytest.mark.stack
def test_one_processor_on_two_instances_with_the_same_index_both_progress_unfenced(settings):
    """Before instance ids, both would be ``inkstream-pair-0``: the second init_transactions
    fences the first (and static membership swaps them in turn)."""
    require_broker(settings)
    names = create_topics(settings, {IN: 4, OUT: 4, f"{IN}.dlq": 1, "documents.status": 4})
    handled: Counter = Counter()

    def counted(record, ctx):
        handled[threading.current_thread().name] += 1
        time.sleep(0.002)
        yield from relay(record, ctx)

    proc = Processor(name=f"pair{uuid.uuid4().hex[:6]}", inputs=(IN,), handle=counted,
                     batch_max_records=50, batch_max_seconds=0.2)
    a, b = _as(settings, "host-a"), _as(settings, "host-b")
    try:
        workers = [_Running(Worker(proc, a, codec=session_codec(), index=0)), _Running(Worker(proc, b, codec=session_codec(), index=0))]
        workers[0].thread.name, workers[1].thread.name = "host-a", "host-b"
        time.sleep(8)  # both join the group and share the 4 partitions
        records = ingested(800)
        produce(settings, IN, records)
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and sum(handled.values()) < 800:
            time.sleep(0.5)
        outs = Counter(decode(m.value())["event_id"] for m in read_all(settings, OUT))
        for w in workers:
            w.stop()  # re-raises a fencing error, had there been one
        assert len(outs) == 800 and max(outs.values()) == 1  # nothing lost, nothing doubled
        assert handled["host-a"] > 0 and handled["host-b"] > 0, handled
        assert all(w.error is None for w in workers)
    finally:
        delete_topics(settings, names)


def test_the_capture_metrics_listener_binds_the_instance_address(tmp_path):
    from prometheus_client import CollectorRegistry

    from connectors.capture.listeners import serve_metrics

    settings = load_settings(data_dir=tmp_path).model_copy(update={"instance": InstanceSettings(bind="0.0.0.0")})
    server = serve_metrics(settings, CollectorRegistry(), 0)
    try:
        assert server.server_address[0] == "0.0.0.0"
    finally:
        server.shutdown()
        server.server_close()
