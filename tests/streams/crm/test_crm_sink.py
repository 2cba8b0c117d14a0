"""The CRM sink processor, through the real runtime code (no broker), against the
vendor fakes and the dry run."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from connectors.crm.factory import build_connector
from connectors.crm.mapping import load_mapping
from fakes.crm_hubspot import FakeHubSpot
from fakes.crm_records import validated_contract
from fakes.crm_salesforce import FakeSalesforce
from inkstream.settings import load_settings
from streams.crm.sink import CrmSink
from streams.mapper.plan import plan_commands
from streams.mapper.processor import MAPPINGS_DIR
from streams.runtime import Processor
from streams.runtime.testing import run_processor

PDF = b"%PDF-1.7 contract bytes\n%%EOF\n"


def _commands(crm: str, doc_id: str = "doc-1") -> list[dict]:
    record = validated_contract(doc_id)
    record["original"] = {**record["original"], "sha256": hashlib.sha256(PDF).hexdigest(), "size_bytes": len(PDF)}
    return plan_commands(record, load_mapping(MAPPINGS_DIR / f"{crm}.yaml"), esign_provider="docusign")


def _fetch(ref):
    return PDF


def _proc(connector, fetch=_fetch) -> Processor:
    sink = CrmSink(connector, fetch=fetch)
    return Processor(name="crm", inputs=("crm.commands",), handle=sink.handle, sink=True, stage="crm")


@pytest.fixture
def sf_fake():
    return FakeSalesforce()


@pytest.fixture
def sf_proc(sf_fake):
    settings = load_settings(crm={"crm": "salesforce", "max_attempts": 3, "backoff_base_s": 0.01, "salesforce": {
        "auth_url": sf_fake.login_url, "client_id": sf_fake.client_id, "client_secret": sf_fake.client_secret,
        "refresh_token": sf_fake.refresh_token}})
    connector = build_connector(settings, "salesforce", client=httpx.Client(transport=sf_fake.transport),
                                sleep=lambda s: None)
    return _proc(connector)


def test_commands_are_applied_in_order_and_statuses_produced(sf_proc, sf_fake):
    run = run_processor(sf_proc, [("crm.commands", c) for c in _commands("salesforce")])
    assert run.dead == []
    assert run.skipped == ["target 'docusign' is not salesforce"]  # request_signature is e-sign's
    statuses = run.on("documents.status")
    assert [s["status"] for s in statuses] == ["created"] * 6
    assert all(s["stage"] == "crm" for s in statuses)
    assert statuses[4]["detail"].startswith("attach_file Opportunity 068")
    (version,) = sf_fake.records["ContentVersion"].values()
    assert version["VersionData"] == PDF


def test_redelivered_commands_change_nothing(sf_proc, sf_fake):
    commands = [("crm.commands", c) for c in _commands("salesforce")]
    run_processor(sf_proc, commands)
    snapshot = repr(sf_fake.records)
    again = run_processor(sf_proc, commands)
    assert repr(sf_fake.records) == snapshot
    assert {s["status"] for s in again.on("documents.status")} == {"updated", "unchanged"}


def test_rate_limit_becomes_backpressure_not_an_error(sf_proc, sf_fake):
    sf_fake.script.fail(1, 429, headers={"Retry-After": "90"})
    run = run_processor(sf_proc, [("crm.commands", _commands("salesforce")[0])])
    assert run.backpressure == [90.0] and run.dead == []
    assert run.on("documents.status")[0]["status"] == "created"


def test_5xx_storm_is_retried_then_dead_lettered(sf_proc, sf_fake):
    sf_fake.script.fail(1000, 503, json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}])
    run = run_processor(sf_proc, [("crm.commands", _commands("salesforce")[0])])
    (dead,) = run.dead
    assert dead["error_type"] == "Retryable" and dead["attempts"] == 3
    assert run.statuses[-1]["status"] == "failed"


def test_permanent_error_goes_to_dlq_with_vendor_body_and_blocks_dependents(sf_proc, sf_fake):
    sf_fake.script.fail(1, 400, json=[{"errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "Name is odd"}])
    commands = _commands("salesforce")
    account, contact = commands[0], commands[1]
    run = run_processor(sf_proc, [("crm.commands", account), ("crm.commands", contact)])
    assert [d["error_type"] for d in run.dead] == ["CrmPermanentError", "CrmPermanentError"]
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in run.dead[0]["error"]
    assert "dependency" in run.dead[1]["error"]
    assert "Contact" not in sf_fake.records
    for dead in run.dead:
        assert sf_fake.client_secret not in dead["error"] and sf_fake.refresh_token not in dead["error"]


def test_file_whose_bytes_do_not_match_the_claim_check_is_refused(sf_proc, sf_fake):
    commands = _commands("salesforce")
    run = run_processor(_proc(sf_proc.handle.__self__.connector, fetch=lambda ref: b"tampered"),
                        [("crm.commands", c) for c in commands[:5]])
    assert run.dead[-1]["error_type"] == "CrmPermanentError" and "sha256" in run.dead[-1]["error"]
    assert "ContentVersion" not in sf_fake.records


def test_dry_run_records_exact_requests_with_secrets_redacted():
    settings = load_settings(crm={"crm": "hubspot", "dry_run": True})
    connector = build_connector(settings, "hubspot", client=httpx.Client())
    run = run_processor(_proc(connector), [("crm.commands", c) for c in _commands("hubspot")])
    assert run.dead == []
    recorded = run.on("crm.dryrun")
    first = recorded[0]
    # the first request looks the company up by its key (matching), then it is upserted
    assert first["method"] == "GET" and first["crm"] == "hubspot" and first["sequence"] == 0
    upsert = next(r for r in recorded if r["url"] == "https://api.hubapi.com/crm/v3/objects/deals/batch/upsert")
    body = json.loads(upsert["body"])
    assert body["inputs"][0]["idProperty"] == "inkstream_document_id" and body["inputs"][0]["id"] == "doc-1"
    assert upsert["body_sha256"] == hashlib.sha256(upsert["body"].encode()).hexdigest()
    assert all(r["headers"]["authorization"] == "[redacted]" for r in recorded)
    upload = next(r for r in recorded if r["url"].endswith("/files/v3/files"))
    file_part = next(p for p in json.loads(upload["body"])["multipart"] if p["name"] == "file")
    assert file_part["sha256"] == hashlib.sha256(PDF).hexdigest() and file_part["size"] == len(PDF)
    assert {s["status"] for s in run.statuses} == {"done"}


def test_dry_run_sends_nothing_to_a_real_crm():
    fake = FakeHubSpot()
    settings = load_settings(crm={"crm": "hubspot", "dry_run": True})
    connector = build_connector(settings, "hubspot", client=httpx.Client(transport=fake.transport))
    run_processor(_proc(connector), [("crm.commands", c) for c in _commands("hubspot")])
    assert fake.requests == []


def test_dry_run_takes_commands_addressed_to_dryrun_and_live_skips_them(sf_proc):
    command = {**_commands("salesforce")[0], "target": "dryrun"}
    live = run_processor(sf_proc, [("crm.commands", command)])
    assert live.skipped and live.emitted == []
    dry = build_connector(load_settings(crm={"crm": "salesforce", "dry_run": True}), "salesforce", client=httpx.Client())
    run = run_processor(_proc(dry), [("crm.commands", command)])
    assert run.on("crm.dryrun") and run.dead == []


def test_command_without_external_id_is_dead_lettered_with_the_reason(sf_proc, sf_fake):
    command = {**_commands("salesforce")[2], "external_id": None}
    run = run_processor(sf_proc, [("crm.commands", command)])
    assert "names no external id" in run.dead[0]["error"] and sf_fake.requests == []


def test_object_store_outage_is_retried_then_dead_lettered(sf_proc, sf_fake):
    from inkstream.errors import ObjectStoreError

    def down(ref):
        raise ObjectStoreError("connection refused")
    commands = _commands("salesforce")
    run = run_processor(_proc(sf_proc.handle.__self__.connector, fetch=down), [("crm.commands", commands[4])])
    (dead,) = run.dead
    assert dead["error_type"] == "Retryable" and dead["attempts"] == 3 and "object store" in dead["error"]


def test_a_tie_goes_to_review_and_its_dependents_wait_without_a_duplicate_or_a_dlq(sf_proc, sf_fake):
    run_processor(sf_proc, [("crm.commands", c) for c in _commands("salesforce", "doc-1")])
    # Someone creates a second open Opportunity of the same account with the same amount.
    (opp,) = sf_fake.records["Opportunity"].values()
    twin = {**opp, "Id": sf_fake.new_id("Opportunity"), "Inkstream_Document_Id__c": "manual"}
    sf_fake.records["Opportunity"][twin["Id"]] = twin
    run = run_processor(sf_proc, [("crm.commands", c) for c in _commands("salesforce", "doc-2")])
    assert run.dead == [] and len(sf_fake.records["Opportunity"]) == 2
    review = [s for s in run.on("documents.status") if s["stage"] == "review"]
    # the deal, then its file and its task wait with it
    assert [s["detail"].split(":")[0] for s in review] == [
        "upsert Opportunity", "attach_file Opportunity", "timeline_event Opportunity"]
    assert {s["status"] for s in review} == {"needs_match"} and "2 records match" in review[0]["detail"]
    assert len(sf_fake.records["ContentVersion"]) == 1  # doc-2's file went nowhere


def test_a_file_over_zohos_attachment_limit_is_linked_not_fetched_or_uploaded():
    from fakes.crm_zoho import FakeZoho
    fake = FakeZoho(dc="eu")
    settings = load_settings(crm={"crm": "zoho", "zoho": {"auth_url": fake.accounts, "client_id": fake.client_id,
                                                          "client_secret": fake.client_secret,
                                                          "refresh_token": fake.refresh_token}})
    connector = build_connector(settings, "zoho", client=httpx.Client(transport=fake.transport), sleep=lambda s: None)
    commands = [c for c in _commands("zoho") if c["target"] == "zoho"]
    attach = next(c for c in commands if c["operation"] == "attach_file")
    attach["file"] = {**attach["file"], "size_bytes": 101 * 1024 * 1024}
    fetched = []
    run = run_processor(_proc(connector, fetch=lambda ref: fetched.append(ref) or PDF),
                        [("crm.commands", c) for c in commands])
    assert run.dead == [] and fetched == []  # 101 MB never read from the object store
    (deal,) = fake.records["Deals"].values()
    assert deal["Inkstream_File_Link"].startswith("s3://inkstream/originals/") and not fake.attachments.get(deal["id"])
