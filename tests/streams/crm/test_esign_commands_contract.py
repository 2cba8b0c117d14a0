"""Contract with the e-sign engineer: the commands streams.esign produces after a
signature (attach the signed PDF, set signature status/signed-at/signer/hash) apply
through each CRM connector onto the record the mapper created."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from connectors.crm import Attachment
from connectors.crm.factory import build_connector
from connectors.crm.mapping import load_mapping
from fakes.crm_hubspot import FakeHubSpot
from fakes.crm_records import validated_contract
from fakes.crm_salesforce import FakeSalesforce
from fakes.crm_zoho import FakeZoho
from inkstream.settings import load_settings
from streams.esign.crm_fields import crm_command, signature_fields
from streams.mapper.plan import plan_commands
from streams.mapper.processor import MAPPINGS_DIR

SIGNED = b"%PDF-1.7 signed by Ada\n%%EOF\n"
ORIGINAL = b"%PDF-1.7 original\n%%EOF\n"


def _live(crm: str):
    if crm == "salesforce":
        fake = FakeSalesforce()
        vendor = {"auth_url": fake.login_url, "client_id": fake.client_id, "client_secret": fake.client_secret,
                  "refresh_token": fake.refresh_token}
    elif crm == "hubspot":
        fake = FakeHubSpot()
        vendor = {"access_token": fake.private_app_token}
    else:
        fake = FakeZoho()
        vendor = {"auth_url": fake.accounts, "client_id": fake.client_id, "client_secret": fake.client_secret,
                  "refresh_token": fake.refresh_token}
    connector = build_connector(load_settings(crm={crm: vendor}), crm, client=httpx.Client(transport=fake.transport),
                                dry_run=False, sleep=lambda s: None)
    return connector, fake


def _attachment(data: bytes, name: str) -> Attachment:
    return Attachment(data, name, "application/pdf", hashlib.sha256(data).hexdigest())


def _deal(crm: str, fake) -> dict:
    if crm == "salesforce":
        (opp,) = fake.records["Opportunity"].values()
        return opp
    if crm == "hubspot":
        (deal,) = fake.objects["deals"].values()
        return deal["properties"]
    (deal,) = fake.records["Deals"].values()
    return deal


@pytest.mark.parametrize("crm", ["salesforce", "hubspot", "zoho"])
def test_signature_commands_from_esign_update_the_mapped_deal(crm):
    connector, fake = _live(crm)
    if crm == "salesforce":  # the signature record's object comes from `inkstream crm setup`
        from connectors.crm.setup import run_setup
        run_setup(connector)
    record = validated_contract("doc-s1")
    commands = plan_commands(record, load_mapping(MAPPINGS_DIR / f"{crm}.yaml"), esign_provider="docusign")
    for c in commands:
        if c["target"] == crm:
            connector.apply(c, _attachment(ORIGINAL, c["fields"].get("file_name", "x.pdf"))
                            if c["operation"] == "attach_file" else None)
    request = next(c for c in commands if c["operation"] == "request_signature")
    state = {"crm_target": request["fields"]["crm"], "crm_object": request["object"],
             "crm_external_id_field": request["external_id_field"], "crm_external_id": request["external_id"]}
    event = {"doc_id": "doc-s1", "trace": "trace-doc-s1"}
    digest = hashlib.sha256(SIGNED).hexdigest()
    names = signature_fields(crm)
    attach = crm_command(state, event, operation="attach_file", crm=crm, discriminator=f"signed:{digest}",
                         fields={"title": "Signed: doc-s1", "file_name": "doc-s1-signed.pdf"},
                         file={"bucket": "inkstream", "key": f"signed/doc-s1/{digest}.pdf", "version_id": None,
                               "sha256": digest, "size_bytes": len(SIGNED), "content_type": "application/pdf"})
    status = crm_command(state, event, operation="update_signature_status", crm=crm, discriminator="completed",
                         fields={names["status"]: "signed", names["signed_at"]: "2026-11-25T10:00:00Z",
                                 names["signer"]: "ada@acme.example", names["hash"]: digest},
                         depends_on=[attach["idempotency_key"]])
    assert connector.apply(attach, _attachment(SIGNED, "doc-s1-signed.pdf")).status == "created"
    assert connector.apply(status).status == "updated"
    deal = _deal(crm, fake)
    assert deal[names["status"]] == "signed" and deal[names["hash"]] == digest
    # a redelivery of both changes nothing
    assert connector.apply(attach, _attachment(SIGNED, "doc-s1-signed.pdf")).status == "unchanged"
    assert connector.apply(status).status == "updated"
