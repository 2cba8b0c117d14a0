"""/metrics and /healthz of a worker, over real HTTP."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry

from streams.runtime.health import Health, HealthServer
from streams.runtime.metrics import Metrics


def test_metrics_endpoint_serves_the_workers_registry_and_healthz_reflects_liveness() -> None:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry, processor="ocr")
    metrics.records_in("documents.ingested").inc(3)
    health = Health(stale_after=3.0)
    server = HealthServer(registry, health, 0).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        body = httpx.get(f"{base}/metrics").text
        assert 'inkstream_records_in_total{processor="ocr",topic="documents.ingested"} 3.0' in body
        health.beat("running", assigned=2)
        ok = httpx.get(f"{base}/healthz")
        assert ok.status_code == 200 and ok.json()["assigned_partitions"] == 2
        health.last_beat -= 10.0  # the loop stopped beating: stuck or dead
        assert httpx.get(f"{base}/healthz").status_code == 503
        health.beat("stopped")
        assert httpx.get(f"{base}/healthz").json()["status"] == "unhealthy"
        assert httpx.get(f"{base}/other").status_code == 404
    finally:
        server.stop()
