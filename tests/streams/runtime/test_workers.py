"""``inkstream run <processor> --workers N``: N processes in one consumer group, each with
/metrics and /healthz, stopped gracefully by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from kafka_helpers import create_topics, delete_topics, ingested, produce, read_all, require_broker

from schemas.codec import Codec
from streams.runtime.examples import OUTPUT_NAMESPACE

ROOT = Path(__file__).resolve().parents[3]
INKSTREAM = [sys.executable, "-m", "inkstream"] if (ROOT / "inkstream" / "__main__.py").exists() else [
    str(Path(sys.executable).with_name("inkstream"))]


def free_ports(n: int) -> int:
    """A first port P with P..P+n-1 free right now."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1]
        if base + n < 65535 and all(_free(base + i) for i in range(n)):
            return base
    raise RuntimeError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_assigned(port: int, workers: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            states = [httpx.get(f"http://127.0.0.1:{port + i}/healthz", timeout=2).json() for i in range(workers)]
            if all(s["assigned_partitions"] > 0 for s in states):
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.5)
    raise AssertionError("workers did not all get partitions")


def wait_for_sample(port: int, prefix: str, timeout: float = 20) -> str:
    """The /metrics text once it holds a ``prefix`` sample (lag is sampled every few seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        if prefix in text or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


def test_unknown_processor_is_refused_with_the_known_names() -> None:
    result = subprocess.run([*INKSTREAM, "run", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "passthrough" in result.stderr


@pytest.mark.stack
def test_two_worker_processes_share_the_work_serve_metrics_and_stop_on_sigterm(settings, tmp_path) -> None:
    require_broker(settings)
    # One deployment: the workers' data dir (so their sealing key store) is this test's too.
    settings = settings.model_copy(update={"data_dir": tmp_path})
    decode = Codec.from_settings(settings).decode
    names = create_topics(settings, {"documents.ingested": 4, "documents.ingested.priority": 4,
                                     "documents.ingested.dlq": 1})
    port = free_ports(2)
    env = {**os.environ, "INKSTREAM_TOPICS__PREFIX": settings.topics.prefix, "INKSTREAM_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([*INKSTREAM, "run", "passthrough", "--workers", "2", "--metrics-port", str(port)],
                            cwd=ROOT, env=env)
    try:
        # Produce once both members hold partitions, so the test shows them sharing the work.
        wait_assigned(port, 2)
        records = ingested(500, poison_every=250)
        produce(settings, "documents.ingested", records)
        expected = {str(uuid.uuid5(OUTPUT_NAMESPACE, r["event_id"])) for r in records
                    if not r["filename"].startswith("poison")}
        deadline = time.monotonic() + 120
        out: Counter = Counter()
        while time.monotonic() < deadline:
            out = Counter(decode(m.value())["event_id"] for m in read_all(settings, "documents.ingested.priority"))
            if set(out) >= expected:
                break
            assert proc.poll() is None, "inkstream run exited early"
            time.sleep(1)
        assert set(out) == expected and max(out.values()) == 1
        handled = []
        for worker in (0, 1):
            health = httpx.get(f"http://127.0.0.1:{port + worker}/healthz", timeout=5)
            assert health.status_code == 200 and health.json()["state"] in ("running", "paused")
            metrics = wait_for_sample(port + worker, "inkstream_consumer_lag{")
            handled.append(sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                               if line.startswith("inkstream_records_in_total{")))
            assert "inkstream_consumer_lag{" in metrics and "inkstream_processing_seconds_bucket{" in metrics
            assert "doc-" not in metrics, "no document ids in metric labels"
        assert sum(handled) == 500 and all(h > 0 for h in handled), handled
        dlq = [decode(m.value()) for m in read_all(settings, "documents.ingested.dlq")]
        assert [d["error_type"] for d in dlq] == ["ValueError", "ValueError"]
        targets = list(tmp_path.rglob("prometheus/targets/passthrough-*.json"))
        assert len(targets) == 2, "each worker registers itself with the stack's Prometheus"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert not any(p.exists() for p in targets), "Prometheus targets are removed on shutdown"
    finally:
        if proc.poll() is None:
            proc.kill()
        delete_topics(settings, names)
