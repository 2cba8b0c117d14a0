"""Client-side pacing waits are rate-limit waits in the metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from connectors.crm.metrics import CrmMetrics, outcome
from connectors.crm.ratelimit import TokenBucket


def test_every_sleep_of_a_token_bucket_is_observed_as_a_rate_limit_wait():
    registry, slept, clock = CollectorRegistry(), [], [0.0]
    metrics = CrmMetrics.create(registry)
    bucket = TokenBucket(2, 10.0, clock=lambda: clock[0], sleep=metrics.timed_sleep("hubspot", slept.append))
    for _ in range(3):
        bucket.acquire()
    assert slept == [10.0]
    labels = {"crm": "hubspot"}
    assert registry.get_sample_value("inkstream_crm_rate_limit_wait_seconds_count", labels) == 1
    assert registry.get_sample_value("inkstream_crm_rate_limit_wait_seconds_sum", labels) == 10.0


def test_statuses_map_to_a_small_fixed_set_of_outcomes():
    assert [outcome(s) for s in (None, 200, 204, 400, 401, 404, 429, 500, 503)] == [
        "transport_error", "ok", "ok", "client_error", "auth_error", "client_error", "rate_limited",
        "server_error", "server_error"]
