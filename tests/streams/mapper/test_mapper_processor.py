"""The map processor, run through the real runtime code (no broker)."""

from __future__ import annotations

import hashlib

import pytest

from connectors.crm.mapping import load_mapping
from fakes.crm_records import ORIGINAL, validated_contract, validated_invoice
from inkstream.settings import load_settings
from streams.mapper.processor import MAPPINGS_DIR, factory, make_handler
from streams.runtime import Processor
from streams.runtime.testing import run_processor


def _proc(crm: str = "salesforce") -> Processor:
    return factory(load_settings(crm={"crm": crm, "esign_provider": "dropbox-sign"}))


def test_accepted_contract_becomes_upserts_attach_timeline_and_signature_request():
    run = run_processor(_proc(), [("fields.validated", validated_contract("doc-1"))])
    assert run.dead == []
    cmds = run.on("crm.commands")
    ops = [(c["operation"], c["object"]) for c in cmds]
    assert ops == [("upsert", "Account"), ("upsert", "Contact"), ("upsert", "Opportunity"),
                   ("upsert", "Contract"), ("attach_file", "Opportunity"),
                   ("timeline_event", "Opportunity"), ("request_signature", "Opportunity")]
    by = {(c["operation"], c["object"]): c for c in cmds}
    deal = by["upsert", "Opportunity"]
    assert deal["external_id_field"] == "Inkstream_Document_Id__c" and deal["external_id"] == "doc-1"
    assert deal["fields"]["Amount"] == 125000.5 and deal["fields"]["CurrencyIsoCode"] == "EUR"
    assert deal["fields"]["CloseDate"] == "2026-03-01"
    assert deal["fields"]["StageName"] == "Negotiation/Review"
    account = by["upsert", "Account"]
    assert account["external_id"] == "acme.example" and account["match"] == {"domain": "acme.example", "name": "Acme GmbH"}
    assert deal["links"] == [{"object": "Account", "external_id_field": "Inkstream_Key__c",
                              "external_id": "acme.example", "relationship": "Account"}]
    assert deal["depends_on"] == [account["idempotency_key"]]
    contact = by["upsert", "Contact"]
    assert contact["match"] == {"email": "ada@acme.example"}
    assert contact["fields"] == {"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@acme.example"}
    attach = by["attach_file", "Opportunity"]
    assert attach["file"] == ORIGINAL and attach["depends_on"] == [deal["idempotency_key"]]
    sig = by["request_signature", "Opportunity"]
    assert sig["target"] == "dropbox-sign" and sig["fields"]["signer_email"] == "ada@acme.example"
    assert all(c["target"] == "salesforce" for c in cmds if c["operation"] != "request_signature")
    assert all(c["trace"] == "trace-doc-1" and c["doc_id"] == "doc-1" for c in cmds)


def test_every_command_carries_mapping_version_and_derived_idempotency_key():
    run = run_processor(_proc("hubspot"), [("fields.validated", validated_contract("doc-2"))])
    version = load_mapping(MAPPINGS_DIR / "hubspot.yaml").version
    for c in run.on("crm.commands"):
        assert c["mapping_version"] == version
        expected = hashlib.sha256(f"doc-2|{c['operation']}|{c['object']}|{version}".encode()).hexdigest()
        assert c["idempotency_key"] == expected
    keys = [c["idempotency_key"] for c in run.on("crm.commands")]
    assert len(keys) == len(set(keys))


def test_replayed_record_yields_identical_idempotency_keys():
    rec = validated_contract("doc-3")
    first = run_processor(_proc(), [("fields.validated", rec)]).on("crm.commands")
    second = run_processor(_proc(), [("fields.validated", rec)]).on("crm.commands")
    assert [c["idempotency_key"] for c in first] == [c["idempotency_key"] for c in second]
    assert first[0]["event_id"] != second[0]["event_id"]


@pytest.mark.parametrize("status", ["review", "rejected"])
def test_records_not_accepted_or_approved_are_skipped(status):
    run = run_processor(_proc(), [("fields.validated", validated_contract(status=status))])
    assert run.emitted == [] and run.dead == [] and len(run.skipped) == 1


def test_approved_invoice_maps_to_company_and_deal_without_signature():
    run = run_processor(_proc("zoho"), [("fields.validated", validated_invoice("inv-1"))])
    cmds = run.on("crm.commands")
    assert [(c["operation"], c["object"]) for c in cmds] == [
        ("upsert", "Accounts"), ("upsert", "Deals"), ("attach_file", "Deals"), ("timeline_event", "Deals")]
    # No e-mail on an invoice: the account is keyed by the company name.
    assert cmds[0]["external_id"] == "globex-corporation"
    assert cmds[1]["fields"]["Currency"] == "USD" and cmds[1]["fields"]["Amount"] == 990.0
    assert cmds[1]["fields"]["Closing_Date"] == "2026-03-12"


def test_freemail_signer_does_not_become_the_company_domain():
    rec = validated_contract("doc-4", signer_email="ada@gmail.com")
    cmds = run_processor(_proc(), [("fields.validated", rec)]).on("crm.commands")
    assert cmds[0]["external_id"] == "acme-gmbh" and cmds[0]["match"] == {"name": "Acme GmbH"}


def test_rejected_field_values_never_reach_the_crm():
    rec = validated_contract("doc-5")
    for f in rec["fields"]:
        if f["name"] == "total_amount":
            f["status"] = "reject"
    cmds = run_processor(_proc(), [("fields.validated", rec)]).on("crm.commands")
    deal = next(c for c in cmds if c["object"] == "Opportunity" and c["operation"] == "upsert")
    assert "Amount" not in deal["fields"]


def test_missing_required_field_goes_to_dlq_with_the_reason():
    rec = validated_contract("doc-6", effective_date=None)
    run = run_processor(_proc(), [("fields.validated", rec)])
    assert run.emitted == []
    assert run.dead[0]["error_type"] == "MappingError" and "CloseDate" in run.dead[0]["error"]


def test_handler_works_with_an_in_memory_mapping():
    mapping = load_mapping(MAPPINGS_DIR / "salesforce.yaml")
    proc = Processor(name="map", inputs=("fields.validated",), handle=make_handler(mapping, esign_provider="docusign"))
    run = run_processor(proc, [("fields.validated", validated_contract("doc-7", signer_email=None))])
    ops = [(c["operation"], c["object"]) for c in run.on("crm.commands")]
    assert ("upsert", "Contact") not in ops and ("request_signature", "Opportunity") not in ops
    assert ("upsert", "Opportunity") in ops


def test_document_of_unknown_type_is_skipped_with_a_reason():
    rec = {**validated_contract("doc-8"), "doc_type": "unknown"}
    run = run_processor(_proc(), [("fields.validated", rec)])
    assert run.emitted == [] and run.dead == []
    assert run.skipped == ["mapping salesforce-2026.12.1 writes nothing for doc_type 'unknown'"]


def test_deal_carries_the_matching_rules_and_its_account_and_dependents_carry_them_too():
    cmds = run_processor(_proc(), [("fields.validated", validated_contract("doc-5"))]).on("crm.commands")
    by = {(c["operation"], c["object"]): c for c in cmds}
    deal = by["upsert", "Opportunity"]
    assert deal["match"] == {"amount": "125000.50", "name": "Acme GmbH", "account_object": "Account",
                             "account_id_field": "Inkstream_Key__c", "account_id": "acme.example"}
    assert by["attach_file", "Opportunity"]["match"] == deal["match"]
    assert by["timeline_event", "Opportunity"]["match"] == deal["match"]


def test_crm_ref_from_capture_addresses_the_deal_by_its_crm_id_in_every_command():
    record = validated_contract("doc-6")
    record["crm_ref"] = "006Dn000001XyZAAA"
    cmds = run_processor(_proc(), [("fields.validated", record)]).on("crm.commands")
    on_deal = [c for c in cmds if c["object"] == "Opportunity"]
    assert {(c["external_id_field"], c["external_id"]) for c in on_deal} == {("Id", "006Dn000001XyZAAA")}
    assert [c["operation"] for c in on_deal] == ["upsert", "attach_file", "timeline_event", "request_signature"]
    assert all(c["match"] == {} for c in on_deal)  # nothing to guess
