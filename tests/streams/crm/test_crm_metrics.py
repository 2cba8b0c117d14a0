"""CRM metrics through the crm sink, a real connector and the Salesforce fake
(fakes/crm_salesforce.py, built from the REST API's documented responses)."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from prometheus_client import CollectorRegistry

from connectors.crm.factory import build_connector
from connectors.crm.mapping import load_mapping
from connectors.crm.metrics import CrmMetrics
from fakes.crm_records import validated_contract
from fakes.crm_salesforce import FakeSalesforce
from inkstream.settings import load_settings
from streams.crm.sink import CrmSink
from streams.mapper.plan import plan_commands
from streams.mapper.processor import MAPPINGS_DIR
from streams.runtime import Processor
from streams.runtime.testing import run_processor

PDF = b"%PDF-1.7 contract bytes\n%%EOF\n"


def _command(doc_id: str = "doc-1") -> dict:
    record = validated_contract(doc_id)
    record["original"] = {**record["original"], "sha256": hashlib.sha256(PDF).hexdigest(), "size_bytes": len(PDF)}
    return plan_commands(record, load_mapping(MAPPINGS_DIR / "salesforce.yaml"), esign_provider="docusign")[0]


@pytest.fixture
def fake():
    return FakeSalesforce()


@pytest.fixture
def wired(fake):
    """(processor, registry, slept): the crm sink over a live Salesforce connector."""
    settings = load_settings(crm={"crm": "salesforce", "max_attempts": 3, "backoff_base_s": 0.01, "salesforce": {
        "auth_url": fake.login_url, "client_id": fake.client_id, "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token}})
    registry, slept = CollectorRegistry(), []
    metrics = CrmMetrics.create(registry)
    connector = build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport),
                                sleep=slept.append, metrics=metrics)
    sink = CrmSink(connector, fetch=lambda ref: PDF, metrics=metrics)
    proc = Processor(name="crm", inputs=("crm.commands",), handle=sink.handle, sink=True, stage="crm",
                     registry=registry)
    return proc, registry, slept


def _requests(registry, outcome: str) -> float:
    return registry.get_sample_value("inkstream_crm_requests_total", {"crm": "salesforce", "outcome": outcome}) or 0.0


def _waits(registry) -> tuple[float, float]:
    labels = {"crm": "salesforce"}
    return (registry.get_sample_value("inkstream_crm_rate_limit_wait_seconds_count", labels) or 0.0,
            registry.get_sample_value("inkstream_crm_rate_limit_wait_seconds_sum", labels) or 0.0)


def test_a_long_retry_after_counts_a_rate_limited_request_and_the_partition_pause(wired, fake):
    proc, registry, _ = wired
    fake.script.fail(1, 429, headers={"Retry-After": "90"})
    run = run_processor(proc, [("crm.commands", _command())])
    assert run.backpressure == [90.0]
    assert _requests(registry, "rate_limited") == 1
    assert _requests(registry, "ok") >= 1  # the retried command went through
    assert _waits(registry) == (1.0, 90.0)


def test_a_short_retry_after_is_slept_inline_and_recorded_as_a_wait(wired, fake):
    proc, registry, slept = wired
    fake.script.fail(1, 429, headers={"Retry-After": "2"})
    run = run_processor(proc, [("crm.commands", _command())])
    assert run.backpressure == [] and run.dead == []
    assert 2.0 in slept
    assert _requests(registry, "rate_limited") == 1
    assert _waits(registry) == (1.0, 2.0)


def test_server_errors_are_counted_by_outcome_and_are_not_rate_limit_waits(wired, fake):
    proc, registry, _ = wired
    fake.script.fail(1000, 503, json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}])
    run = run_processor(proc, [("crm.commands", _command())])
    assert len(run.dead) == 1
    assert _requests(registry, "server_error") >= 3
    assert _waits(registry) == (0.0, 0.0)


def test_labels_never_carry_a_document_id_or_a_field_value(wired, fake):
    proc, registry, _ = wired
    fake.script.fail(1, 429, headers={"Retry-After": "90"})
    run_processor(proc, [("crm.commands", _command("doc-secret-42"))])
    values = {v for metric in registry.collect() if metric.name.startswith("inkstream_crm")
              for sample in metric.samples for k, v in sample.labels.items() if k != "le"}
    assert values <= {"salesforce", "ok", "rate_limited", "server_error", "client_error", "auth_error",
                      "transport_error"}
