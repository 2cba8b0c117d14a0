"""``request_signature`` in a mapping (issue 15, item 4): signers, routing order, recipient
authentication per document type and pre-filled values, from the mapping file through the
mapper's command to the envelope the provider gets. No broker needed."""

from __future__ import annotations

import json
import textwrap

import httpx
import pytest

from connectors.crm.mapping import check_text, load_mapping
from connectors.esign.docusign import DocuSign
from fakes.crm_records import validated_contract
from fakes.esign_docusign import FakeDocuSign
from fakes.esign_specs import docusign_errors
from inkstream.errors import EsignError
from streams.esign.dispatcher import envelope_request
from streams.esign.request_plan import PLAN_FIELD, read_plan
from streams.mapper.plan import plan_commands

MAPPING = textwrap.dedent("""\
    version: "sf-esign-1"
    crm: salesforce
    objects:
      deal:
        object: Opportunity
        external_id: {field: Inkstream_Document_Id__c, from: doc_id}
        fields:
          Name: {from: counterparty, required: true}
    request_signature:
      to: deal
      doc_types: [contract]
      title: "Please sign: {company_name}"
      signers:
        - {name: {from: signer_name}, email: {from: signer_email}, routing_order: 1, anchor: "Signature du client"}
        - {name: {const: Nora North}, email: {const: nora@northwind.example}, routing_order: 2}
      auth: {contract: kba}
      prefill:
        Amount: {from: total_amount, anchor: "Total amount:"}
        Customer: {from: counterparty}
        Start: {from: effective_date}
    """)


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    for y, text in ((100, "Customer: Acme GmbH"), (130, "Total amount: EUR 125,000.50"),
                    (600, "Signed by: Northwind Ltd"), (680, "Signature du client:")):
        pdf.text(72, y, text)
    return bytes(pdf.output())


def test_the_mapping_accepts_request_signature_auth_signers_and_prefill(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(MAPPING)
    spec = load_mapping(path).request_signature
    assert spec.auth == {"contract": "kba"} and [s.routing_order for s in spec.signers] == [1, 2]
    assert "Unterschrift" in spec.anchors  # the default anchors stay when none are given


@pytest.mark.parametrize("change, message", [
    ("auth: {contract: kba}", "auth: {contract: retina}"),
    ("Start: {from: effective_date}", "Start: {from: efective_date}"),
    ("email: {const: nora@northwind.example}, routing_order: 2", "email: {const: nora@northwind.example}, routing_order: 0"),
    ("routing_order: 1,", "routing_order: 1, pin: 1234,"),
])
def test_bad_request_signature_keys_are_reported_with_their_line(change, message):
    _, issues = check_text(MAPPING.replace(change, message))
    assert issues and all(i.path[0] == "request_signature" and i.line for i in issues), issues


def test_the_mapper_command_carries_the_plan_and_the_provider_gets_it(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(MAPPING)
    record = validated_contract("doc-plan")
    [command] = [c for c in plan_commands(record, load_mapping(path), esign_provider="docusign")
                 if c["operation"] == "request_signature"]
    plan = read_plan(command["fields"])
    assert [(s["email"], s["routing_order"], s["auth"]) for s in plan["signers"]] == \
        [("ada@acme.example", 1, "kba"), ("nora@northwind.example", 2, "kba")]
    assert {p["label"]: p["value"] for p in plan["prefill"]} == \
        {"Amount": "125000.50", "Customer": "Acme GmbH", "Start": "2026-03-01"}

    fake = FakeDocuSign()
    docusign = DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                        account_id=fake.account_id, access_token=fake.token)
    created = docusign.create_envelope(envelope_request(command, _pdf()))
    body = fake.envelopes[created.envelope_id]
    assert docusign_errors("envelopeDefinition", body) == []
    ada, nora = body["recipients"]["signers"]
    assert (ada["email"], ada["routingOrder"], ada["idCheckConfigurationName"]) == ("ada@acme.example", "1", "ID Check $")
    assert (nora["email"], nora["routingOrder"]) == ("nora@northwind.example", "2")
    assert ada["tabs"]["signHereTabs"][0]["anchorString"] == "Signature du client"
    assert nora["tabs"]["signHereTabs"][0]["anchorString"] == "Signed by"
    tabs = {t["tabLabel"]: t for t in ada["tabs"]["textTabs"]}
    assert tabs["Amount"]["value"] == "125000.50" and tabs["Amount"]["anchorString"] == "Total amount:"
    assert tabs["Customer"]["value"] == "Acme GmbH" and tabs["Customer"]["locked"] == "true"
    assert "anchorString" not in tabs["Start"] and tabs["Start"]["pageNumber"] == "1"  # no "Start" label: footer


def test_an_invoice_gets_the_default_email_auth_when_the_mapping_names_only_contracts(tmp_path):
    from connectors.crm.mapping import SignatureRequestSpec
    from streams.esign.request_plan import signature_plan

    spec = SignatureRequestSpec(to="deal", auth={"contract": "sms"})
    plan = json.loads(signature_plan(spec, {"signer_email": "a@x.example"}, "invoice")[PLAN_FIELD])
    assert plan["signers"][0]["auth"] == "email"


@pytest.mark.parametrize("raw", ["not json", json.dumps({"signers": "x"}), json.dumps({"signers": []})])
def test_a_broken_plan_is_a_clear_error_for_the_dlq(raw):
    with pytest.raises(EsignError, match="request_signature"):
        read_plan({PLAN_FIELD: raw})
