"""Signed artifacts in Salesforce (issue 15 item 3), against the Salesforce fake
(tests/fakes/crm_salesforce.py: REST API "Insert or Update Blob Data" for ContentVersion
versions, Tooling API CustomObject/CustomField for the signature object): the signed PDF is
version 2 of the original's ContentDocument and the signature record carries IP, user agent
and the signed hash."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from connectors.crm import Attachment
from connectors.crm.factory import build_connector
from connectors.crm.mapping import load_mapping
from connectors.crm.setup import run_setup
from fakes.crm_records import validated_contract
from fakes.crm_salesforce import FakeSalesforce
from inkstream.errors import CrmPermanentError
from inkstream.settings import load_settings
from streams.esign.crm_fields import crm_command, signature_fields
from streams.mapper.plan import plan_commands
from streams.mapper.processor import MAPPINGS_DIR

ORIGINAL = b"%PDF-1.7 original\n%%EOF\n"
SIGNED = b"%PDF-1.7 signed by Ada\n%%EOF\n"
DIGEST = hashlib.sha256(SIGNED).hexdigest()
SIGNER = {"name": "Ada Lovelace", "email": "ada@acme.example", "ip": "203.0.113.7",
          "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "auth_method": "email_otp",
          "signed_at": 1795000000000}


def _pdf(data: bytes, name: str) -> Attachment:
    return Attachment(data, name, "application/pdf", hashlib.sha256(data).hexdigest())


@pytest.fixture
def fake():
    return FakeSalesforce()


@pytest.fixture
def sf(fake):
    settings = load_settings(crm={"salesforce": {"auth_url": fake.login_url, "client_id": fake.client_id,
                                                 "client_secret": fake.client_secret,
                                                 "refresh_token": fake.refresh_token}})
    return build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport), dry_run=False,
                           sleep=lambda s: None)


def _mapped(sf, doc_id="doc-s1"):
    commands = plan_commands(validated_contract(doc_id), load_mapping(MAPPINGS_DIR / "salesforce.yaml"),
                             esign_provider="docusign")
    for c in commands:
        if c["target"] == "salesforce":
            sf.apply(c, _pdf(ORIGINAL, c["fields"]["file_name"]) if c["operation"] == "attach_file" else None)
    request = next(c for c in commands if c["operation"] == "request_signature")
    return {"crm_target": "salesforce", "crm_object": request["object"],
            "crm_external_id_field": request["external_id_field"], "crm_external_id": request["external_id"]}


def _signature_commands(state, doc_id="doc-s1"):
    event = {"doc_id": doc_id, "trace": f"trace-{doc_id}", "provider": "docusign", "envelope_id": "env-0001",
             "signer": SIGNER, "provider_time": 1795000001000}
    names = signature_fields("salesforce")
    attach = crm_command(state, event, operation="attach_file", crm="salesforce", discriminator=f"signed:{DIGEST}",
                         fields={"title": f"Signed: {doc_id}", "file_name": f"{doc_id}-signed.pdf"},
                         file={"bucket": "inkstream", "key": f"signed/{doc_id}/{DIGEST}.pdf", "version_id": None,
                               "sha256": DIGEST, "size_bytes": len(SIGNED), "content_type": "application/pdf"})
    status = crm_command(state, event, operation="update_signature_status", crm="salesforce",
                         discriminator="completed",
                         fields={names["status"]: "signed", names["signed_at"]: "2026-11-18T20:26:41Z",
                                 names["signer"]: SIGNER["email"], names["hash"]: DIGEST},
                         depends_on=[attach["idempotency_key"]])
    return attach, status


def test_signed_pdf_is_version_2_of_the_originals_document_and_the_signature_record_carries_ip_ua_hash(sf, fake):
    run_setup(sf)
    state = _mapped(sf)
    (original,) = fake.records["ContentVersion"].values()
    attach, status = _signature_commands(state)
    assert sf.apply(attach, _pdf(SIGNED, "doc-s1-signed.pdf")).status == "created"
    assert sf.apply(status).status == "updated"

    versions = sorted(fake.records["ContentVersion"].values(), key=lambda v: v["VersionNumber"])
    assert [v["VersionNumber"] for v in versions] == ["1", "2"]
    signed = versions[1]
    assert signed["ContentDocumentId"] == original["ContentDocumentId"]  # the same document, not a new one
    assert signed["IsMajorVersion"] is True and signed["IsLatest"] and not versions[0]["IsLatest"]
    assert signed["VersionData"] == SIGNED and "FirstPublishLocationId" not in signed

    (opp,) = fake.records["Opportunity"].values()
    (account,) = fake.records["Account"].values()
    (record,) = fake.records["Inkstream_Signature__c"].values()
    assert (record["Signer_IP__c"], record["Signer_User_Agent__c"], record["Signed_SHA256__c"]) == (
        "203.0.113.7", SIGNER["user_agent"], DIGEST)
    assert (record["Signer_Name__c"], record["Signer_Email__c"], record["Envelope_Id__c"]) == (
        "Ada Lovelace", "ada@acme.example", "env-0001")
    assert record["Signed_At__c"] == "2026-11-18T11:06:40Z" and record["Opportunity__c"] == opp["Id"]
    # the document is linked to every related record: the deal, its account and the signature record
    linked = {l["LinkedEntityId"] for l in fake.records["ContentDocumentLink"].values()
              if l["ContentDocumentId"] == original["ContentDocumentId"]}
    assert linked == {opp["Id"], account["Id"], record["Id"]}

    # a redelivery of both: no third version, no second signature record
    assert sf.apply(attach, _pdf(SIGNED, "doc-s1-signed.pdf")).status == "unchanged"
    sf.apply(status)
    assert len(fake.records["ContentVersion"]) == 2 and len(fake.records["Inkstream_Signature__c"]) == 1


def test_without_crm_setup_the_signature_record_fails_with_salesforces_answer(sf, fake):
    state = _mapped(sf)
    attach, status = _signature_commands(state)
    sf.apply(attach, _pdf(SIGNED, "doc-s1-signed.pdf"))
    with pytest.raises(CrmPermanentError) as info:
        sf.apply(status)
    assert info.value.status == 404 and "Inkstream_Signature__c" in (info.value.body or "")


def test_setup_creates_the_signature_object_its_fields_and_object_permissions_once(sf, fake):
    first = run_setup(sf)
    assert ("Inkstream_Signature__c", "(object)", "created") in {(r.object, r.field, r.result) for r in first}
    (obj,) = fake.tooling_objects.values()
    assert obj["DeveloperName"] == "Inkstream_Signature" and obj["Metadata"]["nameField"]["type"] == "AutoNumber"
    lookups = {r["DeveloperName"]: r["Metadata"] for r in fake.tooling.values()
               if r["TableEnumOrId"] == "Inkstream_Signature__c" and r["Metadata"]["type"] == "Lookup"}
    assert lookups["Opportunity"]["referenceTo"] == "Opportunity"
    (perm,) = fake.records["ObjectPermissions"].values()
    assert perm["SobjectType"] == "Inkstream_Signature__c" and perm["PermissionsCreate"]
    again = run_setup(sf)
    assert {r.result for r in again} == {"exists"} and len(fake.records["ObjectPermissions"]) == 1


def test_hubspot_tells_signed_completed_and_declined_on_the_deal_timeline():
    from fakes.crm_hubspot import FakeHubSpot
    fake = FakeHubSpot()
    tokens = ["name", "email", "ip", "user_agent", "envelope_id", "provider", "sha256"]
    templates = {e: fake.add_timeline_template("deals", tokens) for e in ("sent", "viewed", "signed", "completed",
                                                                          "declined")}
    hs = build_connector(load_settings(crm={"hubspot": {"access_token": fake.private_app_token,
                                                        "timeline_templates": templates}}), "hubspot",
                         client=httpx.Client(transport=fake.transport), dry_run=False, sleep=lambda s: None)
    commands = plan_commands(validated_contract("doc-h1"), load_mapping(MAPPINGS_DIR / "hubspot.yaml"),
                             esign_provider="docusign")
    for c in commands:
        if c["target"] == "hubspot" and c["operation"] == "upsert":
            hs.apply(c)
    request = next(c for c in commands if c["operation"] == "request_signature")
    state = {"crm_target": "hubspot", "crm_object": request["object"],
             "crm_external_id_field": request["external_id_field"], "crm_external_id": request["external_id"]}
    event = {"doc_id": "doc-h1", "trace": "t", "provider": "docusign", "envelope_id": "env-9", "signer": SIGNER}
    names = signature_fields("hubspot")
    status = crm_command(state, event, operation="update_signature_status", crm="hubspot", discriminator="completed",
                         fields={names["status"]: "signed", names["hash"]: DIGEST})
    hs.apply(status)
    (deal,) = fake.objects["deals"].values()
    by_template = {templates[k]: k for k in templates}
    told = {by_template[e["eventTemplateId"]]: e for e in fake.timeline_events.values()}
    assert set(told) == {"signed", "completed"}
    assert told["signed"]["objectId"] == deal["id"] and told["signed"]["tokens"]["ip"] == "203.0.113.7"
    assert told["signed"]["tokens"]["sha256"] == DIGEST and told["signed"]["tokens"]["user_agent"] == SIGNER["user_agent"]
    assert "inkstream_signature_status" in deal["properties"] and "signature.ip" not in deal["properties"]
    hs.apply(status)  # a redelivery: 409 per event, nothing new
    assert len(fake.timeline_events) == 2
    declined = crm_command(state, event, operation="update_signature_status", crm="hubspot", discriminator="declined",
                           fields={names["status"]: "declined"})
    hs.apply(declined)
    assert {by_template[e["eventTemplateId"]] for e in fake.timeline_events.values()} == {"signed", "completed",
                                                                                          "declined"}
    # a "viewed" from the e-sign side is a timeline event too (a timeline_event command)
    viewed = crm_command(state, event, operation="timeline_event", crm="hubspot", discriminator="viewed",
                         fields={"event": "viewed", "title": "viewed"})
    assert hs.apply(viewed).detail == "timeline viewed"


def test_zoho_keeps_the_signature_in_deal_fields_and_links_files_over_the_attachment_limit():
    from fakes.crm_zoho import FakeZoho
    fake = FakeZoho(dc="eu")
    settings = load_settings(crm={"zoho": {"auth_url": fake.accounts, "client_id": fake.client_id,
                                           "client_secret": fake.client_secret, "refresh_token": fake.refresh_token}})
    zoho = build_connector(settings, "zoho", client=httpx.Client(transport=fake.transport), dry_run=False,
                           sleep=lambda s: None)
    commands = plan_commands(validated_contract("doc-z1"), load_mapping(MAPPINGS_DIR / "zoho.yaml"),
                             esign_provider="docusign")
    for c in commands:
        if c["target"] == "zoho" and c["operation"] == "upsert":
            zoho.apply(c)
    request = next(c for c in commands if c["operation"] == "request_signature")
    state = {"crm_target": "zoho", "crm_object": request["object"],
             "crm_external_id_field": request["external_id_field"], "crm_external_id": request["external_id"]}
    event = {"doc_id": "doc-z1", "trace": "t", "provider": "docusign", "envelope_id": "env-7", "signer": SIGNER}
    names = signature_fields("zoho")
    zoho.apply(crm_command(state, event, operation="update_signature_status", crm="zoho", discriminator="completed",
                           fields={names["status"]: "signed", names["hash"]: DIGEST}))
    (deal,) = fake.records["Deals"].values()
    assert (deal["Inkstream_Signer_IP"], deal["Inkstream_Signer_User_Agent"], deal["Inkstream_Envelope_Id"]) == (
        "203.0.113.7", SIGNER["user_agent"], "env-7")
    big = crm_command(state, event, operation="attach_file", crm="zoho", discriminator=f"signed:{DIGEST}",
                      fields={"title": "Signed", "file_name": "doc-z1-signed.pdf"},
                      file={"bucket": "inkstream", "key": f"signed/doc-z1/{DIGEST}.pdf", "version_id": "v3",
                            "sha256": DIGEST, "size_bytes": 150 * 1024 * 1024, "content_type": "application/pdf"})
    result = zoho.apply(big)  # no bytes given: over the limit nothing is uploaded
    assert result.status == "updated" and fake.attachments.get(deal["id"], []) == []
    assert deal["Inkstream_File_Link"] == f"s3://inkstream/signed/doc-z1/{DIGEST}.pdf?versionId=v3"
